package manifest_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/manifest"
)

// filtered is the demo presentation as the origin describes it under a
// filter (players.md, "Dynamic filters") that keeps both video renditions
// and English audio, cuts the time range to the fragments holding 2 s and
// 5 s (video fragments 1 and 2, audio fragments 1 and 2: the timeline no
// longer starts at 0), and whose firstQuality picks the 320 kb/s video,
// which the origin moves before the other for HLS (filteredHLS).
func filtered() *manifest.Presentation {
	p := demo()
	v640, v320, eng := p.Tracks[0], p.Tracks[1], p.Tracks[2]
	for _, t := range []*manifest.Track{&v640, &v320, &eng} {
		t.Segments = t.Segments[1:3]
	}
	p.Tracks = []manifest.Track{v640, v320, eng}
	return p
}

func filteredHLS() *manifest.Presentation {
	p := filtered()
	p.Tracks[0], p.Tracks[1] = p.Tracks[1], p.Tracks[0]
	return p
}

// filteredOptions carry the filter into every URL the manifests write.
func filteredOptions(format string) manifest.Options {
	o := manifest.Options{URLOptions: "format=" + format + ",filter=low;en"}
	if f, ok := manifest.ParseHLSFormat(format); ok {
		o.HLSFormat = f
	}
	o.CMAF = format == "mpd-time-cmaf"
	return o
}

func TestFilteredGolden(t *testing.T) {
	type fcase struct {
		p     func() *manifest.Presentation
		file  string
		build func(p *manifest.Presentation) ([]byte, error)
		check func(t *testing.T, p *manifest.Presentation, out []byte)
	}
	dash := filteredOptions("mpd-time-csf")
	smooth := manifest.Options{URLOptions: "filter=low;en"}
	cases := []fcase{
		{filtered, "filtered.mpd", func(p *manifest.Presentation) ([]byte, error) { return manifest.DASH(p, dash) },
			func(t *testing.T, p *manifest.Presentation, out []byte) { checkDASH(t, p, dash, out) }},
		{filtered, "filtered.ismc", func(p *manifest.Presentation) ([]byte, error) { return manifest.Smooth(p, smooth) },
			func(t *testing.T, p *manifest.Presentation, out []byte) { checkSmooth(t, p, smooth, out) }},
	}
	for _, f := range []struct{ name, format string }{{"filtered", "m3u8-cmaf"}, {"filtered-ts", "m3u8-aapl"}, {"filtered-ts-v3", "m3u8-aapl-v3"}} {
		o := filteredOptions(f.format)
		cases = append(cases, fcase{filteredHLS, f.name + ".m3u8", func(p *manifest.Presentation) ([]byte, error) { return manifest.HLSMultivariant(p, o) },
			func(t *testing.T, p *manifest.Presentation, out []byte) {
				if o.HLSFormat == manifest.HLSCMAF {
					checkMultivariant(t, p, o, out)
				} else {
					checkTSMultivariant(t, p, o, out)
				}
				// firstQuality: the picked rendition is the first variant.
				i := strings.Index(string(out), "#EXT-X-STREAM-INF")
				if i < 0 || !strings.Contains(string(out[i:]), "\nQualityLevels(320000)/Manifest(video,"+o.URLOptions+")\n") ||
					strings.Index(string(out), "QualityLevels(320000)/Manifest(video") > strings.Index(string(out), "QualityLevels(640000)/Manifest(video") {
					t.Errorf("the 320 kb/s variant is not the first EXT-X-STREAM-INF:\n%s", out)
				}
			}})
		for ti := range filteredHLS().Tracks {
			if o.HLSFormat == manifest.HLSTSv3 && ti == 2 {
				continue // v3 muxes the audio into the video variants
			}
			tr := filteredHLS().Tracks[ti]
			cases = append(cases, fcase{filteredHLS, f.name + "_" + tr.Name + "_" + itoa(tr.Bitrate) + ".m3u8",
				func(p *manifest.Presentation) ([]byte, error) { return manifest.HLSMedia(p, &p.Tracks[ti], o) },
				func(t *testing.T, p *manifest.Presentation, out []byte) {
					if o.HLSFormat == manifest.HLSCMAF {
						checkMedia(t, &p.Tracks[ti], o, out)
					} else {
						checkTSMedia(t, p, ti, o, out)
					}
					if !strings.Contains(string(out), "=25600,"+o.URLOptions+")") && !strings.Contains(string(out), "=96256,"+o.URLOptions+")") {
						t.Errorf("the first segment is not the one holding the start:\n%s", out)
					}
				}})
		}
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			p := c.p()
			out, err := c.build(p)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := c.build(c.p())
			if !bytes.Equal(out, again) {
				t.Fatal("two builds of the same presentation differ")
			}
			compareOrUpdate(t, c.file, out)
			c.check(t, p, out)
		})
	}
}
