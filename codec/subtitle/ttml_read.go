package subtitle

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ParseTTML reads a TTML document (TTML1/TTML2, IMSC1 text profile,
// DFXP). Every <p> in <body> with a begin and an end (or dur, or an end
// inherited from a timed parent) is a cue; begin/end of body, div and
// nested elements are relative to their parent (par time containers).
// Times take every TTML form: clock time ("00:00:01.5", "00:00:01:12"
// with frames) and offsets ("1.5s", "1500ms", "36f", "15000000t"), with
// the document's ttp:frameRate, ttp:frameRateMultiplier, ttp:subFrameRate
// and ttp:tickRate. Text keeps its spans' characters (styling is not
// carried), <br/> is a line break and whitespace collapses as
// xml:space="default" says.
//
// It returns every cue that parses and a *ParseError for the first
// problem: the XML breaks off (cues before it are kept), a time does not
// parse (that element is left out), a cue has no end, or the limits of
// MaxFileSize and MaxCues are passed.
func ParseTTML(b []byte) ([]Cue, error) {
	p := ttmlParser{rates: defaultRates()}
	if len(b) > MaxFileSize {
		p.fail(0, "file larger than %d bytes: the rest is left out", MaxFileSize)
		b = b[:MaxFileSize]
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "us-ascii") {
			return r, nil
		}
		return nil, fmt.Errorf("charset %q: only UTF-8 is read", charset)
	}
	for {
		tok, err := d.Token()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				line, _ := d.InputPos()
				p.fail(line, "%s", strings.TrimPrefix(err.Error(), "XML syntax error on line "+itoa(line)+": "))
			} else if !p.sawTT {
				p.fail(0, "no <tt> element")
			}
			break
		}
		line, _ := d.InputPos()
		if !p.token(tok, line) {
			break
		}
	}
	if p.err == nil {
		return p.cues, nil
	}
	return p.cues, p.err
}

// ttmlNode is one open element: its times on the document timeline.
type ttmlNode struct {
	name       string
	begin, end time.Duration // end < 0: open-ended
	timed      bool          // inside body
	skip       bool          // head, metadata, an untimeable element: its text is not cue text
}

type ttmlParser struct {
	rates  ttmlRates
	stack  []ttmlNode
	sawTT  bool
	inP    bool // collecting a cue
	cue    Cue
	text   strings.Builder
	pDepth int
	cues   []Cue
	err    *ParseError
	stop   bool
}

func (p *ttmlParser) fail(line int, format string, args ...any) {
	if p.err == nil {
		p.err = &ParseError{Format: "ttml", Line: line, Msg: fmt.Sprintf(format, args...)}
	}
}

// token handles one XML token; it returns false to stop reading.
func (p *ttmlParser) token(tok xml.Token, line int) bool {
	switch t := tok.(type) {
	case xml.StartElement:
		p.start(t, line)
	case xml.EndElement:
		p.end(line)
	case xml.CharData:
		if p.inP && !p.top().skip {
			// Source line breaks are whitespace; only <br/> breaks a line.
			for _, c := range string(t) {
				if c == '\n' || c == '\r' || c == '\t' {
					c = ' '
				}
				p.text.WriteRune(c)
			}
		}
	}
	return !p.stop
}

func (p *ttmlParser) top() ttmlNode {
	if len(p.stack) == 0 {
		return ttmlNode{end: -1}
	}
	return p.stack[len(p.stack)-1]
}

func (p *ttmlParser) start(e xml.StartElement, line int) {
	parent := p.top()
	n := ttmlNode{name: e.Name.Local, begin: parent.begin, end: parent.end, timed: parent.timed, skip: parent.skip}
	switch {
	case len(p.stack) == 0:
		if e.Name.Local != "tt" {
			p.fail(line, "root element <%s>, want <tt>", e.Name.Local)
			p.stop = true
			return
		}
		p.sawTT = true
		p.rates.read(e.Attr)
	case e.Name.Local == "head" || e.Name.Local == "metadata":
		n.skip = true
	case e.Name.Local == "body":
		n.timed = true
	}
	if n.timed && !n.skip {
		if !p.times(&n, e.Attr, parent, line) {
			n.skip = true
		}
	}
	if p.inP && e.Name.Local == "br" && !n.skip {
		p.text.WriteByte('\n')
	}
	if e.Name.Local == "p" && n.timed && !n.skip && !p.inP {
		p.inP, p.pDepth = true, len(p.stack)
		p.cue = Cue{Start: n.begin, End: n.end, ID: attr(e.Attr, "id")}
		p.text.Reset()
	}
	p.stack = append(p.stack, n)
}

func (p *ttmlParser) end(line int) {
	if len(p.stack) == 0 {
		return
	}
	p.stack = p.stack[:len(p.stack)-1]
	if !p.inP || len(p.stack) != p.pDepth {
		return
	}
	p.inP = false
	c := p.cue
	c.Text = ttmlText(p.text.String())
	switch {
	case c.End < 0:
		p.fail(line, "<p> ending here has no end time (end, dur or a timed parent)")
	case c.End <= c.Start:
		// Empty or negative intervals show nothing: left out quietly.
	case len(p.cues) >= MaxCues:
		p.fail(line, "more than %d cues: the rest is left out", MaxCues)
		p.stop = true
	default:
		p.cues = append(p.cues, c)
	}
}

// times sets n's interval from its begin, end and dur attributes (relative
// to its parent's begin) and clips it to the parent's; false when a time
// does not parse.
func (p *ttmlParser) times(n *ttmlNode, attrs []xml.Attr, parent ttmlNode, line int) bool {
	begin, end, dur := attr(attrs, "begin"), attr(attrs, "end"), attr(attrs, "dur")
	if begin != "" {
		v, ok := p.rates.parse(begin)
		if !ok {
			p.fail(line, "<%s begin=%q>: not a TTML time", n.name, clip(begin))
			return false
		}
		n.begin = parent.begin + v
	}
	n.end = parent.end
	if end != "" {
		v, ok := p.rates.parse(end)
		if !ok {
			p.fail(line, "<%s end=%q>: not a TTML time", n.name, clip(end))
			return false
		}
		n.end = parent.begin + v
	} else if dur != "" {
		v, ok := p.rates.parse(dur)
		if !ok {
			p.fail(line, "<%s dur=%q>: not a TTML time", n.name, clip(dur))
			return false
		}
		n.end = n.begin + v
	}
	if parent.end >= 0 && (n.end < 0 || n.end > parent.end) {
		n.end = parent.end
	}
	return true
}

// attr is the value of the attribute local name (any namespace, as
// documents use both bare and xml: forms of id).
func attr(attrs []xml.Attr, local string) string {
	for _, a := range attrs {
		if a.Name.Local == local {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

// ttmlText turns collected character data into WebVTT cue text:
// whitespace runs collapse to one space, lines are trimmed, and the
// characters WebVTT reads as markup are escaped.
func ttmlText(s string) string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		l = strings.Join(strings.Fields(l), " ")
		if l != "" {
			out = append(out, l)
		}
	}
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	return r.Replace(strings.Join(out, "\n"))
}
