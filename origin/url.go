package origin

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxURLLen bounds the path the streaming grammar will look at. fasthttp's
// own limit answers 414 earlier (the request line is capped at 8 KiB); this
// one keeps the parser's work bounded when it is called directly (fuzzing).
const MaxURLLen = 8 << 10

// Format is the value of the format= option: the kind of manifest and the
// container of the segments it addresses.
type Format int

// Formats of urls.md. FormatSmooth is the default (no format= option).
const (
	FormatSmooth Format = iota
	FormatMPDTimeCSF
	FormatMPDTimeCMAF
	FormatM3U8CMAF
	FormatM3U8AAPL
	FormatM3U8AAPLV3
	FormatM3U8AAPLV4
)

var formatNames = [...]string{
	FormatSmooth:      "",
	FormatMPDTimeCSF:  "mpd-time-csf",
	FormatMPDTimeCMAF: "mpd-time-cmaf",
	FormatM3U8CMAF:    "m3u8-cmaf",
	FormatM3U8AAPL:    "m3u8-aapl",
	FormatM3U8AAPLV3:  "m3u8-aapl-v3",
	FormatM3U8AAPLV4:  "m3u8-aapl-v4",
}

func (f Format) String() string {
	if f == FormatSmooth {
		return "smooth"
	}
	return formatNames[f]
}

// Protocol is the streaming protocol a format belongs to, as streaming
// policies name it.
func (f Format) Protocol() string {
	switch f {
	case FormatSmooth:
		return "smooth"
	case FormatMPDTimeCSF, FormatMPDTimeCMAF:
		return "dash"
	default:
		return "hls"
	}
}

// IsTS reports whether the format's segments are MPEG-2 TS.
func (f Format) IsTS() bool {
	return f == FormatM3U8AAPL || f == FormatM3U8AAPLV3 || f == FormatM3U8AAPLV4
}

// Encryption is the value of the encryption= option.
type Encryption int

// Encryption tags of urls.md. EncryptionUnset means the URL has no tag.
const (
	EncryptionUnset Encryption = iota
	EncryptionCENC
	EncryptionCBCS
	EncryptionCBCSAAPL
	EncryptionCBC
	EncryptionPIFF
)

var encryptionNames = [...]string{
	EncryptionUnset:    "",
	EncryptionCENC:     "cenc",
	EncryptionCBCS:     "cbcs",
	EncryptionCBCSAAPL: "cbcs-aapl",
	EncryptionCBC:      "cbc",
	EncryptionPIFF:     "piff",
}

func (e Encryption) String() string {
	if e == EncryptionUnset {
		return "none"
	}
	return encryptionNames[e]
}

// Scheme is the streaming-policy scheme an encryption tag belongs to:
// "none", "cbc" (envelope), "cenc" or "cbcs".
func (e Encryption) Scheme() string {
	switch e {
	case EncryptionCENC, EncryptionPIFF:
		return "cenc"
	case EncryptionCBCS, EncryptionCBCSAAPL:
		return "cbcs"
	case EncryptionCBC:
		return "cbc"
	}
	return "none"
}

// allowed is the table of urls.md: which encryption tags each format takes.
// EncryptionUnset (clear) is allowed everywhere.
var allowed = map[Format][]Encryption{
	FormatSmooth:      {EncryptionCENC, EncryptionPIFF},
	FormatMPDTimeCSF:  {EncryptionCBCS, EncryptionCENC},
	FormatMPDTimeCMAF: {EncryptionCBCS, EncryptionCENC},
	FormatM3U8CMAF:    {EncryptionCBC, EncryptionCBCSAAPL, EncryptionCBCS, EncryptionCENC},
	FormatM3U8AAPL:    {EncryptionCBC, EncryptionCBCSAAPL},
	FormatM3U8AAPLV3:  {EncryptionCBC, EncryptionCBCSAAPL},
	FormatM3U8AAPLV4:  {EncryptionCBC, EncryptionCBCSAAPL},
}

// Allows reports whether urls.md's table allows encryption e with format f.
func (f Format) Allows(e Encryption) bool {
	if e == EncryptionUnset {
		return true
	}
	for _, a := range allowed[f] {
		if a == e {
			return true
		}
	}
	return false
}

