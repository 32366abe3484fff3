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

// Constants of ctrVAESAsm: the lane offsets of the first four counters,
// the step of four blocks per lane group and of sixteen per iteration, and
// the byte reversal that turns a little-endian (lo, hi) lane into a
// big-endian counter block.
DATA vaesLanes<>+0x00(SB)/8, $0
DATA vaesLanes<>+0x08(SB)/8, $0
DATA vaesLanes<>+0x10(SB)/8, $1
DATA vaesLanes<>+0x18(SB)/8, $0
DATA vaesLanes<>+0x20(SB)/8, $2
DATA vaesLanes<>+0x28(SB)/8, $0
DATA vaesLanes<>+0x30(SB)/8, $3
DATA vaesLanes<>+0x38(SB)/8, $0
GLOBL vaesLanes<>(SB), RODATA|NOPTR, $64

DATA vaesFour<>+0x00(SB)/8, $4
DATA vaesFour<>+0x08(SB)/8, $0
DATA vaesFour<>+0x10(SB)/8, $4
DATA vaesFour<>+0x18(SB)/8, $0
DATA vaesFour<>+0x20(SB)/8, $4
DATA vaesFour<>+0x28(SB)/8, $0
DATA vaesFour<>+0x30(SB)/8, $4
DATA vaesFour<>+0x38(SB)/8, $0
GLOBL vaesFour<>(SB), RODATA|NOPTR, $64

DATA vaesSixteen<>+0x00(SB)/8, $16
DATA vaesSixteen<>+0x08(SB)/8, $0
DATA vaesSixteen<>+0x10(SB)/8, $16
DATA vaesSixteen<>+0x18(SB)/8, $0
DATA vaesSixteen<>+0x20(SB)/8, $16
DATA vaesSixteen<>+0x28(SB)/8, $0
DATA vaesSixteen<>+0x30(SB)/8, $16
DATA vaesSixteen<>+0x38(SB)/8, $0
GLOBL vaesSixteen<>(SB), RODATA|NOPTR, $64

DATA vaesBswap<>+0x00(SB)/8, $0x08090a0b0c0d0e0f
DATA vaesBswap<>+0x08(SB)/8, $0x0001020304050607
DATA vaesBswap<>+0x10(SB)/8, $0x08090a0b0c0d0e0f
DATA vaesBswap<>+0x18(SB)/8, $0x0001020304050607
DATA vaesBswap<>+0x20(SB)/8, $0x08090a0b0c0d0e0f
DATA vaesBswap<>+0x28(SB)/8, $0x0001020304050607
DATA vaesBswap<>+0x30(SB)/8, $0x08090a0b0c0d0e0f
DATA vaesBswap<>+0x38(SB)/8, $0x0001020304050607
GLOBL vaesBswap<>(SB), RODATA|NOPTR, $64

// func ctrVAESAsm(xk *byte, lo uint64, hi uint64, dst *byte, src *byte, n int)
// ctrAsm with VAES on 512-bit registers: 16 blocks (256 bytes) per
// iteration, n iterations, four blocks per instruction. Counter block j is
// big-endian hi then big-endian lo+j (lo and hi are adjacent arguments so
// that one broadcast loads them as a lane). The caller guarantees lo+16n
// does not wrap, and that the CPU and OS support AVX-512 and VAES.
TEXT ·ctrVAESAsm(SB), NOSPLIT, $0-48
	MOVQ xk+0(FP), AX
	MOVQ dst+24(FP), DX
	MOVQ src+32(FP), BX
	MOVQ n+40(FP), CX
	TESTQ CX, CX
	JZ   vaesdone
	VBROADCASTI32X4 lo+8(FP), Z0
	VPADDQ vaesLanes<>(SB), Z0, Z0
	VMOVDQU64 vaesFour<>(SB), Z29
	VPADDQ Z29, Z0, Z1
	VPADDQ Z29, Z1, Z2
	VPADDQ Z29, Z2, Z3
	VMOVDQU64 vaesSixteen<>(SB), Z30
	VMOVDQU64 vaesBswap<>(SB), Z31
	VBROADCASTI32X4 0(AX), Z16
	VBROADCASTI32X4 16(AX), Z17
	VBROADCASTI32X4 32(AX), Z18
	VBROADCASTI32X4 48(AX), Z19
	VBROADCASTI32X4 64(AX), Z20
	VBROADCASTI32X4 80(AX), Z21
	VBROADCASTI32X4 96(AX), Z22
	VBROADCASTI32X4 112(AX), Z23
	VBROADCASTI32X4 128(AX), Z24
	VBROADCASTI32X4 144(AX), Z25
	VBROADCASTI32X4 160(AX), Z26

vaesloop:
	VPSHUFB Z31, Z0, Z4
	VPSHUFB Z31, Z1, Z5
	VPSHUFB Z31, Z2, Z6
	VPSHUFB Z31, Z3, Z7
	VPXORQ  Z16, Z4, Z4
	VPXORQ  Z16, Z5, Z5
	VPXORQ  Z16, Z6, Z6
	VPXORQ  Z16, Z7, Z7
	VAESENC Z17, Z4, Z4
	VAESENC Z17, Z5, Z5
	VAESENC Z17, Z6, Z6
	VAESENC Z17, Z7, Z7
	VAESENC Z18, Z4, Z4
	VAESENC Z18, Z5, Z5
	VAESENC Z18, Z6, Z6
	VAESENC Z18, Z7, Z7
	VAESENC Z19, Z4, Z4
	VAESENC Z19, Z5, Z5
	VAESENC Z19, Z6, Z6
	VAESENC Z19, Z7, Z7
	VAESENC Z20, Z4, Z4
	VAESENC Z20, Z5, Z5
	VAESENC Z20, Z6, Z6
	VAESENC Z20, Z7, Z7
	VAESENC Z21, Z4, Z4
	VAESENC Z21, Z5, Z5
	VAESENC Z21, Z6, Z6
	VAESENC Z21, Z7, Z7
	VAESENC Z22, Z4, Z4
	VAESENC Z22, Z5, Z5
	VAESENC Z22, Z6, Z6
	VAESENC Z22, Z7, Z7
	VAESENC Z23, Z4, Z4
	VAESENC Z23, Z5, Z5
	VAESENC Z23, Z6, Z6
	VAESENC Z23, Z7, Z7
	VAESENC Z24, Z4, Z4
	VAESENC Z24, Z5, Z5
	VAESENC Z24, Z6, Z6
	VAESENC Z24, Z7, Z7
	VAESENC Z25, Z4, Z4
	VAESENC Z25, Z5, Z5
	VAESENC Z25, Z6, Z6
	VAESENC Z25, Z7, Z7
	VAESENCLAST Z26, Z4, Z4
	VAESENCLAST Z26, Z5, Z5
	VAESENCLAST Z26, Z6, Z6
	VAESENCLAST Z26, Z7, Z7
	VPXORQ    0(BX), Z4, Z4
	VPXORQ    64(BX), Z5, Z5
	VPXORQ    128(BX), Z6, Z6
	VPXORQ    192(BX), Z7, Z7
	VMOVDQU64 Z4, 0(DX)
	VMOVDQU64 Z5, 64(DX)
	VMOVDQU64 Z6, 128(DX)
	VMOVDQU64 Z7, 192(DX)
	VPADDQ    Z30, Z0, Z0
	VPADDQ    Z30, Z1, Z1
	VPADDQ    Z30, Z2, Z2
	VPADDQ    Z30, Z3, Z3
	ADDQ $256, BX
	ADDQ $256, DX
	DECQ CX
	JNZ  vaesloop
	VZEROUPPER

vaesdone:
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET
