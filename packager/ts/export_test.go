package ts

// Internal helpers exported to the ts_test unit tests.
var (
	PutTimestamp = putTimestamp
	PutPCR       = putPCR
	CRC32MPEG2   = crc32MPEG2
	Rescale      = rescale
	// Rescaler is the rescale of a rescaler made once for timescale.
	Rescaler = func(timescale uint32) func(int64) int64 {
		r := newRescaler(timescale)
		return r.at
	}
	PATPacket = patPacket
)

// SetEscapeByCopy makes m escape encrypted NAL units by copying them into
// its buffer, the path before appendEscapedRef, for the benchmarks.
func (m *Muxer) SetEscapeByCopy(on bool) { m.escapeByCopy = on }

// SetReferenceWriter makes m write its packets with writePESRef, the packet
// writer before putPackets, or again with writePES: the tests compare their
// bytes and the benchmarks their times.
func (m *Muxer) SetReferenceWriter(on bool) {
	m.refWriter = nil
	if on {
		m.refWriter = func(m *Muxer, out []byte, e *pesEntry, cc byte) ([]byte, byte) {
			out = m.writePESRef(out, e, &cc)
			return out, cc
		}
	}
}

// PutPackets and PutPacketsGo are the full-packet writer and its Go form.
var (
	PutPackets   = putPackets
	PutPacketsGo = putPacketsGo
	PacketHeader = packetHeader
)