// TagFor returns the encryption tag that streams scheme ("cbc", "cenc",
// "cbcs") in format f, for requests that carry no tag: cbcs on TS is
// SAMPLE-AES (cbcs-aapl), cenc on Smooth is PIFF.
func (f Format) TagFor(scheme string) (Encryption, bool) {
	var e Encryption
	switch scheme {
	case "none":
		return EncryptionUnset, true
	case "cbc":
		e = EncryptionCBC
	case "cenc":
		e = EncryptionCENC
		if f == FormatSmooth {
			e = EncryptionPIFF
		}
	case "cbcs":
		e = EncryptionCBCS
		if f.IsTS() {
			e = EncryptionCBCSAAPL
		}
	default:
		return EncryptionUnset, false
	}
	return e, f.Allows(e)
}

// Kind is what a streaming URL asks for.
type Kind int

// Kinds of streaming requests.
const (
	KindManifest       Kind = iota // manifest(...): DASH MPD, HLS multivariant, Smooth client manifest
	KindMediaPlaylist              // QualityLevels(b)/Manifest(track,...): HLS media playlist
	KindInit                       // QualityLevels(b)/Fragments(track=i,...)
	KindSegment                    // QualityLevels(b)/Fragments(track=time,...)
	KindIFramePlaylist             // QualityLevels(b)/IFrames(track,...): HLS I-frame playlist
	KindKeyFrames                  // QualityLevels(b)/KeyFrames(track=time,...): DASH trick-mode segment
)

// StreamRequest is a parsed streaming URL.
type StreamRequest struct {
	Locator string
	Name    string // {name} of {name}.ism
	Kind    Kind
	Bitrate int    // QualityLevels
	Track   string // track name
	Time    uint64 // KindSegment: decode time in the track's timescale
	// VTT is set when a Fragments(...) URL ends in .vtt: an HLS WebVTT
	// subtitle segment (a media track's segment has no such name).
	VTT bool
	// Format and Encryption as the URL gives them; HasFormat tells an
	// explicit format= from the Smooth default.
	Format     Format
	HasFormat  bool
	Encryption Encryption
	// Filter is the filter= value as given: up to MaxURLFilters names
	// separated by ";" (players.md), checked by parseOptions. It aliases
	// the request path.
	Filter string
}

// MaxURLFilters is how many filters one filter= option may name.
const MaxURLFilters = 3

// FilterNames calls fn with each name of r.Filter, in order.
func (r *StreamRequest) FilterNames(fn func(name string)) {
	for s := r.Filter; s != ""; {
		var n string
		n, s, _ = strings.Cut(s, ";")
		fn(n)
	}
}

// URLError is a malformed or unsupported streaming URL: the origin answers
// 400 with its message.
type URLError struct{ Msg string }

func (e *URLError) Error() string { return e.Msg }

func badURL(format string, args ...any) error {
	return &URLError{Msg: fmt.Sprintf(format, args...)}
}

// errNoRoute is returned for paths that are not streaming URLs at all: 404.
var errNoRoute = errors.New("not a streaming URL")

