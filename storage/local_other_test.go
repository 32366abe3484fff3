//go:build !unix

package storage_test

import "errors"

func mkfifo(string) error { return errors.ErrUnsupported }
