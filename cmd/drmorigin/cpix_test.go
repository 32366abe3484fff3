package main

import (
	"strings"
	"testing"
)

// TestLocatorCPIX: `locator cpix NAME --recipient R` asks for the export
// with each recipient and prints the document as the API answers it; an
// unknown recipient names the flag; no --recipient is refused before any
// request.
func TestLocatorCPIX(t *testing.T) {
	const doc = `<?xml version="1.0" encoding="UTF-8"?>` + "\n<cpix:CPIX xmlns:cpix=\"urn:dashif:org:cpix\"/>\n"
	api := &fakeAPI{t: t, answers: map[string]fakeAnswer{
		"GET /api/v1/streamingLocators/l1/cpix?recipient=a&recipient=b": {200, doc, nil},
		"GET /api/v1/streamingLocators/l1/cpix?recipient=zz": {400,
			`{"error":{"code":"BadRequest","message":"no CPIX recipient named \"zz\"","target":"recipient"}}`, nil},
	}}
	out, _, err := runFakeCLI(t, api, "locator", "cpix", "l1", "--recipient", "a", "--recipient", "b")
	if err != nil || out != doc {
		t.Fatalf("locator cpix: %v, printed %q", err, out)
	}
	if _, _, err := runFakeCLI(t, api, "locator", "cpix", "l1", "--recipient", "zz"); err == nil || !strings.Contains(err.Error(), `--recipient: no CPIX recipient named "zz"`) {
		t.Errorf("unknown recipient: %v", err)
	}
	if _, _, err := runFakeCLI(t, api, "locator", "cpix", "nope", "--recipient", "a"); err == nil || !strings.Contains(err.Error(), `no streaming locator named "nope"`) {
		t.Errorf("unknown locator: %v", err)
	}
	n := len(api.got)
	if _, _, err := runFakeCLI(t, api, "locator", "cpix", "l1"); err == nil || !strings.Contains(err.Error(), "--recipient") {
		t.Errorf("no recipient: %v", err)
	}
	if len(api.got) != n {
		t.Errorf("no recipient: a request was made: %v", api.got[n:])
	}
}
