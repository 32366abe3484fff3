// Package packager owns the fragmented-MP4 asset index and the per-request
// repackaging of a source fragment into an output segment (CMAF, Smooth
// Streaming, and later MPEG-2 TS).
//
// An asset's track files are indexed once (from sidx/mfra, else by walking
// moof headers) and kept in a bounded cache; a fragment is cut out of its file
// with one read. packager knows nothing of HTTP, Redis, configuration or
// logging: it imports mp4ff and this module's crypto package only.
package packager
