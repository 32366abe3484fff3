package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

func mkbox(typ string, payload ...[]byte) []byte {
	b := bytes.Join(payload, nil)
	out := binary.BigEndian.AppendUint32(nil, uint32(8+len(b)))
	return append(append(out, typ...), b...)
}

func u32(vs ...uint32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// testTrak is a trak with a version 0 tkhd and mdhd and a handler.
func testTrak(id, timescale uint32, handler string) []byte {
	return mkbox("trak",
		mkbox("tkhd", u32(0, 0, 0, id, 0, 0)),
		mkbox("mdia", mkbox("mdhd", u32(0, 0, 0, timescale, 0)), mkbox("hdlr", u32(0, 0), []byte(handler), make([]byte, 12))))
}

// testFrag is an ismv fragment: tfhd, a version 1 tfxd (time, duration),
// a trun of n samples with their durations, and an mdat.
func testFrag(track uint32, start, dur uint64, n int) []byte {
	trun := u32(0x000100, uint32(n)) // sample-duration-present
	for range n {
		trun = append(trun, u32(uint32(dur/uint64(n)))...)
	}
	tfxd := append(append(append([]byte(nil), tfxdUUID...), u32(1<<24)...), append(u64(start), u64(dur)...)...)
	moof := mkbox("moof", mkbox("mfhd", u32(0, 1)), mkbox("traf", mkbox("tfhd", u32(0, track)), mkbox("uuid", tfxd), mkbox("trun", trun)))
	return append(moof, mkbox("mdat", bytes.Repeat([]byte{byte(track)}, 100))...)
}

func testFeed() []byte {
	var b []byte
	b = append(b, mkbox("ftyp", []byte("isml"), u32(1))...)
	b = append(b, mkbox("moov", mkbox("mvhd", make([]byte, 100)), testTrak(1, 10000000, "vide"), testTrak(2, 10000000, "vide"), testTrak(3, 48000, "soun"))...)
	for i := range uint64(3) {
		b = append(b, testFrag(1, 20000000*i, 20000000, 50)...)
		b = append(b, testFrag(2, 20000000*i, 20000000, 50)...)
		b = append(b, testFrag(3, 96000*i, 96000, 94)...)
	}
	return append(b, mkbox("mfra", u32(0))...)
}

// TestParseFeed: an ismv feed is cut into its header (ftyp, moov) and its
// moof+mdat pairs, each with its track and its time span from tfxd over
// the track's timescale; the mfra is dropped.
func TestParseFeed(t *testing.T) {
	b := testFeed()
	f, err := ParseFeed(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Frags) != 9 || len(f.Tracks) != 3 || len(f.Video) != 2 || f.Video[0] != 1 {
		t.Fatalf("%d fragments, tracks %v, video %v; want 9, [1 2 3], [1 2]", len(f.Frags), f.Tracks, f.Video)
	}
	var joined []byte
	joined = append(joined, f.Header...)
	for _, fr := range f.Frags {
		joined = append(joined, fr.Bytes...)
	}
	if want := b[:len(b)-len(mkbox("mfra", u32(0)))]; !bytes.Equal(joined, want) {
		t.Errorf("header and fragments are %d bytes, not the feed's %d less its mfra", len(joined), len(want))
	}
	if fr := f.Frags[4]; fr.Track != 2 || fr.Start != 2 || fr.End != 4 {
		t.Errorf("fragment 4 = track %d [%v, %v), want track 2 [2, 4)", fr.Track, fr.Start, fr.End)
	}
	if fr := f.Frags[8]; fr.Track != 3 || fr.Start != 4 || fr.End != 6 {
		t.Errorf("audio fragment 8 = track %d [%v, %v), want track 3 [4, 6)", fr.Track, fr.Start, fr.End)
	}
	for _, bad := range [][]byte{b[:len(b)-5], append([]byte(nil), b[:40]...), mkbox("moof", mkbox("traf", mkbox("tfhd", u32(0, 9))))} {
		if _, err := ParseFeed(bad); err == nil {
			t.Errorf("ParseFeed accepted a broken feed of %d bytes", len(bad))
		}
	}
}

// TestReplaySchedule: each fragment is due when its end time has elapsed
// since the feed's earliest decode time, never before the one ahead of it.
func TestReplaySchedule(t *testing.T) {
	got := ReplaySchedule([]FeedFragment{{Start: 10, End: 12}, {Start: 10.1, End: 11.9}, {Start: 12, End: 14}, {Start: 11.9, End: 13.95}})
	want := []time.Duration{2 * time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second}
	for i := range want {
		if d := got[i] - want[i]; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("schedule = %v, want %v", got, want)
			break
		}
	}
	if ReplaySchedule(nil) != nil {
		t.Error("a schedule for no fragments")
	}
}

