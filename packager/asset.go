package packager

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/drmorigin/drmorigin/storage"
)

// Asset is an indexed asset directory.
type Asset struct {
	Name         string   // directory name under the library root
	ManifestName string   // {name} in URLs: the .ism base name, else Name
	Tracks       []*Track // server-manifest order; without one, video by descending bitrate, then audio
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

// evict releases the asset's open files (after in-flight reads).
func (a *Asset) evict() {
	for _, t := range a.Tracks {
		t.file.evict()
	}
}

// trackExts are the file name extensions of track files.
var trackExts = []string{".mp4", ".cmfv", ".cmfa", ".ismv", ".isma"}

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
// st.
func loadAsset(st storage.Store, name string) (a *Asset, err error) {
	dir := st.Locate(name)
	entries, err := st.List(name + "/")
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("%w: %s", ErrAssetNotFound, name)
		}
		return nil, fmt.Errorf("packager: asset %s: %w", name, err)
	}
	a = &Asset{Name: name, ManifestName: name}
	defer func() {
		if err != nil && a != nil {
			a.evict()
			a = nil
		}
	}()
	var isms, files []string
	for _, e := range entries {
		n := e.Name
		switch {
		case strings.HasPrefix(n, "."):
		case strings.EqualFold(filepath.Ext(n), ".ism"):
			isms = append(isms, n)
		case isTrackFile(n) && !e.Dir:
			files = append(files, n)
		}
	}
	switch len(isms) {
	case 0:
		if len(files) == 0 {
			return nil, fmt.Errorf("%w: %s holds no track files", ErrAssetNotFound, name)
		}
		for _, f := range files {
			t, err := openTrack(st, name+"/"+f)
			if err != nil {
				return a, err
			}
			a.Tracks = append(a.Tracks, t)
		}
		nameTracks(a.Tracks)
	case 1:
		a.ManifestName = strings.TrimSuffix(isms[0], filepath.Ext(isms[0]))
		if err := a.loadISM(st, isms[0]); err != nil {
			return a, err
		}
	default:
		return nil, corruptf(dir, 0, "%d server manifests (%s); want at most one", len(isms), strings.Join(isms, ", "))
	}
	uniqueBitrates(a.Tracks)
	return a, nil
}

// loadISM reads the server manifest ism of the asset directory a.Name and
// opens and indexes the tracks it lists.
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
	for _, e := range entries {
		if e.kind != "video" && e.kind != "audio" {
			continue // textstream and others are not served (yet)
		}
		if !validName(e.src) || !isTrackFile(e.src) {
			return corruptf(path, 0, "track src %q is not a track file in the asset directory", e.src)
		}
		t, err := openTrack(st, a.Name+"/"+e.src)
		if errors.Is(err, storage.ErrNotFound) {
			return corruptf(path, 0, "track src %q: not a regular file in the asset directory", e.src)
		}
		if err != nil {
			return err
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
	if len(a.Tracks) == 0 {
		return corruptf(path, 0, "no video or audio tracks")
	}
	return nil
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
