//go:build !linux

package origin

// turns need epoll (conn_turns_linux.go); elsewhere connections wait in
// the Go poller.
type turns struct{}

func newTurns() (*turns, error) { return nil, nil }

func (t *turns) close()                            {}
func (t *turns) wait(c *lineConn, fd uintptr) bool { return false }
func (t *turns) release(c *lineConn, closing bool) {}
