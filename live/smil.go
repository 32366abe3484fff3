package live

import (
	"regexp"
	"strconv"
)

// smilTrack is what the live server manifest (the SMIL an ismv encoder
// sends before its moov) says of one track.
type smilTrack struct {
	name     string // trackName
	bitrate  int    // systemBitrate
	language string // systemLanguage
}

var (
	smilElem  = regexp.MustCompile(`(?s)<(video|audio|textstream)\b[^>]*?systemBitrate="(\d+)"[^>]*>(.*?)</(?:video|audio|textstream)>`)
	smilParam = regexp.MustCompile(`<param\s+name="(trackID|trackName|systemLanguage)"\s+value="([^"]*)"`)
)

// parseSMIL reads the tracks of a live server manifest by trackID. It is
// lenient: what it cannot read is left out, and the media's own
// description (the moov) is what the archive trusts.
func parseSMIL(b []byte) map[uint32]smilTrack {
	out := map[uint32]smilTrack{}
	for _, m := range smilElem.FindAllSubmatch(b, 64) {
		var st smilTrack
		st.bitrate, _ = strconv.Atoi(string(m[2]))
		id := uint64(0)
		for _, p := range smilParam.FindAllSubmatch(m[3], 16) {
			switch string(p[1]) {
			case "trackID":
				id, _ = strconv.ParseUint(string(p[2]), 10, 32)
			case "trackName":
				st.name = string(p[2])
			case "systemLanguage":
				st.language = string(p[2])
			}
		}
		if id != 0 {
			out[uint32(id)] = st
		}
	}
	return out
}
