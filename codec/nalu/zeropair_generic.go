//go:build !amd64 || purego

package nalu

import "bytes"

func indexZeroPair(b []byte) int { return bytes.Index(b, zeroPair) }
