package manifest_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/drmorigin/drmorigin/manifest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenDir holds the golden manifests, at the module root.
var goldenDir = filepath.Join("..", "testdata", "golden")

// compareOrUpdate compares got with the golden file name, or rewrites it
// when -update is set.
func compareOrUpdate(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./manifest -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test ./manifest -update after review):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// goldenCase is one manifest built from the demo presentation.
type goldenCase struct {
	file  string
	build func(p *manifest.Presentation) ([]byte, error)
	check func(t *testing.T, p *manifest.Presentation, out []byte)
}

func goldenCases() []goldenCase {
	csf := manifest.Options{URLOptions: "format=mpd-time-csf"}
	cmaf := manifest.Options{URLOptions: "format=mpd-time-cmaf", CMAF: true}
	hls := manifest.Options{URLOptions: "format=m3u8-cmaf"}
	cases := []goldenCase{
		{"demo.mpd", func(p *manifest.Presentation) ([]byte, error) { return manifest.DASH(p, csf) },
			func(t *testing.T, p *manifest.Presentation, out []byte) { checkDASH(t, p, csf, out) }},
		{"demo-cmaf.mpd", func(p *manifest.Presentation) ([]byte, error) { return manifest.DASH(p, cmaf) },
			func(t *testing.T, p *manifest.Presentation, out []byte) { checkDASH(t, p, cmaf, out) }},
		{"demo.m3u8", func(p *manifest.Presentation) ([]byte, error) { return manifest.HLSMultivariant(p, hls) },
			func(t *testing.T, p *manifest.Presentation, out []byte) { checkMultivariant(t, p, hls, out) }},
		{"demo.ismc", func(p *manifest.Presentation) ([]byte, error) { return manifest.Smooth(p, manifest.Options{}) },
			func(t *testing.T, p *manifest.Presentation, out []byte) { checkSmooth(t, p, manifest.Options{}, out) }},
	}
	p := demo()
	for i := range p.Tracks {
		tr := p.Tracks[i]
		cases = append(cases, goldenCase{
			"demo_" + tr.Name + "_" + itoa(tr.Bitrate) + ".m3u8",
			func(p *manifest.Presentation) ([]byte, error) { return manifest.HLSMedia(p, &p.Tracks[i], hls) },
			func(t *testing.T, p *manifest.Presentation, out []byte) { checkMedia(t, &p.Tracks[i], hls, out) },
		})
	}
	return cases
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.file, func(t *testing.T) {
			p := demo()
			out, err := c.build(p)
			if err != nil {
				t.Fatal(err)
			}
			again, err := c.build(demo())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, again) {
				t.Fatal("two builds of the same presentation differ")
			}
			compareOrUpdate(t, c.file, out)
			c.check(t, p, out)
		})
	}
}