// ParseStreamURL parses a decoded request path against the grammar of
// urls.md. It returns errNoRoute when the path does not have the shape of a
// streaming URL (404), and a *URLError when it does but a part is malformed or
// unsupported (400).
func ParseStreamURL(path string) (StreamRequest, error) {
	var r StreamRequest
	if len(path) > MaxURLLen {
		return r, badURL("URL longer than %d bytes", MaxURLLen)
	}
	if !strings.HasPrefix(path, "/") {
		return r, errNoRoute
	}
	rest := path[1:]
	slash := strings.IndexByte(rest, '/')
	if slash <= 0 {
		return r, errNoRoute
	}
	r.Locator, rest = rest[:slash], rest[slash+1:]
	slash = strings.IndexByte(rest, '/')
	if slash <= 0 {
		return r, errNoRoute
	}
	ism := rest[:slash]
	rest = rest[slash+1:]
	if len(ism) <= 4 || !strings.EqualFold(ism[len(ism)-4:], ".ism") {
		return r, errNoRoute
	}
	r.Name = ism[:len(ism)-4]
	if !validName(r.Locator) || !validName(r.Name) {
		return r, errNoRoute
	}

	if word, args, suffix, ok := call(rest); ok && strings.EqualFold(word, "manifest") {
		// manifest, manifest(...), with an optional .m3u8/.mpd suffix.
		r.Kind = KindManifest
		if suffix != "" && !strings.EqualFold(suffix, ".m3u8") && !strings.EqualFold(suffix, ".mpd") {
			return r, errNoRoute
		}
		return r, r.parseOptions(args)
	}

	// QualityLevels({bitrate})/Manifest(...) or /Fragments(...)
	slash = strings.IndexByte(rest, '/')
	if slash < 0 {
		return r, errNoRoute
	}
	word, args, suffix, ok := call(rest[:slash])
	if !ok || !strings.EqualFold(word, "QualityLevels") || suffix != "" {
		return r, errNoRoute
	}
	b, err := strconv.ParseUint(args, 10, 31)
	if err != nil || b == 0 {
		return r, badURL("QualityLevels(%s): the bitrate must be a positive integer", args)
	}
	r.Bitrate = int(b)
	word, args, suffix, ok = call(rest[slash+1:])
	if !ok {
		return r, errNoRoute
	}
	switch {
	case strings.EqualFold(word, "Manifest"):
		r.Kind = KindMediaPlaylist
		if suffix != "" && !strings.EqualFold(suffix, ".m3u8") {
			return r, errNoRoute
		}
		track, opts, _ := strings.Cut(args, ",")
		if !validName(track) {
			return r, badURL("Manifest(%s): missing or malformed track name", args)
		}
		r.Track = track
		return r, r.parseOptions(opts)
	case strings.EqualFold(word, "IFrames"):
		// Trick play (players.md): the I-frame playlist of a video track.
		r.Kind = KindIFramePlaylist
		if suffix != "" && !strings.EqualFold(suffix, ".m3u8") {
			return r, errNoRoute
		}
		track, opts, _ := strings.Cut(args, ",")
		if !validName(track) {
			return r, badURL("IFrames(%s): missing or malformed track name", args)
		}
		r.Track = track
		return r, r.parseOptions(opts)
	case strings.EqualFold(word, "KeyFrames"):
		// Trick play: a DASH trick-mode segment, the key samples of the
		// fragment at time.
		if suffix != "" && !strings.EqualFold(suffix, ".m4s") {
			return r, errNoRoute
		}
		first, opts, _ := strings.Cut(args, ",")
		track, at, found := strings.Cut(first, "=")
		if !found || !validName(track) {
			return r, badURL("KeyFrames(%s): want KeyFrames(track=time)", args)
		}
		t, err := strconv.ParseUint(at, 10, 64)
		if err != nil {
			return r, badURL("KeyFrames(%s): the time must be an unsigned integer", args)
		}
		r.Kind, r.Track, r.Time = KindKeyFrames, track, t
		return r, r.parseOptions(opts)
	case strings.EqualFold(word, "Fragments"):
		if suffix != "" && !strings.EqualFold(suffix, ".ts") && !strings.EqualFold(suffix, ".m4s") &&
			!strings.EqualFold(suffix, ".mp4") && !strings.EqualFold(suffix, ".vtt") {
			return r, errNoRoute
		}
		r.VTT = strings.EqualFold(suffix, ".vtt")
		first, opts, _ := strings.Cut(args, ",")
		track, at, found := strings.Cut(first, "=")
		if !found || !validName(track) {
			return r, badURL("Fragments(%s): want Fragments(track=time) or Fragments(track=i)", args)
		}
		r.Track = track
		if at == "i" || at == "I" {
			r.Kind = KindInit
		} else {
			t, err := strconv.ParseUint(at, 10, 64)
			if err != nil {
				return r, badURL("Fragments(%s): the time must be an unsigned integer or i", args)
			}
			r.Kind, r.Time = KindSegment, t
		}
		return r, r.parseOptions(opts)
	}
	return r, errNoRoute
}

// call splits "word(args)suffix" or a bare "word". ok is false when the
// parentheses are unbalanced or args hold a nested parenthesis.
func call(s string) (word, args, suffix string, ok bool) {
	open := strings.IndexByte(s, '(')
	if open < 0 {
		if strings.ContainsAny(s, ")/") {
			return "", "", "", false
		}
		// A bare word may still carry a suffix: manifest.mpd
		word, suffix = s, ""
		if dot := strings.IndexByte(s, '.'); dot >= 0 {
			word, suffix = s[:dot], s[dot:]
		}
		return word, "", suffix, true
	}
	closing := strings.IndexByte(s, ')')
	if closing < open || strings.IndexByte(s[open+1:], '(') >= 0 || strings.IndexByte(s[closing+1:], ')') >= 0 {
		return "", "", "", false
	}
	return s[:open], s[open+1 : closing], s[closing+1:], true
}

