// Package live is drmorigin's live room (spec/live.md): it reads encoders'
// fragmented-MP4 feeds, appends them to a live output's archive in storage,
// keeps the archive's growing fragment index for the packager, and announces
// new fragments. It knows nothing of HTTP, Redis or config: origin decides
// (which events run, which outputs exist, who may ingest), live applies.
package live
