package origin_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// openAPIPath is the management API's OpenAPI document, from this package.
const openAPIPath = "../docs/openapi.yaml"

// apiDoc is docs/openapi.yaml decoded into plain maps, slices, strings,
// numbers and bools, as encoding/json would decode the same document in
// JSON.
type apiDoc struct {
	root map[string]any
}

func loadAPIDoc(t testing.TB) *apiDoc {
	t.Helper()
	b, err := os.ReadFile(openAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", openAPIPath, err)
	}
	// Through JSON, so that numbers are float64 and maps map[string]any,
	// as in a decoded response body.
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: not JSON-compatible: %v", openAPIPath, err)
	}
	var root map[string]any
	if err := json.Unmarshal(j, &root); err != nil {
		t.Fatal(err)
	}
	return &apiDoc{root: root}
}

// resolve follows a local $ref ("#/components/schemas/Asset").
func (d *apiDoc) resolve(ref string) (map[string]any, error) {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("$ref %q: only local references are used here", ref)
	}
	var cur any = d.root
	for _, part := range strings.Split(p, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q: %q is not in an object", ref, part)
		}
		if cur, ok = m[strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")]; !ok {
			return nil, fmt.Errorf("$ref %q: no %q", ref, part)
		}
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %q: not an object", ref)
	}
	return m, nil
}

// deref returns m, or what its $ref names (repeatedly).
func (d *apiDoc) deref(m map[string]any) (map[string]any, error) {
	for i := 0; i < 16; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m, nil
		}
		var err error
		if m, err = d.resolve(ref); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("$ref chain too long")
}

// schemaKeywords are the JSON Schema keywords (OpenAPI 3.0 dialect) that
// validate understands; a schema using any other fails the test, so the
// document cannot come to rely on a keyword the check would ignore.
// Annotations (description, example, default, format, title) are
// accepted and ignored.
var schemaKeywords = map[string]bool{
	"$ref": true, "type": true, "nullable": true, "properties": true, "required": true,
	"additionalProperties": true, "items": true, "enum": true, "pattern": true, "minItems": true,
	"minimum": true, "maximum": true, "minLength": true, "maxLength": true, "allOf": true,
	"description": true, "example": true, "default": true, "format": true, "title": true,
}

// validate checks v (a decoded JSON value) against schema and returns every
// violation, each prefixed with its path in v ("value[2].name").
func (d *apiDoc) validate(schema map[string]any, v any, at string) []string {
	schema, err := d.deref(schema)
	if err != nil {
		return []string{at + ": " + err.Error()}
	}
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }
	keys := make([]string, 0, len(schema))
	for k := range schema {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !schemaKeywords[k] {
			fail("schema keyword %q is not one the test's validator knows: add it to schemaKeywords with its check", k)
		}
	}
	if v == nil {
		if n, _ := schema["nullable"].(bool); n || schema["type"] == nil && schema["allOf"] == nil {
			return errs
		}
		fail("null, and the schema is not nullable")
		return errs
	}
	for i, sub := range asList(schema["allOf"]) {
		m, ok := sub.(map[string]any)
		if !ok {
			fail("allOf[%d] is not a schema", i)
			continue
		}
		errs = append(errs, d.validate(m, v, at)...)
	}
	if typ, ok := schema["type"].(string); ok && !hasType(v, typ) {
		fail("%s, want %s", jsonType(v), typ)
		return errs
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return equalJSON(e, v) }) {
		fail("%v is not one of %v", v, enum)
	}
	switch v := v.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		for _, r := range asList(schema["required"]) {
			if _, ok := v[r.(string)]; !ok {
				fail("%q is required", r)
			}
		}
		names := make([]string, 0, len(v))
		for k := range v {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if ps, ok := props[k].(map[string]any); ok {
				errs = append(errs, d.validate(ps, v[k], at+"."+k)...)
				continue
			}
			switch ap := schema["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("%q is not a documented property", k)
				}
			case map[string]any:
				errs = append(errs, d.validate(ap, v[k], at+"."+k)...)
			}
		}
	case []any:
		if n, ok := schema["minItems"].(float64); ok && float64(len(v)) < n {
			fail("%d items, want at least %v", len(v), n)
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, e := range v {
				errs = append(errs, d.validate(items, e, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	case string:
		if p, ok := schema["pattern"].(string); ok {
			re, err := regexp.Compile(p)
			if err != nil {
				fail("pattern %q: %v", p, err)
			} else if !re.MatchString(v) {
				fail("%q does not match %s", v, p)
			}
		}
		if n, ok := schema["minLength"].(float64); ok && float64(len(v)) < n {
			fail("%d bytes, want at least %v", len(v), n)
		}
		if n, ok := schema["maxLength"].(float64); ok && float64(len(v)) > n {
			fail("%d bytes, want at most %v", len(v), n)
		}
	case float64:
		if n, ok := schema["minimum"].(float64); ok && v < n {
			fail("%v is below the minimum %v", v, n)
		}
		if n, ok := schema["maximum"].(float64); ok && v > n {
			fail("%v is above the maximum %v", v, n)
		}
	}
	return errs
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func hasType(v any, typ string) bool {
	switch typ {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	}
	return false
}

func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestSchemaValidator: the subset validator the OpenAPI tests rely on
// catches what it claims to, so a passing document check means something.
func TestSchemaValidator(t *testing.T) {
	d := &apiDoc{root: map[string]any{"components": map[string]any{"schemas": map[string]any{
		"Thing": map[string]any{"type": "object", "additionalProperties": false, "required": []any{"id"},
			"properties": map[string]any{
				"id":   map[string]any{"type": "string", "pattern": "^[a-z]+$"},
				"n":    map[string]any{"type": "integer", "minimum": 1.0, "maximum": 9.0},
				"tags": map[string]any{"type": "array", "minItems": 1.0, "items": map[string]any{"type": "string", "enum": []any{"a", "b"}}},
				"at":   map[string]any{"type": "string", "nullable": true},
			}},
	}}}}
	ref := map[string]any{"$ref": "#/components/schemas/Thing"}
	for _, c := range []struct {
		doc  string
		want int // violations
	}{
		{`{"id":"abc","n":3,"tags":["a"],"at":null}`, 0},
		{`{"id":"abc"}`, 0},
		{`{"n":3}`, 1},                  // id required
		{`{"id":"ABC"}`, 1},             // pattern
		{`{"id":"a","n":3.5}`, 1},       // not an integer
		{`{"id":"a","n":0}`, 1},         // minimum
		{`{"id":"a","n":10}`, 1},        // maximum
		{`{"id":"a","tags":[]}`, 1},     // minItems
		{`{"id":"a","tags":["c"]}`, 1},  // enum
		{`{"id":"a","extra":1}`, 1},     // additionalProperties
		{`{"id":"a","at":5}`, 1},        // type
		{`{"id":null}`, 1},              // not nullable
		{`[]`, 1},                       // not an object
		{`{"id":"a","tags":"a"}`, 1},    // not an array
		{`{"id":"a","n":"3","x":1}`, 2}, // two at once
	} {
		var v any
		if err := json.Unmarshal([]byte(c.doc), &v); err != nil {
			t.Fatal(err)
		}
		if got := d.validate(ref, v, "$"); len(got) != c.want {
			t.Errorf("%s: %d violations %q, want %d", c.doc, len(got), got, c.want)
		}
	}
	if got := d.validate(map[string]any{"type": "string", "oneOf": []any{}}, "x", "$"); len(got) != 1 {
		t.Errorf("an unknown keyword gives %q, want one violation naming it", got)
	}
}
