package packager

import "fmt"

// LiveInit is one track of an encoder's init segment, as its own
// single-track init segment (ftyp and the moov cut down to the track).
type LiveInit struct {
	TrackID uint32
	Kind    Kind
	Init    []byte
	// Codecs and Timescale identify the track's media: a reconnection
	// whose init differs is a codec change.
	Codecs, CodecPrivateData string
	Timescale                uint32
}

// SplitInit cuts an encoder's init (ftyp, may be nil, and moov of one or
// more tracks, as ffmpeg's ismv muxer sends it) into one init segment per
// video and audio track. Errors wrap ErrCorrupt or ErrUnsupported.
func SplitInit(ftyp, moov []byte) ([]LiveInit, error) {
	if len(ftyp)+len(moov) > MaxInitSize {
		return nil, corruptf("init", 0, "ftyp+moov of %d bytes over MaxInitSize", len(ftyp)+len(moov))
	}
	m, reason := walkMoov(moov)
	if reason != "" {
		return nil, corruptf("init", 0, "%s", reason)
	}
	if m.mvex.end == 0 {
		return nil, unsupportedf("init", "moov without mvex: not fragmented MP4")
	}
	var out []LiveInit
	for i := range m.traks {
		rt := &m.traks[i]
		if rt.handler != "vide" && rt.handler != "soun" {
			continue
		}
		t := &Track{Path: fmt.Sprintf("init track %d", rt.trackID), lazy: new(trackLazy)}
		t.Init = m.trackMoov(append([]byte(nil), ftyp...), rt)
		t.ftypLen = len(ftyp)
		if err := t.describeInit(0); err != nil {
			return nil, err
		}
		out = append(out, LiveInit{TrackID: t.TrackID, Kind: t.Kind, Init: t.Init,
			Codecs: t.Codecs, CodecPrivateData: t.CodecPrivateData, Timescale: t.Timescale})
	}
	if len(out) == 0 {
		return nil, unsupportedf("init", "no video or audio track among %d", len(m.traks))
	}
	return out, nil
}