// parseOptions parses the comma-separated key=value options of urls.md into
// r. Keys and values are case-insensitive; an unknown key, a repeated key, an
// empty or unknown value, or a (format, encryption) pair outside the table is
// a *URLError.
func (r *StreamRequest) parseOptions(s string) error {
	if s == "" {
		return nil
	}
	var seenEnc, seenFilter bool
	for s != "" {
		var kv string
		kv, s, _ = strings.Cut(s, ",")
		k, v, found := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case strings.EqualFold(k, "format"):
			if r.HasFormat {
				return badURL("format= is given twice")
			}
			f, ok := lookupFold(formatNames[:], v)
			if !found || !ok || f == int(FormatSmooth) {
				return badURL("format=%q: want one of %s", v, strings.Join(formatNames[1:], ", "))
			}
			r.Format, r.HasFormat = Format(f), true
		case strings.EqualFold(k, "encryption"):
			if seenEnc {
				return badURL("encryption= is given twice")
			}
			e, ok := lookupFold(encryptionNames[:], v)
			if !found || !ok || e == int(EncryptionUnset) {
				return badURL("encryption=%q: want one of %s", v, strings.Join(encryptionNames[1:], ", "))
			}
			r.Encryption, seenEnc = Encryption(e), true
		case strings.EqualFold(k, "filter"):
			if seenFilter {
				return badURL("filter= is given twice: name several filters as filter=a;b;c")
			}
			if err := checkFilterList(v); err != nil {
				return err
			}
			r.Filter, seenFilter = v, true
		default:
			return badURL("unknown option %q: the options are format=, encryption= and filter=", k)
		}
	}
	if !r.Format.Allows(r.Encryption) {
		return badURL("encryption=%s is not available with %s: it takes %s",
			r.Encryption, r.Format, allowedList(r.Format))
	}
	return nil
}

// checkFilterList checks a filter= value: 1 to MaxURLFilters names of
// A-Z a-z 0-9 _ - (the management API's names), separated by ";", none
// twice.
func checkFilterList(v string) error {
	var names [MaxURLFilters]string
	n := 0
	for s := v; ; {
		var name string
		var more bool
		name, s, more = strings.Cut(s, ";")
		if n == MaxURLFilters {
			return badURL("filter=%s: at most %d filters", v, MaxURLFilters)
		}
		if !validFilterName(name) {
			return badURL("filter=%q: want 1 to %d filter names of A-Z a-z 0-9 _ -, separated by \";\"", v, MaxURLFilters)
		}
		for _, prev := range names[:n] {
			if prev == name {
				return badURL("filter=%s: %s is named twice", v, name)
			}
		}
		names[n] = name
		n++
		if !more {
			return nil
		}
	}
}

func validFilterName(s string) bool {
	if s == "" || len(s) > 260 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func allowedList(f Format) string {
	var names []string
	for _, e := range allowed[f] {
		names = append(names, "encryption="+e.String())
	}
	return "no encryption= (clear) or " + strings.Join(names, ", ")
}

func lookupFold(names []string, v string) (int, bool) {
	for i, n := range names {
		if n != "" && strings.EqualFold(n, v) {
			return i, true
		}
	}
	return 0, false
}

// validName accepts the locator, asset and track names the grammar can carry:
// no separators, no dot-dot, no control characters, at most 260 bytes.
func validName(s string) bool {
	if s == "" || len(s) > 260 || s == "." || s == ".." || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == '(' || c == ')' || c == ',' || c == '=' {
			return false
		}
	}
	return true
}

// URLOptions is the canonical option text that the manifests of r write into
// the URLs they address, so that a segment is fetched with the same format
// and encryption as its manifest.
func (r *StreamRequest) URLOptions(enc Encryption) string {
	var b strings.Builder
	if r.HasFormat {
		b.WriteString("format=")
		b.WriteString(r.Format.String())
	}
	if enc != EncryptionUnset {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString("encryption=")
		b.WriteString(enc.String())
	}
	if r.Filter != "" {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString("filter=")
		b.WriteString(r.Filter)
	}
	return b.String()
}
