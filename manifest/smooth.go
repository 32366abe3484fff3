package manifest

import (
	"math/big"
	"strings"
)

// smoothTimeScale is the root TimeScale of Smooth manifests (MS-SSTR's
// default, 100 ns units): the root Duration is stated in it.
const smoothTimeScale = 10_000_000

// Smooth returns the Smooth Streaming client manifest of p (MS-SSTR 2.2.2,
// version 2.2): one StreamIndex per video track Name and per audio (Name,
// Language), each stating its track's own TimeScale so that chunk times and
// durations are the tracks' own, never rescaled. Runs of equal durations
// are written as one <c> with r, the number of chunks it stands for (as
// MinorVersion 2 and dash.js read it); t is written on the first chunk and
// after a gap.
//
//	SmoothStreamingMedia (MajorVersion 2, MinorVersion 2, Duration, TimeScale)
//	├── Protection / ProtectionHeader (encrypted: smooth_protection.go)
//	└── StreamIndex (Type, Name, Language, Chunks, QualityLevels, Url, TimeScale)
//	    ├── QualityLevel (Index, Bitrate, FourCC, CodecPrivateData, ...)
//	    └── c t d r
func Smooth(p *Presentation, o Options) ([]byte, error) {
	p = aligned(p)
	if err := validate(p, o); err != nil {
		return nil, err
	}
	gs := groups(p)
	names := make(map[string]bool, len(gs))
	for _, g := range gs {
		if names[g.name] {
			return nil, invalid("smooth: track name %q is used by two streams (one per language is needed)", g.name)
		}
		names[g.name] = true
		if !g.sharedTimeline() {
			return nil, invalid("smooth: tracks named %q do not share one timeline", g.name)
		}
		for _, t := range g.tracks {
			if t.FourCC == "" || !isToken(t.FourCC, "") {
				return nil, invalid("track %s: FourCC %q is empty or malformed", t.label(), t.FourCC)
			}
			if !isHex(t.CodecPrivateData) {
				return nil, invalid("track %s: CodecPrivateData is not hex", t.label())
			}
		}
	}

	protection, err := smoothProtection(p, o)
	if err != nil {
		return nil, err
	}

	sNum, sDen, eNum, eDen := span(p)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	if l := p.Live; l != nil {
		// MS-SSTR live: Duration 0, the DVR window in TimeScale units, and
		// the look-ahead count that live clients expect.
		b.WriteString(`<SmoothStreamingMedia MajorVersion="2" MinorVersion="2" Duration="0" TimeScale="` + itoa(smoothTimeScale) +
			`" IsLive="TRUE" LookAheadFragmentCount="2" DVRWindowLength="` + itoa(int64(l.Window/100)) + `">` + "\n")
	} else {
		b.WriteString(`<SmoothStreamingMedia MajorVersion="2" MinorVersion="2" Duration="` +
			spanTicks(sNum, sDen, eNum, eDen).String() + `" TimeScale="` + itoa(smoothTimeScale) + `">` + "\n")
	}
	b.WriteString(protection)
	for _, g := range gs {
		writeStreamIndex(&b, g, o)
	}
	writeTextStreamIndex(&b, p, o) // smooth_text.go
	b.WriteString("</SmoothStreamingMedia>\n")
	return []byte(b.String()), nil
}

// writeStreamIndex writes one StreamIndex with its QualityLevels and chunks.
func writeStreamIndex(b *strings.Builder, g *group, o Options) {
	first := g.tracks[0]
	attr := func(k, v string) { b.WriteString(" " + k + `="` + v + `"`) }
	b.WriteString("  <StreamIndex")
	attr("Type", g.kind.String())
	attr("Name", g.name)
	if g.kind == Audio && g.lang != "" {
		attr("Language", g.lang)
	}
	attr("Chunks", itoa(int64(len(first.Segments))))
	attr("QualityLevels", itoa(int64(len(g.tracks))))
	attr("Url", "QualityLevels({bitrate})/Fragments("+g.name+"={start time}"+o.opts()+")")
	if g.kind == Video {
		w, h := 0, 0
		for _, t := range g.tracks {
			w, h = max(w, t.Width), max(h, t.Height)
		}
		attr("MaxWidth", itoa(int64(w)))
		attr("MaxHeight", itoa(int64(h)))
		attr("DisplayWidth", itoa(int64(w)))
		attr("DisplayHeight", itoa(int64(h)))
	}
	attr("TimeScale", itoa(int64(first.Timescale)))
	b.WriteString(">\n")
	for i, t := range g.tracks {
		b.WriteString("    <QualityLevel")
		attr("Index", itoa(int64(i)))
		attr("Bitrate", itoa(int64(t.Bitrate)))
		attr("FourCC", t.FourCC)
		attr("CodecPrivateData", t.CodecPrivateData)
		if t.Kind == Video {
			attr("MaxWidth", itoa(int64(t.Width)))
			attr("MaxHeight", itoa(int64(t.Height)))
		} else {
			const bitsPerSample = 16
			attr("SamplingRate", itoa(int64(t.SampleRate)))
			attr("Channels", itoa(int64(t.Channels)))
			attr("BitsPerSample", itoa(bitsPerSample))
			attr("PacketSize", itoa(int64(t.Channels*bitsPerSample/8)))
			attr("AudioTag", "255")
		}
		b.WriteString("/>\n")
	}
	for _, r := range runs(first.Segments) {
		b.WriteString("    <c")
		if r.explicitT {
			attr("t", utoa(r.t))
		}
		attr("d", utoa(r.d))
		if r.r > 0 {
			attr("r", itoa(int64(r.r+1)))
		}
		b.WriteString("/>\n")
	}
	b.WriteString("  </StreamIndex>\n")
}

// spanTicks returns eNum/eDen - sNum/sDen seconds in smoothTimeScale units,
// rounded half up.
func spanTicks(sNum uint64, sDen uint32, eNum uint64, eDen uint32) *big.Int {
	num := new(big.Int).Mul(bigU(eNum), bigU(uint64(sDen)))
	num.Sub(num, new(big.Int).Mul(bigU(sNum), bigU(uint64(eDen))))
	num.Mul(num, big.NewInt(smoothTimeScale))
	den := new(big.Int).Mul(bigU(uint64(eDen)), bigU(uint64(sDen)))
	num.Add(num, new(big.Int).Rsh(den, 1))
	return num.Quo(num, den)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'A' || c > 'F') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return len(s)%2 == 0
}
