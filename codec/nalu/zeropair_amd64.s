//go:build amd64 && !purego

#include "textflag.h"

// func indexZeroPair(b []byte) int
// The index of the first two adjacent zero bytes of b, or -1: 32 bytes per
// step (SSE2, which every amd64 has), a zero mask per step, a pair where
// the mask and the mask shifted by one (with the last step's top bit
// carried in) meet.
TEXT ·indexZeroPair(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	XORQ AX, AX
	XORQ R9, R9
	PXOR X0, X0
	CMPB ·useAVX2(SB), $1
	JNE  loop32
	VPXOR Y0, Y0, Y0

// 64 bytes a step with AVX2: one 64-bit zero mask.
loop64:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $64
	JLT  end64
	VMOVDQU   (SI)(AX*1), Y1
	VMOVDQU   32(SI)(AX*1), Y2
	VPCMPEQB  Y0, Y1, Y1
	VPCMPEQB  Y0, Y2, Y2
	VPMOVMSKB Y1, DX
	VPMOVMSKB Y2, BX
	SHLQ      $32, BX
	ORQ       BX, DX
	MOVQ      DX, BX
	SHLQ      $1, BX
	ORQ       R9, BX
	ANDQ      DX, BX
	JNZ       found64
	SHRQ      $63, DX
	MOVQ      DX, R9
	ADDQ      $64, AX
	JMP       loop64

found64:
	VZEROUPPER
	JMP found

end64:
	VZEROUPPER

loop32:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $32
	JLT  tail
	MOVOU    (SI)(AX*1), X1
	MOVOU    16(SI)(AX*1), X2
	PCMPEQB  X0, X1
	PCMPEQB  X0, X2
	PMOVMSKB X1, DX
	PMOVMSKB X2, BX
	SHLQ     $16, BX
	ORQ      BX, DX
	MOVQ     DX, BX
	SHLQ     $1, BX
	ORQ      R9, BX
	ANDQ     DX, BX
	JNZ      found
	MOVQ     DX, R9
	SHRQ     $31, R9
	ADDQ     $32, AX
	JMP      loop32

found:
	BSFQ BX, BX
	LEAQ -1(AX)(BX*1), AX
	MOVQ AX, ret+24(FP)
	RET

tail:
	CMPQ   AX, CX
	JGE    none
	MOVBLZX (SI)(AX*1), DX
	TESTL  DX, DX
	JNZ    nonzero
	TESTQ  R9, R9
	JNZ    tailfound
	MOVQ   $1, R9
	INCQ   AX
	JMP    tail

nonzero:
	XORQ R9, R9
	INCQ AX
	JMP  tail

tailfound:
	DECQ AX
	MOVQ AX, ret+24(FP)
	RET

none:
	MOVQ $-1, ret+24(FP)
	RET

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET
