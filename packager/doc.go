// Package packager owns the asset index and the per-request packaging of a
// source fragment into an output segment: CMAF (DASH, HLS fMP4), Smooth
// Streaming and MPEG-2 TS, clear or protected.
//
// packager knows nothing of HTTP, Redis, configuration or logging: it
// imports mp4ff and this module's crypto, codec, storage and packager/ts
// packages only. Origin decides what to serve (the output, the protection);
// packager applies it.
//
// # Use
//
//	st := storage.NewLocal(root, storage.LocalOptions{}) // or any storage.Store
//	lib := packager.NewLibrary(st, 64)  // at most 64 indexed assets
//	a, err := lib.Asset("demo")         // ErrInvalidName, ErrAssetNotFound, ErrCorrupt…
//	tr := a.Track("video", 600000)      // nil when absent
//	i, ok := tr.FragmentAt(25600)       // exact decode time
//	s := packager.AcquireScratch()
//	buf, err = tr.AppendSegment(buf[:0], i, packager.CMAF, p, s) // p nil: clear
//	packager.ReleaseScratch(s)          // on error, send nothing from buf
//	init, err := tr.AppendInit(nil, packager.CMAF, p)            // cached when protected
//
// A Protection (scheme, key, KID, pssh boxes, asset name) is built by the
// caller once per request; every output and scheme goes through those two
// entry points. AppendSegmentMapped is the clear fMP4 form that leaves the
// samples in the file's mapping for the socket.
//
// # Layers
//
// From the bytes up, each layer knows only the one below it:
//
//  1. Storage (package storage). Every read goes through a storage.Store:
//     ranged reads of an Object, its size and identity, listing, and for
//     local files a read-only mapping with the truncation guard
//     (storage.Guard). file.go keeps an Object open, refcounted, while its
//     asset is cached.
//  2. Index (library.go, asset.go, ism.go, index.go, codec.go). An asset's
//     track files are indexed once (sidx, mfra, else a walk of the moofs)
//     into Track: identity, codec fields, and per fragment its decode time,
//     duration and byte range. The moov is decoded once per track. A track
//     file (or a track of one) that is damaged or unsupported is left out
//     of its asset and listed in Asset.Skipped with the reason; the asset
//     fails (UnservableError) only when no track is left. packager does not
//     log it: Library.Observe tells the caller once per build.
//  3. Samples (sample.go, fmp4_read.go). For fragment i, a source reader
//     fills a SampleTable: per sample its file offset, size, duration,
//     composition offset and flags, and the decode time. readMoof is the one
//     walker of a moof; the indexer validates each fragment with it, and a
//     segment request runs it once on the fragment it serves.
//  4. Writers, which read only the SampleTable and the samples' bytes:
//     fmp4_write.go (styp, moof, mdat header; keeps a fragmented source's
//     trun layout byte for byte), encrypt.go (cenc, cbcs, PIFF: subsample
//     maps, senc/saiz/saio, in one pass from the mapping), segment_ts.go
//     (MPEG-2 TS through packager/ts, SAMPLE-AES inside the muxer), and
//     segment.go (the entry point; AES-128 over any whole segment).
//  5. Protection (protection.go, init.go): the one scheme vocabulary, the
//     IV rule (SegmentIV, fragmentIV, constantIV: derived here only) and
//     protected init segments, built once per (track, output, protection).
//
// # Where the next sources plug in
//
//   - Progressive MP4: a reader of the moov's sample tables (stts, ctts,
//     stss, stsz, stsc, stco) that cuts fragments at sync samples and fills
//     the same SampleTable per fragment; its samples need not lie back to
//     back (interleaved chunks), which the writers already handle
//     (sampleData reads their range; AppendSegmentMapped falls back to a
//     buffered body).
//   - Object storage: a storage.Store whose Objects do ranged reads (S3,
//     Azure Blob) behind a block cache; the index and the writers do not
//     change, and Identity pins reads to the version that was indexed.
//   - Live: a reader over fragments that grow while they are served; the
//     index gains fragments at its end, and each still becomes one
//     SampleTable for the writers.
package packager
