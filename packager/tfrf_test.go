package packager_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"
	"time"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/drmorigin/drmorigin/internal/testmedia"
	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// ismvFeed is an ffmpeg ismv feed (testmedia.LiveFeed) cut into its init
// and the moof+mdat pairs of one track, each with its tfxd decode time.
type ismvFeed struct {
	init  packager.LiveInit
	frags [][]byte
	times []uint64
}

func readISMVFeed(t *testing.T) ismvFeed {
	t.Helper()
	needFFmpeg(t)
	path, _ := testmedia.LiveFeed(t, t.TempDir(), 12)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ftyp, moov []byte
	var f ismvFeed
	for off := 0; off+8 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[off:]))
		switch string(b[off+4 : off+8]) {
		case "ftyp":
			ftyp = b[off : off+n]
		case "moov":
			moov = b[off : off+n]
			inits, err := packager.SplitInit(ftyp, moov)
			if err != nil {
				t.Fatal(err)
			}
			f.init = inits[0] // the first video rendition
		case "moof":
			moof, err := mp4.DecodeBoxSR(0, bits.NewFixedSliceReader(b[off:off+n]))
			if err != nil {
				t.Fatal(err)
			}
			traf := moof.(*mp4.MoofBox).Traf
			mdat := int(binary.BigEndian.Uint32(b[off+n:]))
			if traf.Tfhd.TrackID == f.init.TrackID {
				f.frags = append(f.frags, b[off:off+n+mdat])
				f.times = append(f.times, tfxdOf(t, traf).FragmentAbsoluteTime)
			}
			n += mdat
		}
		off += n
	}
	if len(f.frags) < 5 {
		t.Fatalf("the feed has %d fragments of track %d, want 5 or more", len(f.frags), f.init.TrackID)
	}
	return f
}

