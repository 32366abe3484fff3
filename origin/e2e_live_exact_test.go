package origin_test

import (
	"bytes"
	"maps"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/drmorigin/drmorigin/packager"
)

// archiveFormats are the formats an ended live archive is compared in,
// frame by frame, against the tee muxer's local copy of the feed (live.md
// "Shown by": "in every format").
var archiveFormats = []string{"mpd-time-csf", "m3u8-cmaf", "m3u8-aapl", "m3u8-aapl-v3", "smooth"}

// teeCopyFrames decodes the tee muxer's local copy of a live feed into
// the frames each archived track of asset must decode to, keyed by
// trackPlan.key(): the video renditions in the copy's stream order (the
// archive lists them by bitrate, highest first, as the feed maps them),
// and the audio without the packets the encoder timed before 0 — the AAC
// priming unit, which no output format can state and the live room cuts
// (live/trim.go). It fails unless exactly one audio packet lies before 0,
// so the archive's audio is the copy's minus that one packet, none more.
func teeCopyFrames(t *testing.T, lib *packager.Library, asset, copy string) map[string][]string {
	t.Helper()
	a, err := lib.Asset(asset)
	if err != nil {
		t.Fatal(err)
	}
	// The copy's matroska timestamps are shifted so that none is
	// negative: the encoder's time 0 is the video's first pts (ms).
	zero := firstPTS(t, copy, "v:0")
	primed := 0
	apts := packetPTS(t, copy, "a:0")
	for _, p := range apts {
		if p < zero {
			primed++
		}
	}
	if primed != 1 {
		t.Fatalf("the local copy has %d audio packets before the encoder's time 0 (%d ms), want 1 (the AAC priming unit)", primed, zero)
	}
	want := map[string][]string{}
	videos := 0
	for _, tr := range a.Tracks {
		key := tr.Name + "@" + strconv.Itoa(tr.Bitrate)
		switch tr.Kind {
		case packager.Video:
			want[key] = md5s(framemd5(t, copy, nil, append([]string{"-map", "0:v:" + strconv.Itoa(videos)}, passthrough...)...))
			videos++
		case packager.Audio:
			want[key] = md5s(framemd5(t, withoutPriming(t, copy, zero, len(apts)-primed), nil, passthrough...))
		}
		if len(want[key]) == 0 {
			t.Fatalf("the local copy decodes to no frames for %s", key)
		}
	}
	if videos != 2 || len(want) != 3 {
		t.Fatalf("archive tracks %v: want two video renditions and audio", slices.Sorted(maps.Keys(want)))
	}
	return want
}

// withoutPriming remuxes the copy's audio without its packets before zero
// (before decoding: the decoder's first frame then lacks the cut packet's
// overlap, as a decoder of the archive does) and checks that keep packets
// are left.
func withoutPriming(t *testing.T, copy string, zero int64, keep int) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "audio.mka")
	cmd := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-i", copy, "-map", "0:a:0", "-c", "copy",
		"-bsf:a", "noise=drop=lt(pts\\,"+strconv.FormatInt(zero, 10)+")", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg remux of the copy's audio: %v: %s", err, b)
	}
	if n := len(packetPTS(t, out, "a:0")); n != keep {
		t.Fatalf("the copy's audio without its priming has %d packets, want %d", n, keep)
	}
	return out
}

