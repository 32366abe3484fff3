package manifest

import (
	"strings"
)

// hlsAudioGroup is the GROUP-ID of the audio renditions.
const hlsAudioGroup = "audio"

// HLSMultivariant returns the multivariant playlist of p in the format
// o.HLSFormat states.
//
// m3u8-cmaf (HLSCMAF, RFC 8216 version 7) and m3u8-aapl (HLSTSv4, version
// 4): every audio track as an EXT-X-MEDIA rendition of one group, the first
// one DEFAULT, and every video track as an EXT-X-STREAM-INF variant that
// references that group. BANDWIDTH adds the variant's peak to the highest
// audio peak, AVERAGE-BANDWIDTH its average to the highest audio average.
//
// m3u8-aapl-v3 (HLSTSv3, version 3): no EXT-X-MEDIA; every video track is
// an EXT-X-STREAM-INF variant into whose segments the default audio track
// (the first audio track of p) is muxed, so CODECS lists the video codec
// and that audio codec, and BANDWIDTH (AVERAGE-BANDWIDTH) adds that track's
// peak (average); there is no AUDIO attribute.
//
// In every format a presentation without video gets one variant per audio
// track and no EXT-X-MEDIA. A protected presentation repeats every distinct
// key tag of its media playlists, without IV, as EXT-X-SESSION-KEY right
// after the header (hls_protection.go); with KEYFORMAT (cbcs-aapl) the TS
// formats state version 5 (hls_ts.go). Video tracks whose key samples are
// known get an EXT-X-I-FRAME-STREAM-INF after the variants (hls_iframes.go).
func HLSMultivariant(p *Presentation, o Options) ([]byte, error) {
	if err := validateHLS(p, o); err != nil {
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

	sessionKeys, keyFormat, err := hlsSessionKeys(p, o, len(video) > 0)
	if err != nil {
		return nil, err
	}

	var b strings.Builder
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:" + itoa(int64(hlsVersion(o.HLSFormat, keyFormat))) + "\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	b.WriteString(sessionKeys)
	subs := writeSubtitleMedia(&b, p, o) // hls_text.go

	if len(video) == 0 {
		b.WriteString("\n")
		for _, t := range audio {
			writeStreamInf(&b, t, nil, subs, o)
		}
		return []byte(b.String()), nil
	}

	if o.HLSFormat == HLSTSv3 {
		var muxed *variantAudio
		if len(audio) > 0 {
			a := audio[0]
			muxed = &variantAudio{peak: peak(a), avg: a.Bitrate, codecs: appendUnique(nil, strings.Split(a.Codecs, ",")...), muxed: true}
		}
		b.WriteString("\n")
		for _, t := range video {
			writeStreamInf(&b, t, muxed, subs, o)
		}
		writeIFrameStreams(&b, video, o)
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
		writeStreamInf(&b, t, &variantAudio{peak: audioPeak, avg: audioAvg, codecs: audioCodecs}, subs, o)
	}
	writeIFrameStreams(&b, video, o)
	return []byte(b.String()), nil
}

// variantAudio is what a video variant adds for its audio group, or, when
// muxed (m3u8-aapl-v3), for the audio track muxed into its segments.
type variantAudio struct {
	peak, avg int
	codecs    []string
	muxed     bool
}

// writeStreamInf writes one EXT-X-STREAM-INF variant and its URI line;
// subs is the GROUP-ID of the subtitle renditions ("" for none).
func writeStreamInf(b *strings.Builder, t *Track, a *variantAudio, subs string, o Options) {
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
	if a != nil && !a.muxed && len(a.codecs) > 0 {
		b.WriteString(`,AUDIO="` + hlsAudioGroup + `"`)
	}
	if subs != "" {
		b.WriteString(`,SUBTITLES="` + subs + `"`)
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

// HLSMedia returns the media playlist of track t of p (a VOD playlist) in
// the format o.HLSFormat states. Its URLs are relative to the playlist's own
// URL, QualityLevels({bitrate})/Manifest(...).
//
// m3u8-cmaf (version 7): EXT-X-MAP with Fragments({track}=i{opts}).mp4, then
// Fragments({track}={time}{opts}).m4s for each media segment.
//
// m3u8-aapl and m3u8-aapl-v3 (version 4 and 3, 5 with KEYFORMAT): no
// EXT-X-MAP, Fragments({track}={time}{opts}).ts for each media segment. In
// m3u8-aapl-v3 a video track's playlist is that of its variant: the default
// audio track is muxed into its segments, which follow the video track's
// timeline; an audio track has a playlist of its own only when p has no
// video (ErrNoMediaPlaylist otherwise).
//
// EXTINF states each duration exactly (three to six decimals, which version
// 3 allows); EXT-X-TARGETDURATION is the longest one rounded up to an
// integer, which meets RFC 8216 section 4.3.3.1 (each EXTINF rounded to the
// nearest integer is at most the target) and is what grafov/m3u8 and other
// tools compute from the segments.
//
// With o.Protection, the track's key tags (hls_protection.go hlsKeys) come
// after EXT-X-MAP, so the initialization section stays clear: once, or,
// when TrackProtection.IV is set, before every segment with that segment's
// IV=0x…. EXT-X-VERSION 7 covers them (KEYFORMAT needs 5, IV 2). TS
// playlists always write them before every segment with its IV (hls_ts.go).
func HLSMedia(p *Presentation, t *Track, o Options) ([]byte, error) {
	if err := validateHLS(p, o); err != nil {
		return nil, err
	}
	if t == nil {
		return nil, invalid("presentation %q: media playlist of a nil track", p.Name)
	}
	if err := validateTrack(t); err != nil {
		return nil, err
	}
	ts := o.HLSFormat.ts()
	if o.HLSFormat == HLSTSv3 && t.Kind == Audio && hasVideo(p) {
		return nil, noMediaPlaylist("presentation %q: track %s: m3u8-aapl-v3 muxes the default audio track into the video variants and has no audio media playlists", p.Name, t.label())
	}
	var keys []hlsKey
	var tp *TrackProtection
	if o.Protection != nil {
		i := trackIndex(p, t)
		if i < 0 {
			return nil, invalid("presentation %q: track %s is not one of its tracks", p.Name, t.label())
		}
		var err error
		if keys, tp, err = hlsTrackKeys(p, i, o); err != nil {
			return nil, err
		}
	}
	var target uint64 = 1
	for _, s := range t.Segments {
		target = max(target, ceilSeconds(s.Duration, t.Timescale))
	}
	ext := ".m4s"
	if ts {
		ext = ".ts"
	}
	var b strings.Builder
	b.Grow(64 * (len(t.Segments) + 8))
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:" + itoa(int64(hlsVersion(o.HLSFormat, hasKeyFormat(keys)))) + "\n")
	b.WriteString("#EXT-X-TARGETDURATION:" + utoa(target) + "\n")
	if p.Live != nil {
		// A window: segments leave at the top, keeping their numbers.
		b.WriteString("#EXT-X-MEDIA-SEQUENCE:" + utoa(t.Sequence) + "\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	} else {
		b.WriteString("#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	}
	if !ts {
		b.WriteString(`#EXT-X-MAP:URI="` + initURL(t, o, ".mp4") + "\"\n")
	}
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
		if i == 0 && p.Live != nil {
			b.WriteString("#EXT-X-PROGRAM-DATE-TIME:" + xsDateTime(p.Live.at(s.Time, t.Timescale)) + "\n")
		}
		b.WriteString("#EXTINF:" + seconds(s.Duration, t.Timescale, 3, 6) + ",\n")
		b.WriteString(segmentURL(t, s.Time, o, ext) + "\n")
	}
	if p.Live == nil {
		b.WriteString("#EXT-X-ENDLIST\n")
	}
	return []byte(b.String()), nil
}
