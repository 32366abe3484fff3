package subtitle

import (
	"testing"
	"time"
)

// FuzzWebVTT: any bytes parse without panic into cues that are well
// formed, and writing them gives a file that parses back to as many cues.
func FuzzWebVTT(f *testing.F) {
	f.Add([]byte("WEBVTT\n\n00:00:01.000 --> 00:00:03.000 align:start\nHej\n"))
	f.Add([]byte("WEBVTT\n\nid\n01:00:00.000 --> 01:00:01.000\n<b>x</b>\n\nNOTE n\n\n00:02.000 --> 00:01.000\ny"))
	f.Add([]byte("00:01.000 --> 00:02.000\n\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cues, _ := ParseWebVTT(b)
		checkCues(t, cues)
		back, err := ParseWebVTT(AppendWebVTT(nil, nil, cues))
		if err != nil || len(back) != len(cues) {
			t.Fatalf("written cues do not parse back: %d of %d, %v", len(back), len(cues), err)
		}
	})
}

// FuzzTTML: any bytes parse without panic into well-formed cues, and the
// TTML written from them parses back to as many cues.
func FuzzTTML(f *testing.F) {
	f.Add([]byte(`<tt xmlns="http://www.w3.org/ns/ttml"><body><div begin="1s"><p begin="0s" dur="2s">a<br/>b</p></div></body></tt>`))
	f.Add([]byte(`<tt xmlns:ttp="http://www.w3.org/ns/ttml#parameter" ttp:frameRate="25" ttp:tickRate="10"><body><p begin="00:00:01:12.1" end="100t">x</p></body></tt>`))
	f.Add([]byte(`<tt><body><p begin="1.5ms" end="2h">`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cues, _ := ParseTTML(b)
		checkCues(t, cues)
		back, err := ParseTTML(AppendTTML(nil, "en", cues, 0))
		if err != nil || len(back) != len(cues) {
			t.Fatalf("written cues do not parse back: %d of %d, %v", len(back), len(cues), err)
		}
	})
}

func checkCues(t *testing.T, cues []Cue) {
	if len(cues) > MaxCues {
		t.Fatalf("%d cues", len(cues))
	}
	for _, c := range cues {
		if c.Start < 0 || c.End <= c.Start || c.End > 1_000_000*time.Second {
			t.Fatalf("cue %+v: bad interval", c)
		}
	}
}
