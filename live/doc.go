// Package live is drmorigin's live room (spec/live.md): it reads encoders'
// fragmented-MP4 feeds, appends them to a live output's archive in storage,
// keeps the archive's growing fragment index for the packager, and announces
// new fragments. It knows nothing of HTTP, Redis or config: origin decides
// (which events run, which outputs exist, who may ingest), live applies.
//
// # Wiring (serve)
//
//	st := storage.NewLocal(root, opts)          // or storage.NewRemote(s3 or azblob Remote, …)
//	lib := packager.NewLibrary(st, n)           // the origin's Assets
//	w := storage.WriterOf(st)                   // nil: a root that cannot be written, no live room
//	hub := live.NewHub(live.Config{Store: st, Writer: w, Assets: lib,
//		Log: logger, StallTimeout: …, Announce: publish})
//	// for each running event and each live output in the resource store,
//	// at start and on every change: hub.StartEvent / hub.AddOutput (resumes
//	// an archive after a restart), hub.StopEvent, hub.EndOutput.
//	// the ingest listener, after its 403/404 checks:
//	err := hub.Ingest(ctx, event, stream, body) // ErrNotFMP4 400, ErrRefused 400, ErrStalled 408, ErrNotRunning 404
//	// replicas: on an announcement from Redis, hub.Refresh(asset)
//	defer hub.Close()
//
// The streaming listener needs nothing more: the Library answers a live
// asset's current snapshot (packager.Library.SetLive), and the origin's
// handlers make live manifests of an Asset whose Live is set.
//
// # Pipeline
//
// One Ingest call reads one request body. A goroutine reads top-level boxes
// (box.go: each bounded by its type's limit before its payload is read);
// Ingest checks them in order (parser: init, live server manifest, moof and
// mdat paired, each traf routed to its track with its tfdt or tfxd decode
// time, repeats dropped, backwards refused, an audio fragment's samples
// before time 0 — an AAC encoder's priming — cut: trim.go) and watches
// for a stall; an archiver goroutine behind a bounded queue (Config.Queue)
// appends each fragment to every output of the event
// (packager.LiveTrack.Append: the fragment is validated, put to storage as
// one object, then indexed), and publishes a new snapshot of the output's
// asset. Players only ever read snapshots: reading, archiving and serving
// never wait for one another, except the encoder for a full queue
// (logged).
//
// # Archive
//
// One object per fragment, in "{asset}/{stream}-{trackID}.live/"
// (packager/live.go): init.mp4, track.json, then
// "{seq:010}-{time:020}.m4s" objects, and an index of them every
// packager.LiveIndexEvery fragments (packager/live_index.go: stored by
// the archiver after the announcement, the last chunk at EndOutput), so
// that opening a long archive reads a chunk per 256 fragments, not every
// fragment's head; "{asset}/live.json" holds the availability start,
// fixed at the first fragment. The VOD path reads the
// same layout, so an ended output, or a restarted origin, serves it.
//
// # Faults
//
// A fragment is acknowledged once its object is durable in storage and
// indexed; the encoder's request is answered only when all it carried is
// (ingest.go). A slow or stalled storage write is reported while it lasts
// (stall.go, Hub.ArchiveStats). Every live output's archive is also polled
// (poll.go): a replica heals a lost announcement within
// Config.RefreshEvery, and the temporary files of writes a crash cut short
// are swept (sweep.go).
package live
