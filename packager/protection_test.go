package packager_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/drmorigin/drmorigin/crypto"
	"github.com/drmorigin/drmorigin/drm"
	"github.com/drmorigin/drmorigin/packager"
)

// TestProtectionSegmentIV: the schemes that state a segment IV (SAMPLE-AES
// on TS, AES-128 on CMAF and TS) encrypt under SegmentIV, which is the key's
// derivation from (asset, track file name, decode time): what a playlist
// states and what the segment is encrypted with come from one place.
func TestProtectionSegmentIV(t *testing.T) {
	a := openAsset(t, "demo")
	key, err := crypto.NewKey(testKey[:])
	if err != nil {
		t.Fatal(err)
	}
	v, au := trackFile(t, a, "video_640x360.mp4"), trackFile(t, a, "audio_eng.mp4")
	saes := &packager.Protection{Scheme: packager.SchemeSampleAES, Key: key, Asset: "demo"}
	aes := &packager.Protection{Scheme: packager.SchemeAES128, Key: key, Asset: "demo"}
	for i, fr := range v.Fragments {
		iv := v.SegmentIV(saes, i)
		if want := key.SegmentIV("demo", filepath.Base(v.Path), fr.Time); iv != want {
			t.Fatalf("segment %d: SegmentIV %x, want the key's derivation %x", i, iv, want)
		}
		got, err := v.AppendSegment(nil, i, packager.TSWithAudio(au), saes, nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := v.AppendSegmentTS(nil, i, au, packager.TSOptions{Encrypter: key, IV: iv}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("segment %d: SAMPLE-AES through Protection differs from the muxer under SegmentIV", i)
		}
		for _, out := range []packager.Output{packager.CMAF, packager.TS} {
			clear, err := v.AppendSegment(nil, i, out, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			enc, err := v.AppendSegment([]byte("x"), i, out, aes, nil)
			if err != nil {
				t.Fatal(err)
			}
			if want := key.AppendCBCSegment(nil, clear, iv); !bytes.Equal(enc[1:], want) {
				t.Fatalf("segment %d %v: AES-128 is not the clear segment under CBC with SegmentIV", i, out)
			}
		}
	}
}

// TestProtectedInitCached: a protected init segment is built once per
// (track, output, protection) and copied after; a protection with other
// pssh boxes or another KID gets its own.
func TestProtectedInitCached(t *testing.T) {
	a := openAsset(t, "demo")
	tr := a.Tracks[0]
	p := testEncryption(t, packager.SchemeCENC)
	first, err := tr.AppendInit(nil, packager.CMAF, p)
	if err != nil {
		t.Fatal(err)
	}
	again, err := tr.AppendInit([]byte("x"), packager.CMAF, p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again[1:], first) {
		t.Fatal("the cached init differs from the first")
	}
	if n := testing.AllocsPerRun(20, func() { _, _ = tr.AppendInit(again[:0], packager.CMAF, p) }); n > 1 {
		// sha256 of the key material may allocate its state once.
		t.Errorf("cached init: %v allocs per run", n)
	}
	other := *p
	other.PSSH = [][]byte{drm.CommonPSSH([][16]byte{{9}})}
	b, err := tr.AppendInit(nil, packager.CMAF, &other)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(b, first) {
		t.Fatal("another pssh gives the cached init")
	}
	other = *p
	other.KID[0] ^= 1
	if b, err = tr.AppendInit(nil, packager.CMAF, &other); err != nil || bytes.Equal(b, first) {
		t.Fatalf("another KID gives the cached init (err %v)", err)
	}
}
