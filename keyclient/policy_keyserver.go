package keyclient

import (
	"encoding/json"
	"net/url"
	"time"
)

// KeyServer is a streaming policy's key server: a SPEKE v2.0 endpoint that
// the origin asks, once per locator, for the keys and DRM signalling of
// a locator created without keys.
type KeyServer struct {
	URL            string         `json:"url"`
	Authentication *KeyServerAuth `json:"authentication,omitempty"`
	// ContentID is CPIX@contentId of the request; {AlternativeMediaId} is
	// the locator name. Empty: the locator name.
	ContentID string `json:"contentId,omitempty"`
	// Timeout bounds the whole exchange, as a Go duration ("30s"); empty
	// is DefaultKeyServerTimeout.
	Timeout string `json:"timeout,omitempty"`
}

// KeyServerAuth authenticates the origin to the key server: a request
// header (type "header") named Name with Value.
type KeyServerAuth struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

// DefaultKeyServerTimeout is exchange.md's default.
const DefaultKeyServerTimeout = 30 * time.Second

// timeout is the key server's timeout (validated on decode).
func (k *KeyServer) timeout() time.Duration {
	if d, err := time.ParseDuration(k.Timeout); err == nil && d > 0 {
		return d
	}
	return DefaultKeyServerTimeout
}

// keyServer decodes and checks a policy's keyServer (nil when absent).
func (d *dec) keyServer(m map[string]json.RawMessage) *KeyServer {
	raw, ok := m["keyServer"]
	if !ok || isNull(raw) {
		return nil
	}
	km := d.object(raw, "keyServer", "url", "authentication", "contentId", "timeout")
	k := &KeyServer{}
	k.URL = d.reqStr(km, "keyServer", "url")
	if d.err == nil {
		u, err := url.Parse(k.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			d.fail("keyServer.url", "must be an absolute http or https URL")
		}
	}
	k.ContentID, _ = d.str(km, "keyServer", "contentId")
	k.Timeout, _ = d.str(km, "keyServer", "timeout")
	if d.err == nil && k.Timeout != "" {
		if t, err := time.ParseDuration(k.Timeout); err != nil || t <= 0 || t > 5*time.Minute {
			d.fail("keyServer.timeout", "must be a duration such as \"30s\", at most 5m")
		}
	}
	if a, ok := km["authentication"]; ok && !isNull(a) {
		am := d.object(a, "keyServer.authentication", "type", "name", "value")
		k.Authentication = &KeyServerAuth{}
		k.Authentication.Type = d.reqStr(am, "keyServer.authentication", "type")
		k.Authentication.Name = d.reqStr(am, "keyServer.authentication", "name")
		k.Authentication.Value = d.reqStr(am, "keyServer.authentication", "value")
		if d.err == nil && k.Authentication.Type != "header" {
			d.fail("keyServer.authentication.type", "must be header")
		}
		if d.err == nil && !validHeaderName(k.Authentication.Name) {
			d.fail("keyServer.authentication.name", "must be an HTTP header name")
		}
	}
	return k
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
