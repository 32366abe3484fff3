package keyclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// TestDecodeFilterErrors: every malformed filter is a ValidationError
// naming the field at fault.
func TestDecodeFilterErrors(t *testing.T) {
	for _, tc := range []struct{ body, target string }{
		{`[]`, ""},
		{`{"tracks":[{"trackSelections":[{"property":"Colour","value":"x"}]}]}`, "tracks[0].trackSelections[0].property"},
		{`{"tracks":[{"trackSelections":[{"property":"Type","operation":"Like","value":"Video"}]}]}`, "tracks[0].trackSelections[0].operation"},
		{`{"tracks":[{"trackSelections":[{"property":"Type","value":"Picture"}]}]}`, "tracks[0].trackSelections[0].value"},
		{`{"tracks":[{"trackSelections":[{"property":"Bitrate","value":"fast"}]}]}`, "tracks[0].trackSelections[0].value"},
		{`{"tracks":[{"trackSelections":[{"property":"Bitrate","value":"5-1"}]}]}`, "tracks[0].trackSelections[0].value"},
		{`{"tracks":[{"trackSelections":[{"property":"Language","value":"en_GB"}]}]}`, "tracks[0].trackSelections[0].value"},
		{`{"tracks":[{"trackSelections":[{"property":"Name"}]}]}`, "tracks[0].trackSelections[0].value"},
		{`{"tracks":[{"trackSelections":[]}]}`, "tracks[0].trackSelections"},
		{`{"tracks":[{"trackSelections":[{"property":"Type","value":"Video","x":1}]}]}`, "tracks[0].trackSelections[0].x"},
		{`{"presentationTimeRange":{"startTimestamp":-1}}`, "presentationTimeRange.startTimestamp"},
		{`{"presentationTimeRange":{"startTimestamp":1.5}}`, "presentationTimeRange.startTimestamp"},
		{`{"presentationTimeRange":{"startTimestamp":10,"endTimestamp":10}}`, "presentationTimeRange.endTimestamp"},
		{`{"presentationTimeRange":{"timescale":0}}`, "presentationTimeRange.timescale"},
		{`{"presentationTimeRange":{"forceEndTimestamp":"yes"}}`, "presentationTimeRange.forceEndTimestamp"},
		{`{"firstQuality":{"bitrate":0}}`, "firstQuality.bitrate"},
		{`{"firstQuality":{}}`, "firstQuality.bitrate"},
		{`{"name":"f1","properties":{}}`, "name"},
	} {
		_, err := DecodeFilter([]byte(tc.body))
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Target != tc.target {
			t.Errorf("%s: got %v, want a ValidationError on %q", tc.body, err, tc.target)
		}
	}
}

// TestDecodeFilterForms: the spec's example decodes, and the stored form
// writes the absent time range members as null.
func TestDecodeFilterForms(t *testing.T) {
	f, err := DecodeFilter([]byte(`{"presentationTimeRange":{"startTimestamp":"0","endTimestamp":1200000000,` +
		`"presentationWindowDuration":null,"liveBackoffDuration":null,"timescale":10000000,"forceEndTimestamp":false},` +
		`"firstQuality":{"bitrate":1000000},"tracks":[{"trackSelections":[{"property":"type","operation":"equal","value":"video"},` +
		`{"property":"Bitrate","operation":"Equal","value":"0-2000000"}]},{"trackSelections":[{"property":"Language","operation":"NotEqual","value":"en"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(f)
	want := `{"presentationTimeRange":{"startTimestamp":0,"endTimestamp":1200000000,"presentationWindowDuration":null,` +
		`"liveBackoffDuration":null,"timescale":10000000,"forceEndTimestamp":false},"firstQuality":{"bitrate":1000000},` +
		`"tracks":[{"trackSelections":[{"property":"Type","operation":"Equal","value":"Video"},{"property":"Bitrate","operation":"Equal","value":"0-2000000"}]},` +
		`{"trackSelections":[{"property":"Language","operation":"NotEqual","value":"en"}]}]}`
	if string(b) != want {
		t.Fatalf("stored form\n%s\nwant\n%s", b, want)
	}
	if f, err := DecodeFilter([]byte(`{}`)); err != nil || f.Tracks != nil || f.PresentationTimeRange != nil {
		t.Fatalf("empty filter: %+v %v", f, err)
	}
}

var filterSeeds = []string{
	`{"presentationTimeRange":{"startTimestamp":0,"endTimestamp":1200000000,"timescale":10000000,"forceEndTimestamp":false},` +
		`"firstQuality":{"bitrate":1000000},"tracks":[{"trackSelections":[{"property":"Type","operation":"Equal","value":"Video"},` +
		`{"property":"Bitrate","operation":"Equal","value":"0-2000000"}]},{"trackSelections":[{"property":"Language","value":"en"}]}]}`,
	`{}`, `null`, `{"tracks":[]}`, `{"tracks":[{"trackSelections":[{"property":"FourCC","operation":"NotEqual","value":"hev1"}]}]}`,
	`{"presentationTimeRange":{"startTimestamp":"12","liveBackoffDuration":3}}`,
}

// FuzzFilterJSON feeds the filter decoder arbitrary bodies: it never
// panics, refuses only with a ValidationError, and what it accepts
// survives a re-encode unchanged.
func FuzzFilterJSON(f *testing.F) {
	for _, s := range filterSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		flt, err := DecodeFilter(body)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error is not a ValidationError: %v", err)
			}
			return
		}
		enc, err := json.Marshal(flt)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeFilter(enc)
		if err != nil {
			t.Fatalf("re-encoded filter refused: %v\n%s", err, enc)
		}
		enc2, _ := json.Marshal(again)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip changed the filter:\n%s\n%s", enc, enc2)
		}
		for _, g := range flt.Tracks {
			for _, s := range g.TrackSelections {
				if s.Property == PropertyBitrate {
					if _, _, ok := ParseBitrateRange(s.Value); !ok {
						t.Fatalf("accepted bitrate %q", s.Value)
					}
				}
			}
		}
	})
}
