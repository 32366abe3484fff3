package packager

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/drmorigin/drmorigin/storage"
)

// Asset is an indexed asset directory.
type Asset struct {
	Name         string   // directory name under the library root
	ManifestName string   // {name} in URLs: the .ism base name, else Name
	Tracks       []*Track // server-manifest order; without one, video by descending bitrate, then audio
	// Skipped lists what the asset leaves out because it cannot be served:
	// track files, or tracks of files of several, that are damaged or
	// unsupported, and .ism entries naming a file or track that is not
	// there. The asset is served without them (partially, when Skipped is
	// not empty); with no track left, Library.Asset fails with an
	// *UnservableError instead.
	Skipped []Skipped
	// Live is set while the asset is a live output's (LiveAsset): its
	// manifests are dynamic. nil for VOD, and for an archive after its
	// output ended.
	Live *LiveInfo
	// Texts are the subtitle tracks read from side files (text.go), in
	// server-manifest order, else by file name.
	Texts []*TextTrack

	texts  []textEntry       // while loading: side files to read
	files  []*trackFile      // every file opened, tracks served or not
	opened map[string]opened // while loading: each file's tracks or error
	store  storage.Store     // while loading
}

// Skipped is a track file, or one track of a file of several, that its
// asset leaves out.
type Skipped struct {
	// File is the file's name in the asset directory.
	File string
	// TrackID is the track left out of a file of several, or the one an
	// .ism entry asked for; 0 when the whole file is left out.
	TrackID uint32
	// Err says why. It wraps ErrCorrupt (damaged, or an .ism entry naming
	// what is not there) or ErrUnsupported (well formed, but not media
	// the packager serves), and names the file.
	Err error
	// version is the file's storage.Object Identity when it was skipped,
	// "" when absent: another one means it was replaced (Library.Asset
	// builds the asset again).
	version string
}

// UnservableError is the error of Library.Asset for an asset that has
// tracks, but none that can be served. It wraps the error of each skipped
// file or track, so errors.Is finds ErrCorrupt and ErrUnsupported in it.
type UnservableError struct {
	Asset   string
	Skipped []Skipped
}

func (e *UnservableError) Error() string {
	if len(e.Skipped) == 1 {
		return e.Skipped[0].Err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "asset %s: no track can be served: ", e.Asset)
	for i, s := range e.Skipped {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(s.Err.Error())
	}
	return b.String()
}

func (e *UnservableError) Unwrap() []error {
	errs := make([]error, len(e.Skipped))
	for i, s := range e.Skipped {
		errs[i] = s.Err
	}
	return errs
}

type opened struct {
	ts  []*Track
	err error
}

// Track returns the track of that name (case-insensitive) and bitrate, or nil.
func (a *Asset) Track(name string, bitrate int) *Track {
	for _, t := range a.Tracks {
		if t.Bitrate == bitrate && strings.EqualFold(t.Name, name) {
			return t
		}
	}
	return nil
}

// changed reports whether a read found one of the asset's files replaced
// since it was indexed: the asset must be built again.
func (a *Asset) changed() bool {
	for _, f := range a.files {
		if f.changed.Load() {
			return true
		}
	}
	return false
}

// evict releases the asset's open files (after in-flight reads).
func (a *Asset) evict() {
	for _, f := range a.files {
		f.evict()
	}
}

// open returns the tracks of the asset's file name, opening and indexing
// it on first use: a file that an .ism lists once per track is read once.
// Tracks of a file of several that cannot be served are recorded in
// a.Skipped; a whole file that cannot be is the error (mediaFault), which
// the caller records or not.
func (a *Asset) open(st storage.Store, name string) ([]*Track, error) {
	if o, ok := a.opened[name]; ok {
		return o.ts, o.err
	}
	ts, skipped, tf, err := openFile(st, a.Name+"/"+name)
	if a.opened == nil {
		a.opened = map[string]opened{}
	}
	a.opened[name] = opened{ts, err}
	if tf != nil {
		a.files = append(a.files, tf)
	}
	for _, s := range skipped {
		s.File = name
		a.skip(s)
	}
	return ts, err
}

// skip records what the asset leaves out, once per file and track.
func (a *Asset) skip(s Skipped) {
	for _, o := range a.Skipped {
		if o.File == s.File && o.TrackID == s.TrackID {
			return
		}
	}
	s.version, _ = versionOf(a.store, a.Name, s.File)
	a.Skipped = append(a.Skipped, s)
}

