// Package packager owns the fragmented-MP4 asset index and the per-request
// repackaging of a source fragment into an output segment (CMAF, Smooth
// Streaming, and later MPEG-2 TS).
//
// An asset's track files are indexed once (from sidx/mfra, else by walking
// moof headers) and kept in a bounded cache; a fragment is cut out of its file
// with one read. packager knows nothing of HTTP, Redis, configuration or
// logging: it imports mp4ff and this module's crypto and storage packages
// only, and reads every file through a storage.Store.
//
// Use:
//
//	st := storage.NewLocal(root, storage.LocalOptions{}) // or any storage.Store
//	lib := packager.NewLibrary(st, 64)     // at most 64 indexed assets
//	a, err := lib.Asset("demo")            // ErrInvalidName, ErrAssetNotFound, ErrCorrupt…
//	tr := a.Track("video", 600000)         // nil when absent
//	i, ok := tr.FragmentAt(25600)          // exact decode time
//	buf, err = tr.AppendSegment(buf[:0], i, packager.CMAF)
//
// Encrypted (e is a *packager.Encryption with the cached *crypto.Key):
//
//	init, err := tr.AppendInitEncrypted(nil, packager.CMAF, e) // cache it
//	s := packager.AcquireScratch()
//	buf, err = tr.AppendSegmentEncrypted(buf[:0], i, packager.CMAF, e, s)
//	packager.ReleaseScratch(s)                                   // on error, send nothing from buf
//
// Files: library.go (cache), asset.go and ism.go (directory and server
// manifest), index.go (box walker, sidx, mfra), codec.go (codec strings and
// Smooth fields), moof.go (moof validation and rewriting, without
// allocation), segment.go (output segments), encrypt.go (cenc, cbcs and
// PIFF output: protected init segments, in-place sample encryption,
// senc/saiz/saio), file.go (open files that
// outlive eviction only as long as a read needs them), errors.go (sentinels
// and limits).
package packager
