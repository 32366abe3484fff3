package manifest

import "strings"

// hlsSubtitlesGroup is the GROUP-ID of the subtitle renditions.
const hlsSubtitlesGroup = "subs"

// writeSubtitleMedia writes one EXT-X-MEDIA:TYPE=SUBTITLES rendition per
// text track of p, in every HLS format: LANGUAGE in its shortest BCP 47
// form (sv, not swe), NAME the language (or the track name where two
// tracks share it), DEFAULT=NO (subtitles stay off until the viewer or
// the player's language settings choose them), AUTOSELECT=YES. It returns
// the GROUP-ID the variants name in SUBTITLES="…", "" when p has none.
func writeSubtitleMedia(b *strings.Builder, p *Presentation, o Options) string {
	if len(p.Texts) == 0 {
		return ""
	}
	langs := make(map[string]int, len(p.Texts))
	for i := range p.Texts {
		langs[p.Texts[i].Language]++
	}
	b.WriteString("\n")
	for i := range p.Texts {
		t := &p.Texts[i]
		name := bcp47(t.Language)
		if langs[t.Language] > 1 || t.Language == "und" {
			name = t.Name + "_" + itoa(int64(t.Bitrate))
		}
		b.WriteString(`#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="` + hlsSubtitlesGroup + `",NAME="` + name + `"`)
		if t.Language != "und" {
			b.WriteString(`,LANGUAGE="` + bcp47(t.Language) + `"`)
		}
		b.WriteString(`,DEFAULT=NO,AUTOSELECT=YES,URI="` + mediaPlaylistURL(t.asTrack(), o) + "\"\n")
	}
	return hlsSubtitlesGroup
}

// HLSTextMedia returns the media playlist of text track t of p: one
// WebVTT segment, Fragments({track}={time}{opts}).vtt, per video segment
// and with its duration, in the format o.HLSFormat states (the segments
// carry an X-TIMESTAMP-MAP onto that format's timeline). No key tags: text
// is never encrypted.
func HLSTextMedia(p *Presentation, t *TextTrack, o Options) ([]byte, error) {
	if err := validateHLS(p, o); err != nil {
		return nil, err
	}
	if t == nil {
		return nil, invalid("presentation %q: media playlist of a nil text track", p.Name)
	}
	var target uint64 = 1
	for _, s := range t.Segments {
		target = max(target, ceilSeconds(s.Duration, t.Timescale))
	}
	tr := t.asTrack()
	var b strings.Builder
	b.Grow(64 * (len(t.Segments) + 8))
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:" + itoa(int64(hlsVersion(o.HLSFormat, false))) + "\n")
	b.WriteString("#EXT-X-TARGETDURATION:" + utoa(target) + "\n")
	b.WriteString("#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	for _, s := range t.Segments {
		b.WriteString("#EXTINF:" + seconds(s.Duration, t.Timescale, 3, 6) + ",\n")
		b.WriteString(segmentURL(tr, s.Time, o, ".vtt") + "\n")
	}
	b.WriteString("#EXT-X-ENDLIST\n")
	return []byte(b.String()), nil
}
