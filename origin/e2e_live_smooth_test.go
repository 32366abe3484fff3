package origin_test

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/drmorigin/drmorigin/packager"
)

// smoothTime is the {start time} of a Smooth fragment URL.
var smoothTime = regexp.MustCompile(`Fragments\([a-z_0-9]+=([0-9]+)`)

func fragmentTime(t *testing.T, u string) uint64 {
	t.Helper()
	m := smoothTime.FindStringSubmatch(u)
	if m == nil {
		t.Fatalf("no fragment time in %s", u)
	}
	v, _ := strconv.ParseUint(m[1], 10, 64)
	return v
}

// smoothBoxes decodes a Smooth fragment's moof with mp4ff and returns its
// tfxd and tfrf (nil when absent).
func smoothBoxes(t *testing.T, seg []byte) (*mp4.TfxdData, *mp4.TfrfData) {
	t.Helper()
	if len(seg) < 8 || string(seg[4:8]) != "moof" {
		t.Fatalf("a Smooth fragment that does not start with moof (%d bytes)", len(seg))
	}
	n := binary.BigEndian.Uint32(seg)
	b, err := mp4.DecodeBoxSR(0, bits.NewFixedSliceReader(seg[:n]))
	if err != nil {
		t.Fatalf("mp4ff cannot read the moof: %v", err)
	}
	var x *mp4.TfxdData
	var r *mp4.TfrfData
	for _, c := range b.(*mp4.MoofBox).Traf.Children {
		if u, ok := c.(*mp4.UUIDBox); ok {
			if u.Tfxd != nil {
				x = u.Tfxd
			}
			if u.Tfrf != nil {
				r = u.Tfrf
			}
		}
	}
	return x, r
}

