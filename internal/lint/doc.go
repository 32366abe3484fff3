// Package lint holds repository-wide checks written as tests, so that `go
// test ./...` enforces them (mediamtx keeps its linters the same way, in
// internal/linters):
//
//   - deps_test.go: which packages the library packages (crypto, codec,
//     drm, storage, packager, manifest) may import, and that bench, tests
//     included, imports none of the origin's; `make deps` runs it. The
//     storage tree is standard library only but for its SDK adapters
//     (storage/s3: minio-go; storage/azblob: the Azure SDK), which may
//     import their SDK and net/http and nothing else of the forbidden.
//     Neither they nor keyclient import a metrics library: they count in
//     plain Stats methods, which origin exports to Prometheus.
//   - spec_test.go: docs/spec holds verbatim copies of the spec files the
//     code cites, and every citation names a file and heading that exist.
//
// It has no code of its own, and nothing imports it.
package lint
