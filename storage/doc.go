// Package storage owns where assets live and how their bytes are read: the
// Store interface every reader of media goes through (the packager's
// indexer and segment cutter, the asset listings of the origin and the
// command), its implementations, and the guard that makes a read of a
// memory-mapped file that was cut short an error instead of a crash.
//
// A Store names objects with slash-separated names relative to its root
// ("demo/video.mp4") and lists the entries directly under a directory
// prefix ("demo/"). An Object is read with ranged reads (ReadAt), the one
// access an object store (S3, Azure Blob) gives cheaply; objects that can
// also expose their bytes as a read-only mapping (local files, memory)
// implement Mapper, and readers of a mapping run under Guard.
//
// Implementations: Local (a directory of the OS file system, files mapped
// read-only unless switched off), Mem (objects held in memory, for tests
// and fuzzing) and RemoteStore (NewRemote), which reads any object store
// through a Remote, its client: storage/s3 (minio-go, any S3 API) and
// storage/azblob (the Azure SDK) implement Remote; storagetest has one in
// memory with faults on demand. RemoteStore owns what every object store
// needs and writes it once: a bounded block cache (Viewer lends its
// blocks without a copy, Prefetcher reads a range ahead in one read), one
// ranged read for concurrent misses, reads pinned to the version opened
// (ErrChanged), a timeout per attempt and bounded retries (ErrUnavailable).
// The readers above do not know which store they read.
//
// storage imports the standard library only (its sub-packages s3 and
// azblob add their SDK), and never HTTP, Redis,
// configuration or logging: it knows nothing of requests, and the
// packager, which must stay free of all of them, imports it.
//
// Files: storage.go (Store, Object, Mapper, Entry), errors.go (sentinels),
// name.go (name rules), guard.go (faults reading a mapping), local.go (the
// OS file system), local_unix.go and local_other.go (mappings and file
// identity per platform), mem.go (in memory), remote.go (the Remote and
// RemoteWriter interfaces), remote_store.go (RemoteStore), remote_write.go
// (RemoteStore as a Writer), blockcache.go (its cache), writer.go (Writer:
// the live archive's puts and removes, Local's and Mem's).
package storage
