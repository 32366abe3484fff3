package ts

// Internal helpers exported to the ts_test unit tests.
var (
	PutTimestamp = putTimestamp
	PutPCR       = putPCR
	CRC32MPEG2   = crc32MPEG2
	Rescale      = rescale
	PATPacket    = patPacket
)

// SetEscapeByCopy makes m escape encrypted NAL units by copying them into
// its buffer, the path before appendEscapedRef, for the benchmarks.
func (m *Muxer) SetEscapeByCopy(on bool) { m.escapeByCopy = on }
