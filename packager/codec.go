package packager

import (
	"encoding/hex"
	"fmt"
	"math/bits"
	"strings"

	"github.com/Eyevinn/mp4ff/hevc"
	"github.com/Eyevinn/mp4ff/mp4"
	"github.com/drmorigin/drmorigin/codec/adts"
)

// describe fills the track's identity, timing and codec fields from its moov.
func (t *Track) describe(moov *mp4.MoovBox, off int64) error {
	if len(moov.Traks) != 1 {
		return unsupportedf(t.Path, "%d tracks in one file; want 1", len(moov.Traks))
	}
	trak := moov.Traks[0]
	if trak.Tkhd == nil || trak.Mdia == nil || trak.Mdia.Mdhd == nil || trak.Mdia.Hdlr == nil ||
		trak.Mdia.Minf == nil || trak.Mdia.Minf.Stbl == nil || trak.Mdia.Minf.Stbl.Stsd == nil ||
		len(trak.Mdia.Minf.Stbl.Stsd.Children) == 0 {
		return corruptf(t.Path, off, "moov lacks tkhd, mdhd, hdlr or stsd")
	}
	t.TrackID = trak.Tkhd.TrackID
	if moov.Mvex == nil {
		return unsupportedf(t.Path, "moov without mvex: not a fragmented file")
	}
	for _, trex := range moov.Mvex.Trexs {
		if trex.TrackID == t.TrackID {
			t.def = trackDefaults{duration: trex.DefaultSampleDuration, size: trex.DefaultSampleSize, flags: trex.DefaultSampleFlags}
		}
	}
	mdia := trak.Mdia
	t.Timescale = mdia.Mdhd.Timescale
	if t.Timescale == 0 {
		return corruptf(t.Path, off, "mdhd timescale 0")
	}
	t.Language = "und"
	if mdia.Elng != nil {
		t.Language = normLanguage(mdia.Elng.Language)
	}
	if t.Language == "und" {
		t.Language = normLanguage(mdia.Mdhd.GetLanguage())
	}
	switch mdia.Hdlr.HandlerType {
	case "vide":
		t.Kind = Video
	case "soun":
		t.Kind = Audio
	default:
		return unsupportedf(t.Path, "handler %q", mdia.Hdlr.HandlerType)
	}
	switch se := mdia.Minf.Stbl.Stsd.Children[0].(type) {
	case *mp4.VisualSampleEntryBox:
		return t.describeVideo(se, off)
	case *mp4.AudioSampleEntryBox:
		return t.describeAudio(se, off)
	default:
		return unsupportedf(t.Path, "sample entry %q", se.Type())
	}
}

func annexB(sb *strings.Builder, nalus [][]byte) {
	for _, n := range nalus {
		sb.WriteString("00000001")
		sb.WriteString(strings.ToUpper(hex.EncodeToString(n)))
	}
}

func (t *Track) describeVideo(se *mp4.VisualSampleEntryBox, off int64) error {
	if t.Kind != Video {
		return corruptf(t.Path, off, "visual sample entry in a %s track", t.Kind)
	}
	t.Width, t.Height = int(se.Width), int(se.Height)
	var sb strings.Builder
	switch typ := se.Type(); typ {
	case "avc1", "avc3":
		if se.AvcC == nil {
			return corruptf(t.Path, off, "%s without avcC", typ)
		}
		c := se.AvcC
		t.Codecs = fmt.Sprintf("%s.%02X%02X%02X", typ, c.AVCProfileIndication, c.ProfileCompatibility, c.AVCLevelIndication)
		t.FourCC = map[string]string{"avc1": "H264", "avc3": "AVC1"}[typ]
		annexB(&sb, c.SPSnalus)
		annexB(&sb, c.PPSnalus)
	case "hvc1", "hev1":
		if se.HvcC == nil {
			return corruptf(t.Path, off, "%s without hvcC", typ)
		}
		t.Codecs = hevcCodecs(typ, &se.HvcC.DecConfRec)
		t.FourCC = map[string]string{"hvc1": "HEVC", "hev1": "HEV1"}[typ]
		for _, nt := range []hevc.NaluType{hevc.NALU_VPS, hevc.NALU_SPS, hevc.NALU_PPS} {
			annexB(&sb, se.HvcC.GetNalusForType(nt))
		}
	case "encv":
		return unsupportedf(t.Path, "video sample entry \"encv\": the source is encrypted; drmorigin encrypts on the fly and needs the clear source")
	default:
		return unsupportedf(t.Path, "video sample entry %q", typ)
	}
	t.CodecPrivateData = sb.String()
	return nil
}

// hevcCodecs is the codecs parameter of ISO/IEC 14496-15 Annex E.4:
// profile space letter and profile_idc, the 32 compatibility flags in
// reverse bit order as hex, tier and level, then the six constraint bytes
// with trailing zero bytes left out.
func hevcCodecs(typ string, c *hevc.DecConfRec) string {
	var sb strings.Builder
	sb.WriteString(typ)
	sb.WriteByte('.')
	if c.GeneralProfileSpace > 0 && c.GeneralProfileSpace < 4 {
		sb.WriteByte("ABC"[c.GeneralProfileSpace-1])
	}
	fmt.Fprintf(&sb, "%d.%X.", c.GeneralProfileIDC, bits.Reverse32(c.GeneralProfileCompatibilityFlags))
	if c.GeneralTierFlag {
		sb.WriteByte('H')
	} else {
		sb.WriteByte('L')
	}
	fmt.Fprintf(&sb, "%d", c.GeneralLevelIDC)
	cif := c.GeneralConstraintIndicatorFlags & (1<<48 - 1)
	n := 6
	for n > 0 && cif&0xff == 0 {
		cif >>= 8
		n--
	}
	for i := n - 1; i >= 0; i-- {
		fmt.Fprintf(&sb, ".%X", (cif>>(8*i))&0xff)
	}
	return sb.String()
}

