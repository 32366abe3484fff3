package origin

import (
	"errors"
	"strings"
	"testing"
)

// urlCases feeds TestParseStreamURL and the fuzz seed corpus.
var urlCases = []struct {
	path string
	want StreamRequest
	err  string // "" ok, "404" errNoRoute, else a substring of the 400 message
}{
	{"/loc/demo.ism/manifest", StreamRequest{Locator: "loc", Name: "demo", Kind: KindManifest}, ""},
	{"/loc/demo.ism/Manifest", StreamRequest{Locator: "loc", Name: "demo", Kind: KindManifest}, ""},
	{"/loc/demo.ism/manifest(format=mpd-time-csf)", StreamRequest{Locator: "loc", Name: "demo", Kind: KindManifest, Format: FormatMPDTimeCSF, HasFormat: true}, ""},
	{"/loc/demo.ism/manifest(FORMAT=MPD-TIME-CSF).mpd", StreamRequest{Locator: "loc", Name: "demo", Kind: KindManifest, Format: FormatMPDTimeCSF, HasFormat: true}, ""},
	{"/loc/demo.ism/manifest(encryption=cenc,format=m3u8-cmaf).m3u8", StreamRequest{Locator: "loc", Name: "demo", Kind: KindManifest, Format: FormatM3U8CMAF, HasFormat: true, Encryption: EncryptionCENC}, ""},
	{"/loc/demo.ism/manifest(encryption=piff)", StreamRequest{Locator: "loc", Name: "demo", Kind: KindManifest, Encryption: EncryptionPIFF}, ""},
	{"/loc/demo.ism/QualityLevels(640000)/Manifest(video,format=m3u8-cmaf)", StreamRequest{Locator: "loc", Name: "demo", Kind: KindMediaPlaylist, Bitrate: 640000, Track: "video", Format: FormatM3U8CMAF, HasFormat: true}, ""},
	{"/loc/demo.ism/QualityLevels(640000)/Fragments(video=i,format=m3u8-cmaf).mp4", StreamRequest{Locator: "loc", Name: "demo", Kind: KindInit, Bitrate: 640000, Track: "video", Format: FormatM3U8CMAF, HasFormat: true}, ""},
	{"/loc/demo.ism/QualityLevels(640000)/Fragments(video=25600,format=m3u8-cmaf).m4s", StreamRequest{Locator: "loc", Name: "demo", Kind: KindSegment, Bitrate: 640000, Track: "video", Time: 25600, Format: FormatM3U8CMAF, HasFormat: true}, ""},
	{"/loc/demo.ism/QualityLevels(96000)/Fragments(audio_eng=0)", StreamRequest{Locator: "loc", Name: "demo", Kind: KindSegment, Bitrate: 96000, Track: "audio_eng"}, ""},
	{"/loc/demo.ism/QualityLevels(96000)/Fragments(audio_eng=0,format=m3u8-aapl).ts", StreamRequest{Locator: "loc", Name: "demo", Kind: KindSegment, Bitrate: 96000, Track: "audio_eng", Format: FormatM3U8AAPL, HasFormat: true}, ""},
	{"/loc/demo.ism/manifest(format=m3u8-cmaf,filter=low;en_only;first-2)", StreamRequest{Locator: "loc", Name: "demo", Kind: KindManifest, Format: FormatM3U8CMAF, HasFormat: true, Filter: "low;en_only;first-2"}, ""},
	{"/loc/demo.ism/QualityLevels(96000)/Fragments(audio=0,format=m3u8-aapl,FILTER=low).ts", StreamRequest{Locator: "loc", Name: "demo", Kind: KindSegment, Bitrate: 96000, Track: "audio", Format: FormatM3U8AAPL, HasFormat: true, Filter: "low"}, ""},
	{"/loc/demo.ism/QualityLevels(1000)/Fragments(textstream_swe=25600,format=m3u8-aapl).VTT", StreamRequest{Locator: "loc", Name: "demo", Kind: KindSegment, Bitrate: 1000, Track: "textstream_swe", Time: 25600, Format: FormatM3U8AAPL, HasFormat: true, VTT: true}, ""},
	// 400: malformed or unsupported options.
	{"/loc/demo.ism/manifest(filter=a;b;c;d)", StreamRequest{}, "at most 3 filters"},
	{"/loc/demo.ism/manifest(filter=a;;c)", StreamRequest{}, "filter names"},
	{"/loc/demo.ism/manifest(filter=)", StreamRequest{}, "filter names"},
	{"/loc/demo.ism/manifest(filter=a.b)", StreamRequest{}, "filter names"},
	{"/loc/demo.ism/manifest(filter=a;a)", StreamRequest{}, "named twice"},
	{"/loc/demo.ism/manifest(filter=a,filter=b)", StreamRequest{}, "twice"},
	{"/loc/demo.ism/manifest(format=mpd-time-csf,bogus=1)", StreamRequest{}, "unknown option"},
	{"/loc/demo.ism/manifest(format=mpd-time-csf,format=m3u8-cmaf)", StreamRequest{}, "twice"},
	{"/loc/demo.ism/manifest(format=)", StreamRequest{}, "want one of"},
	{"/loc/demo.ism/manifest(format=hds)", StreamRequest{}, "want one of"},
	{"/loc/demo.ism/manifest(encryption=none)", StreamRequest{}, "want one of"},
	{"/loc/demo.ism/manifest(format=mpd-time-csf,encryption=cbc)", StreamRequest{}, "not available with mpd-time-csf"},
	{"/loc/demo.ism/manifest(format=m3u8-aapl,encryption=cenc)", StreamRequest{}, "not available with m3u8-aapl"},
	{"/loc/demo.ism/manifest(encryption=cbcs)", StreamRequest{}, "not available with smooth"},
	{"/loc/demo.ism/manifest(format=mpd-time-csf,encryption=piff)", StreamRequest{}, "not available"},
	{"/loc/demo.ism/QualityLevels(abc)/Fragments(video=0)", StreamRequest{}, "bitrate"},
	{"/loc/demo.ism/QualityLevels(0)/Fragments(video=0)", StreamRequest{}, "bitrate"},
	{"/loc/demo.ism/QualityLevels(1)/Fragments(video=-5)", StreamRequest{}, "time"},
	{"/loc/demo.ism/QualityLevels(1)/Fragments(video)", StreamRequest{}, "want Fragments"},
	// 404: not the shape of a streaming URL.
	{"/", StreamRequest{}, "404"},
	{"/loc", StreamRequest{}, "404"},
	{"/loc/demo/manifest", StreamRequest{}, "404"},
	{"/loc/demo.ism/other", StreamRequest{}, "404"},
	{"/loc/demo.ism/manifest.txt", StreamRequest{}, "404"},
	{"/loc/../demo.ism/manifest", StreamRequest{}, "404"},
	{"/loc/demo.ism/QualityLevels(1)/Fragments(video=0).exe", StreamRequest{}, "404"},
	{"/loc/demo.ism/QualityLevels(1)/Fragments((video=0)", StreamRequest{}, "404"},
}

