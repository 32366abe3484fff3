package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The tables of the resource commands (output.go prints them): one per
// document of the management API, from a decoding of the fields a person
// reads. Secrets stay out: a content key policy's verification keys are
// shown by type only.

type locatorDoc struct {
	Name                        string          `json:"name"`
	AssetName                   string          `json:"assetName"`
	StreamingPolicyName         string          `json:"streamingPolicyName"`
	DefaultContentKeyPolicyName string          `json:"defaultContentKeyPolicyName"`
	StartTime                   *string         `json:"startTime"`
	EndTime                     *string         `json:"endTime"`
	ContentKeys                 []contentKeyDoc `json:"contentKeys"`
	Filters                     []string        `json:"filters"`
}

type contentKeyDoc struct {
	ID         string           `json:"id"`
	Value      string           `json:"value"`
	Type       string           `json:"type"`
	Label      string           `json:"labelReferenceInStreamingPolicy"`
	Tracks     []trackSelectDoc `json:"tracks"`
	PolicyName string           `json:"policyName"`
}

type trackSelectDoc struct {
	TrackType string `json:"trackType"`
	TrackName string `json:"trackName"`
}

func tracksText(ts []trackSelectDoc) string {
	if len(ts) == 0 {
		return "all"
	}
	var out []string
	for _, t := range ts {
		out = append(out, t.TrackType+t.TrackName)
	}
	return strings.Join(out, ",")
}

func timeText(t *string) string {
	if t == nil {
		return "-"
	}
	return *t
}

// keyPolicyText is a key's content key policy: its own, or the locator's
// default, or none (key delivery refuses it).
func keyPolicyText(k contentKeyDoc, def string) string {
	switch {
	case k.PolicyName != "":
		return k.PolicyName
	case def != "":
		return def + " (default)"
	}
	return "none"
}

func locatorListTable(w io.Writer, doc []byte) error {
	var l struct{ Value []locatorDoc }
	if err := json.Unmarshal(doc, &l); err != nil {
		return err
	}
	row(w, "NAME", "ASSET", "STREAMING POLICY", "CONTENT KEY POLICY", "KEYS", "START", "END")
	for _, x := range l.Value {
		row(w, x.Name, x.AssetName, x.StreamingPolicyName, orDash(x.DefaultContentKeyPolicyName),
			strconv.Itoa(len(x.ContentKeys)), timeText(x.StartTime), timeText(x.EndTime))
	}
	return nil
}

func locatorTable(w io.Writer, doc []byte) error {
	var x locatorDoc
	if err := json.Unmarshal(doc, &x); err != nil {
		return err
	}
	row(w, "Name:", x.Name)
	row(w, "Asset:", x.AssetName)
	row(w, "Streaming policy:", x.StreamingPolicyName)
	row(w, "Content key policy:", orDash(x.DefaultContentKeyPolicyName))
	row(w, "Start:", timeText(x.StartTime))
	row(w, "End:", timeText(x.EndTime))
	if len(x.Filters) > 0 {
		row(w, "Filters:", strings.Join(x.Filters, ", "))
	}
	if len(x.ContentKeys) == 0 {
		row(w, "Content keys:", "none (clear)")
		return nil
	}
	fmt.Fprintln(w)
	row(w, "KEY ID", "TYPE", "TRACKS", "CONTENT KEY POLICY", "LABEL")
	for _, k := range x.ContentKeys {
		row(w, k.ID, k.Type, tracksText(k.Tracks), keyPolicyText(k, x.DefaultContentKeyPolicyName), orDash(k.Label))
	}
	return nil
}

func contentKeysTable(w io.Writer, doc []byte) error {
	var l struct{ ContentKeys []contentKeyDoc }
	if err := json.Unmarshal(doc, &l); err != nil {
		return err
	}
	row(w, "KEY ID", "TYPE", "VALUE (BASE64)", "TRACKS", "POLICY")
	for _, k := range l.ContentKeys {
		row(w, k.ID, k.Type, k.Value, tracksText(k.Tracks), orDash(k.PolicyName))
	}
	return nil
}

func pathsTable(w io.Writer, doc []byte) error {
	var l struct {
		StreamingPaths []struct {
			StreamingProtocol string   `json:"streamingProtocol"`
			EncryptionScheme  string   `json:"encryptionScheme"`
			Paths             []string `json:"paths"`
		} `json:"streamingPaths"`
	}
	if err := json.Unmarshal(doc, &l); err != nil {
		return err
	}
	row(w, "PROTOCOL", "SCHEME", "PATH")
	for _, sp := range l.StreamingPaths {
		for _, p := range sp.Paths {
			row(w, sp.StreamingProtocol, sp.EncryptionScheme, p)
		}
	}
	return nil
}