// versionOf is the Identity of file in the directory of asset in st, ""
// when there is none; ok is false when the store could not tell
// (unavailable).
func versionOf(st storage.Store, asset, file string) (v string, ok bool) {
	if !validName(file) {
		return "", true
	}
	f, err := st.Open(asset + "/" + file)
	if err != nil {
		return "", errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrInvalidName)
	}
	defer f.Close()
	return f.Identity(), true
}

// skippedIn reports whether the track of file that an .ism entry asks for
// (trackID, 0 for the first of its kind) was left out already.
func (a *Asset) skippedIn(file string, trackID uint32) bool {
	for _, s := range a.Skipped {
		if s.File == file && (s.TrackID == 0 || trackID == 0 || s.TrackID == trackID) {
			return true
		}
	}
	return false
}

// trackExts are the file name extensions of track files: fragmented and
// progressive MP4 (assets.md, "Track files").
var trackExts = []string{".mp4", ".cmfv", ".cmfa", ".ismv", ".isma", ".m4v", ".m4a", ".mov"}

func isTrackFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return slices.Contains(trackExts, ext) && !strings.HasPrefix(name, ".")
}

// validName reports whether an asset name names a directory right under
// the root.
func validName(name string) bool {
	return name != "" && len(name) <= MaxNameLen && name[0] != '.' &&
		!strings.ContainsAny(name, "/\\\x00")
}

// loadAsset opens and indexes every track of the asset directory name in
// st. A track file (or a track of one) that is damaged or unsupported is
// left out and recorded in Skipped; with nothing left, the error is an
// *UnservableError. Store failures fail the whole build.
func loadAsset(st storage.Store, name string, target time.Duration) (a *Asset, err error) {
	dir := st.Locate(name)
	entries, err := st.List(name + "/")
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("%w: %s", ErrAssetNotFound, name)
		}
		return nil, fmt.Errorf("packager: asset %s: %w", name, err)
	}
	a = &Asset{Name: name, ManifestName: name, store: st}
	defer func() {
		if err != nil && a != nil {
			a.evict()
			a = nil
		}
	}()
	var isms, files, lives []string
	var sides []textEntry
	for _, e := range entries {
		n := e.Name
		_, side := textSourceOf(n)
		switch {
		case strings.HasPrefix(n, "."):
		case e.Dir && strings.HasSuffix(n, LiveDirExt):
			lives = append(lives, n)
		case strings.EqualFold(filepath.Ext(n), ".ism"):
			isms = append(isms, n)
		case isTrackFile(n) && !e.Dir:
			files = append(files, n)
		case side && !e.Dir:
			sides = append(sides, textEntry{file: n, language: languageFromName(n)})
		}
	}
	switch {
	case len(lives) > 0:
		// A live output's archive (live.go): its tracks are the .live
		// directories; track files beside them are not its.
		if err := a.openLiveTracks(st, lives); err != nil {
			return a, err
		}
	case len(isms) == 0:
		if len(files) == 0 {
			return nil, fmt.Errorf("packager: asset %s holds no track files: %w", name, ErrNoTrackFiles)
		}
		for _, f := range files {
			ts, err := a.open(st, f)
			if mediaFault(err) {
				a.skip(Skipped{File: f, Err: err})
				if errors.Is(err, ErrUnsupported) {
					// It may be a wvtt or stpp track (text_embedded.go).
					sides = append(sides, textEntry{file: f, language: languageFromName(f), embedded: true})
				}
				continue
			}
			if err != nil {
				return a, err
			}
			a.Tracks = append(a.Tracks, ts...)
		}
		a.Tracks = dedupe(a.Tracks)
		nameTracks(a.Tracks)
	case len(isms) == 1:
		a.ManifestName = strings.TrimSuffix(isms[0], filepath.Ext(isms[0]))
		if err := a.loadISM(st, isms[0]); err != nil {
			return a, err
		}
	default:
		return nil, corruptf(dir, 0, "%d server manifests (%s); want at most one", len(isms), strings.Join(isms, ", "))
	}
	uniqueBitrates(a.Tracks)
	if err := a.cutProgressive(target); err != nil {
		return a, err
	}
	if a.texts == nil {
		// No <textstream> in a server manifest: every side file, with the
		// language its name states.
		a.texts = sides
	}
	if err := a.loadTexts(st, a.texts); err != nil {
		return a, err
	}
	if len(a.Tracks) == 0 {
		return a, &UnservableError{Asset: name, Skipped: a.Skipped}
	}
	a.opened, a.store, a.texts = nil, nil, nil
	return a, nil
}

