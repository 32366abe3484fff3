//go:build amd64 && !purego

package crypto

// useAsm reports whether the AES-NI loops of aes_amd64.s can run: CPUID leaf
// 1 ECX bit 25 (AES) and bit 19 (SSE4.1, for PINSRQ).
var useAsm = hasAESNI()

func hasAESNI() bool {
	_, _, c, _ := cpuid(1, 0)
	return c&(1<<25) != 0 && c&(1<<19) != 0
}

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

//go:noescape
func encryptBlockAsm(xk *byte, dst *byte, src *byte)

//go:noescape
func cbcEncAsm(xk *byte, iv *[16]byte, dst *byte, src *byte, n int)

//go:noescape
func ctrAsm(xk *byte, hi uint64, lo uint64, dst *byte, src *byte, n int)

//go:noescape
func cbcsLanes4Asm(xk *byte, ptrs *[4]*byte, ivs *[4][16]byte, strides *[4]int, n int)