// TestLiveSmoothLookAhead: live Smooth lists a fragment only once the two
// after it are archived (the newest two answer 404 no-cache in Smooth,
// 200 in DASH); each listed fragment carries tfxd with its own time and
// duration and tfrf with the next two fragments' (read back with mp4ff,
// checked against the archive's index and the manifest's later chunks);
// every Smooth fragment fetched live gives the same bytes after EndOutput;
// ffmpeg decodes the Smooth fragments with their init, live, to a prefix
// of the frames of the tee muxer's local copy of the feed, and ended, every
// track to exactly its frames.
func TestLiveSmoothLookAhead(t *testing.T) {
	needTool(t, "ffmpeg", "ffmpeg")
	f := makeLiveFeed(t, 10)
	lo := startLiveShow(t)
	lo.locator("live", "liveshow", "Predefined_ClearStreamingOnly", nil)
	lib := lo.srv.Assets.(*packager.Library)
	const sm = "/live/show.ism/manifest"
	smURL := lo.base + sm

	// ffmpeg's ismv muxer sends the tracks' fragments in turn (400k, 200k,
	// audio). One fragment per track: none has its look-ahead yet.
	lo.push(t, "s1", f, f.frags[:3])
	if r := lo.get(sm); r.status != 404 || r.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("live Smooth with no fragment whose look-ahead is known: %d %q, want 404 no-cache", r.status, r.header.Get("Cache-Control"))
	}
	if r := lo.get("/live/show.ism/manifest(format=mpd-time-csf)"); r.status != 200 {
		t.Errorf("live DASH with one fragment per track: %s", r)
	}
	// Three fragments of each video rendition: their first is listed.
	const first = 9
	lo.push(t, "s1", f, f.frags[3:first])

	fetched := map[string][]byte{} // Smooth fragment URL → bytes served live
	check := func(phase string, tracks int) {
		r := lo.get(sm)
		if r.status != 200 || !bytes.Contains(r.body, []byte(`IsLive="TRUE"`)) || !bytes.Contains(r.body, []byte(`LookAheadFragmentCount="2"`)) {
			t.Fatalf("%s: live Smooth manifest: %s", phase, r)
		}
		a, err := lib.Asset("liveshow")
		if err != nil {
			t.Fatal(err)
		}
		plans := planSmooth(t, smURL, r.body)
		if len(plans) != tracks {
			t.Fatalf("%s: %d Smooth tracks, want %d:\n%s", phase, len(plans), tracks, r.body)
		}
		for _, p := range plans {
			tr := a.Track(p.name, p.bitrate)
			if tr == nil {
				t.Fatalf("%s: no archived track %s", phase, p.key())
			}
			n := len(tr.Fragments)
			if len(p.media) == 0 || len(p.media) > n-packager.LookAheadCount {
				t.Fatalf("%s %s: %d fragments listed of %d archived: the newest %d have no look-ahead yet",
					phase, p.key(), len(p.media), n, packager.LookAheadCount)
			}
			for k, u := range p.media {
				tm := fragmentTime(t, u)
				i, ok := tr.FragmentAt(tm)
				if !ok {
					t.Fatalf("%s %s: listed fragment %d is not archived", phase, p.key(), tm)
				}
				s := do(t, "GET", u, nil)
				if s.status != 200 {
					t.Fatalf("%s: GET %s: %s", phase, u, s)
				}
				if old, ok := fetched[u]; ok && !bytes.Equal(old, s.body) {
					t.Errorf("%s: %s changed while live", phase, u)
				}
				fetched[u] = s.body
				x, rf := smoothBoxes(t, s.body)
				fr := tr.Fragments[i]
				if x == nil || x.FragmentAbsoluteTime != tm || x.FragmentAbsoluteDuration != fr.Duration {
					t.Errorf("%s %s: tfxd %+v, want time %d duration %d", phase, u, x, tm, fr.Duration)
				}
				if rf == nil || rf.FragmentCount != 2 || len(rf.FragmentAbsoluteTimes) != 2 {
					t.Fatalf("%s %s: tfrf %+v, want 2 entries", phase, u, rf)
				}
				for j := range 2 {
					nx := tr.Fragments[i+1+j]
					if rf.FragmentAbsoluteTimes[j] != nx.Time || rf.FragmentAbsoluteDurations[j] != nx.Duration {
						t.Errorf("%s %s: tfrf entry %d (%d, %d), archived fragment (%d, %d)", phase, u, j,
							rf.FragmentAbsoluteTimes[j], rf.FragmentAbsoluteDurations[j], nx.Time, nx.Duration)
					}
					// What the tfrf announces is what the manifest lists next.
					if k+1+j < len(p.media) && fragmentTime(t, p.media[k+1+j]) != rf.FragmentAbsoluteTimes[j] {
						t.Errorf("%s %s: tfrf entry %d at %d, the manifest's next chunk at %d", phase, u, j,
							rf.FragmentAbsoluteTimes[j], fragmentTime(t, p.media[k+1+j]))
					}
				}
			}
			// The newest fragment: DASH serves it, Smooth not yet.
			newest := tr.Fragments[n-1].Time
			su := strings.Replace(p.media[0], "="+strconv.FormatUint(fragmentTime(t, p.media[0]), 10)+")", "="+strconv.FormatUint(newest, 10)+")", 1)
			if s := do(t, "GET", su, nil); s.status != 404 || s.header.Get("Cache-Control") != "no-cache" {
				t.Errorf("%s: the newest fragment in Smooth: %d %q, want 404 no-cache", phase, s.status, s.header.Get("Cache-Control"))
			}
			du := su[:len(su)-1] + ",format=mpd-time-csf)"
			if s := do(t, "GET", du, nil); s.status != 200 {
				t.Errorf("%s: the newest fragment in DASH: %s", phase, s)
			}
		}
		// ffmpeg decodes the live Smooth video with its init: a prefix of
		// the local copy's frames.
		for _, p := range plans {
			if p.bitrate != 400000 {
				continue
			}
			got := md5s(framemd5(t, "-", fetchTrack(t, p)))
			want := md5s(framemd5(t, f.copy, nil, "-map", "0:v:0"))
			if len(got) == 0 || len(got) > len(want) || !reflect.DeepEqual(got, want[:len(got)]) {
				t.Errorf("%s: live Smooth %s decodes to %d frames, not a prefix of the local copy's %d; %s",
					phase, p.key(), len(got), len(want), firstDiff(got, want[:min(len(got), len(want))]))
			}
		}
	}
	check("three fragments a rendition", 3) // audio's first, primed before time 0, is kept from 0 on
	lo.push(t, "s1", f, f.frags[first:])
	check("whole feed", 3)

	if err := lo.hub.EndOutput("ev", "out"); err != nil {
		t.Fatal(err)
	}
	for u, b := range fetched {
		if s := do(t, "GET", u, nil); s.status != 200 || !bytes.Equal(s.body, b) {
			t.Errorf("after the end, %s gives other bytes than live (%s)", u, s)
		}
	}
	v := lo.get(sm)
	if v.status != 200 || bytes.Contains(v.body, []byte("IsLive")) {
		t.Fatalf("Smooth after the end: %s", v)
	}
	for _, p := range planSmooth(t, smURL, v.body) {
		last := p.media[len(p.media)-1]
		s := do(t, "GET", last, nil)
		if s.status != 200 {
			t.Fatalf("the archive's last fragment: %s", s)
		}
		if _, rf := smoothBoxes(t, s.body); rf != nil {
			t.Errorf("%s: the archive's last fragment has tfrf %+v (nothing follows it)", p.key(), rf)
		}
	}
	// Every track, frame exact against the local copy.
	assertArchiveFramesExact(t, lo, "live", "show", "smooth", teeCopyFrames(t, lib, "liveshow", f.copy))
}
