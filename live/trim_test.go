package live

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// synthFragment is a moof+mdat of one traf as ffmpeg's ismv muxer writes
// audio: tfhd with default sample flags, a trun with data offset and
// per-sample durations and sizes, a tfxd v1 at start, then extra (a box
// inside the traf); sample i's bytes are all byte(i+1).
func synthFragment(start int64, durs, sizes []uint32, extra []byte) []byte {
	box := func(typ string, parts ...[]byte) []byte {
		b := append(make([]byte, 4), typ...)
		for _, p := range parts {
			b = append(b, p...)
		}
		binary.BigEndian.PutUint32(b, uint32(len(b)))
		return b
	}
	u32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	tfhd := box("tfhd", u32(0x20), u32(1), u32(0x02000000))
	var entries, data []byte
	var total uint64
	for i := range durs {
		entries = append(append(entries, u32(durs[i])...), u32(sizes[i])...)
		data = append(data, bytes.Repeat([]byte{byte(i + 1)}, int(sizes[i]))...)
		total += uint64(durs[i])
	}
	trun := box("trun", u32(0x301), u32(uint32(len(durs))), u32(0), entries)
	tfxd := box("uuid", uuidTfxd[:], u32(1<<24), binary.BigEndian.AppendUint64(nil, uint64(start)), binary.BigEndian.AppendUint64(nil, total))
	moof := box("moof", box("mfhd", u32(0), u32(1)), box("traf", tfhd, trun, tfxd, extra))
	trunAt := bytes.Index(moof, []byte("trun")) - 4
	binary.BigEndian.PutUint32(moof[trunAt+16:], uint32(len(moof)+8))
	return append(moof, box("mdat", data)...)
}

// TestTrimBeforeZero: the samples that start before 0 leave the trun and
// the mdat, the kept ones keep their times (the tfxd says the first kept
// sample's) and bytes, and the data offset follows the shorter moof.
func TestTrimBeforeZero(t *testing.T) {
	durs, sizes := []uint32{10, 10, 10}, []uint32{3, 4, 5}
	for _, c := range []struct {
		start    int64
		cut      int
		time     uint64
		keptData []byte
	}{
		{-10, 1, 0, []byte{2, 2, 2, 2, 3, 3, 3, 3, 3}},
		{-15, 2, 5, []byte{3, 3, 3, 3, 3}},
		{-1, 1, 9, []byte{2, 2, 2, 2, 3, 3, 3, 3, 3}},
	} {
		b := synthFragment(c.start, durs, sizes, nil)
		moofLen := int(binary.BigEndian.Uint32(b))
		out, tm, cut, err := trimBeforeZero(b, moofLen, c.start)
		if err != nil || tm != c.time || cut != c.cut {
			t.Fatalf("start %d: time %d, %d cut, %v; want time %d, %d cut", c.start, tm, cut, err, c.time, c.cut)
		}
		// What ingest reads of it: one traf at the new time.
		nm := int(binary.BigEndian.Uint32(out))
		trafs, err := readTrafs(out[:nm])
		if err != nil || len(trafs) != 1 || trafs[0].time != int64(c.time) {
			t.Fatalf("start %d: trimmed moof reads as %+v, %v", c.start, trafs, err)
		}
		want := synthFragment(int64(c.time), durs[c.cut:], sizes[c.cut:], nil)
		// synthFragment numbers sample bytes from 1: compare the layout,
		// then the data, which must be the kept samples' own bytes.
		if len(out) != len(want) || !bytes.Equal(out[:nm], want[:nm]) {
			t.Errorf("start %d: trimmed moof\n%x\nwant\n%x", c.start, out[:nm], want[:nm])
		}
		if got := out[nm+8:]; !bytes.Equal(got, c.keptData) || int(binary.BigEndian.Uint32(out[nm:])) != 8+len(c.keptData) {
			t.Errorf("start %d: mdat %x, want the kept samples %x", c.start, out[nm:], c.keptData)
		}
		if d := fragmentDuration(out, 1); d != float64(sum(durs[c.cut:])) {
			t.Errorf("start %d: kept duration %v, want %d", c.start, d, sum(durs[c.cut:]))
		}
	}
}

func sum(v []uint32) (s uint32) {
	for _, x := range v {
		s += x
	}
	return s
}

// TestTrimBeforeZeroRefuses: what cannot be cut is left alone (the
// caller drops the fragment, as before).
func TestTrimBeforeZeroRefuses(t *testing.T) {
	durs, sizes := []uint32{10, 10}, []uint32{3, 4}
	sdtp := []byte{0, 0, 0, 14, 's', 'd', 't', 'p', 0, 0, 0, 0, 0x20, 0x10}
	for name, c := range map[string]struct {
		b     []byte
		start int64
	}{
		"every sample before 0": {synthFragment(-20, durs, sizes, nil), -20},
		"not before 0":          {synthFragment(0, durs, sizes, nil), 0},
		"a sample-indexed box":  {synthFragment(-10, durs, sizes, sdtp), -10},
		"cut short":             {synthFragment(-10, durs, sizes, nil)[:60], -10},
	} {
		moofLen := int(binary.BigEndian.Uint32(c.b))
		if _, _, _, err := trimBeforeZero(c.b, moofLen, c.start); !errors.Is(err, errNoTrim) {
			t.Errorf("%s: %v, want errNoTrim", name, err)
		}
	}
}

// FuzzTrimBeforeZero: any bytes, any negative start: no panic, and a
// trimmed fragment is a moof (one traf at a time from 0 on) and an mdat
// that fill it exactly, never longer than the input.
func FuzzTrimBeforeZero(f *testing.F) {
	f.Add(synthFragment(-10, []uint32{10, 10, 10}, []uint32{3, 4, 5}, nil), int64(-10))
	f.Add(synthFragment(-15, []uint32{10, 10}, []uint32{0, 1}, nil), int64(-15))
	f.Add([]byte("moof"), int64(-1))
	f.Fuzz(func(t *testing.T, b []byte, start int64) {
		if len(b) < 8 || start >= 0 {
			return
		}
		moofLen := int(binary.BigEndian.Uint32(b))
		out, tm, cut, err := trimBeforeZero(b, moofLen, start)
		if err != nil {
			if !errors.Is(err, errNoTrim) {
				t.Fatalf("error %v is not errNoTrim", err)
			}
			return
		}
		if len(out) > len(b) || cut < 1 || tm > 1<<62 {
			t.Fatalf("%d bytes from %d, %d cut, time %d", len(out), len(b), cut, tm)
		}
		nm := int(binary.BigEndian.Uint32(out))
		if nm+8 > len(out) || string(out[nm+4:nm+8]) != "mdat" {
			t.Fatalf("no mdat after the trimmed moof")
		}
		if _, err := readTrafs(out[:nm]); err != nil {
			t.Fatalf("trimmed moof does not read: %v", err)
		}
	})
}
