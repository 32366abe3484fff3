package packager_test

import (
	"bytes"
	"testing"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"
	"github.com/drmorigin/drmorigin/packager"
)

// topBoxes decodes the top-level boxes of b with mp4ff.
func topBoxes(t *testing.T, b []byte) []mp4.Box {
	t.Helper()
	sr := bits.NewFixedSliceReader(b)
	var out []mp4.Box
	for pos := uint64(0); sr.NrRemainingBytes() > 0; {
		bx, err := mp4.DecodeBoxSR(pos, sr)
		if err != nil {
			t.Fatalf("decode at %d: %v", pos, err)
		}
		pos += bx.Size()
		out = append(out, bx)
	}
	return out
}

// TestSegmentStructure checks with mp4ff the boxes that players rely on:
// styp brands, tfhd track_ID and default-base-is-moof, tfdt time, data
// offsets that point at the start of the mdat payload, and tfxd.
func TestSegmentStructure(t *testing.T) {
	lib := packager.NewLibrary(localStore(mediaRoot(t)), 4)
	defer lib.Close()
	for _, name := range []string{"demo", "hevc", "legacy", "progressive"} {
		a, err := lib.Asset(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range a.Tracks {
			checkStructure(t, name, tr)
		}
	}
}

// checkStructure checks every output segment of a track.
func checkStructure(t *testing.T, name string, tr *packager.Track) {
	t.Helper()
	for i, fr := range tr.Fragments {
		for _, out := range []packager.Output{packager.CMAF, packager.Smooth} {
			seg, err := tr.AppendSegment([]byte("prefix"), i, out, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(seg, []byte("prefix")) {
				t.Fatal("AppendSegment overwrote the buffer's contents")
			}
			boxes := topBoxes(t, seg[len("prefix"):])
			if out == packager.CMAF {
				if len(boxes) != 3 || boxes[0].Type() != "styp" {
					t.Fatalf("%s %s frag %d CMAF: want styp, moof, mdat", name, tr.Name, i)
				}
				boxes = boxes[1:]
			}
			if len(boxes) != 2 {
				t.Fatalf("%s %s frag %d: %d boxes, want moof, mdat", name, tr.Name, i, len(boxes))
			}
			moof, ok := boxes[0].(*mp4.MoofBox)
			if !ok || len(moof.Trafs) != 1 {
				t.Fatalf("%s %s frag %d: no moof with one traf", name, tr.Name, i)
			}
			traf := moof.Traf
			if traf.Tfhd.TrackID != tr.TrackID || !traf.Tfhd.DefaultBaseIfMoof() || traf.Tfhd.HasBaseDataOffset() {
				t.Errorf("%s %s frag %d: tfhd %+v", name, tr.Name, i, traf.Tfhd)
			}
			if traf.Tfdt == nil || traf.Tfdt.BaseMediaDecodeTime() != fr.Time {
				t.Errorf("%s %s frag %d: tfdt %v, want time %d", name, tr.Name, i, traf.Tfdt, fr.Time)
			}
			if !traf.Trun.HasDataOffset() || traf.Trun.DataOffset != int32(moof.Size()+8) {
				t.Errorf("%s %s frag %d: trun data offset %d, want %d", name, tr.Name, i, traf.Trun.DataOffset, moof.Size()+8)
			}
			var tfxd *mp4.TfxdData
			for _, c := range traf.Children {
				if u, ok := c.(*mp4.UUIDBox); ok && u.Tfxd != nil {
					tfxd = u.Tfxd
				}
			}
			switch {
			case out == packager.CMAF && tfxd != nil:
				t.Errorf("%s %s frag %d: CMAF with tfxd", name, tr.Name, i)
			case out == packager.Smooth && (tfxd == nil || tfxd.Version != 1 ||
				tfxd.FragmentAbsoluteTime != fr.Time || tfxd.FragmentAbsoluteDuration != fr.Duration):
				t.Errorf("%s %s frag %d: tfxd %+v, want time %d duration %d", name, tr.Name, i, tfxd, fr.Time, fr.Duration)
			}
			// The mdat holds every sample the trun states, back to back.
			var data uint64
			for k := range traf.Trun.Samples {
				if traf.Trun.HasSampleSize() {
					data += uint64(traf.Trun.Samples[k].Size)
				} else {
					data += uint64(traf.Tfhd.DefaultSampleSize)
				}
			}
			if mdat := boxes[1]; mdat.Type() != "mdat" || mdat.Size() != data+8 || int(traf.Trun.SampleCount()) != fr.Samples {
				t.Errorf("%s %s frag %d: mdat of %d bytes for %d samples of %d bytes (want %d samples)", name, tr.Name, i, mdat.Size(), traf.Trun.SampleCount(), data, fr.Samples)
			}
		}
	}
}

func TestAppendSegmentErrors(t *testing.T) {
	lib := packager.NewLibrary(localStore(mediaRoot(t)), 4)
	defer lib.Close()
	a, err := lib.Asset("demo")
	if err != nil {
		t.Fatal(err)
	}
	tr := a.Tracks[0]
	for _, i := range []int{-1, len(tr.Fragments)} {
		if _, err := tr.AppendSegment(nil, i, packager.CMAF, nil, nil); err != packager.ErrFragmentNotFound {
			t.Errorf("fragment %d: %v, want ErrFragmentNotFound", i, err)
		}
	}
	// Output is a closed set now (no Output(7)); what remains to refuse is
	// an output with no such part.
	if _, err := tr.AppendInit(nil, packager.TS, nil); err == nil {
		t.Error("init segment of TS output: no error")
	}
	init, err := tr.AppendInit(nil, packager.CMAF, nil)
	if err != nil {
		t.Fatal(err)
	}
	boxes := topBoxes(t, init)
	if len(boxes) != 2 || boxes[0].Type() != "ftyp" || boxes[1].Type() != "moov" {
		t.Fatalf("CMAF init: want ftyp, moov")
	}
	if ft := boxes[0].(*mp4.FtypBox); ft.MajorBrand() != "cmfc" {
		t.Errorf("CMAF init major brand %q", ft.MajorBrand())
	}
	smooth, err := tr.AppendInit(nil, packager.Smooth, nil)
	if err != nil || !bytes.Equal(smooth, tr.Init) {
		t.Errorf("Smooth init is not the source init: %v", err)
	}
}

// TestAppendSegmentMapped: Head followed by Payload is AppendSegment's
// segment, byte for byte, for every fragment of every demo track in both
// outputs. With mapping off, AppendSegment reads with pread and
// AppendSegmentMapped puts the whole segment in Head.
func TestAppendSegmentMapped(t *testing.T) {
	t.Run("mapped", func(t *testing.T) { testAppendSegmentMapped(t, true) })
	t.Run("pread", func(t *testing.T) {
		defer setMapFiles(setMapFiles(false))
		testAppendSegmentMapped(t, false)
	})
}

func testAppendSegmentMapped(t *testing.T, mapped bool) {
	lib := packager.NewLibrary(localStore(mediaRoot(t)), 4)
	defer lib.Close()
	for _, name := range []string{"demo", "hevc", "legacy", "progressive"} {
		a, err := lib.Asset(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range a.Tracks {
			for i := range tr.Fragments {
				for _, out := range []packager.Output{packager.CMAF, packager.Smooth} {
					want, err := tr.AppendSegment(nil, i, out, nil, nil)
					if err != nil {
						t.Fatal(err)
					}
					ms, err := tr.AppendSegmentMapped([]byte("x"), nil, i, out)
					if err != nil {
						t.Fatalf("%s fragment %d: %v", tr.Name, i, err)
					}
					if (len(ms.Payload) > 0) != mapped {
						t.Errorf("%s fragment %d: mapped %v, payload of %d runs", tr.Name, i, mapped, len(ms.Payload))
					}
					got := append(bytes.Clone(ms.Head), bytes.Join(ms.Payload, nil)...)
					ms.Release()
					if string(got[:1]) != "x" || !bytes.Equal(got[1:], want) {
						t.Fatalf("%s fragment %d output %v: mapped segment differs", tr.Name, i, out)
					}
				}
			}
		}
	}
}

// TestMappedPayloadOutlivesEviction: a payload taken before its asset is
// evicted stays readable until Release (the file is unmapped after).
func TestMappedPayloadOutlivesEviction(t *testing.T) {
	lib := packager.NewLibrary(localStore(mediaRoot(t)), 1)
	defer lib.Close()
	a, err := lib.Asset("demo")
	if err != nil {
		t.Fatal(err)
	}
	tr := a.Tracks[0]
	want, err := tr.AppendSegment(nil, 1, packager.CMAF, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := tr.AppendSegmentMapped(nil, nil, 1, packager.CMAF)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Asset("hevc"); err != nil { // evicts demo
		t.Fatal(err)
	}
	got := append(bytes.Clone(ms.Head), bytes.Join(ms.Payload, nil)...)
	ms.Release()
	ms.Release() // a second Release is harmless
	if !bytes.Equal(got, want) {
		t.Fatal("payload changed after eviction")
	}
	// The evicted track reopens its file for the next read.
	if b, err := tr.AppendSegment(nil, 1, packager.CMAF, nil, nil); err != nil || !bytes.Equal(b, want) {
		t.Fatalf("after eviction: %v", err)
	}
}
