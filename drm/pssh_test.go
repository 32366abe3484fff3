package drm_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"testing"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/drmorigin/drmorigin/drm"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func kid16(t *testing.T, s string) [16]byte {
	t.Helper()
	var k [16]byte
	if copy(k[:], unhex(t, s)) != 16 {
		t.Fatalf("%s is not 16 bytes", s)
	}
	return k
}

// seqKID is 01 02 ... 10.
var seqKID = [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}

// parsePSSH decodes one box with mp4ff.
func parsePSSH(t *testing.T, b []byte) *mp4.PsshBox {
	t.Helper()
	box, err := mp4.DecodeBoxSR(0, bits.NewFixedSliceReader(b))
	if err != nil {
		t.Fatalf("mp4ff: %v", err)
	}
	p, ok := box.(*mp4.PsshBox)
	if !ok {
		t.Fatalf("mp4ff decoded a %T", box)
	}
	if int(p.Size()) != len(b) {
		t.Errorf("mp4ff size %d, box is %d bytes", p.Size(), len(b))
	}
	return p
}

var psshCases = []struct {
	name     string
	systemID [16]byte
	version  int
	kids     [][16]byte
	data     []byte
	want     string // hand-assembled from ISO/IEC 23001-7 8.1.2
}{
	{"v0 widevine", drm.WidevineSystemID, 0, [][16]byte{seqKID}, []byte{0xaa, 0xbb},
		"00000022" + "70737368" + "00000000" + "edef8ba979d64acea3c827dcd51d21ed" + "00000002" + "aabb"},
	{"v1 common one kid", drm.CommonSystemID, 1, [][16]byte{seqKID}, nil,
		"00000034" + "70737368" + "01000000" + "1077efecc0b24d02ace33c1e52e2fb4b" +
			"00000001" + "0102030405060708090a0b0c0d0e0f10" + "00000000"},
	{"v1 playready two kids", drm.PlayReadySystemID, 1, [][16]byte{seqKID, {0xff}}, []byte{1},
		"00000045" + "70737368" + "01000000" + "9a04f07998404286ab92e65be0885f95" +
			"00000002" + "0102030405060708090a0b0c0d0e0f10" + "ff000000000000000000000000000000" +
			"00000001" + "01"},
	{"v0 empty", drm.FairPlaySystemID, 0, nil, nil,
		"00000020" + "70737368" + "00000000" + "94ce86fb07ff4f43adb893d2fa968ca2" + "00000000"},
}

func TestAppendPSSH(t *testing.T) {
	for _, c := range psshCases {
		t.Run(c.name, func(t *testing.T) {
			prefix := []byte("xy")
			got := drm.AppendPSSH(prefix, c.systemID, c.version, c.kids, c.data)
			if !bytes.HasPrefix(got, []byte("xy")) {
				t.Fatal("dst prefix lost")
			}
			got = got[2:]
			if want := unhex(t, c.want); !bytes.Equal(got, want) {
				t.Fatalf("got  %x\nwant %x", got, want)
			}
			if n := drm.PSSHSize(c.version, len(c.kids), len(c.data)); n != len(got) {
				t.Errorf("PSSHSize %d, box %d bytes", n, len(got))
			}
			p := parsePSSH(t, got)
			if int(p.Version) != c.version || p.Flags != 0 || !bytes.Equal(p.SystemID, c.systemID[:]) || !bytes.Equal(p.Data, c.data) {
				t.Errorf("mp4ff: version %d flags %d system %s data %x", p.Version, p.Flags, p.SystemID, p.Data)
			}
			wantKIDs := 0
			if c.version == 1 {
				wantKIDs = len(c.kids)
			}
			if len(p.KIDs) != wantKIDs {
				t.Fatalf("mp4ff: %d KIDs, want %d", len(p.KIDs), wantKIDs)
			}
			for i, k := range p.KIDs {
				if !bytes.Equal(k, c.kids[i][:]) {
					t.Errorf("KID %d = %s", i, k)
				}
			}
		})
	}
}

// TestCommonPSSHPublished compares CommonPSSH with the W3C common pssh of a
// published MPD (shaka-project/shaka-player issue 4748, KID
// 1b745df7-87f5-b3cb-223e-da23c5319b31).
func TestCommonPSSHPublished(t *testing.T) {
	want, _ := base64.StdEncoding.DecodeString("AAAANHBzc2gBAAAAEHfv7MCyTQKs4zweUuL7SwAAAAEbdF33h/WzyyI+2iPFMZsxAAAAAA==")
	got := drm.CommonPSSH([][16]byte{kid16(t, "1b745df787f5b3cb223eda23c5319b31")})
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
}

func TestSystemIDs(t *testing.T) {
	for _, c := range []struct {
		id   [16]byte
		want string
	}{
		{drm.WidevineSystemID, mp4.UUIDWidevine},
		{drm.PlayReadySystemID, mp4.UUIDPlayReady},
		{drm.FairPlaySystemID, mp4.UUIDFairPlay},
		{drm.CommonSystemID, mp4.UUID_W3C_COMMON},
		{drm.ClearKeyDASHSystemID, "e2719d58-a985-b3c9-781a-b030af78d30e"},
	} {
		if got := drm.GUID(c.id); got != c.want {
			t.Errorf("GUID = %s, want %s", got, c.want)
		}
	}
}

func TestKIDByteOrder(t *testing.T) {
	if got, want := drm.GUID(seqKID), "01020304-0506-0708-090a-0b0c0d0e0f10"; got != want {
		t.Errorf("GUID = %s, want %s", got, want)
	}
	pr := drm.PlayReadyKID(seqKID)
	if want := kid16(t, "04030201"+"0605"+"0807"+"090a0b0c0d0e0f10"); pr != want {
		t.Errorf("PlayReadyKID = %x, want %x", pr, want)
	}
	if drm.PlayReadyKID(pr) != seqKID {
		t.Error("PlayReadyKID is not its own inverse")
	}
}

func TestPSSHData(t *testing.T) {
	kid := [16]byte{1, 2, 3}
	for _, v := range []int{0, 1} {
		box := drm.AppendPSSH(nil, drm.WidevineSystemID, v, [][16]byte{kid, kid}, []byte("data!"))
		d, ok := drm.PSSHData(box)
		if !ok || string(d) != "data!" {
			t.Fatalf("version %d: got %q %v", v, d, ok)
		}
		if _, ok := drm.PSSHData(box[:len(box)-1]); ok {
			t.Fatalf("version %d: a cut box read", v)
		}
	}
}
