//go:build amd64 && !purego

#include "textflag.h"

// AES-128 with AES-NI. Round keys are 11 x 16 bytes in FIPS 197 byte order.

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

// func encryptBlockAsm(xk *byte, dst *byte, src *byte)
TEXT ·encryptBlockAsm(SB), NOSPLIT, $0-24
	MOVQ   xk+0(FP), AX
	MOVQ   dst+8(FP), DX
	MOVQ   src+16(FP), BX
	MOVOU  (BX), X0
	MOVOU  0(AX), X1
	PXOR   X1, X0
	MOVOU  16(AX), X1
	AESENC X1, X0
	MOVOU  32(AX), X1
	AESENC X1, X0
	MOVOU  48(AX), X1
	AESENC X1, X0
	MOVOU  64(AX), X1
	AESENC X1, X0
	MOVOU  80(AX), X1
	AESENC X1, X0
	MOVOU  96(AX), X1
	AESENC X1, X0
	MOVOU  112(AX), X1
	AESENC X1, X0
	MOVOU  128(AX), X1
	AESENC X1, X0
	MOVOU  144(AX), X1
	AESENC X1, X0
	MOVOU  160(AX), X1
	AESENCLAST X1, X0
	MOVOU  X0, (DX)
	RET

// func cbcEncAsm(xk *byte, iv *[16]byte, dst *byte, src *byte, n int)
// CBC-encrypts n >= 1 blocks from src to dst (they may be equal) and leaves
// the last ciphertext block in iv.
TEXT ·cbcEncAsm(SB), NOSPLIT, $0-40
	MOVQ  xk+0(FP), AX
	MOVQ  iv+8(FP), R8
	MOVQ  dst+16(FP), DX
	MOVQ  src+24(FP), BX
	MOVQ  n+32(FP), CX
	MOVOU 0(AX), X1
	MOVOU 16(AX), X2
	MOVOU 32(AX), X3
	MOVOU 48(AX), X4
	MOVOU 64(AX), X5
	MOVOU 80(AX), X6
	MOVOU 96(AX), X7
	MOVOU 112(AX), X8
	MOVOU 128(AX), X9
	MOVOU 144(AX), X10
	MOVOU 160(AX), X11
	MOVOU (R8), X0
	TESTQ CX, CX
	JZ    cbcdone

cbcloop:
	MOVOU  (BX), X12
	PXOR   X1, X12
	PXOR   X12, X0
	AESENC X2, X0
	AESENC X3, X0
	AESENC X4, X0
	AESENC X5, X0
	AESENC X6, X0
	AESENC X7, X0
	AESENC X8, X0
	AESENC X9, X0
	AESENC X10, X0
	AESENCLAST X11, X0
	MOVOU  X0, (DX)
	ADDQ   $16, BX
	ADDQ   $16, DX
	DECQ   CX
	JNZ    cbcloop

cbcdone:
	MOVOU X0, (R8)
	RET

#define ROUND8(off) \
	MOVOU  off(AX), X8; \
	AESENC X8, X0; \
	AESENC X8, X1; \
	AESENC X8, X2; \
	AESENC X8, X3; \
	AESENC X8, X4; \
	AESENC X8, X5; \
	AESENC X8, X6; \
	AESENC X8, X7

#define CTRBLOCK(x, i) \
	LEAQ   i(R9), R11; \
	BSWAPQ R11; \
	MOVQ   R10, x; \
	PINSRQ $1, R11, x

#define XORSTORE(x, off) \
	MOVOU off(BX), X9; \
	PXOR  X9, x; \
	MOVOU x, off(DX)

// func ctrAsm(xk *byte, hi uint64, lo uint64, dst *byte, src *byte, n int)
// XORs src with the AES-CTR keystream for 8*n blocks into dst (which may
// equal src). Counter block j is hi (its 8 bytes as stored, i.e. a
// little-endian load of bytes 0..7) followed by big-endian lo+j. The caller
// guarantees lo+8n does not wrap.
TEXT ·ctrAsm(SB), NOSPLIT, $0-48
	MOVQ xk+0(FP), AX
	MOVQ hi+8(FP), R10
	MOVQ lo+16(FP), R9
	MOVQ dst+24(FP), DX
	MOVQ src+32(FP), BX
	MOVQ n+40(FP), CX
	TESTQ CX, CX
	JZ   ctrdone

