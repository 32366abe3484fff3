package bench

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// failingOrigin serves a DASH manifest of one 10-segment video track, an
// HLS playlist of the same with an AES-128 key, and answers some segments
// 500, 404 or with garbage.
func failingOrigin(t *testing.T) string {
	t.Helper()
	moof := []byte{0, 0, 0, 16, 'm', 'o', 'o', 'f', 0, 0, 0, 8, 'm', 'f', 'h', 'd'}
	init := []byte{0, 0, 0, 8, 'f', 't', 'y', 'p'}
	mpd := `<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:dashif="https://dashif.org/CPS" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="static" mediaPresentationDuration="PT20S">
 <Period id="0"><AdaptationSet contentType="video" mimeType="video/mp4">
  <ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc" xmlns:cenc="urn:mpeg:cenc:2013" cenc:default_KID="0123abcd-0123-4567-89ab-0123456789ab"/>
  <ContentProtection schemeIdUri="urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e" value="ClearKey1.0"><dashif:laurl>/license?a=1&amp;b=2</dashif:laurl></ContentProtection>
  <SegmentTemplate timescale="1000" initialization="v/init.mp4" media="v/$Time$.m4s"><SegmentTimeline><S t="0" d="2000" r="9"/></SegmentTimeline></SegmentTemplate>
  <Representation id="v1" bandwidth="1000" width="64" height="64"/>
 </AdaptationSet></Period></MPD>`
	hls := "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"v/init.mp4\"\n" +
		"#EXT-X-KEY:METHOD=AES-128,URI=\"/key/1\",IV=0x00000000000000000000000000000001\n"
	for i := range 10 {
		hls += "#EXTINF:2.0,\nv/" + string(rune('0'+i)) + "000.m4s\n"
	}
	hls += "#EXT-X-ENDLIST\n"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		switch p := string(ctx.Path()); {
		case p == "/a/manifest.mpd":
			ctx.SetBodyString(mpd)
		case p == "/a/media.m3u8":
			ctx.SetBodyString(hls)
		case p == "/a/garbage.mpd":
			ctx.SetBodyString("this is not a manifest")
		case p == "/a/v/init.mp4":
			ctx.SetBody(init)
		case p == "/a/v/2000.m4s":
			ctx.Error("boom", 500)
		case p == "/a/v/4000.m4s":
			ctx.Error("gone", 404)
		case p == "/a/v/6000.m4s":
			ctx.SetBodyString("<html>garbage</html>")
		case strings.HasPrefix(p, "/a/v/"):
			ctx.SetBody(moof)
		case p == "/key/1":
			ctx.Error("no token", 403)
		case p == "/license":
			if string(ctx.Method()) != "POST" || !strings.Contains(string(ctx.PostBody()), `"kids":["ASOrzQEjRWeJqwEjRWeJqw"]`) {
				ctx.Error("bad license request: "+string(ctx.PostBody()), 400)
				return
			}
			ctx.Error("unauthorized", 401)
		default:
			ctx.Error("not found", 404)
		}
	}}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown() })
	return "http://" + ln.Addr().String()
}

func TestCountsErrors(t *testing.T) {
	base := failingOrigin(t)
	wantSeg := map[string]int64{"500": 1, "404": 1, ErrInvalid: 1}
	t.Run("dash player", func(t *testing.T) {
		rec := NewRecorder()
		c := NewClient(rec, 2)
		c.Token = "tok"
		if err := Play(context.Background(), c, PlayerConfig{ManifestURL: base + "/a/manifest.mpd"}, nil); err != nil {
			t.Fatal(err)
		}
		if n := rec.Count(KindSegment); n != 10 {
			t.Errorf("segments %d, want 10", n)
		}
		if got := rec.Errors(KindSegment); !equalCounts(got, wantSeg) {
			t.Errorf("segment errors %v, want %v", got, wantSeg)
		}
		if got := rec.Errors(KindKey); !equalCounts(got, map[string]int64{"401": 1}) {
			t.Errorf("license errors %v, want one 401 (a 400 means a malformed ClearKey request)", got)
		}
		if got := rec.Errors(KindInit); len(got) != 0 {
			t.Errorf("init errors %v", got)
		}
		sum := rec.Summary(0)
		var errs int64
		for _, s := range sum {
			for _, n := range s.Errors {
				errs += n
			}
		}
		if _, _, total := rec.Totals(); total != errs || total != 4 {
			t.Errorf("total errors %d, summary %d, want 4", total, errs)
		}
	})
	t.Run("hls puller", func(t *testing.T) {
		rec := NewRecorder()
		c := NewClient(rec, 2)
		p, err := Load(c, base+"/a/media.m3u8", true)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Tracks) != 1 || len(p.Tracks[0].KeyURLs) != 1 || !p.Tracks[0].Encrypted {
			t.Fatalf("parsed %+v", p.Tracks)
		}
		Pull(context.Background(), c, p, 3)
		// AES-128 segments are opaque: garbage is not detectable, the
		// statuses are.
		if got := rec.Errors(KindSegment); !equalCounts(got, map[string]int64{"500": 1, "404": 1}) {
			t.Errorf("segment errors %v", got)
		}
		if got := rec.Errors(KindKey); !equalCounts(got, map[string]int64{"403": 1}) {
			t.Errorf("key errors %v", got)
		}
	})
	t.Run("bad manifests", func(t *testing.T) {
		rec := NewRecorder()
		c := NewClient(rec, 1)
		c.Timeout = 2 * time.Second
		if _, err := Load(c, base+"/a/garbage.mpd", false); !errors.Is(err, ErrUnknownManifest) {
			t.Errorf("garbage manifest: %v", err)
		}
		var se *StatusError
		if _, err := Load(c, base+"/nope", false); !errors.As(err, &se) || se.Status != 404 {
			t.Errorf("missing manifest: %v", err)
		}
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		dead := "http://" + ln.Addr().String() + "/x.mpd"
		ln.Close()
		if _, err := Load(c, dead, false); err == nil {
			t.Error("closed port: no error")
		}
		if got := rec.Errors(KindManifest); !equalCounts(got, map[string]int64{"404": 1, ErrTransport: 1}) {
			t.Errorf("manifest errors %v (a parse failure of a 200 is the caller's to count)", got)
		}
	})
}

func equalCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
