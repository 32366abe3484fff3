package packager_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/drmorigin/drmorigin/storage"
)

// mediaRoot is testdata/media in the repository.
func mediaRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "media")
}

// mapFiles is the mapping option of the stores localStore opens: on, as
// in production; tests switch it off (setMapFiles) to cover pread.
var mapFiles = true

// setMapFiles switches the mapping of the stores opened from now on and
// returns the previous setting.
func setMapFiles(on bool) (old bool) {
	old, mapFiles = mapFiles, on
	return old
}

// localStore is the local store of the files under root.
func localStore(root string) storage.Store {
	return storage.NewLocal(root, storage.LocalOptions{NoMapping: !mapFiles})
}

// needFFmpeg fails the test when ffmpeg is missing: the decode checks are the
// proof that the output is right, so they must not be skipped.
func needFFmpeg(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Fatalf("ffmpeg not found (%v): apt-get install -y ffmpeg", err)
	}
	return p
}
