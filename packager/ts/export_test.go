package ts

// Internal helpers exported to the ts_test unit tests.
var (
	PutTimestamp = putTimestamp
	PutPCR       = putPCR
	CRC32MPEG2   = crc32MPEG2
	Rescale      = rescale
	PATPacket    = patPacket
)