// assertArchiveFramesExact decodes every track of the live asset's
// manifest (locator loc, manifest name name) in format as a client fetches
// it, and checks each against want (teeCopyFrames): the same frame hashes
// in the same order, so a frame missing, duplicated or altered fails.
// Timestamps are left out (MPEG-TS shifts them): order and content only.
// Every track of want must be found in the format.
func assertArchiveFramesExact(t *testing.T, lo *liveOrigin, loc, name, format string, want map[string][]string) {
	t.Helper()
	mu := lo.base + "/" + loc + "/" + name + ".ism/manifest"
	if format != "smooth" {
		mu += "(format=" + format + ")"
	}
	got := map[string][]string{}
	add := func(key string, frames []string) {
		if _, dup := got[key]; dup && !reflect.DeepEqual(got[key], frames) {
			t.Errorf("%s %s: two playlists decode to different frames", format, key)
		}
		got[key] = frames
	}
	switch format {
	case "m3u8-aapl", "m3u8-aapl-v3":
		// ffmpeg's HLS demuxer over the TS media playlists; v3 muxes
		// the audio into each video variant.
		var audio string
		for k := range want {
			if strings.HasPrefix(k, "audio@") {
				audio = k
			}
		}
		for _, u := range tsPlaylists(t, mu) {
			pl := localPlaylist(t, u, "")
			key := playlistTrack(t, u) + "@" + itoa(bitrateOf(t, u))
			if format == "m3u8-aapl" {
				add(key, tsFrames(t, pl, "0:0"))
				continue
			}
			add(key, tsFrames(t, pl, "0:v:0"))
			add(audio, tsFrames(t, pl, "0:a:0"))
		}
	default:
		r := do(t, "GET", mu, nil)
		if r.status != 200 {
			t.Fatalf("%s manifest: %s", format, r)
		}
		var plans []trackPlan
		switch format {
		case "smooth":
			plans = planSmooth(t, mu, r.body)
		case "m3u8-cmaf":
			plans = planHLS(t, lo.testOrigin, mu, r.body)
		default:
			plans = planDASH(t, mu, r.body)
		}
		for _, p := range plans {
			b := fetchTrack(t, p)
			// ffmpeg's mov demuxer keeps one sample per decode time, so a
			// fragment served twice would decode once: count the samples
			// in the container too.
			if n, w := fmp4Samples(t, format+" "+p.key(), b), len(want[p.key()]); n != w {
				t.Errorf("%s %s: %d samples served, the local copy decodes to %d frames", format, p.key(), n, w)
			}
			add(p.key(), md5s(framemd5(t, "-", b, passthrough...)))
		}
	}
	for key, w := range want {
		g, ok := got[key]
		switch {
		case !ok:
			t.Errorf("%s: no track %s (found %v)", format, key, slices.Sorted(maps.Keys(got)))
		case !reflect.DeepEqual(g, w):
			t.Errorf("%s %s: the archive decodes to %d frames, the local copy to %d; %s", format, key, len(g), len(w), firstDiff(g, w))
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: tracks %v, want %v", format, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
}

// fmp4Samples counts the samples of an init and fragments (mp4ff), and
// fails unless their decode times (tfdt, else tfxd, plus the durations
// before them) strictly increase: a fragment listed twice, or two
// fragments overlapping, would.
func fmp4Samples(t *testing.T, what string, b []byte) int {
	t.Helper()
	f, err := mp4.DecodeFile(bytes.NewReader(b))
	if err != nil || f.Init == nil {
		t.Fatalf("%s: mp4ff cannot read the init and fragments: %v", what, err)
	}
	n, next := 0, int64(-1)
	for _, seg := range f.Segments {
		for _, frag := range seg.Fragments {
			for _, traf := range frag.Moof.Trafs {
				var tm uint64
				switch {
				case traf.Tfdt != nil:
					tm = traf.Tfdt.BaseMediaDecodeTime()
				default:
					x := tfxdIn(traf)
					if x == nil {
						t.Fatalf("%s: a fragment with neither tfdt nor tfxd", what)
					}
					tm = x.FragmentAbsoluteTime
				}
				if int64(tm) < next {
					t.Errorf("%s: a fragment at decode time %d, before the end of the one before (%d)", what, tm, next)
				}
				var trex *mp4.TrexBox
				if mv := f.Init.Moov.Mvex; mv != nil {
					trex, _ = mv.GetTrex(traf.Tfhd.TrackID)
				}
				for _, trun := range traf.Truns {
					tm += trun.AddSampleDefaultValues(traf.Tfhd, trex)
					n += int(trun.SampleCount())
				}
				next = int64(tm)
			}
		}
	}
	return n
}

func tfxdIn(traf *mp4.TrafBox) *mp4.TfxdData {
	for _, c := range traf.Children {
		if u, ok := c.(*mp4.UUIDBox); ok && u.Tfxd != nil {
			return u.Tfxd
		}
	}
	return nil
}

// passthrough keeps every decoded frame: by default ffmpeg drops a video
// frame whose timestamp repeats the previous one's, which would hide a
// fragment served twice.
var passthrough = []string{"-fps_mode", "passthrough"}

// tsFrames is hlsFrames (ffmpeg's HLS demuxer over a TS media playlist)
// keeping every frame.
func tsFrames(t *testing.T, playlist, sel string) []string {
	t.Helper()
	in := []string{"-allowed_extensions", "ALL", "-protocol_whitelist", "file,http,tcp,crypto,data"}
	return md5s(framemd5In(t, in, playlist, nil, append([]string{"-map", sel}, passthrough...)...))
}

// packetPTS lists a stream's packet pts in the file's time base for it (ffprobe).
func packetPTS(t *testing.T, file, stream string) []int64 {
	t.Helper()
	out, err := exec.Command(needTool(t, "ffprobe", "ffmpeg"), "-v", "error", "-select_streams", stream,
		"-show_entries", "packet=pts", "-of", "csv=p=0", file).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", file, err)
	}
	var pts []int64
	for _, l := range strings.Fields(string(out)) {
		v, err := strconv.ParseInt(strings.TrimSuffix(l, ","), 10, 64)
		if err != nil {
			t.Fatalf("ffprobe %s: pts %q", file, l)
		}
		pts = append(pts, v)
	}
	return pts
}

func firstPTS(t *testing.T, file, stream string) int64 {
	t.Helper()
	pts := packetPTS(t, file, stream)
	if len(pts) == 0 {
		t.Fatalf("%s: no packets in stream %s", file, stream)
	}
	return slices.Min(pts)
}
