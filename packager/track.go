package packager

import (
	"sync"
	"unsafe"
)

// Kind is the media type of a track.
type Kind int

// Track kinds.
const (
	Video Kind = iota
	Audio
)

func (k Kind) String() string {
	switch k {
	case Video:
		return "video"
	case Audio:
		return "audio"
	}
	return "unknown"
}

// Track is one track file of an asset with its fragment index. A Track is
// immutable once its asset is built and safe for concurrent use.
type Track struct {
	Name    string // trackName in the server manifest, else video, audio or audio_{lang}
	Kind    Kind
	TrackID uint32 // track_ID in the track file, carried by every output segment
	// Bitrate is the .ism systemBitrate, else the measured average (mdat
	// bytes*8/duration); it is unique among the asset's tracks of one Name.
	Bitrate int
	// PeakBitrate is the largest size*8/duration over the fragments.
	PeakBitrate int
	// KeyBitrate and KeyPeakBitrate are the same figures over the key
	// samples only (a fragment's first sample and its sync samples), for
	// video: the rates of the I-frame stream and the trick-mode set.
	KeyBitrate, KeyPeakBitrate int
	// KeyCount is the number of key samples.
	KeyCount int
	// Codecs is the RFC 6381 codecs parameter: avc1.PPCCLL, hvc1.x.x.Lxx.xx,
	// mp4a.40.2, ac-3, ec-3.
	Codecs string
	// FourCC is the Smooth Streaming FourCC: H264, AVC1 (avc3), HEVC (hvc1),
	// HEV1 (hev1), AACL, AACH, AC-3, EC-3.
	FourCC string
	// CodecPrivateData is the Smooth Streaming CodecPrivateData in upper-case
	// hex: for video the parameter sets in Annex B form (VPS, SPS, PPS), for
	// AAC the AudioSpecificConfig.
	CodecPrivateData string
	Timescale        uint32
	Width, Height    int
	// FrameRateNum/FrameRateDen is the frame rate, exact, from the sample
	// duration most samples share (25/1, 30000/1001).
	FrameRateNum, FrameRateDen int
	SampleRate, Channels       int
	// Language is ISO 639-2/T: the .ism systemLanguage, else elng, else
	// mdhd; "und" when none.
	Language string
	// Path is where the track file lives, as its store locates it
	// (storage.Store.Locate): the file's OS path in a local store. Errors
	// name it; its base name is the file name in IV derivation.
	Path string
	// Init is the source initialization segment (ftyp+moov) as read.
	Init []byte
	// Fragments is the fragment index, in decode order.
	Fragments []Fragment
	// IndexedFrom says how the index was built: "sidx", "mfra" or "walk",
	// "live" for a live archive.
	IndexedFrom string
	// Sequence is the sequence number of Fragments[0]: the fragments a live
	// track dropped from its window since it began (HLS
	// EXT-X-MEDIA-SEQUENCE); 0 for a file.
	Sequence uint64

	file    *trackFile
	plans   []plan // parallel to Fragments
	def     trackDefaults
	ftypLen int // bytes of Init taken by the source ftyp (0 when none)
	// leastCTO is the most negative composition offset of any sample (0
	// when none is negative): MPEG-2 TS shifts decode times by it.
	leastCTO int32
	// prog is the sample index of a progressive track (nil for a
	// fragmented one, whose plans locate its moofs).
	prog *progIndex
	// siblings is set when the track's file holds other tracks too.
	siblings bool
	// shift is subtracted from decode time plus composition offset to give
	// presentation time: the edit list's media time less its empty edits.
	shift int64
	// lookAhead is set on a live archive's tracks: their Smooth fragments
	// carry tfrf (tfrf.go).
	lookAhead bool

	// lazy is what is built on first use and then only read: protected
	// init segments, encryption and TS state. It is a pointer so that the
	// snapshots of a growing live track (live.go) share it.
	lazy *trackLazy
}

// trackLazy is a track's state built on first use.
type trackLazy struct {
	// Protected init segments, built once (AppendInit).
	inits initCache

	// Encryption state, built on the first encrypted request (crypto()).
	encOnce sync.Once
	enc     *trackCrypto
	encErr  error

	// TS state, built on the first TS request (tsState()).
	tsOnce sync.Once
	tsSt   *tsTrack
	tsErr  error
}

// Fragment is one moof+mdat pair of a track file.
type Fragment struct {
	// Time is the decode time (tfdt, or accumulated when the file has
	// none) and Duration the sum of the sample durations, in the track's
	// Timescale.
	Time, Duration uint64
	// Offset and Size are the byte range of moof through the end of mdat.
	Offset, Size int64
	Samples      int
}

// plan is what a segment request needs to know about a fragment before
// reading it: where its mdat's payload starts.
type plan struct {
	moofSize int32
	mdatHdr  int8 // 8, or 16 for a 64-bit size
}

// FragmentAt returns the index of the fragment whose decode time is exactly
// time.
func (t *Track) FragmentAt(time uint64) (int, bool) {
	f := t.Fragments
	lo, hi := 0, len(f)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if f[m].Time < time {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(f) && f[lo].Time == time {
		return lo, true
	}
	return 0, false
}

// SampleCount is the number of samples of the track.
func (t *Track) SampleCount() int {
	n := 0
	for i := range t.Fragments {
		n += t.Fragments[i].Samples
	}
	return n
}

// IndexBytes is the memory the track's index holds: the fragment index,
// and for a progressive track its sample index (progIndex.bytes). The init
// segment and the protected ones cached are left out.
func (t *Track) IndexBytes() int {
	n := len(t.Fragments)*int(unsafe.Sizeof(Fragment{})) + len(t.plans)*int(unsafe.Sizeof(plan{}))
	if t.prog != nil {
		n += t.prog.bytes()
	}
	return n
}