type contentKeyPolicyDoc struct {
	Name    string `json:"name"`
	Options []struct {
		Name          string `json:"name"`
		Configuration struct {
			Type string `json:"type"`
		} `json:"configuration"`
		Restriction struct {
			Type                           string `json:"type"`
			TokenType                      string `json:"tokenType"`
			Issuer                         string `json:"issuer"`
			Audience                       string `json:"audience"`
			OpenIDConnectDiscoveryDocument string `json:"openIdConnectDiscoveryDocument"`
			PrimaryVerificationKey         *struct {
				Type string `json:"type"`
			} `json:"primaryVerificationKey"`
			AlternateVerificationKeys []struct {
				Type string `json:"type"`
			} `json:"alternateVerificationKeys"`
			RequiredClaims []struct {
				Type  string  `json:"type"`
				Value *string `json:"value"`
			} `json:"requiredClaims"`
		} `json:"restriction"`
	} `json:"options"`
}

func contentKeyPolicyListTable(w io.Writer, doc []byte) error {
	var l struct{ Value []contentKeyPolicyDoc }
	if err := json.Unmarshal(doc, &l); err != nil {
		return err
	}
	row(w, "NAME", "OPTIONS")
	for _, p := range l.Value {
		var opts []string
		for _, o := range p.Options {
			r := o.Restriction.Type
			if o.Restriction.TokenType != "" {
				r += " " + o.Restriction.TokenType
			}
			opts = append(opts, orDash(o.Name)+": "+o.Configuration.Type+", "+r)
		}
		row(w, p.Name, strings.Join(opts, "; "))
	}
	return nil
}

// contentKeyPolicyTable shows a policy's options; never a verification
// key's value.
func contentKeyPolicyTable(w io.Writer, doc []byte) error {
	var p contentKeyPolicyDoc
	if err := json.Unmarshal(doc, &p); err != nil {
		return err
	}
	row(w, "Name:", p.Name)
	fmt.Fprintln(w)
	row(w, "OPTION", "CONFIGURATION", "RESTRICTION", "TOKEN", "ISSUER", "AUDIENCE", "VERIFICATION KEYS", "REQUIRED CLAIMS")
	for _, o := range p.Options {
		r := o.Restriction
		var keys []string
		if r.PrimaryVerificationKey != nil {
			keys = append(keys, r.PrimaryVerificationKey.Type)
		}
		for _, k := range r.AlternateVerificationKeys {
			keys = append(keys, k.Type)
		}
		if r.OpenIDConnectDiscoveryDocument != "" {
			keys = append(keys, "OIDC "+r.OpenIDConnectDiscoveryDocument)
		}
		var claims []string
		for _, c := range r.RequiredClaims {
			if c.Value != nil {
				claims = append(claims, c.Type+"="+*c.Value)
			} else {
				claims = append(claims, c.Type)
			}
		}
		row(w, orDash(o.Name), o.Configuration.Type, r.Type, orDash(r.TokenType), orDash(r.Issuer), orDash(r.Audience),
			orDash(strings.Join(keys, ",")), orDash(strings.Join(claims, ",")))
	}
	return nil
}

type streamingPolicyDoc struct {
	Name         string `json:"name"`
	NoEncryption *struct {
		Protocols []string `json:"protocols"`
	} `json:"noEncryption"`
	EnvelopeEncryption *struct {
		Protocols      []string `json:"protocols"`
		KeyURLTemplate string   `json:"keyUrlTemplate"`
	} `json:"envelopeEncryption"`
	CommonEncryptionCenc *commonEncryptionDoc `json:"commonEncryptionCenc"`
	CommonEncryptionCbcs *commonEncryptionDoc `json:"commonEncryptionCbcs"`
}

type commonEncryptionDoc struct {
	Protocols []string                   `json:"protocols"`
	DRM       map[string]json.RawMessage `json:"drm"`
}

// schemeRows are a streaming policy's enabled schemes: scheme, protocols,
// where players get keys.
func (p *streamingPolicyDoc) schemeRows() [][3]string {
	var out [][3]string
	if e := p.NoEncryption; e != nil {
		out = append(out, [3]string{"noEncryption", strings.Join(e.Protocols, ","), "-"})
	}
	if e := p.EnvelopeEncryption; e != nil {
		u := e.KeyURLTemplate
		if u == "" {
			u = "/keys/aes/{ContentKeyId}"
		}
		out = append(out, [3]string{"envelopeEncryption", strings.Join(e.Protocols, ","), "key " + u})
	}
	for _, c := range []struct {
		name string
		ce   *commonEncryptionDoc
	}{{"commonEncryptionCenc", p.CommonEncryptionCenc}, {"commonEncryptionCbcs", p.CommonEncryptionCbcs}} {
		if c.ce == nil {
			continue
		}
		var drms []string
		for _, d := range []string{"widevine", "playReady", "fairPlay", "clearKey"} {
			raw, ok := c.ce.DRM[d]
			if !ok {
				continue
			}
			var t struct {
				LicenseURLTemplate string `json:"licenseUrlTemplate"`
			}
			_ = json.Unmarshal(raw, &t)
			if t.LicenseURLTemplate != "" {
				d += " " + t.LicenseURLTemplate
			}
			drms = append(drms, d)
		}
		out = append(out, [3]string{c.name, strings.Join(c.ce.Protocols, ","), orDash(strings.Join(drms, "; "))})
	}
	return out
}

