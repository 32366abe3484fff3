package manifest_test

import (
	"fmt"

	"github.com/drmorigin/drmorigin/manifest"
)

// example is a small presentation: one 640x360 H.264 rendition at
// 30000/1001 fps and one AAC track, each three segments long.
func example() *manifest.Presentation {
	return &manifest.Presentation{
		Name: "example",
		Tracks: []manifest.Track{
			{
				Name: "video", Kind: manifest.Video, Bitrate: 1000000, PeakBitrate: 1200000,
				Codecs: "avc1.64001e", FourCC: "H264", CodecPrivateData: "000000016764001E",
				Timescale: 30000, Width: 640, Height: 360, FrameRateNum: 30000, FrameRateDen: 1001,
				Segments: []manifest.Segment{{Time: 0, Duration: 60060}, {Time: 60060, Duration: 60060}, {Time: 120120, Duration: 30030}},
			},
			{
				Name: "audio", Kind: manifest.Audio, Bitrate: 128000,
				Codecs: "mp4a.40.2", FourCC: "AACL", CodecPrivateData: "1190",
				Timescale: 48000, SampleRate: 48000, Channels: 2, Language: "eng",
				Segments: []manifest.Segment{{Time: 0, Duration: 96256}, {Time: 96256, Duration: 95232}, {Time: 191488, Duration: 48128}},
			},
		},
	}
}

