package keyclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// isoCases feed TestParseISODuration and FuzzLiveOutputJSON's seeds.
var isoCases = []struct {
	in   string
	want time.Duration // 0: refused
}{
	{"PT1H", time.Hour}, {"PT2M", 2 * time.Minute}, {"PT1M", time.Minute}, {"PT25H", 25 * time.Hour},
	{"P1D", 24 * time.Hour}, {"P1DT1H", 25 * time.Hour}, {"PT1H30M", 90 * time.Minute},
	{"PT90S", 90 * time.Second}, {"PT0.5S", 500 * time.Millisecond}, {"PT1,25S", 1250 * time.Millisecond},
	{"PT59.999999999S", 59999999999}, {"PT1H0M0S", time.Hour},
	{"", 0}, {"P", 0}, {"PT", 0}, {"1H", 0}, {"PT1", 0}, {"P1Y", 0}, {"P1M", 0}, {"P1W", 0}, {"PT1D", 0},
	{"P1H", 0}, {"PT1M1H", 0}, {"PT1H1H", 0}, {"P1DT", 0}, {"-PT1H", 0}, {"PT-1H", 0}, {"PT0.5M", 0},
	{"PT1.S", 0}, {"PT.5S", 0}, {"pt1h", 0}, {"PT1H ", 0}, {"PT9999999999H", 0}, {"P999999999D", 0},
	{"PT0.1234567891S", 0}, {"PTT1H", 0},
}

func TestParseISODuration(t *testing.T) {
	for _, c := range isoCases {
		d, ok := ParseISODuration(c.in)
		if ok != (c.want != 0) || d != c.want {
			t.Errorf("%q: %v %v, want %v", c.in, d, ok, c.want)
		}
	}
}

func TestDecodeLiveOutput(t *testing.T) {
	for _, c := range []struct{ body, target string }{
		{`{"assetName":"a","manifestName":"live","archiveWindowLength":"PT2M"}`, ""},
		{`{"assetName":"a","archiveWindowLength":"PT25H"}`, ""},
		{`{"assetName":"a","archiveWindowLength":"PT59S"}`, "archiveWindowLength"},
		{`{"assetName":"a","archiveWindowLength":"PT25H0.1S"}`, "archiveWindowLength"},
		{`{"assetName":"a","archiveWindowLength":"P2D"}`, "archiveWindowLength"},
		{`{"assetName":"a","archiveWindowLength":"1h"}`, "archiveWindowLength"},
		{`{"assetName":"a","archiveWindowLength":3600}`, "archiveWindowLength"},
		{`{"assetName":"a"}`, "archiveWindowLength"},
		{`{"archiveWindowLength":"PT1H"}`, "assetName"},
		{`{"assetName":"../x","archiveWindowLength":"PT1H"}`, "assetName"},
		{`{"assetName":"a","manifestName":"a/b","archiveWindowLength":"PT1H"}`, "manifestName"},
		{`{"assetName":"a.b","archiveWindowLength":"PT1H"}`, "manifestName"},
		{`{"assetName":"a","archiveWindowLength":"PT1H","x":1}`, "x"},
		{`{"assetName":"a","assetName":"b","archiveWindowLength":"PT1H"}`, "assetName"},
		{`[]`, ""},
	} {
		o, err := decodeLiveOutput([]byte(c.body))
		var ve *ValidationError
		switch {
		case c.target == "" && c.body == "[]":
			if !errors.As(err, &ve) {
				t.Errorf("%s: %v", c.body, err)
			}
		case c.target == "":
			if err != nil || o.ManifestName == "" {
				t.Errorf("%s: %+v %v", c.body, o, err)
			}
		case !errors.As(err, &ve) || ve.Target != c.target:
			t.Errorf("%s: %v, want a ValidationError on %s", c.body, err, c.target)
		}
	}
}

func TestDecodeLiveEvent(t *testing.T) {
	for _, c := range []struct{ body, target string }{
		{`{"input":{"streamingProtocol":"FragmentedMP4","accessToken":"tok123"}}`, ""},
		{`{"input":{}}`, ""},
		{`{"name":"e","input":{"accessToken":"a.b~c_d-e"},"resourceState":"Running","streams":[]}`, ""},
		{`{"input":{"streamingProtocol":"FragmentedMP4","accessToken":"t","ingestUrl":"http://x/"}}`, ""},
		{`{}`, "input"},
		{`{"input":{"streamingProtocol":"RTMP"}}`, "input.streamingProtocol"},
		{`{"input":{"accessToken":"a/b"}}`, "input.accessToken"},
		{`{"input":{"accessToken":".."}}`, "input.accessToken"},
		{`{"input":{"accessToken":""}}`, "input.accessToken"},
		{`{"input":{"accessToken":1}}`, "input.accessToken"},
		{`{"input":{"other":1}}`, "input.other"},
		{`{"input":[]}`, "input"},
	} {
		_, err := decodeLiveEvent([]byte(c.body))
		var ve *ValidationError
		if c.target == "" && err != nil || c.target != "" && (!errors.As(err, &ve) || ve.Target != c.target) {
			t.Errorf("%s: %v, want target %q", c.body, err, c.target)
		}
	}
}

// FuzzLiveOutputJSON feeds the live output decoder arbitrary bodies: it
// must never panic; what it refuses is a *ValidationError; what it
// accepts has a window of 1 minute to 25 hours, valid names, and survives
// a re-encode unchanged.
func FuzzLiveOutputJSON(f *testing.F) {
	f.Add([]byte(`{"assetName":"a","manifestName":"live","archiveWindowLength":"PT2M"}`))
	f.Add([]byte(`{"name":"o","assetName":"arch.v1","manifestName":"m","archiveWindowLength":"P1DT0.5S"}`))
	f.Add([]byte(`{"assetName":null,"archiveWindowLength":[]}`))
	for _, c := range isoCases {
		f.Add([]byte(`{"assetName":"a","archiveWindowLength":"` + c.in + `"}`))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := decodeLiveOutput(body)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error is not a ValidationError: %v", err)
			}
			return
		}
		if w := o.Window(); w < MinArchiveWindow || w > MaxArchiveWindow {
			t.Fatalf("accepted window %v (%q)", w, o.ArchiveWindowLength)
		}
		if !validAssetName(o.AssetName) || !validName(o.ManifestName) {
			t.Fatalf("accepted names %q %q", o.AssetName, o.ManifestName)
		}
		enc, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeLiveOutput(enc)
		if err != nil {
			t.Fatalf("re-encoded output refused: %v\n%s", err, enc)
		}
		enc2, _ := json.Marshal(again)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip changed the output:\n%s\n%s", enc, enc2)
		}
	})
}

// FuzzLiveEventJSON: the same for live events; an accepted token is a
// safe URL path segment.
func FuzzLiveEventJSON(f *testing.F) {
	f.Add([]byte(`{"input":{"streamingProtocol":"FragmentedMP4","accessToken":"tok123"}}`))
	f.Add([]byte(`{"name":"e","input":{"accessToken":"a.b~c"},"resourceState":"Running","streams":[{"name":"x"}]}`))
	f.Add([]byte(`{"input":{"accessToken":"../x"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := decodeLiveEvent(body)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error is not a ValidationError: %v", err)
			}
			return
		}
		if e.Input.StreamingProtocol != ProtocolFragmentedMP4 || e.Input.AccessToken != "" && !validAccessToken(e.Input.AccessToken) {
			t.Fatalf("accepted %+v", e.Input)
		}
	})
}
