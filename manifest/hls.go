package manifest

import (
	"strings"
)

// hlsAudioGroup is the GROUP-ID of the audio renditions.
const hlsAudioGroup = "audio"

// HLSMultivariant returns the m3u8-cmaf multivariant playlist of p (RFC 8216,
// version 7): every audio track as an EXT-X-MEDIA rendition of one group, the
// first one DEFAULT, and every video track as an EXT-X-STREAM-INF variant
// that references that group. BANDWIDTH adds the variant's peak to the
// highest audio peak, AVERAGE-BANDWIDTH its average to the highest audio
// average. A presentation without video gets one variant per audio track
// and no EXT-X-MEDIA. A protected presentation repeats every distinct key
// tag of its media playlists, without IV, as EXT-X-SESSION-KEY right after
// the header (hls_protection.go).
func HLSMultivariant(p *Presentation, o Options) ([]byte, error) {
	if err := validate(p, o); err != nil {
		return nil, err
	}
	var video, audio []*Track
	for i := range p.Tracks {
		if t := &p.Tracks[i]; t.Kind == Video {
			video = append(video, t)
		} else {
			audio = append(audio, t)
		}
	}

	sessionKeys, err := hlsSessionKeys(p, o)
	if err != nil {
		return nil, err
	}

	var b strings.Builder
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	b.WriteString(sessionKeys)

	if len(video) == 0 {
		b.WriteString("\n")
		for _, t := range audio {
			writeStreamInf(&b, t, nil, o)
		}
		return []byte(b.String()), nil
	}

	var audioPeak, audioAvg int
	var audioCodecs []string
	if len(audio) > 0 {
		b.WriteString("\n")
	}
	names := make(map[string]int, len(audio))
	for _, t := range audio {
		names[t.Name]++
	}
	for i, t := range audio {
		audioPeak = max(audioPeak, peak(t))
		audioAvg = max(audioAvg, t.Bitrate)
		audioCodecs = appendUnique(audioCodecs, strings.Split(t.Codecs, ",")...)
		name := t.Name
		if names[t.Name] > 1 { // NAME must be unique within the group
			name = representationID(t)
		}
		b.WriteString(`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="` + hlsAudioGroup + `",NAME="` + name + `"`)
		if t.Language != "" {
			b.WriteString(`,LANGUAGE="` + t.Language + `"`)
		}
		if i == 0 {
			b.WriteString(",DEFAULT=YES")
		} else {
			b.WriteString(",DEFAULT=NO")
		}
		b.WriteString(`,AUTOSELECT=YES,CHANNELS="` + itoa(int64(t.Channels)) + `",URI="` + mediaPlaylistURL(t, o) + "\"\n")
	}
	b.WriteString("\n")
	for _, t := range video {
		writeStreamInf(&b, t, &variantAudio{peak: audioPeak, avg: audioAvg, codecs: audioCodecs}, o)
	}
	return []byte(b.String()), nil
}

// variantAudio is what a video variant adds for its audio group.
type variantAudio struct {
	peak, avg int
	codecs    []string
}

// writeStreamInf writes one EXT-X-STREAM-INF variant and its URI line.
func writeStreamInf(b *strings.Builder, t *Track, a *variantAudio, o Options) {
	bw, avg, codecs := peak(t), t.Bitrate, []string{t.Codecs}
	if a != nil {
		bw, avg = bw+a.peak, avg+a.avg
		codecs = append(codecs, a.codecs...)
	}
	b.WriteString("#EXT-X-STREAM-INF:BANDWIDTH=" + itoa(int64(bw)) +
		",AVERAGE-BANDWIDTH=" + itoa(int64(avg)) +
		`,CODECS="` + strings.Join(codecs, ",") + `"`)
	if t.Kind == Video {
		b.WriteString(",RESOLUTION=" + itoa(int64(t.Width)) + "x" + itoa(int64(t.Height)))
		if fr := hlsFrameRate(t.FrameRateNum, t.FrameRateDen); fr != "" {
			b.WriteString(",FRAME-RATE=" + fr)
		}
	}
	if a != nil && len(a.codecs) > 0 {
		b.WriteString(`,AUDIO="` + hlsAudioGroup + `"`)
	}
	b.WriteString("\n" + mediaPlaylistURL(t, o) + "\n")
}

// peak is t's peak bitrate, never below its average.
func peak(t *Track) int {
	return max(t.PeakBitrate, t.Bitrate)
}

func appendUnique(list []string, vs ...string) []string {
	for _, v := range vs {
		found := false
		for _, have := range list {
			found = found || have == v
		}
		if !found {
			list = append(list, v)
		}
	}
	return list
}

// HLSMedia returns the m3u8-cmaf media playlist of track t of p (a VOD
// playlist with EXT-X-MAP). Its URLs are relative to the playlist's own URL,
// QualityLevels({bitrate})/Manifest(...): Fragments({track}=i{opts}).mp4 for
// the initialization segment and Fragments({track}={time}{opts}).m4s for
// each media segment. EXTINF states each duration exactly (three to six
// decimals); EXT-X-TARGETDURATION is the longest one rounded up to an
// integer, which meets RFC 8216 section 4.3.3.1 (each EXTINF rounded to the
// nearest integer is at most the target) and is what grafov/m3u8 and
// other tools compute from the segments.
//
// With o.Protection, the track's key tags (hls_protection.go hlsKeys) come
// after EXT-X-MAP, so the initialization section stays clear: once, or,
// when TrackProtection.IV is set, before every segment with that segment's
// IV=0x…. EXT-X-VERSION 7 covers them (KEYFORMAT needs 5, IV 2).
func HLSMedia(p *Presentation, t *Track, o Options) ([]byte, error) {
	if err := validate(p, o); err != nil {
		return nil, err
	}
	if t == nil {
		return nil, invalid("presentation %q: media playlist of a nil track", p.Name)
	}
	if err := validateTrack(t); err != nil {
		return nil, err
	}
	var keys []hlsKey
	var tp *TrackProtection
	if o.Protection != nil {
		i := trackIndex(p, t)
		if i < 0 {
			return nil, invalid("presentation %q: track %s is not one of its tracks", p.Name, t.label())
		}
		tp = o.trackProtection(i)
		var err error
		if keys, err = hlsKeys(t, tp, o.Protection.Method); err != nil {
			return nil, err
		}
	}
	var target uint64 = 1
	for _, s := range t.Segments {
		target = max(target, ceilSeconds(s.Duration, t.Timescale))
	}
	var b strings.Builder
	b.Grow(64 * (len(t.Segments) + 8))
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:7\n")
	b.WriteString("#EXT-X-TARGETDURATION:" + utoa(target) + "\n")
	b.WriteString("#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	b.WriteString(`#EXT-X-MAP:URI="` + initURL(t, o, ".mp4") + "\"\n")
	if tp != nil && tp.IV == nil {
		for _, k := range keys {
			k.write(&b, "#EXT-X-KEY:", nil)
		}
	}
	for i, s := range t.Segments {
		if tp != nil && tp.IV != nil {
			iv := tp.IV(i)
			for _, k := range keys {
				k.write(&b, "#EXT-X-KEY:", &iv)
			}
		}
		b.WriteString("#EXTINF:" + seconds(s.Duration, t.Timescale, 3, 6) + ",\n")
		b.WriteString(segmentURL(t, s.Time, o, ".m4s") + "\n")
	}
	b.WriteString("#EXT-X-ENDLIST\n")
	return []byte(b.String()), nil
}
