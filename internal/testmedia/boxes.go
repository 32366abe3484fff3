package testmedia

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// Box is an ISO BMFF box in a byte slice: its type, where it starts, its
// whole size and the length of its header (8, or 16 with a 64-bit size).
type Box struct {
	Type      string
	Off, Size int
	Hdr       int
}

// Body is the offset of the box's payload (after the header).
func (x Box) Body() int { return x.Off + x.Hdr }

// End is the offset just past the box.
func (x Box) End() int { return x.Off + x.Size }

// Children lists the boxes that tile b[from:to], stopping at the first
// header that does not fit (a truncated file ends the list).
func Children(b []byte, from, to int) []Box {
	var out []Box
	for off := from; off+8 <= to; {
		size, hdr := int(binary.BigEndian.Uint32(b[off:])), 8
		switch size {
		case 0:
			size = to - off
		case 1:
			if off+16 > to {
				return out
			}
			size, hdr = int(binary.BigEndian.Uint64(b[off+8:])), 16
		}
		if size < hdr || size > to-off {
			// A box running past the end: report it, cut, and stop.
			out = append(out, Box{Type: string(b[off+4 : off+8]), Off: off, Size: size, Hdr: hdr})
			return out
		}
		out = append(out, Box{Type: string(b[off+4 : off+8]), Off: off, Size: size, Hdr: hdr})
		off += size
	}
	return out
}

// Find follows a path of box types from the top level of b: "trak" is the
// first trak among its siblings, "trak[1]" the second. Containers are
// entered at their payload (full boxes such as meta are not containers
// here).
func Find(b []byte, path ...string) (Box, bool) {
	from, to := 0, len(b)
	var cur Box
	for _, p := range path {
		typ, n := p, 0
		if i := strings.IndexByte(p, '['); i >= 0 && strings.HasSuffix(p, "]") {
			typ = p[:i]
			v, err := strconv.Atoi(p[i+1 : len(p)-1])
			if err != nil {
				return Box{}, false
			}
			n = v
		}
		found := false
		for _, c := range Children(b, from, to) {
			if c.Type != typ {
				continue
			}
			if n > 0 {
				n--
				continue
			}
			if c.End() > len(b) {
				return Box{}, false
			}
			cur, found = c, true
			break
		}
		if !found {
			return Box{}, false
		}
		from, to = cur.Body(), cur.End()
	}
	return cur, true
}

// Edit is one edit list entry, in the movie timescale (duration) and the
// media timescale (MediaTime; -1 for an empty edit).
type Edit struct {
	Duration  uint64
	MediaTime int64
}

// TrackInfo is what Describe reads of one trak of a progressive file.
type TrackInfo struct {
	ID           uint32
	Handler      string // vide, soun
	Timescale    uint32 // mdhd
	Language     string // mdhd, ISO 639-2/T
	SampleEntry  string // avc1, hvc1, mp4a
	Samples      int    // stsz/stz2 count
	SyncSamples  int    // stss entries; -1 when there is no stss (all sync)
	HasCTTS      bool
	Edits        []Edit
	ChunkOffsets string // stco or co64
}

// FileInfo is the layout of an MP4 file: its top-level box types in order,
// the movie timescale and its tracks. Fragmented is set when moov holds an
// mvex.
type FileInfo struct {
	TopLevel       []string
	MovieTimescale uint32
	Tracks         []TrackInfo
	Fragmented     bool
}

// MoovFirst reports whether moov comes before the first mdat.
func (fi FileInfo) MoovFirst() bool {
	for _, t := range fi.TopLevel {
		switch t {
		case "moov":
			return true
		case "mdat":
			return false
		}
	}
	return false
}

func (fi FileInfo) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "boxes %s, movie timescale %d", strings.Join(fi.TopLevel, " "), fi.MovieTimescale)
	if fi.Fragmented {
		sb.WriteString(", fragmented")
	}
	for _, t := range fi.Tracks {
		sync := "all sync"
		if t.SyncSamples >= 0 {
			sync = fmt.Sprintf("%d sync", t.SyncSamples)
		}
		fmt.Fprintf(&sb, "\n  track %d %s %s %s timescale %d: %d samples, %s, ctts %v, %s, edits %v",
			t.ID, t.Handler, t.SampleEntry, t.Language, t.Timescale, t.Samples, sync, t.HasCTTS, t.ChunkOffsets, t.Edits)
	}
	return sb.String()
}

