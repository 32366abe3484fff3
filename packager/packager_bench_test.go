package packager_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/drmorigin/drmorigin/packager"
)

// BenchmarkIndex builds the index of the demo asset (four track files, .ism)
// from a cold library. SetBytes is the size of the files indexed, though the
// indexer reads only their headers and moofs.
func BenchmarkIndex(b *testing.B) {
	root := mediaRoot(b)
	var size int64
	matches, _ := filepath.Glob(filepath.Join(root, "demo", "*.mp4"))
	for _, m := range matches {
		fi, err := os.Stat(m)
		if err != nil {
			b.Fatal(err)
		}
		size += fi.Size()
	}
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		lib := packager.NewLibrary(localStore(root), 1)
		if _, err := lib.Asset("demo"); err != nil {
			b.Fatal(err)
		}
		lib.Close()
	}
}

// benchTrack returns a track of a testdata asset, kept open for the run.
func benchTrack(b *testing.B, asset string, i int) *packager.Track {
	b.Helper()
	lib := packager.NewLibrary(localStore(mediaRoot(b)), 4)
	b.Cleanup(func() { lib.Close() })
	a, err := lib.Asset(asset)
	if err != nil {
		b.Fatal(err)
	}
	return a.Tracks[i]
}

func benchSegment(b *testing.B, tr *packager.Track, out packager.Output) {
	buf, err := tr.AppendSegment(nil, 0, out, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(tr.Fragments[0].Size)
	for b.Loop() {
		if buf, err = tr.AppendSegment(buf[:0], 0, out, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendSegmentCMAF cuts the first 2 s fragment of the 640x360
// demo video (168 KB), which is already CMAF: styp, then the bytes as read.
func BenchmarkAppendSegmentCMAF(b *testing.B) {
	benchSegment(b, benchTrack(b, "demo", 0), packager.CMAF)
}

// BenchmarkAppendSegmentCMAFRewrite cuts a fragment whose moof needs a
// rewrite (absolute base_data_offset in the source).
func BenchmarkAppendSegmentCMAFRewrite(b *testing.B) {
	benchSegment(b, benchTrack(b, "legacy", 0), packager.CMAF)
}

// BenchmarkAppendSegmentSmooth cuts the same fragment as
// BenchmarkAppendSegmentCMAF with a tfxd added.
func BenchmarkAppendSegmentSmooth(b *testing.B) {
	benchSegment(b, benchTrack(b, "demo", 0), packager.Smooth)
}

// BenchmarkReadAtRaw is the floor: one ReadAt of the same fragment bytes
// into a warm buffer.
func BenchmarkReadAtRaw(b *testing.B) {
	tr := benchTrack(b, "demo", 0)
	f, err := os.Open(tr.Path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fr := tr.Fragments[0]
	buf := make([]byte, fr.Size)
	b.ReportAllocs()
	b.SetBytes(fr.Size)
	for b.Loop() {
		if _, err := f.ReadAt(buf, fr.Offset); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkColdStartTwoHours indexes a never-seen two-hour track (3,600
// fragments of 2 s, made from the demo's fragments with rewritten decode
// times; the mdat payloads are holes of a sparse file, which the indexer
// never reads) and cuts its first segment: the cold-start path.
func BenchmarkColdStartTwoHours(b *testing.B) {
	const fragments = 3600
	src, err := os.ReadFile(filepath.Join(mediaRoot(b), "demo", "video_640x360.mp4"))
	if err != nil {
		b.Fatal(err)
	}
	lib := packager.NewLibrary(localStore(mediaRoot(b)), 1)
	a, err := lib.Asset("demo")
	if err != nil {
		b.Fatal(err)
	}
	tr := a.Tracks[0]
	lib.Close()
	dir := b.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "long"), 0o755); err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "long", "video.mp4"))
	if err != nil {
		b.Fatal(err)
	}
	off := tr.Fragments[0].Offset
	if _, err := f.WriteAt(src[:off], 0); err != nil {
		b.Fatal(err)
	}
	for k := 0; k < fragments; k++ {
		fr := tr.Fragments[k%len(tr.Fragments)]
		head := bytes.Clone(src[fr.Offset : fr.Offset+fr.Size])
		moofSize := int(binary.BigEndian.Uint32(head))
		head = head[:moofSize+8] // moof and the mdat header
		tfdt := bytes.Index(head, []byte("tfdt"))
		binary.BigEndian.PutUint64(head[tfdt+8:], uint64(k)*fr.Duration)
		if _, err := f.WriteAt(head, off); err != nil {
			b.Fatal(err)
		}
		off += fr.Size
	}
	if err := f.Truncate(off); err != nil {
		b.Fatal(err)
	}
	f.Close()
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		lib := packager.NewLibrary(localStore(dir), 1)
		a, err := lib.Asset("long")
		if err != nil {
			b.Fatal(err)
		}
		if len(a.Tracks[0].Fragments) != fragments {
			b.Fatalf("%d fragments", len(a.Tracks[0].Fragments))
		}
		if buf, err = a.Tracks[0].AppendSegment(buf[:0], 0, packager.CMAF, nil, nil); err != nil {
			b.Fatal(err)
		}
		lib.Close()
	}
}
