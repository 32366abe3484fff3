package manifest

import "strings"

// HLS over MPEG-2 TS: m3u8-aapl and m3u8-aapl-v4 (HLSTSv4), m3u8-aapl-v3
// (HLSTSv3). The playlists are those of m3u8-cmaf (hls.go) with these
// differences:
//
//   - EXT-X-VERSION is 4 (HLSTSv4) or 3 (HLSTSv3), the lowest versions that
//     cover what the playlists use: decimal EXTINF (3), IV (2), EXT-X-MEDIA
//     (HLSTSv4 states 4 for it, as m3u8-aapl-v4 names it). KEYFORMAT and
//     KEYFORMATVERSIONS need version 5 (RFC 8216 section 7), and FairPlay
//     needs KEYFORMAT="com.apple.streamingkeydelivery": a playlist that
//     writes KEYFORMAT (cbcs-aapl, in the EXT-X-KEY of a media playlist or
//     the EXT-X-SESSION-KEY of a multivariant playlist) states version 5
//     instead of 3 or 4. cbc (AES-128, no KEYFORMAT) keeps 3 or 4.
//   - No EXT-X-MAP: every TS segment carries its own PAT, PMT and codec
//     configuration. Segments are Fragments({track}={time}{opts}).ts.
//   - Only cbc (METHOD=AES-128) and cbcs-aapl (METHOD=SAMPLE-AES, FairPlay)
//     are carried; any other method gives ErrUnsupportedProtection. Every
//     segment has its key tag with its own IV=0x… (urls.md "Exact forms":
//     explicit IVs for cbc; for SAMPLE-AES on TS an IV before each segment),
//     so TrackProtection.IV is required. Apple defines SAMPLE-AES in TS for
//     H.264, not HEVC: cbcs-aapl with a video track that is not avc1/avc3
//     gives ErrUnsupportedProtection naming m3u8-cmaf.
//   - m3u8-aapl-v3 muxes the default audio track (the first audio track of
//     the Presentation) into each video variant. The key tags of a variant
//     are those of its video track's TrackProtection, with the video
//     segment's IV: for cbc the muxed segment is one file under the video
//     key; for cbcs-aapl the audio frames are encrypted too, and one key tag
//     applies to the whole segment, so the default audio track must have the
//     video track's KID (else ErrUnsupportedProtection).

// validateHLS checks p and o for an HLS builder.
func validateHLS(p *Presentation, o Options) error {
	if o.HLSFormat < HLSCMAF || o.HLSFormat > HLSTSv3 {
		return invalid("unknown HLS format %d", int(o.HLSFormat))
	}
	if err := validate(p, o); err != nil {
		return err
	}
	if !o.HLSFormat.ts() || o.Protection == nil {
		return nil
	}
	m := o.Protection.Method
	if m != MethodAES128 && m != MethodSampleAES {
		return unsupported("hls: encryption %s cannot be carried in MPEG-2 TS (%s takes cbc and cbcs-aapl; m3u8-cmaf takes %s)", m, o.HLSFormat, m)
	}
	if m != MethodSampleAES {
		return nil
	}
	audio := -1
	for i := range p.Tracks {
		if p.Tracks[i].Kind == Audio {
			audio = i
			break
		}
	}
	for i := range p.Tracks {
		t := &p.Tracks[i]
		if t.Kind != Video {
			continue
		}
		if !isAVC(t.Codecs) {
			return unsupported("hls: track %s: SAMPLE-AES in MPEG-2 TS is defined for H.264 only, not %s: use format=m3u8-cmaf for cbcs-aapl", t.label(), t.Codecs)
		}
		if o.HLSFormat == HLSTSv3 && audio >= 0 {
			vk, ak := o.Protection.Tracks[i].KID, o.Protection.Tracks[audio].KID
			if vk != ak {
				return unsupported("hls: track %s (KID %s) and its muxed audio track %s (KID %s): m3u8-aapl-v3 SAMPLE-AES segments carry both under one key tag, so they need one key (m3u8-aapl signals them apart)",
					t.label(), guid(vk), p.Tracks[audio].label(), guid(ak))
			}
		}
	}
	return nil
}

// isAVC reports whether codecs names H.264 only (avc1 or avc3).
func isAVC(codecs string) bool {
	for c := range strings.SplitSeq(codecs, ",") {
		if c != "avc1" && c != "avc3" && !strings.HasPrefix(c, "avc1.") && !strings.HasPrefix(c, "avc3.") {
			return false
		}
	}
	return true
}

// hlsVersion is the EXT-X-VERSION of a playlist of format f; keyFormat
// tells whether it writes KEYFORMAT, which needs version 5.
func hlsVersion(f HLSFormat, keyFormat bool) int {
	v := 7
	switch f {
	case HLSTSv4:
		v = 4
	case HLSTSv3:
		v = 3
	}
	if keyFormat {
		v = max(v, 5)
	}
	return v
}

// hlsTrackKeys returns the key tags of p.Tracks[i] and its protection, for
// the format of o (o.Protection is not nil). TS formats need the track's
// per-segment IVs.
func hlsTrackKeys(p *Presentation, i int, o Options) ([]hlsKey, *TrackProtection, error) {
	t, tp := &p.Tracks[i], o.trackProtection(i)
	if o.HLSFormat.ts() && tp.IV == nil {
		return nil, nil, unsupported("hls: track %s: %s in MPEG-2 TS states an IV before every segment and needs TrackProtection.IV", t.label(), o.Protection.Method)
	}
	keys, err := hlsKeys(t, tp, o.Protection.Method)
	if err != nil {
		return nil, nil, err
	}
	return keys, tp, nil
}

// hasVideo reports whether p has a video track.
func hasVideo(p *Presentation) bool {
	for i := range p.Tracks {
		if p.Tracks[i].Kind == Video {
			return true
		}
	}
	return false
}
