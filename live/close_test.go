package live_test

import (
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/live"
	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// stuckList is a local store whose listings of prefix block, once armed,
// until released: an object store's request hanging mid-poll.
type stuckList struct {
	*storage.Local
	prefix  string
	mu      sync.Mutex
	armed   bool
	entered chan struct{} // a listing blocked
	release chan struct{}
}

func (s *stuckList) List(prefix string) ([]storage.Entry, error) {
	s.mu.Lock()
	armed := s.armed && prefix == s.prefix
	if armed {
		s.armed = false
	}
	s.mu.Unlock()
	if armed {
		close(s.entered)
		<-s.release
	}
	return s.Local.List(prefix)
}

func (s *stuckList) arm() {
	s.mu.Lock()
	s.armed = true
	s.mu.Unlock()
}

// polls counts the goroutines running an archive poll.
func polls() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "live.(*Hub).poll(")
}

// TestCloseWaitsForPoll: Hub.Close returns only once a poll of an archive
// in progress has ended (it reads the archive and reopens fragment
// objects that Close closes, over a store its caller closes next), and
// leaves no poll running; but a poll stuck in a storage request holds
// Close back no longer than Config.CloseWait.
func TestCloseWaitsForPoll(t *testing.T) {
	for _, stuck := range []bool{false, true} {
		name := map[bool]string{false: "poll ends", true: "poll hangs"}[stuck]
		t.Run(name, func(t *testing.T) {
			base := polls()
			root := t.TempDir()
			st := &stuckList{Local: storage.NewLocal(root, storage.LocalOptions{}), prefix: out1.Asset + "/",
				entered: make(chan struct{}), release: make(chan struct{})}
			lib := packager.NewLibrary(st, 16)
			t.Cleanup(func() { lib.Close() })
			const wait = 500 * time.Millisecond
			hub := live.NewHub(live.Config{Store: st, Writer: st.Local, Assets: lib, RefreshEvery: 10 * time.Millisecond, CloseWait: wait})
			start(t, &rig{root: root, st: st.Local, lib: lib, hub: hub}, out1)
			st.arm()
			select {
			case <-st.entered:
			case <-time.After(5 * time.Second):
				t.Fatal("no poll listed the archive within 5 s")
			}
			closed := make(chan time.Duration)
			t0 := time.Now()
			go func() {
				hub.Close()
				closed <- time.Since(t0)
			}()
			if !stuck {
				select {
				case d := <-closed:
					close(st.release)
					t.Fatalf("Close returned after %v while a poll was listing the archive", d)
				case <-time.After(200 * time.Millisecond):
				}
				close(st.release)
				select {
				case d := <-closed:
					t.Logf("Close returned %v after it was called, once the poll ended", d)
				case <-time.After(5 * time.Second):
					t.Fatal("Close did not return within 5 s of the poll's end")
				}
				if n := polls(); n > base {
					t.Fatalf("%d archive polls still run after Close", n-base)
				}
				return
			}
			select {
			case d := <-closed:
				if d < wait {
					t.Errorf("Close returned after %v, before its CloseWait of %v", d, wait)
				}
				t.Logf("Close returned after %v with a poll stuck (CloseWait %v)", d, wait)
			case <-time.After(wait + 5*time.Second):
				t.Fatalf("Close still waits %v after its CloseWait of %v", wait+5*time.Second, wait)
			}
			close(st.release) // the poll then sees its output halted
			deadline := time.Now().Add(5 * time.Second)
			for polls() > base {
				if time.Now().After(deadline) {
					t.Fatal("the stuck poll did not end once its listing returned")
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
