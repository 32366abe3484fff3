package origin

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/valyala/fasthttp"
)

// TestLineClock: the cached second gives the texts time.AppendFormat gives,
// across seconds, fractions with and without trailing zeros, and zones.
func TestLineClock(t *testing.T) {
	var c lineClock
	paris := time.FixedZone("CET", 3600)
	for _, tm := range []time.Time{
		time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 7, 10, 0, 0, 120000000, time.UTC),
		time.Date(2026, 12, 7, 10, 0, 0, 123456789, time.UTC),
		time.Date(2026, 12, 7, 10, 0, 1, 1, time.UTC),
		time.Date(2026, 12, 7, 10, 0, 1, 1, paris),
		time.Date(2026, 1, 2, 3, 4, 5, 600, time.FixedZone("", -(3*3600+30*60))),
		time.Now(),
	} {
		if got, want := string(c.appendRFC3339Nano(nil, tm)), tm.Format(time.RFC3339Nano); got != want {
			t.Errorf("RFC 3339: %s, want %s", got, want)
		}
		if got, want := string(c.appendCombined(nil, tm)), tm.Format("02/Jan/2006:15:04:05 -0700"); got != want {
			t.Errorf("combined: %s, want %s", got, want)
		}
	}
}

// TestAccessEscaping: a field of either format stays one line, printable
// ASCII in the combined format, valid JSON holding the same text (valid
// UTF-8 kept, invalid bytes as U+FFFD) in the JSON one, cut at its limit.
func TestAccessEscaping(t *testing.T) {
	for _, v := range []string{
		"", "plain /path(format=m3u8-cmaf)", `quote " and \ back`, "ctl \x00\x01\n\r\t\x7f end", "é ü 日本", "bad \xff\xfe utf8", "cut é\xc3",
	} {
		c := string(appendEscaped(nil, []byte(v), 1024))
		for _, r := range c {
			if r < 0x20 || r >= 0x7f || r == '"' {
				t.Errorf("combined %q: %q holds %q", v, c, r)
			}
		}
		j := appendJSONString(nil, []byte(v), 1024)
		var back string
		if err := json.Unmarshal(j, &back); err != nil {
			t.Errorf("json %q: %s: %v", v, j, err)
			continue
		}
		if utf8.ValidString(v) && back != v {
			t.Errorf("json %q: back %q", v, back)
		}
		if !utf8.ValidString(v) && back != strings.ToValidUTF8(v, "\ufffd") && !strings.Contains(back, "\ufffd") {
			t.Errorf("json %q: back %q", v, back)
		}
	}
	if got := string(appendEscaped(nil, []byte("abcdef"), 3)); got != "abc..." {
		t.Errorf("cut: %q", got)
	}
	if got := string(appendJSONString(nil, []byte("abcdef"), 3)); got != `"abc..."` {
		t.Errorf("cut: %q", got)
	}
}

func TestAppendSeconds(t *testing.T) {
	for _, d := range []time.Duration{0, time.Microsecond, 999 * time.Microsecond, 81 * time.Microsecond, 1500 * time.Millisecond, 3*time.Second + 354240*time.Microsecond, 100 * time.Hour} {
		if got, want := string(appendSeconds(nil, d)), strconv.FormatFloat(d.Seconds(), 'f', 6, 64); got != want {
			t.Errorf("%v: %s, want %s", d, got, want)
		}
	}
}

// BenchmarkAccessLine is the access log's cost per request alone: a line
// formatted and batched (the batches written to io.Discard), for a segment
// request with a token in its query and a browser's user agent.
func BenchmarkAccessLine(b *testing.B) {
	var req fasthttp.Request
	raw := "GET /clear/demo.ism/QualityLevels(600000)/Fragments(video=0,format=mpd-time-csf)?token=eyJhbGciOiJIUzI1NiJ9.e30.sig HTTP/1.1\r\n" +
		"Host: origin.test\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n" +
		"Referer: https://player.example/watch?v=1\r\n\r\n"
	if err := req.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		b.Fatal(err)
	}
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 51234}, nil)
	for _, f := range []AccessLogFormat{AccessLogCombined, AccessLogJSON} {
		b.Run(string(f), func(b *testing.B) {
			a := newAccessLog(io.Discard, f)
			start := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				a.log(&ctx, start, 200, 169342, 81*time.Microsecond)
			}
		})
	}
}
