package subtitle

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ParseWebVTT reads a WebVTT file. It returns every cue that parses, in
// file order, and a *ParseError for the first problem: a missing WEBVTT
// signature, a malformed timing line (that cue is left out), End not after
// Start, text that is not UTF-8 (replaced), or more than MaxFileSize bytes
// or MaxCues cues (the rest is left out). NOTE, STYLE and REGION blocks
// are skipped.
func ParseWebVTT(b []byte) ([]Cue, error) {
	p := vttParser{}
	if len(b) > MaxFileSize {
		p.fail(0, "file larger than %d bytes: the rest is left out", MaxFileSize)
		b = b[:MaxFileSize]
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(b) {
		p.fail(0, "not UTF-8: invalid bytes replaced")
		b = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	text := strings.ReplaceAll(strings.ReplaceAll(string(b), "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(text, "\n")
	if len(lines) == 0 || !isSignature(lines[0]) {
		p.fail(1, "no WEBVTT signature")
	}
	i := 0
	if len(lines) > 0 && isSignature(lines[0]) {
		// The header (Kind:, X-TIMESTAMP-MAP=, …) runs to the first blank line.
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" {
			i++
		}
	}
	for i < len(lines) {
		for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
			i++
		}
		start := i
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" {
			i++
		}
		if start < i && !p.block(lines[start:i], start+1) {
			break
		}
	}
	if p.err == nil {
		return p.cues, nil
	}
	return p.cues, p.err
}

func isSignature(l string) bool {
	return l == "WEBVTT" || strings.HasPrefix(l, "WEBVTT ") || strings.HasPrefix(l, "WEBVTT\t")
}

type vttParser struct {
	cues []Cue
	err  *ParseError
}

func (p *vttParser) fail(line int, format string, args ...any) {
	if p.err == nil {
		p.err = &ParseError{Format: "webvtt", Line: line, Msg: fmt.Sprintf(format, args...)}
	}
}

// block reads one block of lines (first at line number n); it returns false
// when no more cues may be read.
func (p *vttParser) block(ls []string, n int) bool {
	first := ls[0]
	if strings.HasPrefix(first, "NOTE") || first == "STYLE" || first == "REGION" ||
		strings.HasPrefix(first, "STYLE ") || strings.HasPrefix(first, "REGION ") {
		return true
	}
	var c Cue
	if !strings.Contains(first, "-->") {
		c.ID = first
		ls, n = ls[1:], n+1
		if len(ls) == 0 || !strings.Contains(ls[0], "-->") {
			p.fail(n-1, "block without a timing line (start --> end)")
			return true
		}
	}
	start, end, settings, ok := timingLine(ls[0])
	if !ok {
		p.fail(n, "malformed timing line %q", clip(ls[0]))
		return true
	}
	if end <= start {
		p.fail(n, "cue ends at %s, not after its start %s", end, start)
		return true
	}
	c.Start, c.End, c.Settings = start, end, settings
	c.Text = strings.Join(ls[1:], "\n")
	if len(p.cues) >= MaxCues {
		p.fail(n, "more than %d cues: the rest is left out", MaxCues)
		return false
	}
	p.cues = append(p.cues, c)
	return true
}

// timingLine parses "start --> end [settings]".
func timingLine(l string) (start, end time.Duration, settings string, ok bool) {
	a, rest, found := strings.Cut(l, "-->")
	if !found {
		return 0, 0, "", false
	}
	rest = strings.TrimLeft(rest, " \t")
	e, settings, _ := strings.Cut(rest, " ")
	if e2, s2, tab := strings.Cut(e, "\t"); tab {
		e, settings = e2, s2+" "+settings
	}
	if start, ok = vttTimestamp(strings.TrimSpace(a)); !ok {
		return 0, 0, "", false
	}
	if end, ok = vttTimestamp(e); !ok {
		return 0, 0, "", false
	}
	return start, end, strings.TrimSpace(settings), true
}

// vttTimestamp parses "[hh:]mm:ss.ttt" (hours any number of digits).
func vttTimestamp(s string) (time.Duration, bool) {
	dot := strings.IndexByte(s, '.')
	if dot < 0 || len(s)-dot-1 != 3 {
		return 0, false
	}
	ms, ok := digits(s[dot+1:])
	if !ok {
		return 0, false
	}
	parts := strings.Split(s[:dot], ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	var v [3]int64
	for i, part := range parts {
		if len(part) < 2 || (i > 0 || len(parts) == 2) && len(part) != 2 {
			return 0, false
		}
		if len(part) > 10 {
			return 0, false
		}
		if v[i], ok = digits(part); !ok {
			return 0, false
		}
	}
	h, m, sec := int64(0), v[0], v[1]
	if len(parts) == 3 {
		h, m, sec = v[0], v[1], v[2]
	}
	if m > 59 || sec > 59 || h > 1_000_000 {
		return 0, false
	}
	return time.Duration(((h*60+m)*60+sec)*1000+ms) * time.Millisecond, true
}

func digits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}
