package keyclient

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"time"
)

// MaxBodySize is the largest management body accepted (1 MiB); the HTTP
// layer answers 413 above it, and the decoder refuses it as well.
const MaxBodySize = 1 << 20

// dec is a strict JSON decoder that names the offending field. It keeps the
// first error; later calls are no-ops.
type dec struct{ err *ValidationError }

func (d *dec) fail(target, format string, args ...any) {
	if d.err == nil {
		d.err = invalid(target, format, args...)
	}
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

// root parses a whole body as one JSON object.
func (d *dec) root(body []byte, allowed ...string) map[string]json.RawMessage {
	if len(body) > MaxBodySize {
		d.fail("", "body larger than %d bytes", MaxBodySize)
		return nil
	}
	if !json.Valid(body) {
		d.fail("", "malformed JSON")
		return nil
	}
	return d.object(bytes.TrimSpace(body), "", allowed...)
}

// object decodes raw as an object whose keys must be in allowed.
func (d *dec) object(raw json.RawMessage, path string, allowed ...string) map[string]json.RawMessage {
	if d.err != nil {
		return nil
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		d.fail(path, "must be an object")
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		d.fail(path, "must be an object")
		return nil
	}
	if dup, ok := duplicateKey(raw); ok {
		d.fail(join(path, dup), "duplicate field")
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			d.fail(join(path, k), "unknown field")
			return nil
		}
	}
	return m
}

// str returns the string field key of m; null and absent give ok=false.
func (d *dec) str(m map[string]json.RawMessage, path, key string) (s string, ok bool) {
	raw := m[key]
	if d.err != nil || isNull(raw) {
		return "", false
	}
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		d.fail(join(path, key), "must be a string")
		return "", false
	}
	return s, true
}

// reqStr is str for a required, non-empty string.
func (d *dec) reqStr(m map[string]json.RawMessage, path, key string) string {
	s, ok := d.str(m, path, key)
	if d.err == nil && (!ok || s == "") {
		d.fail(join(path, key), "required")
	}
	return s
}

func (d *dec) boolean(m map[string]json.RawMessage, path, key string) bool {
	raw := m[key]
	if d.err != nil || isNull(raw) {
		return false
	}
	var b bool
	if json.Unmarshal(raw, &b) != nil {
		d.fail(join(path, key), "must be true or false")
	}
	return b
}

// array returns the elements of an array field; null and absent give nil.
func (d *dec) array(m map[string]json.RawMessage, path, key string) []json.RawMessage {
	raw := m[key]
	if d.err != nil || isNull(raw) {
		return nil
	}
	var a []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &a) != nil {
		d.fail(join(path, key), "must be an array")
		return nil
	}
	if a == nil {
		a = []json.RawMessage{}
	}
	return a
}

// strArray decodes an array of strings.
func (d *dec) strArray(m map[string]json.RawMessage, path, key string) []string {
	elems := d.array(m, path, key)
	if elems == nil {
		return nil
	}
	out := make([]string, 0, len(elems))
	for i, e := range elems {
		var s string
		if len(e) == 0 || e[0] != '"' || json.Unmarshal(e, &s) != nil {
			d.fail(index(join(path, key), i), "must be a string")
			return nil
		}
		out = append(out, s)
	}
	return out
}

// height decodes an optional video height in lines: a positive integer
// up to 65535 (what an ISO BMFF track header can state).
func (d *dec) height(m map[string]json.RawMessage, path, key string) (int, bool) {
	raw, ok := m[key]
	if d.err != nil || !ok || isNull(raw) {
		return 0, false
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(raw)))
	if err != nil || n < 1 || n > 65535 {
		d.fail(join(path, key), "must be an integer from 1 to 65535 (lines)")
		return 0, false
	}
	return n, true
}

// timeField decodes an RFC 3339 timestamp; null and absent give nil.
func (d *dec) timeField(m map[string]json.RawMessage, path, key string) *time.Time {
	s, ok := d.str(m, path, key)
	if !ok {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		d.fail(join(path, key), "must be an RFC 3339 timestamp")
		return nil
	}
	t = t.UTC()
	return &t
}

// decodeBase64 accepts standard and URL-safe base64, padded or not.
func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// duplicateKey reports the first key that appears twice in the JSON
// object raw (encoding/json would silently keep the last one).
func duplicateKey(raw []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // {
		return "", false
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "", false
		}
		k, _ := t.(string)
		if seen[k] {
			return k, true
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", false
		}
	}
	return "", false
}