// msBoxes returns the traf's MS-SSTR tfxd and tfrf (nil when absent).
func msBoxes(traf *mp4.TrafBox) (*mp4.TfxdData, *mp4.TfrfData) {
	var x *mp4.TfxdData
	var r *mp4.TfrfData
	for _, c := range traf.Children {
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

func tfxdOf(t *testing.T, traf *mp4.TrafBox) *mp4.TfxdData {
	t.Helper()
	x, _ := msBoxes(traf)
	if x == nil {
		t.Fatal("the feed's fragment has no tfxd")
	}
	return x
}

// trafOf decodes a Smooth segment (moof, mdat) and returns its traf.
func trafOf(t *testing.T, seg []byte) *mp4.TrafBox {
	t.Helper()
	boxes := topBoxes(t, seg)
	moof, ok := boxes[len(boxes)-2].(*mp4.MoofBox)
	if !ok || len(moof.Trafs) != 1 {
		t.Fatal("segment without a moof of one traf")
	}
	return moof.Traf
}

// TestLiveSmoothTfrf: a live track's Smooth fragments carry tfxd (their own
// time and duration) and tfrf with the next two fragments' times and
// durations, read back with mp4ff; a fragment's look-ahead is known only
// once two fragments follow it, and its bytes then never change: not as
// the track grows, nor in the ended archive opened read only. The last two
// fragments of the archive have no tfrf (MS-SSTR 2.2.4.5); CMAF output
// has neither box; the mapped path writes the same bytes.
func TestLiveSmoothTfrf(t *testing.T) {
	f := readISMVFeed(t)
	st := storage.NewMem()
	dir := "show/video.live"
	lt, err := packager.OpenLiveTrack(st, st, dir, &f.init, packager.LiveTrackMeta{Name: "video", Bitrate: 400000})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	seen := map[int][]byte{} // Smooth bytes of fragments once their look-ahead was known
	for k, b := range f.frags {
		if err := lt.Append(b, f.times[k], 0, now); err != nil {
			t.Fatalf("append %d: %v", k, err)
		}
		tr := lt.Track()
		n := len(tr.Fragments)
		for i := range n {
			if got, want := tr.LookAheadKnown(i), i+packager.LookAheadCount < n; got != want {
				t.Fatalf("%d fragments: LookAheadKnown(%d) = %v, want %v", n, i, got, want)
			}
			if !tr.LookAheadKnown(i) {
				continue
			}
			seg, err := tr.AppendSegment(nil, i, packager.Smooth, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if old, ok := seen[i]; ok && !bytes.Equal(old, seg) {
				t.Fatalf("fragment %d's Smooth bytes changed when fragment %d arrived", i, n-1)
			}
			seen[i] = seg
		}
	}
	ended, err := packager.OpenLiveTrack(st, nil, dir, nil, packager.LiveTrackMeta{})
	if err != nil {
		t.Fatal(err)
	}
	tr := ended.Track()
	n := len(tr.Fragments)
	if n != len(f.frags) {
		t.Fatalf("the ended archive has %d fragments, want %d", n, len(f.frags))
	}
	for i, fr := range tr.Fragments {
		seg, err := tr.AppendSegment(nil, i, packager.Smooth, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if old, ok := seen[i]; ok && !bytes.Equal(old, seg) {
			t.Errorf("fragment %d: the ended archive's Smooth bytes differ from the live ones", i)
		}
		if i < n-packager.LookAheadCount && seen[i] == nil {
			t.Errorf("fragment %d was never servable live", i)
		}
		traf := trafOf(t, seg)
		x, r := msBoxes(traf)
		if x == nil || x.Version != 1 || x.FragmentAbsoluteTime != fr.Time || x.FragmentAbsoluteDuration != fr.Duration ||
			fr.Time != f.times[i] {
			t.Errorf("fragment %d: tfxd %+v, want time %d duration %d", i, x, fr.Time, fr.Duration)
		}
		if i >= n-packager.LookAheadCount {
			if r != nil {
				t.Errorf("fragment %d of %d: tfrf %+v, want none (fewer than 2 fragments follow)", i, n, r)
			}
			continue
		}
		if r == nil || r.Version != 1 || r.FragmentCount != 2 || len(r.FragmentAbsoluteTimes) != 2 {
			t.Fatalf("fragment %d: tfrf %+v, want version 1 with 2 entries", i, r)
		}
		for k := range 2 {
			nx := tr.Fragments[i+1+k]
			if r.FragmentAbsoluteTimes[k] != nx.Time || r.FragmentAbsoluteDurations[k] != nx.Duration {
				t.Errorf("fragment %d: tfrf entry %d is (%d, %d), fragment %d is (%d, %d)", i, k,
					r.FragmentAbsoluteTimes[k], r.FragmentAbsoluteDurations[k], i+1+k, nx.Time, nx.Duration)
			}
		}
		if r.FragmentAbsoluteTimes[0] != fr.Time+fr.Duration {
			t.Errorf("fragment %d: the next fragment starts at %d, this one ends at %d", i, r.FragmentAbsoluteTimes[0], fr.Time+fr.Duration)
		}
		// The trun's data offset still points at the mdat's payload.
		if int(traf.Trun.DataOffset) != int(binary.BigEndian.Uint32(seg))+8 {
			t.Errorf("fragment %d: trun data offset %d with a moof of %d bytes", i, traf.Trun.DataOffset, binary.BigEndian.Uint32(seg))
		}
		ms, err := tr.AppendSegmentMapped(nil, nil, i, packager.Smooth)
		if err != nil {
			t.Fatal(err)
		}
		whole := append([]byte(nil), ms.Head...)
		for _, p := range ms.Payload {
			whole = append(whole, p...)
		}
		ms.Release()
		if !bytes.Equal(whole, seg) {
			t.Errorf("fragment %d: the mapped Smooth segment differs from AppendSegment's", i)
		}
		cmaf, err := tr.AppendSegment(nil, i, packager.CMAF, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if x, r := msBoxes(trafOf(t, cmaf)); x != nil || r != nil {
			t.Errorf("fragment %d: CMAF output with tfxd or tfrf", i)
		}
	}
}

// TestLiveSmoothTfrfPIFF: encrypted live Smooth (PIFF) carries the same
// tfxd and tfrf after the encryption boxes, and mp4ff still finds the
// PIFF sample encryption entries (the saio offset is unmoved).
func TestLiveSmoothTfrfPIFF(t *testing.T) {
	f := readISMVFeed(t)
	st := storage.NewMem()
	lt, err := packager.OpenLiveTrack(st, st, "show/video.live", &f.init, packager.LiveTrackMeta{Name: "video", Bitrate: 400000})
	if err != nil {
		t.Fatal(err)
	}
	for k, b := range f.frags {
		if err := lt.Append(b, f.times[k], 0, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	tr := lt.Track()
	p := testEncryption(t, packager.SchemePIFF)
	for i := range len(tr.Fragments) - packager.LookAheadCount {
		seg, err := tr.AppendSegment(nil, i, packager.Smooth, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		traf := trafOf(t, seg)
		x, r := msBoxes(traf)
		if x == nil || x.FragmentAbsoluteTime != tr.Fragments[i].Time {
			t.Errorf("fragment %d: tfxd %+v", i, x)
		}
		if r == nil || r.FragmentAbsoluteTimes[1] != tr.Fragments[i+2].Time || r.FragmentAbsoluteDurations[1] != tr.Fragments[i+2].Duration {
			t.Errorf("fragment %d: tfrf %+v", i, r)
		}
		// saio points at senc's first entry, past its sample_count.
		at := bytes.Index(seg, []byte("senc"))
		if traf.Senc == nil || traf.Saio == nil || len(traf.Saio.Offset) != 1 || at < 4 || traf.Saio.Offset[0] != int64(at-4+16) {
			t.Errorf("fragment %d: senc at %d, saio %+v", i, at-4, traf.Saio)
		}
		last := traf.Children[len(traf.Children)-1].(*mp4.UUIDBox)
		if last.Tfrf == nil {
			t.Errorf("fragment %d: tfrf is not the traf's last box", i)
		}
	}
}
