package origin

import (
	"strings"

	"github.com/drmorigin/drmorigin/manifest"
	"github.com/drmorigin/drmorigin/packager"
)

// buildIFrames builds the HLS I-frame playlist of the video track r names
// (players.md "Trick play"): the entries are the byte ranges that
// packager.AppendKeyFrames takes from the segment writer itself, segment
// by segment, with the variant's output and protection, so they are exact
// for the bytes serveSegment sends. Writing every segment once costs what
// serving them costs; the playlist is then cached like every manifest.
func (s *Server) buildIFrames(r *StreamRequest, st streamState, p *manifest.Presentation, o manifest.Options) ([]byte, error) {
	t := st.asset.Track(r.Track, r.Bitrate)
	if t == nil || t.Kind != packager.Video {
		return nil, errNotFound
	}
	var mt *manifest.Track
	for i := range p.Tracks {
		if c := &p.Tracks[i]; strings.EqualFold(c.Name, r.Track) && c.Bitrate == r.Bitrate {
			mt = c
		}
	}
	if mt == nil {
		return nil, errNotFound
	}
	var pp *packager.Protection
	if st.scheme != packager.SchemeNone {
		pp = new(packager.Protection)
		if ok, err := s.fillProtection(pp, nil, st, t, false); err != nil {
			return nil, err
		} else if !ok {
			pp = nil
		}
	}
	out := outputOf(r.Format, &st, t)
	// The filters' time range (filter.go): entries of the kept fragments
	// only, numbered as the presentation's segments.
	from, to := 0, len(t.Fragments)
	if st.view != nil {
		vt := st.view.find(t)
		if vt == nil {
			return nil, errNotFound
		}
		from, to = vt.from, vt.to
	}
	sc := packager.AcquireScratch()
	defer packager.ReleaseScratch(sc)
	var kfs []packager.KeyFrame
	var buf []byte
	frames := make([]manifest.IFrame, 0, to-from)
	for i := from; i < to; i++ {
		var err error
		kfs, buf, err = t.AppendKeyFrames(kfs[:0], buf, i, out, pp, sc)
		if err != nil {
			return nil, err
		}
		for _, k := range kfs {
			frames = append(frames, manifest.IFrame{
				Segment: i - from, Duration: k.Duration, Offset: k.Offset, Length: k.Length, IV: k.IV,
			})
		}
	}
	clear(buf) // clear media of an encrypted variant stays nowhere
	return manifest.HLSIFrames(p, mt, o, frames)
}
