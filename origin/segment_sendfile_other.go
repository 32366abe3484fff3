//go:build !linux

package origin

import "syscall"

// sendState: sendfile is only used on Linux (segment_sendfile_linux.go).
type sendState struct{}

func (ss *segmentStream) canSendFile(syscall.RawConn) bool { return false }

func (ss *segmentStream) sendFile(syscall.RawConn, []byte) (int64, error) { panic("unreachable") }

func (ss *segmentStream) sendStep(uintptr) bool { return true }
