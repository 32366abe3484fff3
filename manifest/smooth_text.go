package manifest

import "strings"

// writeTextStreamIndex writes one StreamIndex Type="text" per text track of
// p (MS-SSTR 2.2.2.3): Subtype "SUBT", the track's language, its own
// TimeScale (the video's, so its fragments are at the video's times), and
// one QualityLevel with FourCC "TTML" and no CodecPrivateData. Each
// fragment is a moof/mdat whose mdat holds a TTML document with times
// relative to the fragment's start. Text is never encrypted: the
// Protection header, when there is one, does not apply to it.
func writeTextStreamIndex(b *strings.Builder, p *Presentation, o Options) {
	attr := func(k, v string) { b.WriteString(" " + k + `="` + v + `"`) }
	for i := range p.Texts {
		t := &p.Texts[i]
		b.WriteString("  <StreamIndex")
		attr("Type", "text")
		attr("Name", t.Name)
		attr("Subtype", "SUBT")
		if t.Language != "" {
			attr("Language", t.Language)
		}
		attr("Chunks", itoa(int64(len(t.Segments))))
		attr("QualityLevels", "1")
		attr("Url", "QualityLevels({bitrate})/Fragments("+t.Name+"={start time}"+o.opts()+")")
		attr("TimeScale", itoa(int64(t.Timescale)))
		b.WriteString(">\n    <QualityLevel")
		attr("Index", "0")
		attr("Bitrate", itoa(int64(t.Bitrate)))
		attr("FourCC", "TTML")
		attr("CodecPrivateData", "")
		b.WriteString("/>\n")
		for _, r := range runs(t.Segments) {
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
}
