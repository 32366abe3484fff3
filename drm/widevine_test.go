package drm_test

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/drmorigin/drmorigin/drm"
)

// wvData is WidevinePsshData as protowire reads it back.
type wvData struct {
	keyIDs [][]byte
	scheme uint64
	other  []protowire.Number
}

func decodeWV(t *testing.T, b []byte) wvData {
	t.Helper()
	var d wvData
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == 2 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				t.Fatalf("key_ids: %v", protowire.ParseError(n))
			}
			d.keyIDs = append(d.keyIDs, v)
			b = b[n:]
		case num == 9 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				t.Fatalf("protection_scheme: %v", protowire.ParseError(n))
			}
			d.scheme = v
			b = b[n:]
		default:
			d.other = append(d.other, num)
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				t.Fatalf("field %d: %v", num, protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	return d
}

func TestWidevinePSSHData(t *testing.T) {
	// Hand-encoded: tag 0x12 (field 2, bytes), length 16, KID; tag 0x48
	// (field 9, varint), 0x63656e63 ('cenc') as a varint = e3 dc 95 9b 06.
	got, err := drm.WidevinePSSHData([][16]byte{seqKID}, "cenc")
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, "1210"+"0102030405060708090a0b0c0d0e0f10"+"48"+"e3dc959b06"); !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}

	two := [][16]byte{seqKID, {0xde, 0xad}}
	for _, c := range []struct {
		scheme string
		fourcc uint64
	}{{"cenc", 0x63656e63}, {"cbcs", 0x63626373}} {
		data, err := drm.WidevinePSSHData(two, c.scheme)
		if err != nil {
			t.Fatal(err)
		}
		d := decodeWV(t, data)
		if d.scheme != c.fourcc || len(d.other) != 0 || len(d.keyIDs) != 2 ||
			!bytes.Equal(d.keyIDs[0], two[0][:]) || !bytes.Equal(d.keyIDs[1], two[1][:]) {
			t.Errorf("%s: decoded %+v", c.scheme, d)
		}
		box, err := drm.WidevinePSSH(two, c.scheme)
		if err != nil {
			t.Fatal(err)
		}
		p := parsePSSH(t, box)
		if p.Version != 0 || !bytes.Equal(p.SystemID, drm.WidevineSystemID[:]) || !bytes.Equal(p.Data, data) {
			t.Errorf("%s: pssh %+v", c.scheme, p)
		}
	}
	if _, err := drm.WidevinePSSHData(two, "cbc1"); !errors.Is(err, drm.ErrScheme) {
		t.Errorf("cbc1: err %v, want ErrScheme", err)
	}
}
