package packager

import (
	"errors"
	"fmt"
	"io"
	"math/big"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/drmorigin/drmorigin/codec/subtitle"
	"github.com/drmorigin/drmorigin/packager/ts"
	"github.com/drmorigin/drmorigin/storage"
)

// TextSource is the format of a subtitle side file.
type TextSource uint8

// Side file formats.
const (
	WebVTT TextSource = iota // .vtt
	TTML                     // .ttml, .dfxp (TTML, IMSC1, DFXP)
)

// DefaultTextBitrate is the QualityLevels value of a text track whose .ism
// entry states no systemBitrate: a nominal 1 kbit/s.
const DefaultTextBitrate = 1000

// TextTrack is a subtitle track of an asset: the cues of a side file, cut
// at the asset's lead track fragments (the first video track's, else the
// first track's), so that it has one segment per video segment, at the
// same times. A TextTrack is immutable once its asset is built.
//
// Times: the side file's cue at time t belongs with the lead track's frame
// whose presentation time (decode time plus composition offset, less the
// edit list's shift) is t. The DASH and HLS fMP4 outputs carry the video's
// edit list, which players apply (Chromium's MSE does, with hls.js and
// shaka-player: measured by the browser tests), so the text's media time is
// t there; in TS a cue is at the PTS the TS writer gives that frame (TSZero
// + t); Smooth clients build the video's initialization from the manifest,
// without an edit list, so a Smooth fragment puts a cue at the frame's
// composition time, t + Shift.
type TextTrack struct {
	// Name is the URL track name: the .ism trackName, else
	// "textstream_{language}".
	Name string
	// Language is ISO 639-2/T ("swe"), "und" when none is known.
	Language string
	// Bitrate is the QualityLevels value: the .ism systemBitrate, else
	// DefaultTextBitrate (bumped until (Name, Bitrate) is unique).
	Bitrate int
	// File is the side file's name in the asset directory.
	File   string
	Source TextSource
	// TrackID is the track_ID the text's fMP4 segments carry: one above
	// every track of the asset.
	TrackID uint32
	// Cues are the side file's cues as read, in file order.
	Cues []subtitle.Cue
	// Problem is what was wrong with the side file (it names the file): the
	// track holds the cues read before or around it; nil when none.
	Problem error
	// Timescale and Fragments are the lead track's: segment i of the text
	// starts at Fragments[i].Time (decode time) and lasts its Duration.
	Timescale uint32
	Fragments []Fragment
	// Shift is the lead's composition time of presentation time 0, in
	// Timescale units (its edit list's shift).
	Shift int64
	// TSZero is the 90 kHz PTS (33 bits) that the TS writer gives the
	// lead's frame of presentation time 0: the HLS TS formats'
	// X-TIMESTAMP-MAP MPEGTS value for LOCAL 00:00:00.000.
	TSZero uint64
}

// FragmentAt returns the index of the segment starting at time.
func (t *TextTrack) FragmentAt(time uint64) (int, bool) {
	tr := Track{Fragments: t.Fragments}
	return tr.FragmentAt(time)
}

// Text returns the text track of that name (case-insensitive) and
// bitrate, or nil.
func (a *Asset) Text(name string, bitrate int) *TextTrack {
	for _, t := range a.Texts {
		if t.Bitrate == bitrate && strings.EqualFold(t.Name, name) {
			return t
		}
	}
	return nil
}

// textEntry is a side file to read: from an .ism <textstream>, or found by
// its name.
type textEntry struct {
	file, language, trackName string
	bitrate                   int
	// embedded: an MP4 file that may hold a wvtt or stpp track
	// (text_embedded.go); it is left as it is when it does not.
	embedded bool
}

// textSourceOf is the format of a side file by its extension.
func textSourceOf(name string) (TextSource, bool) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".vtt", ".webvtt":
		return WebVTT, true
	case ".ttml", ".dfxp":
		return TTML, true
	}
	return 0, false
}

// languageFromName is the language a side file's name states in its last
// part: "subs_sv.vtt" and "movie.swe.vtt" → sv, swe; "" when none.
func languageFromName(name string) string {
	base := strings.TrimSuffix(name, filepath.Ext(name))
	i := strings.LastIndexAny(base, "_.")
	if i < 0 {
		return ""
	}
	tag := base[i+1:]
	if l := normLanguage(tag); l != "und" && (len(tag) <= 3 || tag[2] == '-' || tag[3] == '-') {
		return tag
	}
	return ""
}

