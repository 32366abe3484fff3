package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

// A raw load generator for the manifest figures.
//
// The fasthttp client costs about as much CPU per request as the origin
// spends answering it (16 µs against 16 µs on a 2-core machine): at 64
// connections in a closed loop its own core is as saturated as the
// origin's, so half of what it records is its own queueing, and paced
// below saturation its 64 goroutines wait on Go timers that the runtime's
// netpoller checks at millisecond resolution, which sends the requests in
// bursts. rawLoad drives the same connections from one goroutine over
// non-blocking sockets and one epoll set (stdlib syscall only): a request
// is a pre-built byte string, an answer is read until its Content-Length
// is complete, and the timer of the paced form is epoll_pwait2's
// nanosecond timeout.
//
// It still measures what the figure says: exactly conns TCP connections
// to the origin, each with one request in flight at most (HTTP/1.1 keep-
// alive, no pipelining), and every request's whole answer. An answer
// counts as a success only when its status is 2xx, it has a Content-Length
// and exactly that many body bytes arrive, and the body has the length
// the same URL's answer had when fetched before the run (manifests of a
// VOD asset are fixed); anything else is recorded as an error.

// rawLoad sends targets round robin over conns connections to the origin
// at base (http://host:port) for wall. With rate 0 it is a closed loop:
// each connection sends its next request when its answer is complete.
// With rate > 0 each connection sends at its own even pace of rate/conns
// per second, staggered, as pacedLoop does.
func rawLoad(ctx context.Context, base string, targets []rawTarget, conns int, rate float64, wall time.Duration) (*rawResult, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	sa, err := inet4(u.Host)
	if err != nil {
		return nil, err
	}
	// One goroutine, on its own thread: the loop below never parks in
	// the Go scheduler, only in epoll_pwait2.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	defer syscall.Close(ep)
	cs := make([]*rawConn, conns)
	byFD := map[int]*rawConn{}
	defer func() {
		for _, c := range cs {
			if c != nil {
				syscall.Close(c.fd)
			}
		}
	}()
	for i := range cs {
		fd, err := dialRaw(sa)
		if err != nil {
			return nil, err
		}
		cs[i] = &rawConn{fd: fd, target: -1}
		byFD[fd] = cs[i]
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}
		if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return nil, fmt.Errorf("epoll_ctl: %w", err)
		}
	}
	res := &rawResult{rec: NewRecorder()}
	// Room for every sample up front (closed loop: 100,000 answers a
	// second, more than 2 cores serve; past it the slice grows).
	expect := int(wall.Seconds()*100_000) + conns
	if rate > 0 {
		expect = int(wall.Seconds()*rate*1.1) + conns
		res.fromDue = NewRecorder()
		res.fromDue.Reserve(expect)
		res.late = make([]int64, 0, expect)
	}
	res.rec.Reserve(expect)
	rbuf := make([]byte, 256<<10)
	events := make([]syscall.EpollEvent, conns)
	next := 0 // next target, round robin over all connections
	var fail error
	send := func(c *rawConn, due time.Time) {
		t := next % len(targets)
		next++
		c.target, c.due, c.hdr, c.left = t, due, c.hdr[:0], -1
		req := targets[t].req
		c.sent = time.Now()
		n, err := syscall.Write(c.fd, req)
		if err == syscall.EAGAIN {
			n, err = 0, nil
		}
		if err != nil {
			fail = fmt.Errorf("write: %w", err)
			return
		}
		if n < len(req) {
			// The socket's buffer is full (it never is with one request
			// in flight, but then the rest waits for EPOLLOUT).
			c.out = req[n:]
			ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLOUT, Fd: int32(c.fd)}
			if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_MOD, c.fd, &ev); err != nil {
				fail = err
			}
		}
	}
	// finish records c's answer (errClass "" for a success) and makes c
	// idle.
	finish := func(c *rawConn, now time.Time, errClass string, n int) {
		res.rec.Add(KindManifest, c.sent, now.Sub(c.sent), n, errClass)
		if res.fromDue != nil {
			res.fromDue.Add(KindManifest, c.due, now.Sub(c.due), n, errClass)
		}
		c.target = -1
	}

	began := time.Now()
	end := began.Add(wall)
	// The paced schedule: send j (of connection j%conns) is due at
	// began + j*step, so each connection sends every conns*step.
	var step time.Duration
	if rate > 0 {
		step = time.Duration(float64(time.Second) / rate)
	}
	j := 0
	if rate == 0 {
		for _, c := range cs {
			send(c, began)
		}
	}
	for fail == nil && ctx.Err() == nil {
		now := time.Now()
		if !now.Before(end) {
			break
		}
		timeout := end.Sub(now)
		if rate > 0 {
			for ; ; j++ {
				due := began.Add(time.Duration(j) * step)
				if due.After(now) {
					timeout = min(timeout, due.Sub(now))
					break
				}
				c := cs[j%conns]
				if c.target < 0 && len(c.pending) == 0 {
					if late := now.Sub(due); late >= 0 {
						res.late = append(res.late, int64(late))
					}
					send(c, due)
				} else {
					c.pending = append(c.pending, due)
				}
			}
		}
		n, err := epollWaitNs(ep, events, timeout)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			return nil, fmt.Errorf("epoll_pwait: %w", err)
		}
		for _, ev := range events[:n] {
			c := byFD[int(ev.Fd)]
			if ev.Events&syscall.EPOLLOUT != 0 && len(c.out) > 0 {
				w, err := syscall.Write(c.fd, c.out)
				if err != nil && err != syscall.EAGAIN {
					fail = fmt.Errorf("write: %w", err)
					break
				}
				c.out = c.out[max(w, 0):]
				if len(c.out) == 0 {
					ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(c.fd)}
					if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_MOD, c.fd, &ev); err != nil {
						fail = err
						break
					}
				}
			}
			if ev.Events&(syscall.EPOLLIN|syscall.EPOLLHUP|syscall.EPOLLERR) == 0 {
				continue
			}
			r, err := syscall.Read(c.fd, rbuf)
			if err == syscall.EAGAIN {
				continue
			}
			now := time.Now()
			if c.target < 0 {
				fail = fmt.Errorf("connection %d: %d bytes or %v with no request in flight", c.fd, r, err)
				break
			}
			if err != nil || r == 0 {
				// The origin closed the connection, or reset it.
				finish(c, now, ErrTransport, 0)
				fail = fmt.Errorf("connection closed by the origin (read: %v)", err)
				break
			}
			done, errClass, size := c.take(rbuf[:r], targets[c.target].bodyLen)
			if !done {
				continue
			}
			finish(c, now, errClass, size)
			if errClass == ErrTransport {
				fail = fmt.Errorf("malformed answer from the origin")
				break
			}
			switch {
			case rate == 0:
				send(c, now)
			case len(c.pending) > 0:
				due := c.pending[0]
				c.pending = c.pending[1:]
				send(c, due)
			}
		}
	}
	res.wall = time.Since(began)
	if fail != nil {
		return res, fail
	}
	return res, ctx.Err()
}