func TestParseStreamURL(t *testing.T) {
	for _, c := range urlCases {
		got, err := ParseStreamURL(c.path)
		switch {
		case c.err == "":
			if err != nil {
				t.Errorf("%s: unexpected error %v", c.path, err)
			} else if got != c.want {
				t.Errorf("%s:\n got %+v\nwant %+v", c.path, got, c.want)
			}
		case c.err == "404":
			if !errors.Is(err, errNoRoute) {
				t.Errorf("%s: want errNoRoute, got %v", c.path, err)
			}
		default:
			var ue *URLError
			if !errors.As(err, &ue) || !strings.Contains(ue.Msg, c.err) {
				t.Errorf("%s: want a URLError containing %q, got %v", c.path, c.err, err)
			}
		}
	}
}

func TestURLOptionsRoundTrip(t *testing.T) {
	r, err := ParseStreamURL("/l/a.ism/manifest(Encryption=CBCS,Format=MPD-Time-CMAF)")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.URLOptions(r.Encryption); got != "format=mpd-time-cmaf,encryption=cbcs" {
		t.Fatalf("URLOptions = %q", got)
	}
	seg, err := ParseStreamURL("/l/a.ism/QualityLevels(5)/Fragments(video=0," + r.URLOptions(r.Encryption) + ")")
	if err != nil || seg.Format != r.Format || seg.Encryption != r.Encryption {
		t.Fatalf("segment URL does not parse back: %+v %v", seg, err)
	}
}

func TestTagFor(t *testing.T) {
	for _, c := range []struct {
		f      Format
		scheme string
		want   Encryption
		ok     bool
	}{
		{FormatM3U8AAPL, "cbcs", EncryptionCBCSAAPL, true},
		{FormatM3U8CMAF, "cbcs", EncryptionCBCS, true},
		{FormatSmooth, "cenc", EncryptionPIFF, true},
		{FormatMPDTimeCSF, "cbc", EncryptionCBC, false},
		{FormatM3U8AAPLV3, "cenc", EncryptionCENC, false},
		{FormatMPDTimeCSF, "none", EncryptionUnset, true},
	} {
		got, ok := c.f.TagFor(c.scheme)
		if got != c.want || ok != c.ok {
			t.Errorf("%s.TagFor(%s) = %s, %v; want %s, %v", c.f, c.scheme, got, ok, c.want, c.ok)
		}
	}
}

// FuzzParseStreamURL checks that the grammar never panics and that whatever
// it accepts has names the rest of the origin can use safely.
func FuzzParseStreamURL(f *testing.F) {
	for _, c := range urlCases {
		f.Add(c.path)
	}
	for _, c := range trickURLCases {
		f.Add(c.path)
	}
	f.Fuzz(func(t *testing.T, path string) {
		r, err := ParseStreamURL(path)
		if err != nil {
			return
		}
		for _, n := range []string{r.Locator, r.Name} {
			if !validName(n) {
				t.Fatalf("accepted invalid name %q in %q", n, path)
			}
		}
		if r.Kind != KindManifest && (!validName(r.Track) || r.Bitrate <= 0) {
			t.Fatalf("accepted %+v from %q", r, path)
		}
		if !r.Format.Allows(r.Encryption) {
			t.Fatalf("accepted a disallowed pair from %q", path)
		}
	})
}
