package origin_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/live"
)

// ingestToken is long and distinctive, so that a log line carrying it
// cannot pass unnoticed.
const ingestToken = "sekrit-ingest-9f3a7c"

// box is an ISO BMFF box of the given type with size bytes in all.
func box(typ string, size int) []byte {
	b := make([]byte, size)
	binary.BigEndian.PutUint32(b, uint32(size))
	copy(b[4:], typ)
	return b
}

// feedBytes is a fragmented-MP4-shaped byte stream: ftyp, moov, then n
// moof+mdat pairs.
func feedBytes(n, mdat int) []byte {
	out := append(box("ftyp", 24), box("moov", 200)...)
	for range n {
		out = append(out, box("moof", 120)...)
		out = append(out, box("mdat", mdat)...)
	}
	return out
}

// startIngestOrigin is an origin with f as its live room, a running event
// ev and a stopped one off, both with ingestToken.
func startIngestOrigin(t *testing.T, f *fakeIngester, adjust func(*originConfig)) *liveAPIOrigin {
	t.Helper()
	o := startLiveAPIOrigin(t, f, "", adjust)
	for _, ev := range []string{"ev", "off"} {
		o.wantAPI("PUT", "/api/v1/liveEvents/"+ev, `{"input":{"accessToken":"`+ingestToken+`"}}`, 201, "")
	}
	o.wantAPI("POST", "/api/v1/liveEvents/ev/start", "", 200, "")
	return o
}

