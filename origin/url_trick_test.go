package origin

import (
	"errors"
	"strings"
	"testing"
)

// trickURLCases are the trick-play URLs (players.md "Trick play";
// docs/url-grammar.md): HLS I-frame playlists and DASH trick-mode
// segments. They seed FuzzParseStreamURL too.
var trickURLCases = []struct {
	path string
	want StreamRequest
	err  string // "" ok, "404" errNoRoute, else a substring of the 400 message
}{
	{"/loc/demo.ism/QualityLevels(640000)/IFrames(video,format=m3u8-cmaf)", StreamRequest{Locator: "loc", Name: "demo", Kind: KindIFramePlaylist, Bitrate: 640000, Track: "video", Format: FormatM3U8CMAF, HasFormat: true}, ""},
	{"/loc/demo.ism/QualityLevels(640000)/iframes(video,format=m3u8-aapl,encryption=cbc).m3u8", StreamRequest{Locator: "loc", Name: "demo", Kind: KindIFramePlaylist, Bitrate: 640000, Track: "video", Format: FormatM3U8AAPL, HasFormat: true, Encryption: EncryptionCBC}, ""},
	{"/loc/demo.ism/QualityLevels(640000)/KeyFrames(video=25600,format=mpd-time-csf,encryption=cenc)", StreamRequest{Locator: "loc", Name: "demo", Kind: KindKeyFrames, Bitrate: 640000, Track: "video", Time: 25600, Format: FormatMPDTimeCSF, HasFormat: true, Encryption: EncryptionCENC}, ""},
	{"/loc/demo.ism/QualityLevels(640000)/KeyFrames(video=0,format=mpd-time-cmaf).m4s", StreamRequest{Locator: "loc", Name: "demo", Kind: KindKeyFrames, Bitrate: 640000, Track: "video", Format: FormatMPDTimeCMAF, HasFormat: true}, ""},
	{"/loc/demo.ism/QualityLevels(640000)/IFrames(,format=m3u8-cmaf)", StreamRequest{}, "track name"},
	{"/loc/demo.ism/QualityLevels(640000)/IFrames(video,bogus=1)", StreamRequest{}, "unknown option"},
	{"/loc/demo.ism/QualityLevels(640000)/KeyFrames(video=i,format=mpd-time-csf)", StreamRequest{}, "unsigned integer"},
	{"/loc/demo.ism/QualityLevels(640000)/KeyFrames(video)", StreamRequest{}, "want KeyFrames"},
	{"/loc/demo.ism/QualityLevels(640000)/IFrames(video).ts", StreamRequest{}, "404"},
	{"/loc/demo.ism/QualityLevels(640000)/KeyFrames(video=0).ts", StreamRequest{}, "404"},
}

func TestParseTrickURL(t *testing.T) {
	for _, c := range trickURLCases {
		got, err := ParseStreamURL(c.path)
		var ue *URLError
		switch {
		case c.err == "":
			if err != nil {
				t.Errorf("%s: unexpected error %v", c.path, err)
			} else if got != c.want {
				t.Errorf("%s:\n got %+v\nwant %+v", c.path, got, c.want)
			}
		case c.err == "404":
			if !errors.Is(err, errNoRoute) {
				t.Errorf("%s: %v, want errNoRoute", c.path, err)
			}
		case !errors.As(err, &ue) || !strings.Contains(ue.Msg, c.err):
			t.Errorf("%s: %v, want a URLError containing %q", c.path, err, c.err)
		}
	}
}
