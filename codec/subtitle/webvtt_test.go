package subtitle

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseWebVTT(t *testing.T) {
	src := "\ufeffWEBVTT - a title\nKind: captions\n\nNOTE a comment\nstill the note\n\nSTYLE\n::cue { color: red }\n\n" +
		"one\n00:00:01.000 --> 00:00:03.000 line:90% align:center\nHej världen\n<i>två</i> &amp; tre\n\n" +
		"01:02:04.500 --> 01:02:06.250\r\nÅter igen\r\n"
	cues, err := ParseWebVTT([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Cue{
		{Start: time.Second, End: 3 * time.Second, ID: "one", Settings: "line:90% align:center", Text: "Hej världen\n<i>två</i> &amp; tre"},
		{Start: time.Hour + 2*time.Minute + 4500*time.Millisecond, End: time.Hour + 2*time.Minute + 6250*time.Millisecond, Text: "Återigen"[:0] + "Åter igen"},
	}
	if len(cues) != len(want) {
		t.Fatalf("got %d cues %+v, want %d", len(cues), cues, len(want))
	}
	for i := range want {
		if cues[i] != want[i] {
			t.Errorf("cue %d = %+v, want %+v", i, cues[i], want[i])
		}
	}
}

// TestParseWebVTTMalformed: a malformed file gives the cues that parse and
// a ParseError naming the first problem's line.
func TestParseWebVTTMalformed(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		cues      int
		line      int
		msg       string
	}{
		{"no signature", "00:01.000 --> 00:02.000\nx\n", 1, 1, "no WEBVTT signature"},
		{"bad timing", "WEBVTT\n\n00:01.000 --> 00:0x.000\nx\n\n00:03.000 --> 00:04.000\ny\n", 1, 3, "malformed timing line"},
		{"end before start", "WEBVTT\n\n00:05.000 --> 00:04.000\nx\n", 0, 3, "not after its start"},
		{"id without timing", "WEBVTT\n\nid\nno arrow\n", 0, 3, "without a timing line"},
		{"minutes over 59", "WEBVTT\n\n00:61:00.000 --> 01:00:00.000\nx\n", 0, 3, "malformed"},
		{"invalid utf-8", "WEBVTT\n\n00:01.000 --> 00:02.000\n\xff\n", 1, 0, "not UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cues, err := ParseWebVTT([]byte(tc.src))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			if len(cues) != tc.cues || pe.Line != tc.line || !strings.Contains(pe.Msg, tc.msg) {
				t.Errorf("%d cues, %v; want %d cues, line %d, %q", len(cues), err, tc.cues, tc.line, tc.msg)
			}
		})
	}
}

func TestAppendWebVTTRoundTrip(t *testing.T) {
	cues := []Cue{
		{Start: 1500 * time.Millisecond, End: 3 * time.Second, ID: "a", Settings: "align:start", Text: "x --> y\n\nz"},
		{Start: 25*time.Hour + time.Millisecond, End: 25*time.Hour + 2*time.Second, Text: "late"},
	}
	out := AppendWebVTT(nil, []string{"X-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000"}, cues)
	want := "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n\na\n00:00:01.500 --> 00:00:03.000 align:start\nx --&gt; y\nz\n\n" +
		"25:00:00.001 --> 25:00:02.000\nlate\n"
	if string(out) != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	back, err := ParseWebVTT(out)
	if err != nil || len(back) != 2 || back[1].Start != cues[1].Start || back[0].Text != "x --&gt; y\nz" {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
}
