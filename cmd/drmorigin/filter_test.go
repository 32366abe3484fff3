package main

import (
	"strings"
	"testing"
)

// TestCLIFilters: asset-filter and account-filter reach their routes,
// print tables and name what the user typed in errors; locator create
// --filter sends the locator's filters.
func TestCLIFilters(t *testing.T) {
	const low = `{"presentationTimeRange":{"startTimestamp":0,"endTimestamp":600000000,"presentationWindowDuration":null,"liveBackoffDuration":null,"timescale":null,"forceEndTimestamp":false},` +
		`"tracks":[{"trackSelections":[{"property":"Type","operation":"Equal","value":"Video"},{"property":"Bitrate","operation":"Equal","value":"0-500000"}]}]}`
	api := &fakeAPI{t: t, answers: map[string]fakeAnswer{
		"PUT /api/v1/assets/demo/assetFilters/low":       {201, low, nil},
		"GET /api/v1/assets/demo/assetFilters/low":       {200, low, nil},
		"GET /api/v1/assets/demo/assetFilters?$top=1000": {200, `{"value":[{"name":"low","properties":` + low + `}]}`, nil},
		"DELETE /api/v1/accountFilters/old":              {204, ``, nil},
		"PUT /api/v1/accountFilters/bad":                 {400, `{"error":{"code":"BadRequest","message":"\"5-1\": a Bitrate is a range","target":"tracks[0].trackSelections[0].value"}}`, nil},
		"PUT /api/v1/streamingLocators/fl":               {201, `{"name":"fl","assetName":"demo","streamingPolicyName":"Predefined_ClearStreamingOnly","startTime":null,"endTime":null,"contentKeys":[],"filters":["low"]}`, nil},
	}}
	dir := t.TempDir()
	if err := writeFile(dir+"/low.json", low); err != nil {
		t.Fatal(err)
	}
	out, _, err := runFakeCLI(t, api, "asset-filter", "put", "low", "--asset", "demo", "-f", dir+"/low.json")
	if err != nil || !strings.Contains(out, "(Type=Video and Bitrate=0-500000)") || !strings.Contains(out, "0..600000000 @10000000") {
		t.Errorf("asset-filter put: %v\n%s", err, out)
	}
	out, _, err = runFakeCLI(t, api, "asset-filter", "list", "--asset", "demo")
	if err != nil || !strings.Contains(out, "NAME") || !strings.Contains(out, "low") {
		t.Errorf("asset-filter list: %v\n%s", err, out)
	}
	if _, _, err := runFakeCLI(t, api, "asset-filter", "get", "low"); err == nil || !strings.Contains(err.Error(), "asset") {
		t.Errorf("asset-filter without --asset: %v", err)
	}
	out, _, err = runFakeCLI(t, api, "account-filter", "delete", "old")
	if err != nil || !strings.Contains(out, "Deleted account filter old") {
		t.Errorf("account-filter delete: %v\n%s", err, out)
	}
	if _, _, err := runFakeCLI(t, api, "account-filter", "get", "nope"); err == nil || !strings.Contains(err.Error(), `no account filter named "nope"`) {
		t.Errorf("account-filter get of an unknown one: %v", err)
	}
	if err := writeFile(dir+"/bad.json", `{}`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runFakeCLI(t, api, "account-filter", "put", "bad", "-f", dir+"/bad.json"); err == nil ||
		!strings.Contains(err.Error(), "tracks[0].trackSelections[0].value") {
		t.Errorf("account-filter put refused: %v, want the field named", err)
	}
	out, _, err = runFakeCLI(t, api, "locator", "create", "fl", "--asset", "demo", "--policy", "Predefined_ClearStreamingOnly", "--filter", "low")
	if err != nil || !strings.Contains(out, "Filters:") || !strings.Contains(api.got[len(api.got)-1], "PUT /api/v1/streamingLocators/fl") {
		t.Errorf("locator create --filter: %v\n%s", err, out)
	}
}
