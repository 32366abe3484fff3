package ts

// Codec names the coding of an elementary stream.
type Codec int

// The codecs the muxer carries.
const (
	// H264 is AVC video (ISO/IEC 14496-10), stream type 0x1B (0xDB with SAMPLE-AES).
	H264 Codec = iota + 1
	// HEVC is H.265 video, stream type 0x24.
	HEVC
	// AAC is MPEG-4 AAC audio carried in ADTS, stream type 0x0F (0xCF with SAMPLE-AES).
	AAC
)

// String returns the codec's usual name.
func (c Codec) String() string {
	switch c {
	case H264:
		return "H.264"
	case HEVC:
		return "HEVC"
	case AAC:
		return "AAC"
	}
	return "unknown codec"
}

func (c Codec) isVideo() bool { return c == H264 || c == HEVC }

// StreamConfig describes one elementary stream of a segment. The muxer keeps
// a pointer to it between Reset and the last AppendSegment: do not change it
// in between.
type StreamConfig struct {
	// Codec is H264 or HEVC for the video stream, AAC for the audio stream.
	Codec Codec
	// ParameterSets are the video parameter set NAL units of the sample
	// entry (avcC: SPS, PPS; hvcC: VPS, SPS, PPS), raw, without start codes
	// or length prefixes, in any order. They are written (VPS, SPS, PPS)
	// before every IDR/IRAP access unit that does not carry its own. With
	// none (avc3/hev1 sample entries), the samples must carry them.
	ParameterSets [][]byte
	// NALULengthSize is the size of the NAL unit length prefixes of video
	// samples (avcC/hvcC lengthSizeMinusOne+1): 1, 2 or 4.
	NALULengthSize int
	// AudioSpecificConfig is the AAC decoder configuration (esds
	// DecoderSpecificInfo) from which every frame's ADTS header is built.
	AudioSpecificConfig []byte
	// Timescale is the number of sample time units per second (mdhd).
	Timescale uint32
	// TimeOffset is added to every decode and presentation time, in
	// Timescale units, before the rescale to 90 kHz: for example minus the
	// edit list's media_time, so that the tracks of a muxed segment line up.
	// It must be the same for every segment of a track.
	TimeOffset int64
	// DecodeShift moves every DTS this many Timescale units earlier (PTS
	// stay put), so that PTS >= DTS also for negative composition offsets
	// (ctts version 1): at least minus the most negative offset of the
	// track (cslg leastDecodeToDisplayDelta). It must be the same for every
	// segment of a track.
	DecodeShift uint32
}

// Sample is one access unit (video) or one raw AAC frame (audio) with its
// timing, as read from a fragment's trun.
type Sample struct {
	// Data is the sample: NAL units each preceded by a NALULengthSize-byte
	// big-endian length (video), or one raw AAC frame without ADTS header.
	Data []byte
	// DTS is the decode time in the stream's Timescale.
	DTS uint64
	// PTSOffset is the composition time offset (ctts/trun), PTS = DTS + PTSOffset.
	PTSOffset int32
	// Keyframe marks a sync sample (IDR/IRAP): the access unit gets the
	// random_access_indicator, a PCR and, unless it carries its own, the
	// parameter sets.
	Keyframe bool
}
