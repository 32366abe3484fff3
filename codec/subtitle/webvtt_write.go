package subtitle

import (
	"strconv"
	"strings"
	"time"
)

// AppendWebVTT appends a WebVTT file holding cues to dst: the signature,
// the header lines (e.g. "X-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000"),
// then each cue with its identifier, times, settings and text. Text is
// written as it is, except that blank lines in it (which would end the cue)
// are dropped and "-->" is escaped.
func AppendWebVTT(dst []byte, header []string, cues []Cue) []byte {
	dst = append(dst, "WEBVTT\n"...)
	for _, h := range header {
		dst = append(dst, h...)
		dst = append(dst, '\n')
	}
	for _, c := range cues {
		dst = append(dst, '\n')
		// An identifier that a reader would take for something else is left out.
		if id := oneLine(c.ID); id != "" && !strings.Contains(id, "-->") && !strings.HasPrefix(id, "NOTE") &&
			id != "STYLE" && id != "REGION" && !strings.HasPrefix(id, "STYLE ") && !strings.HasPrefix(id, "REGION ") {
			dst = append(dst, id...)
			dst = append(dst, '\n')
		}
		dst = AppendVTTTimestamp(dst, c.Start)
		dst = append(dst, " --> "...)
		dst = AppendVTTTimestamp(dst, c.End)
		if s := oneLine(c.Settings); s != "" {
			dst = append(dst, ' ')
			dst = append(dst, s...)
		}
		dst = append(dst, '\n')
		dst = append(dst, CueText(c.Text)...)
		dst = append(dst, '\n')
	}
	return dst
}

// CueText is a cue payload as WebVTT can carry it: no blank lines, no "-->".
func CueText(s string) string {
	s = strings.ReplaceAll(s, "-->", "--&gt;")
	var b strings.Builder
	for l := range strings.SplitSeq(s, "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	if b.Len() == 0 {
		return " " // a cue needs a payload line; a space shows nothing
	}
	return b.String()
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.TrimSpace(strings.ReplaceAll(s, "\n", " "))
}

// AppendVTTTimestamp appends d as "hh:mm:ss.ttt" (negative times as 0),
// rounded to the millisecond.
func AppendVTTTimestamp(dst []byte, d time.Duration) []byte {
	if d < 0 {
		d = 0
	}
	ms := int64((d + time.Millisecond/2) / time.Millisecond)
	h, m, s := ms/3_600_000, ms/60_000%60, ms/1000%60
	dst = pad(dst, h, 2)
	dst = append(dst, ':')
	dst = pad(dst, m, 2)
	dst = append(dst, ':')
	dst = pad(dst, s, 2)
	dst = append(dst, '.')
	return pad(dst, ms%1000, 3)
}

func pad(dst []byte, v int64, width int) []byte {
	s := strconv.FormatInt(v, 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}