// loadISM reads the server manifest ism of the asset directory a.Name and
// opens and indexes the tracks it lists. An entry whose file or track is
// missing, damaged or unsupported is left out (a.Skipped).
func (a *Asset) loadISM(st storage.Store, ism string) error {
	path := st.Locate(a.Name + "/" + ism)
	f, err := st.Open(a.Name + "/" + ism)
	if err != nil {
		return fmt.Errorf("packager: open %s: %w", path, err)
	}
	b, err := io.ReadAll(io.LimitReader(io.NewSectionReader(f, 0, f.Size()), MaxManifestSize+1))
	_ = f.Close()
	if err != nil {
		return fmt.Errorf("packager: read %s: %w", path, err)
	}
	if len(b) > MaxManifestSize {
		return corruptf(path, MaxManifestSize, "server manifest over MaxManifestSize")
	}
	entries, reason := parseISM(b)
	if reason != "" {
		return corruptf(path, 0, "%s", reason)
	}
	listed := false
	for _, e := range entries {
		if e.kind == "textstream" {
			a.texts = append(a.texts, textEntry{file: e.src, language: e.language, trackName: e.trackName, bitrate: e.bitrate})
			continue
		}
		if e.kind != "video" && e.kind != "audio" {
			continue // others are not served
		}
		listed = true
		if !validName(e.src) || !isTrackFile(e.src) {
			a.skip(Skipped{File: e.src, TrackID: e.trackID,
				Err: corruptf(path, 0, "track src %q is not a track file in the asset directory", e.src)})
			continue
		}
		ts, err := a.open(st, e.src)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			a.skip(Skipped{File: e.src, TrackID: e.trackID,
				Err: corruptf(path, 0, "track src %q: not a regular file in the asset directory", e.src)})
			continue
		case mediaFault(err):
			a.skip(Skipped{File: e.src, Err: err})
			continue
		case err != nil:
			return err
		}
		t := pick(ts, e)
		if t == nil {
			if a.skippedIn(e.src, e.trackID) {
				continue // the file's track that the entry names was left out
			}
			msg := fmt.Sprintf("track src %q has no %s track", e.src, e.kind)
			if e.trackID != 0 {
				msg = fmt.Sprintf("track src %q has no %s track with trackID %d", e.src, e.kind, e.trackID)
			}
			a.skip(Skipped{File: e.src, TrackID: e.trackID, Err: corruptf(path, 0, "%s", msg)})
			continue
		}
		if slices.Contains(a.Tracks, t) {
			continue // the same track of the same file, listed again
		}
		a.Tracks = append(a.Tracks, t)
		if e.bitrate > 0 {
			t.Bitrate = e.bitrate
		}
		if e.language != "" {
			t.Language = normLanguage(e.language)
		}
		t.Name = e.trackName
		if t.Name == "" {
			t.Name = t.Kind.String()
		}
	}
	if !listed {
		return corruptf(path, 0, "no video or audio tracks")
	}
	a.Tracks = dedupe(a.Tracks)
	return nil
}

// pick returns the track of ts that the server manifest entry e names: the
// one with its trackID, else the first of its kind (video or audio).
func pick(ts []*Track, e ismEntry) *Track {
	for _, t := range ts {
		if t.Kind.String() == e.kind && (e.trackID == 0 || t.TrackID == e.trackID) {
			return t
		}
	}
	return nil
}

