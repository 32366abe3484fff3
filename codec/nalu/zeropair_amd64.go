//go:build amd64 && !purego

package nalu

// indexZeroPair is IndexZeroPair in assembly (zeropair_amd64.s).
//
//go:noescape
func indexZeroPair(b []byte) int

// useAVX2 tells indexZeroPair to take 64 bytes a step: CPUID leaf 7 EBX bit
// 5 (AVX2), with OSXSAVE and the OS saving the YMM state (XCR0 bits 1, 2).
var useAVX2 = hasAVX2()

func hasAVX2() bool {
	max, _, _, _ := cpuid(0, 0)
	if max < 7 {
		return false
	}
	_, _, c1, _ := cpuid(1, 0)
	if c1&(1<<27) == 0 || c1&(1<<28) == 0 { // OSXSAVE, AVX
		return false
	}
	if eax, _ := xgetbv(); eax&6 != 6 {
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	return b7&(1<<5) != 0
}

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax, edx uint32)