// Describe reads the layout of an MP4 file held in b.
func Describe(b []byte) (FileInfo, error) {
	var fi FileInfo
	for _, x := range Children(b, 0, len(b)) {
		fi.TopLevel = append(fi.TopLevel, x.Type)
	}
	moov, ok := Find(b, "moov")
	if !ok {
		return fi, fmt.Errorf("no moov")
	}
	if mvhd, ok := Find(b, "moov", "mvhd"); ok {
		fi.MovieTimescale = binary.BigEndian.Uint32(b[mvhd.Body()+12+4*int(b[mvhd.Body()]):])
	}
	for _, c := range Children(b, moov.Body(), moov.End()) {
		if c.Type == "mvex" {
			fi.Fragmented = true
		}
	}
	for i := 0; ; i++ {
		trak := fmt.Sprintf("trak[%d]", i)
		if _, ok := Find(b, "moov", trak); !ok {
			break
		}
		var t TrackInfo
		if x, ok := Find(b, "moov", trak, "tkhd"); ok {
			v1 := b[x.Body()] == 1
			t.ID = binary.BigEndian.Uint32(b[x.Body()+4+map[bool]int{false: 8, true: 16}[v1]:])
		}
		if x, ok := Find(b, "moov", trak, "mdia", "hdlr"); ok {
			t.Handler = string(b[x.Body()+8 : x.Body()+12])
		}
		if x, ok := Find(b, "moov", trak, "mdia", "mdhd"); ok {
			p := x.Body() + 4 + map[bool]int{false: 8, true: 16}[b[x.Body()] == 1]
			t.Timescale = binary.BigEndian.Uint32(b[p:])
			durLen := map[bool]int{false: 4, true: 8}[b[x.Body()] == 1]
			l := binary.BigEndian.Uint16(b[p+4+durLen:])
			t.Language = string([]byte{byte(l>>10&31) + 0x60, byte(l>>5&31) + 0x60, byte(l&31) + 0x60})
		}
		stbl := []string{"moov", trak, "mdia", "minf", "stbl"}
		if x, ok := Find(b, append(stbl, "stsd")...); ok && x.Size >= 24 {
			t.SampleEntry = string(b[x.Body()+12 : x.Body()+16])
		}
		if x, ok := Find(b, append(stbl, "stsz")...); ok {
			t.Samples = int(binary.BigEndian.Uint32(b[x.Body()+8:]))
		} else if x, ok := Find(b, append(stbl, "stz2")...); ok {
			t.Samples = int(binary.BigEndian.Uint32(b[x.Body()+8:]))
		}
		t.SyncSamples = -1
		if x, ok := Find(b, append(stbl, "stss")...); ok {
			t.SyncSamples = int(binary.BigEndian.Uint32(b[x.Body()+4:]))
		}
		_, t.HasCTTS = Find(b, append(stbl, "ctts")...)
		if _, ok := Find(b, append(stbl, "co64")...); ok {
			t.ChunkOffsets = "co64"
		} else if _, ok := Find(b, append(stbl, "stco")...); ok {
			t.ChunkOffsets = "stco"
		}
		if x, ok := Find(b, "moov", trak, "edts", "elst"); ok {
			v1 := b[x.Body()] == 1
			n := int(binary.BigEndian.Uint32(b[x.Body()+4:]))
			p := x.Body() + 8
			for range n {
				var e Edit
				if v1 {
					e.Duration = binary.BigEndian.Uint64(b[p:])
					e.MediaTime = int64(binary.BigEndian.Uint64(b[p+8:]))
					p += 20
				} else {
					e.Duration = uint64(binary.BigEndian.Uint32(b[p:]))
					e.MediaTime = int64(int32(binary.BigEndian.Uint32(b[p+4:])))
					p += 12
				}
				t.Edits = append(t.Edits, e)
			}
		}
		fi.Tracks = append(fi.Tracks, t)
	}
	return fi, nil
}

// Sample is one sample of a progressive track as its sample tables state
// it: decode time, duration and composition offset in the media
// timescale, where its bytes are, and whether it is a sync sample.
type Sample struct {
	DTS      uint64
	Duration uint32
	CTO      int32
	Offset   int64
	Size     uint32
	Sync     bool
}

