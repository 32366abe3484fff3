package manifest

// TextTrack is a subtitle track: segments of timed text cut at the video
// track's fragment times (one per video segment, at the same times), never
// encrypted. HLS addresses its segments as WebVTT files, DASH and Smooth
// as fMP4 (wvtt or stpp) and TTML fragments.
type TextTrack struct {
	// Name is the URL track name ("textstream_swe"); Bitrate the
	// QualityLevels value. (Name, Bitrate) is unique among all tracks.
	Name    string
	Bitrate int
	// Language as ISO 639-2/T ("swe") or "und".
	Language string
	// Codecs is the DASH codecs value: "wvtt" or "stpp.ttml.im1t".
	Codecs string
	// Timescale of Segments (the video track's).
	Timescale uint32
	Segments  []Segment
}

// label names a text track in error messages: "textstream_swe/1000".
func (t *TextTrack) label() string {
	return t.Name + "/" + itoa(int64(t.Bitrate))
}

// asTrack is the text track in the shape the URL and timeline helpers
// take.
func (t *TextTrack) asTrack() *Track {
	return &Track{Name: t.Name, Bitrate: t.Bitrate, Timescale: t.Timescale, Segments: t.Segments, Language: t.Language}
}

// validateTexts checks p's text tracks: names, languages, codecs and
// segments as for media tracks, (name, bitrate) unique among all tracks.
func validateTexts(p *Presentation) error {
	seen := make(map[string]bool, len(p.Tracks)+len(p.Texts))
	for i := range p.Tracks {
		seen[p.Tracks[i].label()] = true
	}
	for i := range p.Texts {
		t := &p.Texts[i]
		if t.Name == "" || !isToken(t.Name, "_.-") {
			return invalid("text track name %q: want letters, digits and \"_.-\" only", t.Name)
		}
		if t.Bitrate <= 0 || t.Timescale == 0 || len(t.Segments) == 0 {
			return invalid("text track %s: bitrate %d, timescale %d, %d segments", t.label(), t.Bitrate, t.Timescale, len(t.Segments))
		}
		if t.Codecs != "wvtt" && t.Codecs != "stpp.ttml.im1t" {
			return invalid("text track %s: codecs %q, want wvtt or stpp.ttml.im1t", t.label(), t.Codecs)
		}
		if !isToken(t.Language, "-") {
			return invalid("text track %s: language %q is malformed", t.label(), t.Language)
		}
		if seen[t.label()] {
			return invalid("text track %s: two tracks share name and bitrate", t.label())
		}
		seen[t.label()] = true
	}
	return nil
}

// bcp47 is an ISO 639-2/T code in the shortest form BCP 47 allows (RFC
// 5646 section 2.2.1: the ISO 639-1 code where there is one), as HLS
// LANGUAGE and DASH @lang prefer and players match user settings against:
// swe → sv. Codes without a two-letter form stay as they are; "und"
// stays "und".
func bcp47(lang string) string {
	if two, ok := iso6391[lang]; ok {
		return two
	}
	return lang
}

// iso6391 maps ISO 639-2/T codes to ISO 639-1.
var iso6391 = map[string]string{
	"ara": "ar", "bul": "bg", "cat": "ca", "ces": "cs", "cym": "cy", "dan": "da", "deu": "de",
	"ell": "el", "eng": "en", "est": "et", "eus": "eu", "fas": "fa", "fin": "fi", "fra": "fr",
	"gle": "ga", "glg": "gl", "heb": "he", "hin": "hi", "hrv": "hr", "hun": "hu", "hye": "hy",
	"ind": "id", "isl": "is", "ita": "it", "jpn": "ja", "kat": "ka", "kor": "ko", "lav": "lv",
	"lit": "lt", "mkd": "mk", "msa": "ms", "nld": "nl", "nob": "nb", "nno": "nn", "nor": "no",
	"pol": "pl", "por": "pt", "ron": "ro", "rus": "ru", "slk": "sk", "slv": "sl", "spa": "es",
	"sqi": "sq", "srp": "sr", "swe": "sv", "tha": "th", "tur": "tr", "ukr": "uk", "vie": "vi",
	"zho": "zh",
}
