package origin

import (
	"io"
	"os"
	"syscall"
)

// Sending a clear segment's payload from the page cache by descriptor.
//
// A writev from the track file's mapping has the kernel copy every byte of
// the payload into socket buffers: on a 1.15 MB segment that copy was the
// largest single item of the origin's CPU time (bench profile:
// _copy_from_iter 15% of the samples, the same share as in the copy-only
// floor). sendfile hands the socket the page cache's pages themselves, as
// a static file server (nginx's sendfile) does: a network card with
// scatter-gather sends them by DMA; on loopback the receiver copies them
// out, on its own CPU. The head (the held headers, styp, moof, mdat
// header) goes first with MSG_MORE, so it leaves in the same TCP segment
// as the payload's first bytes, not in one of its own.

// maxSendfileRuns: a payload in more runs than this (a progressive file's
// interleaved chunks) goes by writev, one system call for all, rather
// than one sendfile per run.
const maxSendfileRuns = 4

// sendState is the progress of one sendFile, kept in the pooled stream so
// that the step function bound once (sendFn) needs no closure.
type sendState struct {
	pre  []byte // what is still to send from memory before the runs
	file int    // descriptor of the track file
	run  int    // the run being sent
	off  int64  // its next byte's offset in the file
	left int    // its bytes still to send
	n    int64  // bytes sent
	err  error
}

// canSendFile reports whether ss's payload can go by sendfile on sock.
func (ss *segmentStream) canSendFile(sock syscall.RawConn) bool {
	return sock != nil && ss.ms.File() != nil && len(ss.ms.Payload) > 0 && len(ss.ms.Payload) <= maxSendfileRuns
}

// sendFile sends pre, then the payload's runs from the file, on sock.
func (ss *segmentStream) sendFile(sock syscall.RawConn, pre []byte) (int64, error) {
	ss.sf = sendState{pre: pre, file: int(ss.ms.File().Fd()), off: ss.ms.RunOffset(0), left: len(ss.ms.Payload[0])}
	if ss.sendFn == nil {
		ss.sendFn = ss.sendStep // bound once per pooled stream: no allocation per request
	}
	err := sock.Write(ss.sendFn)
	s := &ss.sf
	if err == nil {
		err = s.err
	}
	n := s.n
	*s = sendState{}
	return n, err
}

// sendStep sends as much as the socket takes; false (wait until it is
// writable, then call again) when it takes no more.
func (ss *segmentStream) sendStep(fd uintptr) bool {
	s := &ss.sf
	for len(s.pre) > 0 {
		n, err := syscall.SendmsgN(int(fd), s.pre, nil, nil, syscall.MSG_MORE)
		switch err {
		case nil:
			s.pre = s.pre[n:]
			s.n += int64(n)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			s.err = os.NewSyscallError("sendmsg", err)
			return true
		}
	}
	for {
		if s.left == 0 {
			if s.run++; s.run >= len(ss.ms.Payload) {
				return true
			}
			s.off, s.left = ss.ms.RunOffset(s.run), len(ss.ms.Payload[s.run])
			continue
		}
		n, err := syscall.Sendfile(int(fd), s.file, &s.off, s.left)
		switch {
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			if n > 0 {
				s.left -= n
				s.n += int64(n)
			}
			return false
		case err != nil:
			s.err = os.NewSyscallError("sendfile", err)
			return true
		case n == 0:
			// The file was cut short under the segment.
			s.err = io.ErrUnexpectedEOF
			return true
		default:
			s.left -= n
			s.n += int64(n)
		}
	}
}
