package packager

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/drmorigin/drmorigin/storage"
)

// TestSampleTableKeepsSourceMoof: for a source already in CMAF form (every
// demo track: tfdt version 1, default-base-is-moof, explicit data_offset),
// the moof written from the sample table is the source moof, byte for byte.
func TestSampleTableKeepsSourceMoof(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	lib := NewLibrary(storage.NewLocal(filepath.Join(filepath.Dir(file), "..", "testdata", "media"), storage.LocalOptions{}), 4)
	defer lib.Close()
	for _, name := range []string{"demo", "hevc"} {
		a, err := lib.Asset(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range a.Tracks {
			for i, fr := range tr.Fragments {
				src := make([]byte, tr.plans[i].moofSize)
				if err := tr.read(src, fr.Offset); err != nil {
					t.Fatal(err)
				}
				var st SampleTable
				if r, _ := st.readMoof(src, fr.Offset, tr.TrackID, tr.def); r != "" {
					t.Fatalf("%s fragment %d: %s", tr.Path, i, r)
				}
				h := st.layout(tr.def, CMAF, 0)
				out := make([]byte, h.Len())
				st.putHead(out, &h, st.DataSize())
				got := out[len(stypCMAF) : len(stypCMAF)+h.moofLen]
				if !bytes.Equal(got, src) {
					t.Fatalf("%s fragment %d: moof written from the table differs from the source's", tr.Path, i)
				}
			}
		}
	}
}

// TestSampleTableAddsFields: a sample that differs from what the form
// implies gets the trun field it needs, and a negative composition offset
// makes the trun version 1.
func TestSampleTableAddsFields(t *testing.T) {
	def := trackDefaults{duration: 1024, size: 0, flags: 0}
	st := SampleTable{Time: 9, Samples: []Sample{
		{Offset: 100, Size: 10, Duration: 1024},
		{Offset: 110, Size: 20, Duration: 1024},
	}}
	st.dataLo, st.dataHi = 100, 130
	h := st.layout(def, CMAF, 0)
	if h.trunFlags != trunDataOffset|trunSampleSize || h.version != 0 {
		t.Fatalf("flags %06x version %d; want size only, version 0", h.trunFlags, h.version)
	}
	st.Samples[1].Duration = 1000
	st.Samples[1].Flags = sampleNonSync
	st.Samples[1].CTO = -5
	h = st.layout(def, Smooth, 0)
	want := uint32(trunDataOffset | trunSampleDuration | trunSampleSize | trunSampleFlags | trunSampleCTO)
	if h.trunFlags != want || h.version != 1 {
		t.Fatalf("flags %06x version %d; want %06x version 1", h.trunFlags, h.version, want)
	}
	out := make([]byte, h.Len())
	if n := st.putHead(out, &h, st.DataSize()); n != len(out) {
		t.Fatalf("putHead wrote %d of %d bytes", n, len(out))
	}
	if binary.BigEndian.Uint32(out) != uint32(h.moofLen) || string(out[4:8]) != "moof" {
		t.Fatal("no moof at the start of a Smooth head")
	}
	var back SampleTable
	if r, _ := back.readMoof(out[:h.moofLen], 0, 0, def); r != "" {
		t.Fatal(r)
	}
	for k := range st.Samples {
		g, w := back.Samples[k], st.Samples[k]
		g.Offset, w.Offset = 0, 0
		if g != w {
			t.Fatalf("sample %d read back as %+v; wrote %+v", k, g, w)
		}
	}
	if back.Time != 9 || back.form.trackID != 0 {
		t.Fatalf("time %d read back", back.Time)
	}
}