ctrloop:
	CTRBLOCK(X0, 0)
	CTRBLOCK(X1, 1)
	CTRBLOCK(X2, 2)
	CTRBLOCK(X3, 3)
	CTRBLOCK(X4, 4)
	CTRBLOCK(X5, 5)
	CTRBLOCK(X6, 6)
	CTRBLOCK(X7, 7)
	MOVOU 0(AX), X8
	PXOR  X8, X0
	PXOR  X8, X1
	PXOR  X8, X2
	PXOR  X8, X3
	PXOR  X8, X4
	PXOR  X8, X5
	PXOR  X8, X6
	PXOR  X8, X7
	ROUND8(16)
	ROUND8(32)
	ROUND8(48)
	ROUND8(64)
	ROUND8(80)
	ROUND8(96)
	ROUND8(112)
	ROUND8(128)
	ROUND8(144)
	MOVOU 160(AX), X8
	AESENCLAST X8, X0
	AESENCLAST X8, X1
	AESENCLAST X8, X2
	AESENCLAST X8, X3
	AESENCLAST X8, X4
	AESENCLAST X8, X5
	AESENCLAST X8, X6
	AESENCLAST X8, X7
	XORSTORE(X0, 0)
	XORSTORE(X1, 16)
	XORSTORE(X2, 32)
	XORSTORE(X3, 48)
	XORSTORE(X4, 64)
	XORSTORE(X5, 80)
	XORSTORE(X6, 96)
	XORSTORE(X7, 112)
	ADDQ $8, R9
	ADDQ $128, BX
	ADDQ $128, DX
	DECQ CX
	JNZ  ctrloop

ctrdone:
	RET

// func cbcsLanes4Asm(xk *byte, ptrs *[4]*byte, ivs *[4][16]byte, strides *[4]int, n int)
// Four independent CBC chains at once, for cbcs pattern encryption: for
// j < n, lane l CBC-encrypts in place the block at ptrs[l] + strides[l]*j,
// chaining from ivs[l], and leaves each chain's last ciphertext in ivs[l].
// One chain is bound by the latency of AESENC; four interleaved chains keep
// the AES unit busy. ptrs is not updated.
TEXT ·cbcsLanes4Asm(SB), NOSPLIT, $0-40
	MOVQ  xk+0(FP), AX
	MOVQ  ptrs+8(FP), BX
	MOVQ  ivs+16(FP), DX
	MOVQ  strides+24(FP), SI
	MOVQ  n+32(FP), CX
	MOVQ  0(BX), R8
	MOVQ  8(BX), R9
	MOVQ  16(BX), R10
	MOVQ  24(BX), R11
	MOVQ  0(SI), R12
	MOVQ  8(SI), R13
	MOVQ  16(SI), R14
	MOVQ  24(SI), R15
	MOVOU 0(AX), X1
	MOVOU 16(AX), X2
	MOVOU 32(AX), X3
	MOVOU 48(AX), X4
	MOVOU 64(AX), X5
	MOVOU 80(AX), X6
	MOVOU 96(AX), X7
	MOVOU 112(AX), X8
	MOVOU 128(AX), X9
	MOVOU 144(AX), X10
	MOVOU 160(AX), X11
	MOVOU 0(DX), X0
	MOVOU 16(DX), X12
	MOVOU 32(DX), X13
	MOVOU 48(DX), X14
	TESTQ CX, CX
	JZ    lanesdone

lanesloop:
	MOVOU (R8), X15
	PXOR  X15, X0
	MOVOU (R9), X15
	PXOR  X15, X12
	MOVOU (R10), X15
	PXOR  X15, X13
	MOVOU (R11), X15
	PXOR  X15, X14
	PXOR  X1, X0
	PXOR  X1, X12
	PXOR  X1, X13
	PXOR  X1, X14
	AESENC X2, X0
	AESENC X2, X12
	AESENC X2, X13
	AESENC X2, X14
	AESENC X3, X0
	AESENC X3, X12
	AESENC X3, X13
	AESENC X3, X14
	AESENC X4, X0
	AESENC X4, X12
	AESENC X4, X13
	AESENC X4, X14
	AESENC X5, X0
	AESENC X5, X12
	AESENC X5, X13
	AESENC X5, X14
	AESENC X6, X0
	AESENC X6, X12
	AESENC X6, X13
	AESENC X6, X14
	AESENC X7, X0
	AESENC X7, X12
	AESENC X7, X13
	AESENC X7, X14
	AESENC X8, X0
	AESENC X8, X12
	AESENC X8, X13
	AESENC X8, X14
	AESENC X9, X0
	AESENC X9, X12
	AESENC X9, X13
	AESENC X9, X14
	AESENC X10, X0
	AESENC X10, X12
	AESENC X10, X13
	AESENC X10, X14
	AESENCLAST X11, X0
	AESENCLAST X11, X12
	AESENCLAST X11, X13
	AESENCLAST X11, X14
	MOVOU X0, (R8)
	MOVOU X12, (R9)
	MOVOU X13, (R10)
	MOVOU X14, (R11)
	ADDQ  R12, R8
	ADDQ  R13, R9
	ADDQ  R14, R10
	ADDQ  R15, R11
	DECQ  CX
	JNZ   lanesloop

lanesdone:
	MOVOU X0, 0(DX)
	MOVOU X12, 16(DX)
	MOVOU X13, 32(DX)
	MOVOU X14, 48(DX)
	RET
