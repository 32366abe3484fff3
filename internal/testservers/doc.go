// Package testservers starts real object stores for tests: MinIO (S3) and
// Azurite (Azure Blob), each on a free 127.0.0.1 port with a data
// directory of its own, behind a small reverse proxy (Proxy) that counts
// the requests and injects faults.
//
//	srv := testservers.MinIO(t)           // or testservers.Azurite(t)
//	srv.MakeBucket("media")
//	srv.Put("media", "demo/video.mp4", data)
//	// point the code under test at srv.Endpoint (the proxy)
//	srv.Count("GET", "/media/demo/video.mp4") // GETs the store received
//	srv.SetFail(503)                       // throttle every request
//	srv.Stop(); srv.Start()                // the store goes away, comes back
//
// Why a proxy: the tests need what the store received (one media read for
// a hundred concurrent requests of a cold segment), counted at the
// store's side of the network, and faults a healthy store does not make
// (slow answers, 503 SlowDown, bodies cut short). MinIO's own request
// trace needs its admin API and Azurite has none; a proxy in front of
// the store sees every request the code under test sends, from the code's
// point of view it is the store, and the same proxy serves both stores.
// Endpoint is the proxy's URL; DirectEndpoint is the store's own, which
// Put and the other set-up helpers use so that they neither count nor
// fail.
//
// The binaries are never fetched here and a test never skips for want of
// one: it fails, saying how to get it. MinIO is built by go install into
// the user's cache (.ci/run does it; DRMORIGIN_MINIO overrides the path),
// Azurite is the npm package that `make web` installs under web/
// (DRMORIGIN_AZURITE overrides the path).
//
// The servers are stopped by t.Cleanup, before their data directories are
// removed. Waits are bounded (30 s for a start).
package testservers