// Samples reads the sample tables (stts, ctts, stss, stsz, stsc,
// stco/co64) of the track with that track_ID: an independent reading of
// the source, to check the packager's index against.
func Samples(b []byte, trackID uint32) ([]Sample, error) {
	fi, err := Describe(b)
	if err != nil {
		return nil, err
	}
	ti := -1
	for i, t := range fi.Tracks {
		if t.ID == trackID {
			ti = i
		}
	}
	if ti < 0 {
		return nil, fmt.Errorf("no track %d", trackID)
	}
	stbl := []string{"moov", fmt.Sprintf("trak[%d]", ti), "mdia", "minf", "stbl"}
	box := func(typ string) (Box, bool) { return Find(b, append(stbl, typ)...) }
	u32 := func(p int) uint32 { return binary.BigEndian.Uint32(b[p:]) }

	stsz, ok := box("stsz")
	if !ok {
		return nil, fmt.Errorf("track %d: no stsz", trackID)
	}
	n := int(u32(stsz.Body() + 8))
	s := make([]Sample, n)
	fixed := u32(stsz.Body() + 4)
	for i := range s {
		s[i].Size = fixed
		if fixed == 0 {
			s[i].Size = u32(stsz.Body() + 12 + 4*i)
		}
	}
	stts, ok := box("stts")
	if !ok {
		return nil, fmt.Errorf("track %d: no stts", trackID)
	}
	var t uint64
	k := 0
	for e := range int(u32(stts.Body() + 4)) {
		cnt, d := int(u32(stts.Body()+8+8*e)), u32(stts.Body()+12+8*e)
		for range cnt {
			if k >= n {
				return nil, fmt.Errorf("track %d: stts has more samples than stsz (%d)", trackID, n)
			}
			s[k].DTS, s[k].Duration = t, d
			t += uint64(d)
			k++
		}
	}
	if k != n {
		return nil, fmt.Errorf("track %d: stts has %d samples, stsz %d", trackID, k, n)
	}
	if ctts, ok := box("ctts"); ok {
		k = 0
		for e := range int(u32(ctts.Body() + 4)) {
			cnt, off := int(u32(ctts.Body()+8+8*e)), int32(u32(ctts.Body()+12+8*e))
			for ; cnt > 0 && k < n; cnt-- {
				s[k].CTO = off
				k++
			}
		}
	}
	if stss, ok := box("stss"); ok {
		for e := range int(u32(stss.Body() + 4)) {
			if i := int(u32(stss.Body()+8+4*e)) - 1; i >= 0 && i < n {
				s[i].Sync = true
			}
		}
	} else {
		for i := range s {
			s[i].Sync = true
		}
	}
	var chunks []int64
	if co, ok := box("co64"); ok {
		for e := range int(u32(co.Body() + 4)) {
			chunks = append(chunks, int64(binary.BigEndian.Uint64(b[co.Body()+8+8*e:])))
		}
	} else if co, ok := box("stco"); ok {
		for e := range int(u32(co.Body() + 4)) {
			chunks = append(chunks, int64(u32(co.Body()+8+4*e)))
		}
	}
	stsc, ok := box("stsc")
	if !ok {
		return nil, fmt.Errorf("track %d: no stsc", trackID)
	}
	entries := int(u32(stsc.Body() + 4))
	k = 0
	for e := range entries {
		first := int(u32(stsc.Body()+8+12*e)) - 1
		per := int(u32(stsc.Body() + 12 + 12*e))
		last := len(chunks)
		if e+1 < entries {
			last = int(u32(stsc.Body()+8+12*(e+1))) - 1
		}
		for c := first; c < last && c < len(chunks); c++ {
			off := chunks[c]
			for range per {
				if k >= n {
					return nil, fmt.Errorf("track %d: stsc/stco hold more samples than stsz", trackID)
				}
				s[k].Offset = off
				off += int64(s[k].Size)
				k++
			}
		}
	}
	if k != n {
		return nil, fmt.Errorf("track %d: stsc/stco place %d samples of %d", trackID, k, n)
	}
	return s, nil
}

// PresentationOffset is what the track's edit list adds to a sample's
// composition time (DTS+CTO) to place it on the presentation timeline, in
// the media timescale: the empty edits before the first media edit minus
// its media_time. Only the first media edit counts (ffmpeg writes one).
func (t TrackInfo) PresentationOffset(movieTimescale uint32) int64 {
	var empty uint64
	for _, e := range t.Edits {
		if e.MediaTime == -1 {
			empty += e.Duration
			continue
		}
		return int64(empty*uint64(t.Timescale)/uint64(movieTimescale)) - e.MediaTime
	}
	return int64(empty * uint64(t.Timescale) / uint64(max(movieTimescale, 1)))
}
