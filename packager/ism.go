package packager

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
)

// ismEntry is one track of a .ism server manifest (SMIL 2.0, as written by
// Azure Media Services, Unified Streaming and other encoders):
//
//	<smil xmlns="http://www.w3.org/2001/SMIL20/Language">
//	  <body><switch>
//	    <video src="v.mp4" systemBitrate="600000">
//	      <param name="trackName" value="video" valuetype="data"/>
//	    </video>
//	    <audio src="a.mp4" systemBitrate="96000" systemLanguage="eng">…</audio>
//	  </switch></body>
//	</smil>
type ismEntry struct {
	kind      string // element name: video, audio, textstream, …
	src       string
	bitrate   int
	language  string
	trackName string
	trackID   uint32 // <param name="trackID">: the track of a file of several; 0 when absent
}

type smilDoc struct {
	XMLName xml.Name `xml:"smil"`
	Body    struct {
		Switch struct {
			Items []smilItem `xml:",any"`
		} `xml:"switch"`
	} `xml:"body"`
}

type smilItem struct {
	XMLName        xml.Name
	Src            string `xml:"src,attr"`
	SystemBitrate  string `xml:"systemBitrate,attr"`
	SystemLanguage string `xml:"systemLanguage,attr"`
	Params         []struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	} `xml:"param"`
}

// parseISM parses a server manifest; it reports a reason on failure.
func parseISM(b []byte) ([]ismEntry, string) {
	var doc smilDoc
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	if err := d.Decode(&doc); err != nil {
		return nil, "not SMIL: " + err.Error()
	}
	var out []ismEntry
	for _, it := range doc.Body.Switch.Items {
		e := ismEntry{kind: strings.ToLower(it.XMLName.Local), src: it.Src, language: it.SystemLanguage}
		if it.SystemBitrate != "" {
			n, err := strconv.Atoi(strings.TrimSpace(it.SystemBitrate))
			if err != nil || n < 0 {
				return nil, "bad systemBitrate " + strconv.Quote(it.SystemBitrate)
			}
			e.bitrate = n
		}
		for _, p := range it.Params {
			switch {
			case strings.EqualFold(p.Name, "trackName"):
				e.trackName = p.Value
			case strings.EqualFold(p.Name, "trackID"):
				n, err := strconv.ParseUint(strings.TrimSpace(p.Value), 10, 32)
				if err != nil || n == 0 {
					return nil, "bad trackID " + strconv.Quote(p.Value)
				}
				e.trackID = uint32(n)
			}
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, "no tracks in switch"
	}
	return out, ""
}
