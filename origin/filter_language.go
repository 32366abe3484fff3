package origin

import "strings"

// iso639to1 maps ISO 639-2 codes, bibliographic (B) and terminological (T)
// forms alike, to ISO 639-1, for the languages that have one and that
// media commonly carries. Track files state ISO 639-2/T (mdhd, elng, the
// .ism's systemLanguage); filters are written with either.
var iso639to1 = map[string]string{
	"afr": "af", "alb": "sq", "sqi": "sq", "amh": "am", "ara": "ar", "arm": "hy", "hye": "hy",
	"aze": "az", "baq": "eu", "eus": "eu", "bel": "be", "ben": "bn", "bos": "bs", "bre": "br",
	"bul": "bg", "bur": "my", "mya": "my", "cat": "ca", "chi": "zh", "zho": "zh", "hrv": "hr",
	"cze": "cs", "ces": "cs", "dan": "da", "dut": "nl", "nld": "nl", "eng": "en", "epo": "eo",
	"est": "et", "fao": "fo", "fin": "fi", "fre": "fr", "fra": "fr", "geo": "ka", "kat": "ka",
	"ger": "de", "deu": "de", "gla": "gd", "gle": "ga", "glg": "gl", "gre": "el", "ell": "el",
	"guj": "gu", "hau": "ha", "heb": "he", "hin": "hi", "hun": "hu", "ice": "is", "isl": "is",
	"ind": "id", "ita": "it", "jpn": "ja", "kan": "kn", "kaz": "kk", "khm": "km", "kor": "ko",
	"kur": "ku", "lao": "lo", "lat": "la", "lav": "lv", "lit": "lt", "ltz": "lb", "mac": "mk",
	"mkd": "mk", "mal": "ml", "mao": "mi", "mri": "mi", "mar": "mr", "may": "ms", "msa": "ms",
	"mlt": "mt", "mon": "mn", "nep": "ne", "nor": "no", "nob": "nb", "nno": "nn", "per": "fa",
	"fas": "fa", "pol": "pl", "por": "pt", "pan": "pa", "pus": "ps", "rum": "ro", "ron": "ro",
	"rus": "ru", "san": "sa", "srp": "sr", "sin": "si", "slo": "sk", "slk": "sk", "slv": "sl",
	"som": "so", "spa": "es", "swa": "sw", "swe": "sv", "tam": "ta", "tel": "te", "tgl": "tl",
	"tha": "th", "tib": "bo", "bod": "bo", "tur": "tr", "ukr": "uk", "urd": "ur", "uzb": "uz",
	"vie": "vi", "wel": "cy", "cym": "cy", "xho": "xh", "yid": "yi", "yor": "yo", "zul": "zu",
	"fil": "tl",
}

// normalizeLanguage lowers a language tag and maps its primary subtag from
// ISO 639-2 to ISO 639-1 where one exists: "ENG" → "en", "swe-FI" →
// "sv-fi", "en-GB" → "en-gb".
func normalizeLanguage(tag string) string {
	tag = strings.ToLower(tag)
	primary, rest, more := strings.Cut(tag, "-")
	if short, ok := iso639to1[primary]; ok {
		primary = short
	}
	if more {
		return primary + "-" + rest
	}
	return primary
}

// languageMatches reports whether a track's language falls under a
// filter's language tag (players.md): after mapping both to ISO 639-1, the
// filter's tag equals the track's or is a BCP-47 prefix of it, so "en"
// matches "eng" and "en-GB", and "en-GB" does not match "en".
func languageMatches(track, filter string) bool {
	t, f := normalizeLanguage(track), normalizeLanguage(filter)
	return t == f || strings.HasPrefix(t, f+"-")
}
