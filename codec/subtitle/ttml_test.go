package subtitle

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseTTML(t *testing.T) {
	src := `<?xml version="1.0" encoding="UTF-8"?>
<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter" ttp:frameRate="25" ttp:tickRate="10000000" xml:lang="sv">
  <head><metadata><p begin="0s" end="1s">not a cue</p></metadata></head>
  <body>
    <div begin="00:00:01.000">
      <p xml:id="c1" begin="0s" end="2s">
        Hej   <span>världen</span><br/>rad två &amp; &lt;tre&gt;
      </p>
      <p begin="00:00:03:12" dur="50f">frames</p>
      <p begin="40000000t" end="45000000t">ticks</p>
    </div>
    <div begin="10s" end="12s"><p begin="1s">inherits end</p></div>
  </body>
</tt>`
	cues, err := ParseTTML([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Cue{
		{Start: time.Second, End: 3 * time.Second, ID: "c1", Text: "Hej världen\nrad två &amp; &lt;tre&gt;"},
		{Start: 4480 * time.Millisecond, End: 6480 * time.Millisecond, Text: "frames"},
		{Start: 5 * time.Second, End: 5500 * time.Millisecond, Text: "ticks"},
		{Start: 11 * time.Second, End: 12 * time.Second, Text: "inherits end"},
	}
	if len(cues) != len(want) {
		t.Fatalf("got %d cues %+v", len(cues), cues)
	}
	for i := range want {
		if cues[i] != want[i] {
			t.Errorf("cue %d = %+v, want %+v", i, cues[i], want[i])
		}
	}
}

func TestParseTTMLFrameRateMultiplier(t *testing.T) {
	src := `<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter" ttp:frameRate="30" ttp:frameRateMultiplier="1000 1001"><body><p begin="00:00:01:00" end="30f">x</p></body></tt>`
	cues, err := ParseTTML([]byte(src))
	if err != nil || len(cues) != 1 {
		t.Fatalf("%+v %v", cues, err)
	}
	if cues[0].End != 1001*time.Millisecond || cues[0].Start != time.Second {
		t.Errorf("cue = %+v, want 1s to 1.001s", cues[0])
	}
}

// TestParseTTMLMalformed: the cues before a problem are kept.
func TestParseTTMLMalformed(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		cues      int
		msg       string
	}{
		{"truncated", `<tt xmlns="http://www.w3.org/ns/ttml"><body><p begin="1s" end="2s">a</p><p begin="3s" end="4s">b`, 1, "unexpected EOF"},
		{"bad time", `<tt><body><p begin="1x" end="2s">a</p><p begin="3s" end="4s">b</p></body></tt>`, 1, "not a TTML time"},
		{"no end", `<tt><body><p begin="1s">a</p></body></tt>`, 0, "no end time"},
		{"not tt", `<html><body/></html>`, 0, "want <tt>"},
		{"empty", ``, 0, "no <tt>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cues, err := ParseTTML([]byte(tc.src))
			var pe *ParseError
			if !errors.As(err, &pe) || len(cues) != tc.cues || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("%d cues, %v; want %d cues and %q", len(cues), err, tc.cues, tc.msg)
			}
		})
	}
}

func TestAppendTTMLRoundTrip(t *testing.T) {
	cues := []Cue{{Start: 5 * time.Second, End: 7500 * time.Millisecond, Text: "<b>Hej</b> &amp; <v Bo>du\nrad två"}}
	out := AppendTTML(nil, "sv", cues, 4*time.Second)
	if !strings.Contains(string(out), `<p begin="00:00:01.000" end="00:00:03.500">Hej &amp; du<br/>rad två</p>`) {
		t.Fatalf("got\n%s", out)
	}
	back, err := ParseTTML(out)
	if err != nil || len(back) != 1 || back[0].Start != time.Second || back[0].Text != "Hej &amp; du\nrad två" {
		t.Fatalf("round trip: %+v %v", back, err)
	}
}
