package origin

// Live Smooth's look-ahead (spec/live.md, "Smooth"; MS-SSTR 2.2.4.5): a live
// Smooth fragment carries tfrf, the times of the next
// packager.LookAheadCount fragments of its track, and a segment never
// changes once served. So while the asset is live, fragment i is listed in
// the Smooth manifest and served as Smooth only once the fragments after it
// are archived (packager.Track.LookAheadKnown); DASH and HLS list and serve
// every fragment at once. After the live output ends, every fragment is
// served, with the bytes it had live.

// smoothLive reports whether a request for format f of asset st.asset is
// held to the look-ahead.
func (st *streamState) smoothLive() bool {
	return st.format == FormatSmooth && st.asset.Live != nil
}

// lookAheadView is v with each track's kept fragments cut to those whose
// look-ahead is known, and tracks left with none dropped: what a live
// Smooth manifest lists. Nil when no track has such a fragment yet.
func lookAheadView(v *assetView) *assetView {
	out := &assetView{tracks: make([]viewTrack, 0, len(v.tracks)), first: -1}
	for i, vt := range v.tracks {
		for vt.to > vt.from && !vt.t.LookAheadKnown(vt.to-1) {
			vt.to--
		}
		if vt.to == vt.from {
			continue
		}
		if i == v.first {
			out.first = len(out.tracks)
		}
		out.tracks = append(out.tracks, vt)
	}
	if len(out.tracks) == 0 {
		return nil
	}
	return out
}