func streamingPoliciesTable(w io.Writer, ps []streamingPolicyDoc) {
	row(w, "NAME", "SCHEME", "PROTOCOLS", "KEYS AND LICENSES")
	for _, p := range ps {
		rows := p.schemeRows()
		if len(rows) == 0 {
			row(w, p.Name, "-", "-", "-")
		}
		for i, r := range rows {
			name := p.Name
			if i > 0 {
				name = ""
			}
			row(w, name, r[0], r[1], r[2])
		}
	}
}

func streamingPolicyListTable(w io.Writer, doc []byte) error {
	var l struct{ Value []streamingPolicyDoc }
	if err := json.Unmarshal(doc, &l); err != nil {
		return err
	}
	streamingPoliciesTable(w, l.Value)
	return nil
}

func streamingPolicyTable(w io.Writer, doc []byte) error {
	var p streamingPolicyDoc
	if err := json.Unmarshal(doc, &p); err != nil {
		return err
	}
	streamingPoliciesTable(w, []streamingPolicyDoc{p})
	return nil
}

type assetDoc struct {
	Name         string  `json:"name"`
	State        string  `json:"state"`
	Reason       string  `json:"reason"`
	ManifestName string  `json:"manifestName"`
	Duration     float64 `json:"durationSeconds"`
	Tracks       []struct {
		Name       string `json:"name"`
		Type       string `json:"type"`
		File       string `json:"file"`
		TrackID    uint32 `json:"trackId"`
		Bitrate    int    `json:"bitrate"`
		Codecs     string `json:"codecs"`
		Language   string `json:"language"`
		Width      int    `json:"width"`
		Height     int    `json:"height"`
		FrameRate  string `json:"frameRate"`
		SampleRate int    `json:"sampleRate"`
		Channels   int    `json:"channels"`
		Fragments  int    `json:"fragments"`
	} `json:"tracks"`
	Skipped []struct {
		File    string `json:"file"`
		TrackID uint32 `json:"trackId"`
		Problem string `json:"problem"`
		Reason  string `json:"reason"`
	} `json:"skippedTracks"`
}

func durationText(s float64) string {
	if s <= 0 {
		return "-"
	}
	return strconv.FormatFloat(s, 'f', 1, 64) + "s"
}

func assetListTable(w io.Writer, doc []byte) error {
	var l struct{ Value []assetDoc }
	if err := json.Unmarshal(doc, &l); err != nil {
		return err
	}
	row(w, "NAME", "STATE", "TRACKS", "LEFT OUT", "DURATION", "REASON")
	for _, a := range l.Value {
		row(w, a.Name, a.State, strconv.Itoa(len(a.Tracks)), strconv.Itoa(len(a.Skipped)), durationText(a.Duration), orDash(a.Reason))
	}
	return nil
}

func assetTable(w io.Writer, doc []byte) error {
	var a assetDoc
	if err := json.Unmarshal(doc, &a); err != nil {
		return err
	}
	row(w, "Name:", a.Name)
	row(w, "State:", a.State)
	if a.Reason != "" {
		row(w, "Reason:", a.Reason)
	}
	row(w, "Manifest name:", orDash(a.ManifestName))
	row(w, "Duration:", durationText(a.Duration))
	if len(a.Tracks) > 0 {
		fmt.Fprintln(w)
		row(w, "TRACK", "TYPE", "FILE", "ID", "BITRATE", "CODECS", "DETAILS", "LANGUAGE", "FRAGMENTS")
		for _, t := range a.Tracks {
			details := ""
			switch {
			case t.Width > 0:
				details = fmt.Sprintf("%dx%d", t.Width, t.Height)
				if t.FrameRate != "" {
					details += " " + t.FrameRate + "fps"
				}
			case t.SampleRate > 0:
				details = fmt.Sprintf("%d Hz, %d ch", t.SampleRate, t.Channels)
			}
			row(w, t.Name, t.Type, t.File, strconv.FormatUint(uint64(t.TrackID), 10), strconv.Itoa(t.Bitrate), t.Codecs,
				orDash(details), orDash(t.Language), strconv.Itoa(t.Fragments))
		}
	}
	if len(a.Skipped) > 0 {
		fmt.Fprintln(w)
		row(w, "LEFT OUT", "ID", "PROBLEM", "REASON")
		for _, s := range a.Skipped {
			id := "-"
			if s.TrackID != 0 {
				id = strconv.FormatUint(uint64(s.TrackID), 10)
			}
			row(w, s.File, id, s.Problem, s.Reason)
		}
	}
	return nil
}
