package manifest

// The relative URLs the builders write. Manifests are served at
// /{locator}/{name}.ism/manifest(...), media playlists at
// /{locator}/{name}.ism/QualityLevels({bitrate})/Manifest(...): see
// docs/spec/urls.md for the grammar the origin parses them with.

// opts returns "," + o.URLOptions, or "" when there are none.
func (o Options) opts() string {
	if o.URLOptions == "" {
		return ""
	}
	return "," + o.URLOptions
}

// qualityLevels returns "QualityLevels({bitrate})/".
func qualityLevels(t *Track) string {
	return "QualityLevels(" + itoa(int64(t.Bitrate)) + ")/"
}

// mediaPlaylistURL is the multivariant playlist's reference to t's media
// playlist: QualityLevels({bitrate})/Manifest({track}{opts}).
func mediaPlaylistURL(t *Track, o Options) string {
	return qualityLevels(t) + "Manifest(" + t.Name + o.opts() + ")"
}

// initURL is t's initialization segment relative to its media playlist:
// Fragments({track}=i{opts}){ext}.
func initURL(t *Track, o Options, ext string) string {
	return "Fragments(" + t.Name + "=i" + o.opts() + ")" + ext
}

// segmentURL is one media segment relative to its media playlist:
// Fragments({track}={time}{opts}){ext}.
func segmentURL(t *Track, time uint64, o Options, ext string) string {
	return "Fragments(" + t.Name + "=" + utoa(time) + o.opts() + ")" + ext
}

// iFramePlaylistURL is the multivariant playlist's reference to t's
// I-frame playlist: QualityLevels({bitrate})/IFrames({track}{opts}).
func iFramePlaylistURL(t *Track, o Options) string {
	return qualityLevels(t) + "IFrames(" + t.Name + o.opts() + ")"
}

// keyFramesURL is a DASH trick-mode segment of t, relative to the MPD:
// QualityLevels({bitrate})/KeyFrames({track}={time}{opts}), time being a
// template variable or a number.
func keyFramesURL(t *Track, time string, o Options) string {
	return qualityLevels(t) + "KeyFrames(" + t.Name + "=" + time + o.opts() + ")"
}
