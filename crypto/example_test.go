package crypto_test

import (
	"fmt"

	"github.com/drmorigin/drmorigin/crypto"
)

// The per-fragment flow of a cenc segment: one Key per content key (cached
// with the locator), one FragmentIV per fragment, then per sample an IV, a
// subsample map and in-place encryption into buffers the caller owns.
func ExampleKey_EncryptCENC() {
	k, err := crypto.NewKey([]byte("0123456789abcdef"))
	if err != nil {
		panic(err)
	}
	frag := k.FragmentIV("asset", "video.mp4", 0)
	// One H.264 sample: an SPS-like non-VCL unit and an IDR slice (4-byte lengths).
	sample := []byte{0, 0, 0, 2, 0x09, 0xf0, 0, 0, 0, 20, 0x65,
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}
	subs, err := crypto.AppendSubsamplesH264(nil, sample, 4, nil, crypto.SchemeCENC)
	if err != nil {
		panic(err)
	}
	iv := frag.SampleIV16(0)
	if err := k.EncryptCENC(sample, iv, subs); err != nil {
		panic(err)
	}
	fmt.Println(subs)
	fmt.Printf("% x\n", sample[:14])
	// Output:
	// [{14 16}]
	// 00 00 00 02 09 f0 00 00 00 14 65 01 02 03
}
