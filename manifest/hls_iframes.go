package manifest

import "strings"

// HLS trick play (players.md "Trick play"): each video variant of the
// multivariant playlist gets an EXT-X-I-FRAME-STREAM-INF, and its I-frame
// playlist addresses every key sample as a byte range of the variant's own
// segments, under the variant's key tags.
//
//	#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=…,AVERAGE-BANDWIDTH=…,CODECS="avc1…",RESOLUTION=WxH,URI="QualityLevels(b)/IFrames(video,…)"
//
//	#EXTM3U
//	#EXT-X-VERSION:7 (m3u8-cmaf), 5 (TS: EXT-X-MAP in an I-frame playlist)
//	#EXT-X-TARGETDURATION, MEDIA-SEQUENCE, PLAYLIST-TYPE:VOD
//	#EXT-X-I-FRAMES-ONLY
//	#EXT-X-MAP:URI="Fragments(video=i,…).mp4|.ts"      TS: the PAT and PMT
//	#EXT-X-KEY:…                                        as the variant's playlist
//	#EXTINF:<until the next key sample>,
//	#EXT-X-BYTERANGE:<length>@<offset>
//	Fragments(video=<time>,…).m4s|.ts
//
// The ranges come from the origin (packager.AppendKeyFrames, from the
// writer of the segments). Under AES-128 (cbc) every entry is a CBC chain
// of its own: its range starts on a cipher block, and the EXT-X-KEY before
// it states the IV that decrypts it (the segment's IV at offset 0, else
// the ciphertext block before the range), so RFC 8216's rule that a
// segment's IV is its EXT-X-KEY IV holds for each sub-range. TS playlists
// start with an EXT-X-MAP of the variant's PAT and PMT
// (Fragments({track}=i{opts}).ts, clear: it comes before any EXT-X-KEY),
// so that an entry of a key frame that is not its segment's first (a
// fragment of several GOPs) decodes; an entry at a segment's start holds
// the segment's own PAT and PMT too.

// IFrame is one entry of an I-frame playlist.
type IFrame struct {
	// Segment is the index in Track.Segments of the segment it lies in.
	Segment int
	// Duration, in the track's timescale, lasts until the next key sample.
	Duration uint64
	// Offset and Length are the byte range in the segment.
	Offset, Length int64
	// IV decrypts the range under AES-128.
	IV [16]byte
}

// hasIFrames reports whether t gets an I-frame stream / trick-mode set.
func hasIFrames(t *Track) bool { return t.Kind == Video && t.KeyCount > 0 }

// writeIFrameStreamInf writes t's EXT-X-I-FRAME-STREAM-INF. BANDWIDTH is
// the peak per-segment rate of the key samples (never 0: the variant's
// own peak when unknown), AVERAGE-BANDWIDTH their average.
func writeIFrameStreamInf(b *strings.Builder, t *Track, o Options) {
	bw, avg := t.KeyPeakBitrate, t.KeyBitrate
	if bw <= 0 {
		bw = peak(t)
	}
	b.WriteString("#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=" + itoa(int64(bw)))
	if avg > 0 {
		b.WriteString(",AVERAGE-BANDWIDTH=" + itoa(int64(avg)))
	}
	b.WriteString(`,CODECS="` + t.Codecs + `",RESOLUTION=` + itoa(int64(t.Width)) + "x" + itoa(int64(t.Height)) +
		`,URI="` + iFramePlaylistURL(t, o) + "\"\n")
}

// writeIFrameStreams writes the I-frame streams of the video tracks.
func writeIFrameStreams(b *strings.Builder, video []*Track, o Options) {
	first := true
	for _, t := range video {
		if !hasIFrames(t) {
			continue
		}
		if first {
			b.WriteString("\n")
			first = false
		}
		writeIFrameStreamInf(b, t, o)
	}
}

// HLSIFrames returns the I-frame playlist of video track t of p in the
// format o.HLSFormat states, with the entries frames (in order; see
// IFrame), under o.Protection's key tags for t.
func HLSIFrames(p *Presentation, t *Track, o Options, frames []IFrame) ([]byte, error) {
	if err := validateHLS(p, o); err != nil {
		return nil, err
	}
	if t == nil || t.Kind != Video {
		return nil, noMediaPlaylist("presentation %q: I-frame playlists are for video tracks", p.Name)
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
		var err error
		if keys, tp, err = hlsTrackKeys(p, i, o); err != nil {
			return nil, err
		}
	}
	ts := o.HLSFormat.ts()
	var target uint64 = 1
	for k, f := range frames {
		if f.Segment < 0 || f.Segment >= len(t.Segments) || f.Length <= 0 || f.Offset < 0 {
			return nil, invalid("presentation %q: track %s: I-frame %d: segment %d, range %d@%d", p.Name, t.label(), k, f.Segment, f.Length, f.Offset)
		}
		target = max(target, ceilSeconds(f.Duration, t.Timescale))
	}
	ext, initExt, version := ".m4s", ".mp4", 7
	if ts {
		ext, initExt, version = ".ts", ".ts", 5 // EXT-X-MAP in an I-frame playlist: version 5
	}
	aes128 := o.Protection != nil && o.Protection.Method == MethodAES128
	var b strings.Builder
	b.Grow(96 * (len(frames) + 8))
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:" + itoa(int64(version)) + "\n")
	b.WriteString("#EXT-X-TARGETDURATION:" + utoa(target) + "\n")
	b.WriteString("#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-I-FRAMES-ONLY\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	b.WriteString(`#EXT-X-MAP:URI="` + initURL(t, o, initExt) + "\"\n")
	if tp != nil && tp.IV == nil && !aes128 {
		for _, k := range keys {
			k.write(&b, "#EXT-X-KEY:", nil)
		}
	}
	keyed := -1 // the segment whose key tags were written last
	for _, f := range frames {
		s := t.Segments[f.Segment]
		url := segmentURL(t, s.Time, o, ext)
		switch {
		case aes128:
			for _, k := range keys {
				k.write(&b, "#EXT-X-KEY:", &f.IV)
			}
		case tp != nil && tp.IV != nil && keyed != f.Segment:
			iv := tp.IV(f.Segment)
			for _, k := range keys {
				k.write(&b, "#EXT-X-KEY:", &iv)
			}
			keyed = f.Segment
		}
		b.WriteString("#EXTINF:" + seconds(f.Duration, t.Timescale, 3, 6) + ",\n")
		b.WriteString("#EXT-X-BYTERANGE:" + itoa(f.Length) + "@" + itoa(f.Offset) + "\n")
		b.WriteString(url + "\n")
	}
	b.WriteString("#EXT-X-ENDLIST\n")
	return []byte(b.String()), nil
}