func ExampleHLSMultivariant() {
	p := example()
	out, err := manifest.HLSMultivariant(p, manifest.Options{URLOptions: "format=m3u8-cmaf"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// #EXTM3U
	// #EXT-X-VERSION:7
	// #EXT-X-INDEPENDENT-SEGMENTS
	//
	// #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",LANGUAGE="eng",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="QualityLevels(128000)/Manifest(audio,format=m3u8-cmaf)"
	//
	// #EXT-X-STREAM-INF:BANDWIDTH=1328000,AVERAGE-BANDWIDTH=1128000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=29.970,AUDIO="audio"
	// QualityLevels(1000000)/Manifest(video,format=m3u8-cmaf)
}

func ExampleHLSMedia() {
	p := example()
	out, err := manifest.HLSMedia(p, &p.Tracks[1], manifest.Options{URLOptions: "format=m3u8-cmaf"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// #EXTM3U
	// #EXT-X-VERSION:7
	// #EXT-X-TARGETDURATION:3
	// #EXT-X-MEDIA-SEQUENCE:0
	// #EXT-X-PLAYLIST-TYPE:VOD
	// #EXT-X-INDEPENDENT-SEGMENTS
	// #EXT-X-MAP:URI="Fragments(audio=i,format=m3u8-cmaf).mp4"
	// #EXTINF:2.005333,
	// Fragments(audio=0,format=m3u8-cmaf).m4s
	// #EXTINF:1.984,
	// Fragments(audio=96256,format=m3u8-cmaf).m4s
	// #EXTINF:1.002667,
	// Fragments(audio=191488,format=m3u8-cmaf).m4s
	// #EXT-X-ENDLIST
}

func ExampleDASH() {
	p := example()
	out, err := manifest.DASH(p, manifest.Options{URLOptions: "format=mpd-time-cmaf", CMAF: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019" type="static" mediaPresentationDuration="PT5.005S" minBufferTime="PT2.005333S">
	//   <Period id="0">
	//     <AdaptationSet mimeType="video/mp4" segmentProfiles="cmfc" startWithSAP="1" id="1" segmentAlignment="true" maxWidth="640" maxHeight="360" contentType="video">
	//       <SegmentTemplate initialization="QualityLevels($Bandwidth$)/Fragments(video=i,format=mpd-time-cmaf)" media="QualityLevels($Bandwidth$)/Fragments(video=$Time$,format=mpd-time-cmaf)" timescale="30000">
	//         <SegmentTimeline>
	//           <S t="0" d="60060" r="1"></S>
	//           <S d="30030"></S>
	//         </SegmentTimeline>
	//       </SegmentTemplate>
	//       <Representation sar="1:1" bandwidth="1000000" codecs="avc1.64001e" frameRate="30000/1001" height="360" id="video_1000000" width="640"></Representation>
	//     </AdaptationSet>
	//     <AdaptationSet mimeType="audio/mp4" segmentProfiles="cmfc" startWithSAP="1" id="2" segmentAlignment="true" lang="eng" contentType="audio">
	//       <Role schemeIdUri="urn:mpeg:dash:role:2011" value="main"></Role>
	//       <SegmentTemplate initialization="QualityLevels($Bandwidth$)/Fragments(audio=i,format=mpd-time-cmaf)" media="QualityLevels($Bandwidth$)/Fragments(audio=$Time$,format=mpd-time-cmaf)" timescale="48000">
	//         <SegmentTimeline>
	//           <S t="0" d="96256"></S>
	//           <S d="95232"></S>
	//           <S d="48128"></S>
	//         </SegmentTimeline>
	//       </SegmentTemplate>
	//       <Representation audioSamplingRate="48000" bandwidth="128000" codecs="mp4a.40.2" id="audio_128000">
	//         <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"></AudioChannelConfiguration>
	//       </Representation>
	//     </AdaptationSet>
	//   </Period>
	// </MPD>
}

func ExampleSmooth() {
	p := example()
	out, err := manifest.Smooth(p, manifest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <SmoothStreamingMedia MajorVersion="2" MinorVersion="2" Duration="50050000" TimeScale="10000000">
	//   <StreamIndex Type="video" Name="video" Chunks="3" QualityLevels="1" Url="QualityLevels({bitrate})/Fragments(video={start time})" MaxWidth="640" MaxHeight="360" DisplayWidth="640" DisplayHeight="360" TimeScale="30000">
	//     <QualityLevel Index="0" Bitrate="1000000" FourCC="H264" CodecPrivateData="000000016764001E" MaxWidth="640" MaxHeight="360"/>
	//     <c t="0" d="60060" r="2"/>
	//     <c d="30030"/>
	//   </StreamIndex>
	//   <StreamIndex Type="audio" Name="audio" Language="eng" Chunks="3" QualityLevels="1" Url="QualityLevels({bitrate})/Fragments(audio={start time})" TimeScale="48000">
	//     <QualityLevel Index="0" Bitrate="128000" FourCC="AACL" CodecPrivateData="1190" SamplingRate="48000" Channels="2" BitsPerSample="16" PacketSize="4" AudioTag="255"/>
	//     <c t="0" d="96256"/>
	//     <c d="95232"/>
	//     <c d="48128"/>
	//   </StreamIndex>
	// </SmoothStreamingMedia>
}

func ExampleDASH_error() {
	p := example()
	p.Tracks[1].Timescale = 0
	_, err := manifest.DASH(p, manifest.Options{})
	fmt.Println(err)
	// Output:
	// manifest: track audio/128000: timescale is 0: invalid presentation
}

func ExampleHLSMedia_aes128() {
	p := example()
	kid := [16]byte{0x8b, 0xa9, 0x4a, 0xde, 0x6e, 0xb9, 0x44, 0x9d, 0xb4, 0x4f, 0xa5, 0xbe, 0xef, 0xaf, 0x43, 0xb0}
	pr := &manifest.Protection{Method: manifest.MethodAES128}
	for range p.Tracks {
		pr.Tracks = append(pr.Tracks, manifest.TrackProtection{
			KID:    kid,
			KeyURI: "https://origin.example.com/keys/aes/8ba94ade-6eb9-449d-b44f-a5beefaf43b0",
			// The origin derives IVs from the key and the segment; any
			// deterministic function will do here.
			IV: func(segment int) [16]byte { return [16]byte{0: 0xa5, 15: byte(segment)} },
		})
	}
	out, err := manifest.HLSMedia(p, &p.Tracks[1], manifest.Options{URLOptions: "format=m3u8-cmaf,encryption=cbc", Protection: pr})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// #EXTM3U
	// #EXT-X-VERSION:7
	// #EXT-X-TARGETDURATION:3
	// #EXT-X-MEDIA-SEQUENCE:0
	// #EXT-X-PLAYLIST-TYPE:VOD
	// #EXT-X-INDEPENDENT-SEGMENTS
	// #EXT-X-MAP:URI="Fragments(audio=i,format=m3u8-cmaf,encryption=cbc).mp4"
	// #EXT-X-KEY:METHOD=AES-128,URI="https://origin.example.com/keys/aes/8ba94ade-6eb9-449d-b44f-a5beefaf43b0",IV=0xA5000000000000000000000000000000
	// #EXTINF:2.005333,
	// Fragments(audio=0,format=m3u8-cmaf,encryption=cbc).m4s
	// #EXT-X-KEY:METHOD=AES-128,URI="https://origin.example.com/keys/aes/8ba94ade-6eb9-449d-b44f-a5beefaf43b0",IV=0xA5000000000000000000000000000001
	// #EXTINF:1.984,
	// Fragments(audio=96256,format=m3u8-cmaf,encryption=cbc).m4s
	// #EXT-X-KEY:METHOD=AES-128,URI="https://origin.example.com/keys/aes/8ba94ade-6eb9-449d-b44f-a5beefaf43b0",IV=0xA5000000000000000000000000000002
	// #EXTINF:1.002667,
	// Fragments(audio=191488,format=m3u8-cmaf,encryption=cbc).m4s
	// #EXT-X-ENDLIST
}
