package packager_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// mediaRoot is testdata/media in the repository.
func mediaRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "media")
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
