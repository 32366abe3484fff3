package bench

import "testing"

func TestWithFilter(t *testing.T) {
	for in, want := range map[string]string{
		"http://h/l/demo.ism/manifest":                                          "http://h/l/demo.ism/manifest(filter=f)",
		"http://h/l/demo.ism/manifest(format=mpd-time-csf)":                     "http://h/l/demo.ism/manifest(format=mpd-time-csf,filter=f)",
		"http://h/l/demo.ism/manifest(format=m3u8-cmaf).m3u8":                   "http://h/l/demo.ism/manifest(format=m3u8-cmaf,filter=f).m3u8",
		"http://h/l/demo.ism/QualityLevels(1)/Manifest(video,format=m3u8-aapl)": "http://h/l/demo.ism/QualityLevels(1)/Manifest(video,format=m3u8-aapl,filter=f)",
	} {
		if got := withFilter(in, "f"); got != want {
			t.Errorf("withFilter(%s) = %s, want %s", in, got, want)
		}
	}
}