// loadTexts reads the asset's side files and cuts them at the lead track's
// fragments. A side file that cannot be read at all is recorded in
// a.Skipped; one that parses in part is served in part (TextTrack.Problem).
// Store failures fail the build.
func (a *Asset) loadTexts(st storage.Store, entries []textEntry) error {
	if len(entries) == 0 || len(a.Tracks) == 0 {
		return nil
	}
	lead := a.Tracks[0]
	for _, t := range a.Tracks {
		if t.Kind == Video {
			lead = t
			break
		}
	}
	var maxID uint32
	for _, t := range a.Tracks {
		maxID = max(maxID, t.TrackID)
	}
	tsZero, err := lead.tsZero()
	if err != nil && !mediaFault(err) {
		return err
	}
	for _, e := range entries {
		src, ok := textSourceOf(e.file)
		path := st.Locate(a.Name + "/" + e.file)
		embedded := !ok && isTrackFile(e.file)
		if !ok && !embedded || !validName(e.file) {
			a.skip(Skipped{File: e.file, Err: corruptf(path, 0, "textstream src %q is not a .vtt, .ttml, .dfxp or MP4 file in the asset directory", e.file)})
			continue
		}
		b, err := readSide(st, a.Name+"/"+e.file)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			a.skip(Skipped{File: e.file, Err: corruptf(path, 0, "textstream src %q: not a regular file in the asset directory", e.file)})
			continue
		case errors.Is(err, errSideTooLarge):
			if !e.embedded {
				a.skip(Skipped{File: e.file, Err: corruptf(path, subtitle.MaxFileSize, "subtitle file larger than %d bytes", subtitle.MaxFileSize)})
			}
			continue
		case err != nil:
			return fmt.Errorf("packager: read %s: %w", path, err)
		}
		t := &TextTrack{
			Name: e.trackName, Language: normLanguage(e.language), Bitrate: e.bitrate, File: e.file, Source: src,
			Timescale: lead.Timescale, Fragments: lead.Fragments, Shift: lead.shift, TSZero: tsZero,
		}
		var perr error
		switch {
		case embedded:
			var lang string
			var isText bool
			t.Cues, t.Source, lang, isText, perr = embeddedText(b)
			if !isText {
				if !e.embedded { // listed as a textstream: say why it is not served
					a.skip(Skipped{File: e.file, Err: unsupportedf(path, "textstream src %q holds no wvtt or stpp track", e.file)})
				}
				continue
			}
			a.unskip(e.file)
			if e.language == "" {
				t.Language = normLanguage(lang)
			}
		case src == WebVTT:
			t.Cues, perr = subtitle.ParseWebVTT(b)
		default:
			t.Cues, perr = subtitle.ParseTTML(b)
		}
		if perr != nil {
			t.Problem = fmt.Errorf("%w: %s: %v (served with the %d cues read)", ErrCorrupt, path, perr, len(t.Cues))
		}
		if t.Name == "" {
			t.Name = "textstream_" + t.Language
		}
		if t.Bitrate <= 0 {
			t.Bitrate = DefaultTextBitrate
		}
		for a.Text(t.Name, t.Bitrate) != nil || a.Track(t.Name, t.Bitrate) != nil {
			t.Bitrate++
		}
		maxID++
		t.TrackID = maxID
		a.Texts = append(a.Texts, t)
	}
	return nil
}

var errSideTooLarge = errors.New("side file too large")

// unskip drops what a.Skipped says of file: it was taken for a media
// track file that could not be served, and is a text track after all.
func (a *Asset) unskip(file string) {
	a.Skipped = slices.DeleteFunc(a.Skipped, func(s Skipped) bool { return s.File == file })
}

// readSide reads a whole side file.
func readSide(st storage.Store, name string) ([]byte, error) {
	f, err := st.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.Size() > subtitle.MaxFileSize {
		return nil, errSideTooLarge
	}
	return io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
}

// tsZero is the PTS the TS writer gives t's frame of presentation time 0:
// that frame's composition time is t.shift, to which the writer adds its
// TimeOffset and then ts.TimestampOffset (packager/ts, timestamp.go).
func (t *Track) tsZero() (uint64, error) {
	var off int64
	if t.Kind == Video || t.Kind == Audio {
		s, err := t.tsState()
		if err != nil {
			return tsPTS(t.shift, t.Timescale), err
		}
		off = s.cfg.TimeOffset
	}
	return tsPTS(t.shift+off, t.Timescale), nil
}

// compTime is side-file time d as media time in t's timescale, rounded to
// the nearest unit, on a timeline where presentation time 0 is at shift.
func (t *TextTrack) compTime(d time.Duration, shift int64) int64 {
	x := new(big.Int).Mul(big.NewInt(int64(d)), big.NewInt(int64(t.Timescale)))
	x.Add(x, big.NewInt(int64(time.Second/2)))
	x.Div(x, big.NewInt(int64(time.Second)))
	return x.Int64() + shift
}

// sideTime is media time c of t's timescale, on a timeline where
// presentation time 0 is at shift, as side-file time.
func (t *TextTrack) sideTime(c, shift int64) time.Duration {
	x := new(big.Int).Mul(big.NewInt(c-shift), big.NewInt(int64(time.Second)))
	return time.Duration(x.Div(x, big.NewInt(int64(t.Timescale))).Int64())
}

func tsPTS(t int64, timescale uint32) uint64 { return ts.PTS(t, timescale) }
