//go:build !amd64 || purego

package crypto

// useAsm is false where there is no assembly: the encryptors then use the
// standard library's cipher.Block (correct, but it may allocate a scratch
// block per call, since the interface call lets buffers escape).
const useAsm = false

func encryptBlockAsm(xk *byte, dst *byte, src *byte) { panic("unreachable") }

func cbcEncAsm(xk *byte, iv *[16]byte, dst *byte, src *byte, n int) { panic("unreachable") }

func ctrAsm(xk *byte, hi uint64, lo uint64, dst *byte, src *byte, n int) { panic("unreachable") }

func cbcsLanes4Asm(xk *byte, ptrs *[4]*byte, ivs *[4][16]byte, strides *[4]int, n int) {
	panic("unreachable")
}

// useVAES is false without the assembly.
var useVAES = false

func ctrVAESAsm(xk *byte, lo uint64, hi uint64, dst *byte, src *byte, n int) { panic("unreachable") }

func cbcLanes4Asm(keys *byte, ptrs *[4]*byte, ivs *[4][16]byte, strides *[4]int, n int) {
	panic("unreachable")
}

func cbcLanes8Asm(keys *byte, ptrs *[8]*byte, ivs *[8][16]byte, strides *[8]int, n int) {
	panic("unreachable")
}

func cbcLanes16Asm(keys *byte, ptrs *[16]*byte, ivs *[16][16]byte, n int) { panic("unreachable") }

func cbcsCopyLanes4Asm(xk *byte, dsts *[4]*byte, srcs *[4]*byte, ivs *[4][16]byte, strides *[4]int, n int) {
	panic("unreachable")
}
