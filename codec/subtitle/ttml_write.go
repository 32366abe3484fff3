package subtitle

import (
	"encoding/xml"
	"strings"
	"time"
)

// AppendTTML appends an IMSC1 text-profile TTML document holding cues to
// dst, in language lang (BCP 47; "" for none), each cue's times less base
// (a Smooth Streaming fragment's start, a DASH segment's media time
// origin). Times are clock times with milliseconds; cue text loses its
// WebVTT markup and each of its lines becomes a line of the <p>.
func AppendTTML(dst []byte, lang string, cues []Cue, base time.Duration) []byte {
	dst = append(dst, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"...)
	dst = append(dst, `<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter" xmlns:tts="http://www.w3.org/ns/ttml#styling" xmlns:ttm="http://www.w3.org/ns/ttml#metadata" ttp:profile="http://www.w3.org/ns/ttml/profile/imsc1/text" ttp:timeBase="media"`...)
	if lang != "" {
		dst = append(dst, ` xml:lang="`...)
		dst = appendEscaped(dst, lang)
		dst = append(dst, '"')
	} else {
		dst = append(dst, ` xml:lang=""`...)
	}
	dst = append(dst, ">\n<head><styling><style xml:id=\"s0\" tts:textAlign=\"center\"/></styling><layout><region xml:id=\"r0\" tts:origin=\"10% 80%\" tts:extent=\"80% 15%\" tts:displayAlign=\"after\"/></layout></head>\n<body region=\"r0\" style=\"s0\"><div>\n"...)
	for _, c := range cues {
		dst = append(dst, `<p begin="`...)
		dst = appendClock(dst, c.Start-base)
		dst = append(dst, `" end="`...)
		dst = appendClock(dst, c.End-base)
		dst = append(dst, `">`...)
		for i, l := range strings.Split(PlainText(c.Text), "\n") {
			if i > 0 {
				dst = append(dst, "<br/>"...)
			}
			dst = appendEscaped(dst, l)
		}
		dst = append(dst, "</p>\n"...)
	}
	return append(dst, "</div></body>\n</tt>\n"...)
}

// appendClock appends d as a TTML clock time "hh:mm:ss.mmm".
func appendClock(dst []byte, d time.Duration) []byte {
	return AppendVTTTimestamp(dst, d) // the same form, hours always written
}

func appendEscaped(dst []byte, s string) []byte {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return append(dst, b.String()...)
}

// PlainText is WebVTT cue text without its markup: tags (<b>, <c.x>,
// <v Name>, timestamps) dropped and character references decoded.
func PlainText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				return b.String()
			}
			i += j
		case '&':
			j := strings.IndexByte(s[i:], ';')
			if j > 0 && j < 10 {
				if r, ok := vttEntities[s[i+1:i+j]]; ok {
					b.WriteString(r)
					i += j
					continue
				}
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

var vttEntities = map[string]string{
	"amp": "&", "lt": "<", "gt": ">", "nbsp": "\u00a0", "lrm": "\u200e", "rlm": "\u200f",
	"quot": `"`, "apos": "'",
}
