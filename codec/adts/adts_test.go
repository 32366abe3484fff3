package adts_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/codec/adts"
)

// header returns the ADTS header of a payloadLen-byte frame under asc.
func header(asc []byte, payloadLen int) ([]byte, error) {
	c, err := adts.ParseASC(asc)
	if err != nil {
		return nil, err
	}
	b := make([]byte, adts.HeaderSize)
	c.PutHeader(b, payloadLen)
	return b, nil
}

func TestADTSHeader(t *testing.T) {
	for _, c := range []struct {
		name string
		asc  []byte
		n    int
		want []byte
	}{
		// AAC-LC 48 kHz stereo, 100-byte frame: length 107.
		{"lc 48k stereo", []byte{0x11, 0x90}, 100, []byte{0xFF, 0xF1, 0x4C, 0x80, 0x0D, 0x7F, 0xFC}},
		// AAC-LC 44.1 kHz stereo, 371-byte frame: length 378.
		{"lc 44.1k stereo", []byte{0x12, 0x10}, 371, []byte{0xFF, 0xF1, 0x50, 0x80, 0x2F, 0x5F, 0xFC}},
		// AAC-LC 22.05 kHz mono, largest frame: length 8191.
		{"lc 22.05k mono max", []byte{0x13, 0x88}, 8184, []byte{0xFF, 0xF1, 0x5C, 0x43, 0xFF, 0xFF, 0xFC}},
		// HE-AAC (SBR, explicit: object type 5, core 24 kHz, extension
		// 48 kHz, core AAC-LC): the header describes the LC core.
		{"he-aac", []byte{0x2B, 0x11, 0x88, 0x00}, 100, []byte{0xFF, 0xF1, 0x58, 0x80, 0x0D, 0x7F, 0xFC}},
		// Explicit 48000 Hz frequency (index 15) maps to index 3.
		{"explicit frequency", []byte{0x17, 0x80, 0x5D, 0xC0, 0x10}, 100, []byte{0xFF, 0xF1, 0x4C, 0x80, 0x0D, 0x7F, 0xFC}},
	} {
		got, err := header(c.asc, c.n)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !bytes.Equal(got, c.want) {
			t.Errorf("%s: % x, want % x", c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		name, asc string
		want      string
	}{
		{"short", "\x11", "too short"},
		{"channel config 0", "\x11\x80", "channel configuration 0"},
		{"object type 7", "\x39\x90", "audio object type 7"},
		{"reserved frequency", "\x16\x90", "frequency index 13"},
	} {
		_, err := header([]byte(c.asc), 10)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// TestShortConfig: a cut AudioSpecificConfig wraps ErrShortConfig, also when
// the cut falls in an explicit frequency whose bits there were still name a
// known rate; the object type is kept.
func TestShortConfig(t *testing.T) {
	for _, asc := range [][]byte{{0x11}, {0x17, 0x80, 0x5D, 0xC0}, {0x2B, 0x11}} {
		c, err := adts.ParseASC(asc)
		if !errors.Is(err, adts.ErrShortConfig) {
			t.Errorf("% x: %v", asc, err)
		}
		if want := asc[0] >> 3; c.ObjectType != want {
			t.Errorf("% x: object type %d, want %d", asc, c.ObjectType, want)
		}
	}
}