// dedupe drops the tracks of files of several tracks that repeat an
// earlier one of the same name, language and media: encoders put the same
// audio in every video file (and list it once per file in the .ism); the
// asset serves it once. Tracks are the same when their codec,
// configuration, timescale, samples, duration and bytes are. Files of one
// track are left alone: two copies of a file are two tracks, as before.
func dedupe(ts []*Track) []*Track {
	seen := map[string]bool{}
	out := ts[:0]
	for _, t := range ts {
		if t.siblings {
			k := t.signature()
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		out = append(out, t)
	}
	clear(ts[len(out):])
	return out
}

// signature identifies a track's media, for dedupe.
func (t *Track) signature() string {
	var n, dur, bytes uint64
	if x := t.prog; x != nil {
		n = uint64(x.n)
		for _, r := range x.durs {
			dur += uint64(r.count) * uint64(r.value)
		}
		for k := range x.n {
			bytes += uint64(x.size(k))
		}
	} else {
		for _, f := range t.Fragments {
			n += uint64(f.Samples)
			dur += f.Duration
			bytes += uint64(f.Size)
		}
	}
	return fmt.Sprintf("%s|%s|%s|%s|%s|%d|%d|%d|%d", t.Kind, t.Name, t.Language, t.Codecs, t.CodecPrivateData, t.Timescale, n, dur, bytes)
}

// cutProgressive cuts the asset's progressive tracks into fragments
// (progressive_cut.go): video tracks at their sync samples on multiples of
// target, audio tracks at the first video track's fragment starts, or on
// multiples when the asset has no video. A track whose sample tables
// cannot be cut (damaged) is left out of the asset; the next video track
// then leads.
func (a *Asset) cutProgressive(target time.Duration) error {
	var lead *Track
	var starts []int64
	for lead == nil {
		i := slices.IndexFunc(a.Tracks, func(t *Track) bool { return t.Kind == Video })
		if i < 0 {
			break
		}
		lead = a.Tracks[i]
		if lead.prog == nil {
			// A fragmented lead: its fragments' decode times, less the
			// edit shift (the first sample's composition offset is not
			// known without reading its moof).
			for _, f := range lead.Fragments {
				starts = append(starts, int64(f.Time)-lead.shift)
			}
			break
		}
		var err error
		if starts, err = lead.cut(lead.prog, multiples(target, lead.Timescale, true), lead.shift); err != nil {
			if !mediaFault(err) {
				return err
			}
			a.leaveOut(lead, err)
			lead = nil
		}
	}
	for _, t := range slices.Clone(a.Tracks) {
		if t.prog == nil || t == lead {
			continue
		}
		rule := multiples(target, t.Timescale, false)
		switch {
		case t.Kind == Video:
			rule = multiples(target, t.Timescale, true)
		case lead != nil:
			rule = following(starts, lead.Timescale, t.Timescale)
		}
		if _, err := t.cut(t.prog, rule, t.shift); err != nil {
			if !mediaFault(err) {
				return err
			}
			a.leaveOut(t, err)
		}
	}
	return nil
}

// leaveOut drops an indexed track from the asset, recording why.
func (a *Asset) leaveOut(t *Track, err error) {
	a.Tracks = slices.DeleteFunc(a.Tracks, func(x *Track) bool { return x == t })
	a.skip(Skipped{File: strings.TrimPrefix(t.file.name, a.Name+"/"), TrackID: t.TrackID, Err: err})
}

// nameTracks orders and names the tracks of an asset without server
// manifest: video by descending bitrate, then audio (by language, then
// descending bitrate); video is "video", audio "audio", or "audio_{lang}"
// when the asset has audio in more than one language.
func nameTracks(ts []*Track) {
	slices.SortStableFunc(ts, func(x, y *Track) int {
		if x.Kind != y.Kind {
			return int(x.Kind) - int(y.Kind)
		}
		if x.Kind == Audio && x.Language != y.Language {
			return strings.Compare(x.Language, y.Language)
		}
		return y.Bitrate - x.Bitrate
	})
	langs := map[string]bool{}
	for _, t := range ts {
		if t.Kind == Audio {
			langs[t.Language] = true
		}
	}
	for _, t := range ts {
		t.Name = t.Kind.String()
		if t.Kind == Audio && len(langs) > 1 {
			t.Name = "audio_" + t.Language
		}
	}
}

// uniqueBitrates bumps a bitrate by 1 until no earlier track of the same
// name has it, so that (name, bitrate) addresses one track.
func uniqueBitrates(ts []*Track) {
	seen := map[string]bool{}
	for _, t := range ts {
		for seen[fmt.Sprintf("%s/%d", strings.ToLower(t.Name), t.Bitrate)] {
			t.Bitrate++
		}
		seen[fmt.Sprintf("%s/%d", strings.ToLower(t.Name), t.Bitrate)] = true
	}
}
