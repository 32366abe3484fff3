package manifest_test

import (
	"github.com/drmorigin/drmorigin/manifest"
)

// segments returns n contiguous segments of the given durations (cycled),
// starting at start, each of size bytes.
func segments(start uint64, size int64, n int, durations ...uint64) []manifest.Segment {
	segs := make([]manifest.Segment, n)
	t := start
	for i := range segs {
		d := durations[i%len(durations)]
		segs[i] = manifest.Segment{Time: t, Duration: d, Size: size}
		t += d
	}
	return segs
}

// audioSegments is 8 s of AAC at 48 kHz in fragments of 94, 93, 94 and 94
// frames of 1024 samples (96256, 95232, 96256, 96256), as an encoder that
// cuts audio fragments at the frame nearest to 2 s writes them: an uneven
// timeline with a repeat at its end.
func audioSegments() []manifest.Segment {
	return []manifest.Segment{
		{Time: 0, Duration: 96256, Size: 32_100},
		{Time: 96256, Duration: 95232, Size: 31_800},
		{Time: 191488, Duration: 96256, Size: 32_100},
		{Time: 287744, Duration: 96256, Size: 32_050},
	}
}

// demo mirrors the demo asset: two H.264 renditions (640x360, 320x180) at 25
// fps with timescale 12800 and four 2 s fragments (parameter sets from
// libx264), and AAC-LC stereo audio in English and French at 48 kHz.
func demo() *manifest.Presentation {
	return &manifest.Presentation{
		Name: "demo",
		Tracks: []manifest.Track{
			{
				Name: "video", Kind: manifest.Video, TrackID: 1,
				Bitrate: 640000, PeakBitrate: 742000,
				Codecs: "avc1.64001e", FourCC: "H264",
				CodecPrivateData: "000000016764001EACD940A02FF97011000003000100000300320F162D960000000168EBE3CB22C0",
				Timescale:        12800, Width: 640, Height: 360, FrameRateNum: 25, FrameRateDen: 1,
				Language: "und", Segments: segments(0, 160_000, 4, 25600),
			},
			{
				Name: "video", Kind: manifest.Video, TrackID: 1,
				Bitrate: 320000, PeakBitrate: 371000,
				Codecs: "avc1.64000c", FourCC: "H264",
				CodecPrivateData: "000000016764000CACD941419F9F011000000300100000030320F14299600000000168EBE3CB22C0",
				Timescale:        12800, Width: 320, Height: 180, FrameRateNum: 25, FrameRateDen: 1,
				Language: "und", Segments: segments(0, 80_000, 4, 25600),
			},
			{
				Name: "audio_eng", Kind: manifest.Audio, TrackID: 2,
				Bitrate: 128000, PeakBitrate: 131000,
				Codecs: "mp4a.40.2", FourCC: "AACL", CodecPrivateData: "1190",
				Timescale: 48000, SampleRate: 48000, Channels: 2,
				Language: "eng", Segments: audioSegments(),
			},
			{
				Name: "audio_fra", Kind: manifest.Audio, TrackID: 2,
				Bitrate: 96000, PeakBitrate: 99000,
				Codecs: "mp4a.40.2", FourCC: "AACL", CodecPrivateData: "1190",
				Timescale: 48000, SampleRate: 48000, Channels: 2,
				Language: "fra", Segments: audioSegments(),
			},
		},
	}
}
