package bench

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestWatchEdgeResolution: the edge watcher sees a new segment within
// its poll interval of its publication plus one response time, even when
// each response takes far longer than the interval (polls overlap); a
// watcher that waited for each answer before the next poll would be a
// response time late on average.
func TestWatchEdgeResolution(t *testing.T) {
	const answer = 150 * time.Millisecond
	var segments atomic.Int64
	segments.Store(1)
	mpd := func(n int64) string {
		return fmt.Sprintf(`<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="dynamic">
 <Period id="0"><AdaptationSet contentType="video" mimeType="video/mp4">
  <SegmentTemplate timescale="1000" initialization="v/init.mp4" media="v/$Time$.m4s"><SegmentTimeline><S t="0" d="2000" r="%d"/></SegmentTimeline></SegmentTemplate>
  <Representation id="v1" bandwidth="1000" width="64" height="64"/>
 </AdaptationSet></Period></MPD>`, n-1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		n := segments.Load() // what the origin lists when the request comes
		time.Sleep(answer)
		ctx.SetBodyString(mpd(n))
	}}
	go srv.Serve(ln)
	defer srv.Shutdown()
	url := "http://" + ln.Addr().String() + "/manifest.mpd"

	seen := &liveSeen{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { watchEdge(ctx, url, 10*time.Millisecond, seen); close(done) }()
	var published []time.Time
	for range 5 {
		time.Sleep(300 * time.Millisecond)
		published = append(published, time.Now())
		segments.Add(1)
	}
	time.Sleep(2 * answer)
	cancel()
	<-done
	seen.mu.Lock()
	defer seen.mu.Unlock()
	lat, unseen := ArrivalLatencies(published, seen.Seen[1:])
	if unseen != 0 {
		t.Fatalf("%d of %d segments unseen", unseen, len(published))
	}
	for i, l := range lat {
		// One response time, the 10 ms interval, and slack for a busy machine.
		if l < answer || l > answer+10*time.Millisecond+60*time.Millisecond {
			t.Errorf("segment %d seen %v after it was listed; want %v plus at most the interval", i+2, l, answer)
		}
	}
}