// TestReplayPacing: the feed goes in one chunked POST, the header first,
// every fragment no earlier than its schedule, and not held back until the
// next one is written (the third fragment is due a second after the
// second, far more than a busy machine's scheduling delay); the server
// receives exactly the header and the fragments.
func TestReplayPacing(t *testing.T) {
	f := &Feed{Header: []byte("HEADER")}
	for i, span := range [][2]float64{{0, 0.1}, {0.1, 0.2}, {0.2, 1.2}} {
		f.Frags = append(f.Frags, FeedFragment{Bytes: bytes.Repeat([]byte{'a' + byte(i)}, 3000), Start: span[0], End: span[1]})
	}
	due := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 1200 * time.Millisecond}
	var mu sync.Mutex
	var arrivals []time.Duration // when the server had read each fragment's last byte
	var got []byte
	var chunked bool
	start := time.Now()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunked = len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked"
		buf := make([]byte, 512)
		for {
			n, err := r.Body.Read(buf)
			mu.Lock()
			got = append(got, buf[:n]...)
			for k := len(got) - len(f.Header); k > 0 && k/3000 > len(arrivals); {
				arrivals = append(arrivals, time.Since(start))
			}
			mu.Unlock()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Error(err)
				return
			}
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	var sent []time.Duration
	if err := Replay(context.Background(), srv.URL+"/ev/tok/ingest.isml/Streams(s)", f, true, func(i int, at time.Time) { sent = append(sent, at.Sub(start)) }); err != nil {
		t.Fatal(err)
	}
	if !chunked {
		t.Error("the replay was not one chunked request")
	}
	want := append([]byte("HEADER"), bytes.Join([][]byte{f.Frags[0].Bytes, f.Frags[1].Bytes, f.Frags[2].Bytes}, nil)...)
	if !bytes.Equal(got, want) {
		t.Fatalf("the server got %d bytes, want %d", len(got), len(want))
	}
	if len(arrivals) != 3 || len(sent) != 3 {
		t.Fatalf("arrivals %v, sent %v: want 3 of each", arrivals, sent)
	}
	for i, a := range arrivals {
		if a < due[i] || sent[i] < due[i] {
			t.Errorf("fragment %d sent at %v, arrived at %v, before it was due at %v", i, sent[i], a, due[i])
		}
	}
	if arrivals[1] >= 900*time.Millisecond {
		t.Errorf("fragment 1 (due at 200ms) arrived at %v: held back until the next write?", arrivals[1])
	}
	// Unpaced, the whole feed goes at once (paced it takes 1.2 s); a refusal is
	// an error.
	start = time.Now()
	got, arrivals = nil, nil
	if err := Replay(context.Background(), srv.URL, f, false, nil); err != nil || time.Since(start) > time.Second {
		t.Errorf("unpaced replay: %v after %v", err, time.Since(start))
	}
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "wrong token", 403) }))
	defer refuse.Close()
	if err := Replay(context.Background(), refuse.URL, f, false, nil); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("a refused ingest gave %v, want an error naming 403", err)
	}
}

// TestPollInterval: max-age when positive, else minimumUpdatePeriod, else
// the fallback.
func TestPollInterval(t *testing.T) {
	mpd := []byte(`<MPD type="dynamic" minimumUpdatePeriod="PT2S">`)
	for _, c := range []struct {
		cc   string
		body []byte
		want time.Duration
	}{
		{"public, max-age=1", mpd, time.Second},
		{"max-age=0", mpd, 2 * time.Second},
		{"", []byte(`minimumUpdatePeriod="PT1.5S"`), 1500 * time.Millisecond},
		{"no-cache", []byte(`minimumUpdatePeriod="PT1M2S"`), 62 * time.Second},
		{"", []byte(`minimumUpdatePeriod="P1D"`), 700 * time.Millisecond},
		{"max-age=x", nil, 700 * time.Millisecond},
	} {
		if got := PollInterval(c.cc, c.body, 700*time.Millisecond); got != c.want {
			t.Errorf("PollInterval(%q, %q) = %v, want %v", c.cc, c.body, got, c.want)
		}
	}
}

