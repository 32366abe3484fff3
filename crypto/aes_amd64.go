//go:build amd64 && !purego

package crypto

// useAsm reports whether the AES-NI loops of aes_amd64.s can run: CPUID leaf
// 1 ECX bit 25 (AES) and bit 19 (SSE4.1, for PINSRQ).
var useAsm = hasAESNI()

func hasAESNI() bool {
	_, _, c, _ := cpuid(1, 0)
	return c&(1<<25) != 0 && c&(1<<19) != 0
}

// useVAES reports whether ctrVAESAsm can run: AES-NI, AVX-512 F and BW and
// VAES (CPUID leaf 7), and an OS that saves the ZMM and opmask state
// (OSXSAVE, XCR0 bits 1, 2, 5, 6, 7). CTR then encrypts four blocks per
// instruction, about twice the speed of the 8-block AES-NI loop.
var useVAES = useAsm && hasVAES()

func hasVAES() bool {
	max, _, _, _ := cpuid(0, 0)
	if max < 7 {
		return false
	}
	_, _, c1, _ := cpuid(1, 0)
	if c1&(1<<27) == 0 { // OSXSAVE
		return false
	}
	if eax, _ := xgetbv(); eax&0xE6 != 0xE6 {
		return false
	}
	_, b7, c7, _ := cpuid(7, 0)
	const avx512F, avx512BW, vaes = 1 << 16, 1 << 30, 1 << 9
	return b7&avx512F != 0 && b7&avx512BW != 0 && c7&vaes != 0
}

func xgetbv() (eax, edx uint32)

//go:noescape
func ctrVAESAsm(xk *byte, lo uint64, hi uint64, dst *byte, src *byte, n int)

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

//go:noescape
func encryptBlockAsm(xk *byte, dst *byte, src *byte)

//go:noescape
func cbcEncAsm(xk *byte, iv *[16]byte, dst *byte, src *byte, n int)

//go:noescape
func ctrAsm(xk *byte, hi uint64, lo uint64, dst *byte, src *byte, n int)

//go:noescape
func cbcsLanes4Asm(xk *byte, ptrs *[4]*byte, ivs *[4][16]byte, strides *[4]int, n int)

//go:noescape
func cbcLanes4Asm(keys *byte, ptrs *[4]*byte, ivs *[4][16]byte, strides *[4]int, n int)

//go:noescape
func cbcLanes8Asm(keys *byte, ptrs *[8]*byte, ivs *[8][16]byte, strides *[8]int, n int)

//go:noescape
func cbcLanes16Asm(keys *byte, ptrs *[16]*byte, ivs *[16][16]byte, n int)

//go:noescape
func cbcsCopyLanes4Asm(xk *byte, dsts *[4]*byte, srcs *[4]*byte, ivs *[4][16]byte, strides *[4]int, n int)
