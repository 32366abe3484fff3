package packager

// Output is the form of the segments that AppendInit and AppendSegment
// write: CMAF, Smooth or TS, and for TS the audio muxed into video
// segments.
type Output struct {
	form  outputForm
	audio *Track
	// keysOnly: the segments hold the fragments' key samples only (DASH
	// trick mode, CMAFKeyFrames).
	keysOnly bool
}

type outputForm uint8

const (
	formCMAF outputForm = iota
	formSmooth
	formTS
)

// Outputs.
var (
	// CMAF is a CMAF segment (ISO/IEC 23000-19): styp, then moof with
	// default-base-is-moof, tfdt and moof-relative data offsets, then mdat.
	// It serves DASH and HLS fMP4.
	CMAF = Output{form: formCMAF}
	// Smooth is a Smooth Streaming fragment (MS-SSTR): moof with a tfxd box
	// in traf, then mdat; times in the track's own timescale.
	Smooth = Output{form: formSmooth}
	// TS is an MPEG-2 TS segment (HLS m3u8-aapl) holding one track; see
	// package ts for its layout. TSWithAudio muxes audio in.
	TS = Output{form: formTS}
	// CMAFKeyFrames is CMAF whose segments hold only the key samples of
	// their fragments (the first sample and every sync sample), each
	// lasting until the next: the segments of a DASH trick-mode
	// AdaptationSet. Its initialization segment is CMAF's.
	CMAFKeyFrames = Output{form: formCMAF, keysOnly: true}
)

// TSWithAudio is TS output whose video segments also carry audio's frames
// that fall in them (m3u8-aapl-v3): see AppendSegment.
func TSWithAudio(audio *Track) Output { return Output{form: formTS, audio: audio} }

// IsTS reports whether the output is MPEG-2 TS.
func (o Output) IsTS() bool { return o.form == formTS }

func (o Output) String() string {
	switch o.form {
	case formCMAF:
		if o.keysOnly {
			return "cmaf-keyframes"
		}
		return "cmaf"
	case formSmooth:
		return "smooth"
	}
	if o.audio != nil {
		return "ts+audio"
	}
	return "ts"
}