// post sends one ingest POST with a known length.
func (o *liveAPIOrigin) post(t *testing.T, path string, body []byte) *http.Response {
	t.Helper()
	resp, err := http.Post(o.ingest+path, "video/mp4", strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestIngestRefusals: the answers of live.md's "Ingest" for what is not
// a feed to take, and for how the live room ends one, each closing the
// connection; the token never in a log line.
func TestIngestRefusals(t *testing.T) {
	f := &fakeIngester{ingest: func(ctx context.Context, event, stream string, body io.Reader) error {
		io.ReadFull(body, make([]byte, 8))
		switch stream {
		case "garbage":
			return fmt.Errorf("stream %s: %w", stream, live.ErrNotFMP4)
		case "backwards":
			return fmt.Errorf("decode time going backwards: %w", live.ErrRefused)
		case "gone":
			return fmt.Errorf("event stopped: %w", live.ErrNotRunning)
		case "broken":
			return errors.New("disk on fire")
		}
		_, err := io.Copy(io.Discard, body)
		return err
	}}
	o := startIngestOrigin(t, f, nil)
	feed := feedBytes(2, 1000)
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/ev/wrong-token/ingest.isml/Streams(video)", 403},
		{"/nope/" + ingestToken + "/ingest.isml/Streams(video)", 403},
		{"/a.b/" + ingestToken + "/ingest.isml/Streams(video)", 403},
		{"/off/" + ingestToken + "/ingest.isml/Streams(video)", 404},
		{"/ev/" + ingestToken + "/other.isml/Streams(video)", 404},
		{"/ev/" + ingestToken, 404},
		{"/ev/" + ingestToken + "/ingest.isml/Streams(a:b)", 400},
		{"/ev/" + ingestToken + "/ingest.isml/Streams(garbage)", 400},
		{"/ev/" + ingestToken + "/ingest.isml/Streams(backwards)", 400},
		{"/ev/" + ingestToken + "/ingest.isml/Streams(gone)", 404},
		{"/ev/" + ingestToken + "/ingest.isml/Streams(broken)", 500},
	} {
		resp := o.post(t, c.path, feed)
		if resp.StatusCode != c.status {
			t.Errorf("POST %s: %d, want %d", c.path, resp.StatusCode, c.status)
		}
		if !resp.Close {
			t.Errorf("POST %s: the connection stays open", c.path)
		}
	}
	if r := do(t, "GET", o.ingest+"/ev/"+ingestToken+"/ingest.isml/Streams(video)", nil); r.status != 405 || r.header.Get("Allow") != "POST, PUT" {
		t.Errorf("GET: %s (Allow %q)", r, r.header.Get("Allow"))
	}
	// The per-fragment POSTs of CMAF ingest, with a file name after
	// Streams(…), and the path without Streams(…).
	for path, stream := range map[string]string{
		"/ev/" + ingestToken + "/ingest.isml/Streams(video_1)/seg-00001.cmfv": "video_1",
		"/ev/" + ingestToken + "/ingest.isml":                                 "default",
	} {
		if resp := o.post(t, path, feed); resp.StatusCode != 200 {
			t.Errorf("POST %s: %d", path, resp.StatusCode)
		}
		if !contains(f.saw(), "ingest ev "+stream) {
			t.Errorf("POST %s did not reach the live room as stream %s: %v", path, stream, f.saw())
		}
	}
	logs := o.logs.String()
	if strings.Contains(logs, ingestToken) || strings.Contains(logs, "wrong-token") {
		t.Errorf("a token in the logs:\n%s", logs)
	}
	if !strings.Contains(logs, "/ev/[token]/ingest.isml/Streams(video)") {
		t.Errorf("the refused POSTs are not logged with their path, token redacted:\n%s", logs)
	}
	m := do(t, "GET", o.admin+"/metrics", nil).body
	for _, want := range []string{`drmorigin_ingest_refusals_total{reason="forbidden"} 3`, `drmorigin_ingest_refusals_total{reason="not_fmp4"} 1`,
		`drmorigin_ingest_refusals_total{reason="not_running"} 2`, `drmorigin_ingest_refusals_total{reason="refused"} 1`} {
		if !strings.Contains(string(m), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// TestIngestStreamsLongPost: a chunked POST reaches the live room as a
// stream: the fake reads the first bytes while the encoder is still
// sending, and the whole feed arrives; bytes and fragments are counted.
func TestIngestStreamsLongPost(t *testing.T) {
	first := make(chan struct{})
	var total atomic.Int64
	f := &fakeIngester{ingest: func(ctx context.Context, event, stream string, body io.Reader) error {
		buf := make([]byte, 4096)
		once := false
		for {
			n, err := body.Read(buf)
			total.Add(int64(n))
			if n > 0 && !once {
				once = true
				close(first)
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}}
	o := startIngestOrigin(t, f, nil)
	feed := feedBytes(50, 20000) // 50 fragments, about 1 MB
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", o.ingest+"/ev/"+ingestToken+"/ingest.isml/Streams(video)", pr)
	done := make(chan *http.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("POST: %v", err)
			done <- nil
			return
		}
		resp.Body.Close()
		done <- resp
	}()
	if _, err := pw.Write(feed[:1000]); err != nil {
		t.Fatal(err)
	}
	select {
	case <-first:
		// The first kilobyte is in the live room; the encoder has sent
		// nothing more yet.
	case <-time.After(5 * time.Second):
		t.Fatal("the live room saw no byte of a feed still being sent: the body is buffered")
	}
	for rest := feed[1000:]; len(rest) > 0; {
		n := min(len(rest), 7000)
		if _, err := pw.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	pw.Close()
	resp := <-done
	if resp == nil || resp.StatusCode != 200 {
		t.Fatalf("POST: %v", resp)
	}
	if total.Load() != int64(len(feed)) {
		t.Fatalf("the live room read %d bytes of %d", total.Load(), len(feed))
	}
	m := string(do(t, "GET", o.admin+"/metrics", nil).body)
	for _, want := range []string{`drmorigin_ingest_fragments_total{event="ev"} 50`, `drmorigin_ingest_bytes_total{event="ev"} ` + strconv.FormatFloat(float64(len(feed)), 'g', -1, 64)} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestIngestStall: a feed that stops sending ends with 408 after
// ingest.stallTimeout, through live.ErrStalled; one that keeps sending
// lives longer than that.
func TestIngestStall(t *testing.T) {
	f := &fakeIngester{ingest: func(ctx context.Context, event, stream string, body io.Reader) error {
		_, err := io.Copy(io.Discard, body)
		if err != nil && !errors.Is(err, live.ErrStalled) {
			return fmt.Errorf("want ErrStalled, got: %w", err)
		}
		return err
	}}
	o := startIngestOrigin(t, f, func(c *originConfig) { c.IngestStallTimeout = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", strings.TrimPrefix(o.ingest, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /ev/%s/ingest.isml/Streams(video) HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", ingestToken)
	start := time.Now()
	// A chunk every 100 ms for a second: longer than the stall timeout,
	// never stalled.
	for range 10 {
		fmt.Fprintf(conn, "10\r\n0123456789abcdef\r\n")
		time.Sleep(100 * time.Millisecond)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled feed: %v", err)
	}
	took := time.Since(start)
	if resp.StatusCode != 408 || !resp.Close {
		t.Fatalf("stalled feed: %d (close %v), want 408 and the connection closed", resp.StatusCode, resp.Close)
	}
	// The last chunk went at 0.9 s: the stall ends the feed 300 ms later.
	if took < 1100*time.Millisecond || took > 3*time.Second {
		t.Errorf("answered after %v: want about 1.2 s (0.9 s of chunks, then the 300 ms stall)", took)
	}
	if m := string(do(t, "GET", o.admin+"/metrics", nil).body); !strings.Contains(m, `drmorigin_ingest_refusals_total{reason="stalled"} 1`) {
		t.Error("the stall is not counted")
	}
}

// TestIngestNotBuilt: without a live room the ingest listener answers 503
// to an authorized POST (and 403 still to a wrong token).
func TestIngestNotBuilt(t *testing.T) {
	o := startLiveAPIOrigin(t, nil, "", nil)
	o.wantAPI("PUT", "/api/v1/liveEvents/ev", `{"input":{"accessToken":"`+ingestToken+`"}}`, 201, "")
	o.wantAPI("POST", "/api/v1/liveEvents/ev/start", "", 200, "")
	if resp := o.post(t, "/ev/wrong/ingest.isml/Streams(v)", feedBytes(1, 100)); resp.StatusCode != 403 {
		t.Errorf("wrong token: %d", resp.StatusCode)
	}
	resp, err := http.Post(o.ingest+"/ev/"+ingestToken+"/ingest.isml/Streams(v)", "video/mp4", strings.NewReader(string(feedBytes(1, 100))))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(b), "live ingest not built") {
		t.Errorf("no live room: %d %q", resp.StatusCode, b)
	}
}

// TestIngestDrain: the drain ends feeds in flight (they never end on their
// own), so that the origin stops within its shutdown timeout.
func TestIngestDrain(t *testing.T) {
	started := make(chan struct{})
	f := &fakeIngester{ingest: func(ctx context.Context, event, stream string, body io.Reader) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}}
	o := startIngestOrigin(t, f, nil)
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequest("POST", o.ingest+"/ev/"+ingestToken+"/ingest.isml/Streams(video)", pr)
	go func() {
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	pw.Write(feedBytes(1, 100))
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the feed did not start")
	}
	start := time.Now()
	o.cancel()
	select {
	case <-o.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the origin did not drain a feed in flight")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("drain took %v", took)
	}
	o.done <- nil // for the cleanup
}
