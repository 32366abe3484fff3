package storagetest

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// childEnv names the test that a child process of ExpectFailure runs.
const childEnv = "STORAGETEST_EXPECT_FAILURE"

// ExpectFailure checks that run fails t, saying each of want: that a
// conformance suite catches a store that breaks its contract. run cannot fail t itself
// (a failed subtest fails its parent), so ExpectFailure runs t's test
// again in a child process of the test binary, where it calls run, and
// reads the child's verdict and output.
func ExpectFailure(t *testing.T, run func(t *testing.T), want ...string) {
	t.Helper()
	if os.Getenv(childEnv) == t.Name() {
		run(t)
		return
	}
	var pattern []string
	for _, part := range strings.Split(t.Name(), "/") {
		pattern = append(pattern, "^"+regexp.QuoteMeta(part)+"$")
	}
	cmd := exec.Command(os.Args[0], "-test.run="+strings.Join(pattern, "/"), "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if _, failed := err.(*exec.ExitError); !failed {
		t.Fatalf("the suite passed a store that breaks its contract (want a failure saying %q; %v):\n%s", want, err, out)
	}
	if !strings.Contains(string(out), "--- FAIL: "+t.Name()) {
		t.Fatalf("the child process failed, but not the test:\n%s", out)
	}
	for _, w := range want {
		if !strings.Contains(string(out), w) {
			t.Errorf("the suite failed, but not saying %q", w)
		}
	}
	if t.Failed() {
		t.Logf("its output:\n%s", out)
	}
}