func inet4(hostport string) (*syscall.SockaddrInet4, error) {
	host, port, ok := cutLast(hostport, ":")
	if !ok {
		return nil, fmt.Errorf("%s: no port", hostport)
	}
	pn, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("%s: bad port", hostport)
	}
	sa := &syscall.SockaddrInet4{Port: pn}
	var ip [4]byte
	parts := bytes.Split([]byte(host), []byte("."))
	if len(parts) != 4 {
		return nil, fmt.Errorf("%s: the raw generator needs an IPv4 address", hostport)
	}
	for i, p := range parts {
		v, err := strconv.Atoi(string(p))
		if err != nil || v < 0 || v > 255 {
			return nil, fmt.Errorf("%s: the raw generator needs an IPv4 address", hostport)
		}
		ip[i] = byte(v)
	}
	sa.Addr = ip
	return sa, nil
}

// dialRaw opens a blocking TCP connection (connect on loopback is
// immediate), then makes it non-blocking, with TCP_NODELAY as fasthttp's
// client (Go's net package) sets it.
func dialRaw(sa *syscall.SockaddrInet4) (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	for {
		err = syscall.Connect(fd, sa)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		syscall.Close(fd)
		return -1, fmt.Errorf("connect %v:%d: %w", sa.Addr, sa.Port, err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// sysEpollPwait2 is epoll_pwait2's number, the same on every Linux
// architecture (441, since Linux 5.11).
const sysEpollPwait2 = 441

var noPwait2 bool

// epollWaitNs waits for events at most d, to the nanosecond where the
// kernel has epoll_pwait2; epoll_wait's millisecond timeout would make
// every paced send up to a millisecond late. Without epoll_pwait2, it
// waits in epoll_wait for the whole milliseconds of d and spins (timeout 0)
// below one.
func epollWaitNs(ep int, events []syscall.EpollEvent, d time.Duration) (int, error) {
	d = max(d, 0)
	if !noPwait2 {
		ts := syscall.NsecToTimespec(int64(d))
		n, _, errno := syscall.Syscall6(sysEpollPwait2, uintptr(ep), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)),
			uintptr(unsafe.Pointer(&ts)), 0, 0)
		if errno == 0 {
			return int(n), nil
		}
		if errno != syscall.ENOSYS {
			return 0, errno
		}
		noPwait2 = true
	}
	return syscall.EpollWait(ep, events, int(d/time.Millisecond))
}