// TestArrivalFigure: the n-th fragment is paired with the first poll that
// listed n segments; unseen ones are counted, and the p99 is judged
// against 100 ms.
func TestArrivalFigure(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var posted, seen []time.Time
	for i := range 100 {
		p := t0.Add(time.Duration(i) * 2 * time.Second)
		posted = append(posted, p)
		seen = append(seen, p.Add(time.Duration(i+1)*time.Millisecond))
	}
	posted = append(posted, t0.Add(time.Hour))
	lat, unseen := ArrivalLatencies(posted, seen)
	if len(lat) != 100 || unseen != 1 || lat[41] != 42*time.Millisecond {
		t.Fatalf("%d latencies, %d unseen, lat[41] = %v", len(lat), unseen, lat[41])
	}
	f := ArrivalFigure(lat, unseen)
	if f.Value == nil || *f.Value != 99 || !*f.Met || f.Detail["unseen"] != 1 {
		t.Errorf("figure = %+v, want p99 99 ms, met, 1 unseen", f)
	}
	lat[0] = 5 * time.Second
	lat[1] = 5 * time.Second
	if f := ArrivalFigure(lat, 0); *f.Met {
		t.Errorf("two of 100 over the target: %v met", f)
	}
	if f := ArrivalFigure(nil, 3); f.Value != nil || !strings.Contains(f.Unavailable, "3 unseen") {
		t.Errorf("no latency: %+v", f)
	}
}

// TestLiveFiguresAndWindow: memory growth and the CPU ratio are judged
// against their targets; the window holds the whole feed, a minute at
// least.
func TestLiveFiguresAndWindow(t *testing.T) {
	if f := GrowthFigure(100<<20, 105<<20, liveRSSGrowthTarget); math.Abs(*f.Value-1.05) > 1e-9 || !*f.Met {
		t.Errorf("growth 1.05: %v", f)
	}
	if f := GrowthFigure(100<<20, 150<<20, liveRSSGrowthTarget); *f.Met {
		t.Errorf("growth 1.5 met: %v", f)
	}
	if f := GrowthFigure(0, 1, liveRSSGrowthTarget); f.Value != nil {
		t.Errorf("unreadable memory gave %v", f)
	}
	r := func(cpu time.Duration) cpuResult { return cpuResult{Requests: 100, CPU: cpu * 100} }
	f := compareLive([]cpuResult{r(110 * time.Microsecond), r(105 * time.Microsecond), r(300 * time.Microsecond)},
		[]cpuResult{r(100 * time.Microsecond), r(100 * time.Microsecond), r(100 * time.Microsecond)})
	if f.Value == nil || math.Abs(*f.Value-1.10) > 1e-9 || !*f.Met || f.Detail["best_over_best"].(float64) != 1.05 {
		t.Errorf("live vs VOD = %+v, want the median ratio 1.10, met, best over best 1.05", f)
	}
	for d, want := range map[time.Duration]string{30 * time.Second: "PT1M", 3 * time.Minute: "PT4M", 10 * time.Second: "PT1M"} {
		if got := liveWindow(d); got != want {
			t.Errorf("liveWindow(%v) = %s, want %s", d, got, want)
		}
	}
}

// TestParseFFmpegFeed: the feed ffmpeg's ismv muxer writes for the step
// (three H.264 renditions and AAC, 2 s GOPs) parses into 4 tracks whose
// video fragments are 2 s each, back to back, the first video track the
// highest bitrate.
func TestParseFFmpegFeed(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg not found (install it: apt-get install -y ffmpeg)")
	}
	dir := t.TempDir()
	path, err := MakeLiveFeed(dir, 4*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	again, err := MakeLiveFeed(dir, 4*time.Second)
	if err != nil || again != path {
		t.Fatalf("the cached feed: %s, %v", again, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFeed(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tracks) != 4 || len(f.Video) != 3 {
		t.Fatalf("tracks %v, video %v: want 4 tracks, 3 of them video", f.Tracks, f.Video)
	}
	size := map[uint32]int{}
	var ends []float64
	for _, fr := range f.Frags {
		size[fr.Track] += len(fr.Bytes)
		if fr.Track == f.Video[0] {
			ends = append(ends, fr.End)
			if d := fr.End - fr.Start; math.Abs(d-2) > 0.05 {
				t.Errorf("a top video fragment of %.3f s, want 2", d)
			}
		}
	}
	if len(ends) != 2 || math.Abs(ends[1]-ends[0]-2) > 0.05 {
		t.Errorf("top video fragments end at %v, want two, 2 s apart", ends)
	}
	if !(size[f.Video[0]] > size[f.Video[1]] && size[f.Video[1]] > size[f.Video[2]]) {
		t.Errorf("video bytes by track %v: the first video track is not the largest rendition", size)
	}
}
