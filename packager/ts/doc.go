// Package ts muxes H.264, HEVC and AAC samples into MPEG-2 transport stream
// segments for HLS (m3u8-aapl: one stream per segment; m3u8-aapl-v3: video
// and the default audio muxed), clear or with Apple's SAMPLE-AES.
//
// The caller (packager) reads samples out of fMP4 fragments and hands them
// over as Sample values with a StreamConfig per track; the Muxer writes
// PAT, PMT and PES packets into a caller-owned buffer and, once warm,
// allocates nothing:
//
//	var m ts.Muxer
//	m.Reset(&videoCfg, &audioCfg)
//	buf, err = m.AppendSegment(buf[:0], videoSamples, audioSamples, ts.SegmentOptions{Sequence: n})
//
// # Layout of a segment
//
//	PAT (PID 0) | PMT (PID 0x1000) | video PES (PID 0x100) | … audio PES (PID 0x101) …
//
// The PIDs are the same in every segment, muxed or not, so a player that
// switches variants or renditions finds each stream where it was. PES
// packets follow in DTS order, except that the first video PES (the
// keyframe) comes right after the PMT. Each video PES is one access unit:
// an access unit delimiter, the parameter sets before every IDR/IRAP access
// unit that does not carry them, then the NAL units with 4-byte start codes.
// AAC frames get a 7-byte ADTS header and are grouped a few to a PES (about
// 85 ms at 48 kHz) with one PTS.
//
// # Timestamps and PCR
//
// Times are rescaled exactly from the track timescale to 90 kHz (Reset
// reduces 90000/timescale once per stream, so a time takes a multiply and
// a shift for the usual timescales, 128-bit arithmetic past 64 bits),
// rounding to nearest, after StreamConfig.TimeOffset and, for DTS only,
// DecodeShift; then TimestampOffset (10 s) is added and the result taken
// modulo 2^33. The mapping depends on the track alone, so consecutive
// segments are continuous and every segment of every rendition agrees.
// The PCR rides on the video PID (the audio PID when there is no video) in
// the first packet of every PES of that PID, PCRDelay (100 ms) below the
// PES's DTS: keyframes carry one, and so does every frame and every audio
// PES (at most about 100 ms apart for AAC), which meets the 100 ms PCR
// interval for frame rates from 10 Hz. (A segment of a muxer configured
// with video but given no video samples has no PCR: Reset with the streams
// the segment holds.) A video sample whose PTS would fall below its DTS is
// refused with ErrPTSBeforeDTS: DecodeShift must cover the track's most
// negative composition offset. Video PES state their PES_packet_length
// when it fits 16 bits, 0 otherwise.
//
// # Continuity counters
//
// A segment's bytes must depend on its URL only (segments are cached and
// served by several replicas), yet players such as ffmpeg's HLS demuxer
// read consecutive segments as one stream and check the continuity
// counters across the boundary. Running counters would need the packet
// counts of every earlier segment. Instead every PES PID starts each
// segment at 0, and the last PES of each PID is spread over up to 15 more
// packets (adaptation-field stuffing, each still carrying payload) so that
// the PID's packet count is a multiple of 16 and the segment ends at 15:
// any segment may follow any other. This costs on average 7.5 packets
// (1.4 KB) per PID and segment. (A PID whose PES are too short to spread,
// under about 16 bytes in all, is left unaligned.) The PAT and PMT, one packet each per
// segment, take SegmentOptions.Sequence mod 16, so consecutive segments are
// continuous there as well. (The discontinuity_indicator was not used: on
// the PCR PID it announces a time-base discontinuity, which is false.)
//
// # SAMPLE-AES
//
// With SegmentOptions.Encrypter set, the segment follows Apple's "MPEG-2
// Stream Encryption Format for HTTP Live Streaming": H.264 stream type
// 0xDB with a private_data_indicator_descriptor 'zavc', AAC stream type
// 0xCF with 'aacd' and a registration_descriptor 'apad' holding the audio
// setup information (audio_type 'zaac'/'zach'/'zacp', priming 0, version 1,
// the AudioSpecificConfig). NAL units of type 1 and 5 longer than 48 bytes
// keep 32 bytes clear and then encrypt one 16-byte block in ten (AES-128-CBC
// from the segment IV, restarted per NAL unit), with emulation prevention
// applied again over the encrypted NAL unit so that it stays valid (players
// remove that layer before decrypting); AAC frames keep the
// ADTS header and 16 bytes clear and encrypt every whole block after them.
// The key stays with the caller: Encrypter is an interface (crypto.Key, or
// BlockCBC over a cipher.Block). An Encrypter that is also a
// PatternEncrypter or a RangeEncrypter (crypto.Key is both) gets a whole
// segment's NAL units, or AAC frames, in one call, to run several chains
// at once; the bytes are the same. HEVC has no SAMPLE-AES TS form and is
// refused with ErrNotSupported.
//
// ts imports the standard library only and must never import mp4ff,
// this module's crypto or anything above it: it knows nothing of MP4, HTTP
// or keys, so it can be benchmarked alone.
package ts
