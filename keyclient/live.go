package keyclient

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Live resources (spec/live.md, "Resources"): a live event takes an
// encoder's feed, a live output archives it into an asset. keyclient keeps
// them and their rules; the origin tells the live room (live.Ingester)
// what changed.

// Live collections. A live output is stored under "{event}/{output}".
const (
	KindLiveEvents  Kind = "liveEvents"
	KindLiveOutputs Kind = "liveOutputs"
)

// A live event's resourceState.
const (
	LiveStopped  = "Stopped"
	LiveStarting = "Starting"
	LiveRunning  = "Running"
	LiveStopping = "Stopping"
)

// ProtocolFragmentedMP4 is the one input.streamingProtocol: Smooth
// Streaming / fragmented-MP4 ingest, and CMAF ingest on the same path.
const ProtocolFragmentedMP4 = "FragmentedMP4"

// Limits of live resources.
const (
	// MinArchiveWindow and MaxArchiveWindow bound archiveWindowLength
	// (live.md): the window is measured in media time.
	MinArchiveWindow = time.Minute
	MaxArchiveWindow = 25 * time.Hour
	// MaxAccessTokenLen: the token is a URL path segment of every ingest
	// request.
	MaxAccessTokenLen = 128
	// generatedTokenBytes is the entropy of a generated access token
	// (hex encoded, 32 characters).
	generatedTokenBytes = 16
)

// LiveEvent is a live event as stored and as the management API gives it
// (the API adds input.ingestUrl and streams).
type LiveEvent struct {
	Name          string    `json:"name"`
	Input         LiveInput `json:"input"`
	ResourceState string    `json:"resourceState"`
}

// LiveInput is where and how an encoder sends the event's feed.
type LiveInput struct {
	StreamingProtocol string `json:"streamingProtocol"`
	// AccessToken is the ingest URL's secret path segment, generated when
	// the PUT gives none.
	AccessToken string `json:"accessToken"`
}

// LiveOutput archives its event's feed into an asset, with a window of
// ArchiveWindowLength (ISO 8601, as written) of media time.
type LiveOutput struct {
	Name                string `json:"name"`
	AssetName           string `json:"assetName"`
	ManifestName        string `json:"manifestName"`
	ArchiveWindowLength string `json:"archiveWindowLength"`
}

// Window is the archive window; zero when ArchiveWindowLength does not
// parse (never for a stored output, which was validated).
func (o *LiveOutput) Window() time.Duration {
	d, _ := ParseISODuration(o.ArchiveWindowLength)
	return d
}

// liveOutputKey is a live output's name in its collection.
func liveOutputKey(event, output string) string { return event + "/" + output }

// validAccessToken accepts 1..MaxAccessTokenLen of the characters a URL
// path segment carries unescaped and that mean nothing in one:
// A-Z a-z 0-9 - _ . ~ (RFC 3986 unreserved), but not "." or "..".
func validAccessToken(s string) bool {
	if len(s) == 0 || len(s) > MaxAccessTokenLen || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '~') {
			return false
		}
	}
	return true
}

func newAccessToken() (string, error) {
	b := make([]byte, generatedTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// decodeLiveEvent decodes a live event PUT body. The read-only fields a GET
// gives (resourceState, streams, input.ingestUrl) are accepted and
// ignored, so that a GET's answer can be PUT back. An absent
// streamingProtocol is FragmentedMP4; an absent accessToken stays empty
// (the Service generates one, or keeps the stored one).
func decodeLiveEvent(body []byte) (*LiveEvent, error) {
	var d dec
	m := d.root(body, "name", "input", "resourceState", "streams")
	e := &LiveEvent{}
	e.Name, _ = d.str(m, "", "name")
	if d.err == nil && isNull(m["input"]) {
		d.fail("input", "required")
	}
	in := d.object(m["input"], "input", "streamingProtocol", "accessToken", "ingestUrl")
	if p, ok := d.str(in, "input", "streamingProtocol"); ok && p != ProtocolFragmentedMP4 {
		d.fail("input.streamingProtocol", "%q is not supported: the one ingest protocol is %q", p, ProtocolFragmentedMP4)
	}
	e.Input.StreamingProtocol = ProtocolFragmentedMP4
	if t, ok := d.str(in, "input", "accessToken"); ok && d.err == nil {
		if !validAccessToken(t) {
			d.fail("input.accessToken", "must be 1..%d characters of A-Z a-z 0-9 - _ . ~ (it is a path segment of the ingest URL)", MaxAccessTokenLen)
		}
		e.Input.AccessToken = t
	}
	if d.err != nil {
		return nil, d.err
	}
	return e, nil
}

// decodeLiveOutput decodes a live output PUT body. assetName and
// archiveWindowLength are required; manifestName defaults to assetName.
func decodeLiveOutput(body []byte) (*LiveOutput, error) {
	var d dec
	m := d.root(body, "name", "assetName", "manifestName", "archiveWindowLength")
	o := &LiveOutput{}
	o.Name, _ = d.str(m, "", "name")
	o.AssetName = d.reqStr(m, "", "assetName")
	if d.err == nil && !validAssetName(o.AssetName) {
		d.fail("assetName", "%q is not a valid asset name", o.AssetName)
	}
	o.ManifestName, _ = d.str(m, "", "manifestName")
	if d.err == nil && o.ManifestName != "" && !validName(o.ManifestName) {
		d.fail("manifestName", "%q is not a valid manifest name: 1..%d characters of A-Z a-z 0-9 _ -", o.ManifestName, MaxNameLen)
	}
	o.ArchiveWindowLength = d.reqStr(m, "", "archiveWindowLength")
	if d.err == nil {
		w, ok := ParseISODuration(o.ArchiveWindowLength)
		switch {
		case !ok:
			d.fail("archiveWindowLength", "%q is not an ISO 8601 duration of days, hours, minutes and seconds, such as PT1H", o.ArchiveWindowLength)
		case w < MinArchiveWindow || w > MaxArchiveWindow:
			d.fail("archiveWindowLength", "%s is outside 1 minute (PT1M) to 25 hours (PT25H)", o.ArchiveWindowLength)
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	if o.ManifestName == "" && validName(o.AssetName) {
		o.ManifestName = o.AssetName
	}
	if o.ManifestName == "" {
		return nil, invalid("manifestName", "required: the asset name %q is not a manifest name (1..%d characters of A-Z a-z 0-9 _ -)", o.AssetName, MaxNameLen)
	}
	return o, nil
}