func (t *Track) describeAudio(se *mp4.AudioSampleEntryBox, off int64) error {
	if t.Kind != Audio {
		return corruptf(t.Path, off, "audio sample entry in a %s track", t.Kind)
	}
	t.SampleRate, t.Channels = int(se.SampleRate), int(se.ChannelCount)
	switch typ := se.Type(); typ {
	case "mp4a":
		if se.Esds != nil && se.Esds.DecConfigDescriptor != nil {
			// The object type indication says what mp4a carries: AAC
			// (MPEG-4 audio, or the MPEG-2 AAC profiles) is served; MP3
			// and the rest are well formed but not AAC, and have no
			// AudioSpecificConfig to read.
			switch ot := se.Esds.DecConfigDescriptor.ObjectType; ot {
			case 0x40, 0x66, 0x67, 0x68:
			default:
				name := mp4aObjectTypes[ot]
				if name == "" {
					name = "not AAC"
				}
				return unsupportedf(t.Path, "mp4a with object type indication 0x%02X (%s); want AAC (0x40)", ot, name)
			}
		}
		if se.Esds == nil || se.Esds.DecConfigDescriptor == nil || se.Esds.DecConfigDescriptor.DecSpecificInfo == nil {
			return corruptf(t.Path, off, "mp4a without AudioSpecificConfig")
		}
		dcd := se.Esds.DecConfigDescriptor
		asc := dcd.DecSpecificInfo.DecConfig
		a, err := adts.ReadASC(asc)
		if err != nil {
			return corruptf(t.Path, off, "bad AudioSpecificConfig %X: %v", asc, err)
		}
		aot, rate, ch := a.ObjectType, a.Rate, a.Channels
		if dcd.ObjectType != 0x40 {
			t.Codecs = fmt.Sprintf("mp4a.%02X", dcd.ObjectType)
		} else {
			t.Codecs = fmt.Sprintf("mp4a.40.%d", aot)
		}
		switch aot {
		case 2:
			t.FourCC = "AACL"
		case 5, 29:
			t.FourCC = "AACH"
		default:
			return unsupportedf(t.Path, "AAC object type %d", aot)
		}
		if rate > 0 && aot == 2 {
			t.SampleRate = rate
		}
		if ch > 0 && ch < 7 {
			t.Channels = ch
		} else if ch == 7 {
			t.Channels = 8
		}
		t.CodecPrivateData = strings.ToUpper(hex.EncodeToString(asc))
	case "ac-3":
		t.Codecs, t.FourCC = "ac-3", "AC-3"
	case "ec-3":
		t.Codecs, t.FourCC = "ec-3", "EC-3"
	case "enca":
		return unsupportedf(t.Path, "audio sample entry \"enca\": the source is encrypted; drmorigin encrypts on the fly and needs the clear source")
	default:
		return unsupportedf(t.Path, "audio sample entry %q", typ)
	}
	return nil
}

// mp4aObjectTypes names the object type indications (MP4RA) that mp4a
// sample entries carry besides AAC, for messages.
var mp4aObjectTypes = map[byte]string{
	0x69: "MPEG-2 audio, MP3", 0x6B: "MPEG-1 audio, MP3", 0xA5: "AC-3", 0xA6: "E-AC-3",
	0xA9: "DTS", 0xAD: "Opus", 0xDD: "Vorbis", 0xE1: "QCELP",
}

// languageBT maps ISO 639-2/B codes to their 639-2/T form; twoLetter maps
// the ISO 639-1 codes that elng (BCP 47) commonly carries.
var (
	languageBT = map[string]string{
		"alb": "sqi", "arm": "hye", "baq": "eus", "bur": "mya", "chi": "zho", "cze": "ces",
		"dut": "nld", "fre": "fra", "geo": "kat", "ger": "deu", "gre": "ell", "ice": "isl",
		"mac": "mkd", "mao": "mri", "may": "msa", "per": "fas", "rum": "ron", "slo": "slk",
		"tib": "bod", "wel": "cym",
	}
	twoLetter = map[string]string{
		"ar": "ara", "cs": "ces", "da": "dan", "de": "deu", "el": "ell", "en": "eng", "es": "spa",
		"fi": "fin", "fr": "fra", "he": "heb", "hi": "hin", "hu": "hun", "it": "ita", "ja": "jpn",
		"ko": "kor", "nl": "nld", "no": "nor", "pl": "pol", "pt": "por", "ro": "ron", "ru": "rus",
		"sv": "swe", "th": "tha", "tr": "tur", "uk": "ukr", "zh": "zho",
	}
)

// normLanguage turns an mdhd, elng or systemLanguage value into ISO 639-2/T,
// "und" when it is none of those.
func normLanguage(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "-_"); i >= 0 {
		s = s[:i]
	}
	switch len(s) {
	case 3:
		for _, c := range s {
			if c < 'a' || c > 'z' {
				return "und"
			}
		}
		if t, ok := languageBT[s]; ok {
			return t
		}
		return s
	case 2:
		if t, ok := twoLetter[s]; ok {
			return t
		}
	}
	return "und"
}
