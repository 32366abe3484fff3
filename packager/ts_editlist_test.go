package packager

import (
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"
)

// TestTSEditOffset: TimeOffset from the edit list is minus the first
// media_time, plus the empty edits (movie timescale) before it.
func TestTSEditOffset(t *testing.T) {
	moov := func(entries ...mp4.ElstEntry) *mp4.MoovBox {
		m := &mp4.MoovBox{Mvhd: &mp4.MvhdBox{Timescale: 1000}, Trak: &mp4.TrakBox{}}
		if entries != nil {
			m.Trak.Edts = &mp4.EdtsBox{Elst: []*mp4.ElstBox{{Entries: entries}}}
		}
		return m
	}
	for _, c := range []struct {
		name string
		moov *mp4.MoovBox
		want int64
	}{
		{"none", moov(), 0},
		{"media_time", moov(mp4.ElstEntry{SegmentDuration: 8000, MediaTime: 1024, MediaRateInteger: 1}), -1024},
		{"empty edit", moov(mp4.ElstEntry{SegmentDuration: 500, MediaTime: -1}, mp4.ElstEntry{SegmentDuration: 8000, MediaTime: 0, MediaRateInteger: 1}), 6400},
		{"empty and media_time", moov(mp4.ElstEntry{SegmentDuration: 100, MediaTime: -1}, mp4.ElstEntry{SegmentDuration: 8000, MediaTime: 2048, MediaRateInteger: 1}), 1280 - 2048},
		{"only empty", moov(mp4.ElstEntry{SegmentDuration: 100, MediaTime: -1}), 0},
	} {
		if got := editOffset(c.moov, 12800); got != c.want {
			t.Errorf("%s: TimeOffset %d, want %d", c.name, got, c.want)
		}
	}
}
