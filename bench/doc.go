// Package bench is drmorigin's load generator and bench suite. It talks HTTP
// to any origin (fasthttp client) and never imports the origin's packages.
//
// It has two kinds of simulated clients:
//   - players (Play, with a PlayerConfig) fetch a manifest (DASH via
//     go-dash, HLS via grafov/m3u8, Smooth via encoding/xml), choose a
//     rendition, fetch keys and licenses the manifest names (HLS AES-128
//     key URIs, the DASH ClearKey license URL) with a bearer token, then
//     init and media segments in order, at real-time pace or as fast as
//     possible;
//   - CDN-like pullers (Pull) fetch every segment of every rendition once.
//
// Run drives players and pullers over a set of manifest URLs. A Recorder
// counts every request by kind (manifest, init, segment, key): latency
// percentiles, bytes, and errors by status ("500", "404", "transport",
// "invalid body"). PrintTable renders its summary as a table, Run writes it
// as report.json, and WriteHTML draws a self-contained HTML page with
// inline SVG plots.
//
// RunSuite is what `make bench` runs: the Go benchmarks, raw cipher speeds,
// the copy-only floor, drmorigin's CPU time per segment per (format,
// scheme) as a multiple of the floor, the cost factor per scheme, manifest
// p99 at 64 connections, cold start on a synthesized two-hour asset,
// memory over a soak with simulated players, and for progressive MP4 input
// its CPU per segment as a multiple of fragmented input's, its cold start
// and its index memory per sample, and for assets in object storage (a
// MinIO server and a second drmorigin over s3://) CPU per segment with a
// warm block cache as a multiple of local disk's, the cold first segment
// of a two-hour asset, and storage reads per segment under a player load.
// It writes
// bench/out/report.json, whose figures are objects {"value", "target",
// "unit"} nested by key: {"cost_factor": {"cenc": {...}},
// "floor_multiple": {"mpd-time-csf": {"none": {...}}}, "peers": {...}},
// i.e. quality.md's dotted names (cost_factor.cenc) are paths into nested
// objects. See README.md.
//
// bench must not import origin, packager, crypto or keyclient, in its
// tests either (internal/lint checks it): it measures the origin from the
// outside, like a player would, and its tests start the built binary.
package bench
