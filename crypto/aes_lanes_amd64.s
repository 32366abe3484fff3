//go:build amd64 && !purego

#include "textflag.h"

// Cross-request CBC lanes (cbc_lanes.go): several whole-segment CBC chains,
// each under its own key, interleaved in one loop. One chain is bound by
// AESENC's latency (ten dependent rounds a block); the AES units can start
// one or two rounds a cycle, so four or eight independent chains run in
// about the time of one. The round keys are read as aligned memory operands
// (the scheduler copies each lane's schedule to an aligned slot), which
// leaves the sixteen X registers for the chains and their input blocks.
// The two functions differ only in their lane count; every round is one
// instruction per lane, lane l's keys at 176*l.

// func cbcLanes4Asm(keys *byte, ptrs *[4]*byte, ivs *[4][16]byte, strides *[4]int, n int)
// 4 independent CBC chains, each under its own key: for j < n, lane l
// CBC-encrypts in place the block at ptrs[l] + strides[l]*j with the round
// keys at keys + 176*l (16-byte aligned: the rounds read them as memory
// operands), chaining from ivs[l], and leaves each chain's last ciphertext
// in ivs[l]. ptrs is not updated.
TEXT ·cbcLanes4Asm(SB), NOSPLIT, $0-40
	MOVQ  keys+0(FP), AX
	MOVQ  ptrs+8(FP), BX
	MOVQ  ivs+16(FP), DX
	MOVQ  strides+24(FP), SI
	MOVQ  n+32(FP), CX
	MOVQ  0(BX), R8
	MOVQ  8(BX), R9
	MOVQ  16(BX), R10
	MOVQ  24(BX), R11
	MOVOU 0(DX), X0
	MOVOU 16(DX), X1
	MOVOU 32(DX), X2
	MOVOU 48(DX), X3
	TESTQ CX, CX
	JZ    lanes4done

lanes4loop:
	MOVOU (R8), X8
	MOVOU (R9), X9
	MOVOU (R10), X10
	MOVOU (R11), X11
	PXOR  X8, X0
	PXOR  X9, X1
	PXOR  X10, X2
	PXOR  X11, X3
	PXOR  0(AX), X0
	PXOR  176(AX), X1
	PXOR  352(AX), X2
	PXOR  528(AX), X3
	AESENC 16(AX), X0
	AESENC 192(AX), X1
	AESENC 368(AX), X2
	AESENC 544(AX), X3
	AESENC 32(AX), X0
	AESENC 208(AX), X1
	AESENC 384(AX), X2
	AESENC 560(AX), X3
	AESENC 48(AX), X0
	AESENC 224(AX), X1
	AESENC 400(AX), X2
	AESENC 576(AX), X3
	AESENC 64(AX), X0
	AESENC 240(AX), X1
	AESENC 416(AX), X2
	AESENC 592(AX), X3
	AESENC 80(AX), X0
	AESENC 256(AX), X1
	AESENC 432(AX), X2
	AESENC 608(AX), X3
	AESENC 96(AX), X0
	AESENC 272(AX), X1
	AESENC 448(AX), X2
	AESENC 624(AX), X3
	AESENC 112(AX), X0
	AESENC 288(AX), X1
	AESENC 464(AX), X2
	AESENC 640(AX), X3
	AESENC 128(AX), X0
	AESENC 304(AX), X1
	AESENC 480(AX), X2
	AESENC 656(AX), X3
	AESENC 144(AX), X0
	AESENC 320(AX), X1
	AESENC 496(AX), X2
	AESENC 672(AX), X3
	AESENCLAST 160(AX), X0
	AESENCLAST 336(AX), X1
	AESENCLAST 512(AX), X2
	AESENCLAST 688(AX), X3
	MOVOU X0, (R8)
	MOVOU X1, (R9)
	MOVOU X2, (R10)
	MOVOU X3, (R11)
	ADDQ  0(SI), R8
	ADDQ  8(SI), R9
	ADDQ  16(SI), R10
	ADDQ  24(SI), R11
	DECQ  CX
	JNZ   lanes4loop

lanes4done:
	MOVOU X0, 0(DX)
	MOVOU X1, 16(DX)
	MOVOU X2, 32(DX)
	MOVOU X3, 48(DX)
	RET

// func cbcLanes8Asm(keys *byte, ptrs *[8]*byte, ivs *[8][16]byte, strides *[8]int, n int)
// 8 independent CBC chains, each under its own key: for j < n, lane l
// CBC-encrypts in place the block at ptrs[l] + strides[l]*j with the round
// keys at keys + 176*l (16-byte aligned: the rounds read them as memory
// operands), chaining from ivs[l], and leaves each chain's last ciphertext
// in ivs[l]. ptrs is not updated.
TEXT ·cbcLanes8Asm(SB), NOSPLIT, $0-40
	MOVQ  keys+0(FP), AX
	MOVQ  ptrs+8(FP), BX
	MOVQ  ivs+16(FP), DX
	MOVQ  strides+24(FP), SI
	MOVQ  n+32(FP), CX
	MOVQ  0(BX), R8
	MOVQ  8(BX), R9
	MOVQ  16(BX), R10
	MOVQ  24(BX), R11
	MOVQ  32(BX), R12
	MOVQ  40(BX), R13
	MOVQ  48(BX), R14
	MOVQ  56(BX), R15
	MOVOU 0(DX), X0
	MOVOU 16(DX), X1
	MOVOU 32(DX), X2
	MOVOU 48(DX), X3
	MOVOU 64(DX), X4
	MOVOU 80(DX), X5
	MOVOU 96(DX), X6
	MOVOU 112(DX), X7
	TESTQ CX, CX
	JZ    lanes8done

lanes8loop:
	MOVOU (R8), X8
	MOVOU (R9), X9
	MOVOU (R10), X10
	MOVOU (R11), X11
	MOVOU (R12), X12
	MOVOU (R13), X13
	MOVOU (R14), X14
	MOVOU (R15), X15
	PXOR  X8, X0
	PXOR  X9, X1
	PXOR  X10, X2
	PXOR  X11, X3
	PXOR  X12, X4
	PXOR  X13, X5
	PXOR  X14, X6
	PXOR  X15, X7
	PXOR  0(AX), X0
	PXOR  176(AX), X1
	PXOR  352(AX), X2
	PXOR  528(AX), X3
	PXOR  704(AX), X4
	PXOR  880(AX), X5
	PXOR  1056(AX), X6
	PXOR  1232(AX), X7
	AESENC 16(AX), X0
	AESENC 192(AX), X1
	AESENC 368(AX), X2
	AESENC 544(AX), X3
	AESENC 720(AX), X4
	AESENC 896(AX), X5
	AESENC 1072(AX), X6
	AESENC 1248(AX), X7
	AESENC 32(AX), X0
	AESENC 208(AX), X1
	AESENC 384(AX), X2
	AESENC 560(AX), X3
	AESENC 736(AX), X4
	AESENC 912(AX), X5
	AESENC 1088(AX), X6
	AESENC 1264(AX), X7
	AESENC 48(AX), X0
	AESENC 224(AX), X1
	AESENC 400(AX), X2
	AESENC 576(AX), X3
	AESENC 752(AX), X4
	AESENC 928(AX), X5
	AESENC 1104(AX), X6
	AESENC 1280(AX), X7
	AESENC 64(AX), X0
	AESENC 240(AX), X1
	AESENC 416(AX), X2
	AESENC 592(AX), X3
	AESENC 768(AX), X4
	AESENC 944(AX), X5
	AESENC 1120(AX), X6
	AESENC 1296(AX), X7
	AESENC 80(AX), X0
	AESENC 256(AX), X1
	AESENC 432(AX), X2
	AESENC 608(AX), X3
	AESENC 784(AX), X4
	AESENC 960(AX), X5
	AESENC 1136(AX), X6
	AESENC 1312(AX), X7
	AESENC 96(AX), X0
	AESENC 272(AX), X1
	AESENC 448(AX), X2
	AESENC 624(AX), X3
	AESENC 800(AX), X4
	AESENC 976(AX), X5
	AESENC 1152(AX), X6
	AESENC 1328(AX), X7
	AESENC 112(AX), X0
	AESENC 288(AX), X1
	AESENC 464(AX), X2
	AESENC 640(AX), X3
	AESENC 816(AX), X4
	AESENC 992(AX), X5
	AESENC 1168(AX), X6
	AESENC 1344(AX), X7
	AESENC 128(AX), X0
	AESENC 304(AX), X1
	AESENC 480(AX), X2
	AESENC 656(AX), X3
	AESENC 832(AX), X4
	AESENC 1008(AX), X5
	AESENC 1184(AX), X6
	AESENC 1360(AX), X7
	AESENC 144(AX), X0
	AESENC 320(AX), X1
	AESENC 496(AX), X2
	AESENC 672(AX), X3
	AESENC 848(AX), X4
	AESENC 1024(AX), X5
	AESENC 1200(AX), X6
	AESENC 1376(AX), X7
	AESENCLAST 160(AX), X0
	AESENCLAST 336(AX), X1
	AESENCLAST 512(AX), X2
	AESENCLAST 688(AX), X3
	AESENCLAST 864(AX), X4
	AESENCLAST 1040(AX), X5
	AESENCLAST 1216(AX), X6
	AESENCLAST 1392(AX), X7
	MOVOU X0, (R8)
	MOVOU X1, (R9)
	MOVOU X2, (R10)
	MOVOU X3, (R11)
	MOVOU X4, (R12)
	MOVOU X5, (R13)
	MOVOU X6, (R14)
	MOVOU X7, (R15)
	ADDQ  0(SI), R8
	ADDQ  8(SI), R9
	ADDQ  16(SI), R10
	ADDQ  24(SI), R11
	ADDQ  32(SI), R12
	ADDQ  40(SI), R13
	ADDQ  48(SI), R14
	ADDQ  56(SI), R15
	DECQ  CX
	JNZ   lanes8loop

lanes8done:
	MOVOU X0, 0(DX)
	MOVOU X1, 16(DX)
	MOVOU X2, 32(DX)
	MOVOU X3, 48(DX)
	MOVOU X4, 64(DX)
	MOVOU X5, 80(DX)
	MOVOU X6, 96(DX)
	MOVOU X7, 112(DX)
	RET

// func cbcLanes16Asm(keys *byte, ptrs *[16]*byte, ivs *[16][16]byte, n int)
// 16 independent CBC chains on AVX-512 VAES, four lanes to a register:
// for j < n, lane l CBC-encrypts in place the block at ptrs[l] + 16*j,
// chaining from ivs[l], and leaves each chain's last ciphertext in ivs[l].
// The round keys are interleaved by groups of four lanes: round r of lane
// l at keys + 704*(l/4) + 64*r + 16*(l%4) (64-byte aligned, one cache line
// per group and round). Every lane advances 16 bytes a block, so idle
// lanes need a sink of n blocks. One instruction runs a round of four
// chains, so sixteen chains take about the time eight take with AES-NI.
// The caller guarantees the CPU and OS support AVX-512 and VAES.
TEXT ·cbcLanes16Asm(SB), NOSPLIT, $0-32
	MOVQ keys+0(FP), AX
	MOVQ ptrs+8(FP), BX
	MOVQ ivs+16(FP), DX
	MOVQ n+24(FP), CX
	SHLQ $4, CX
	MOVQ CX, n+24(FP) // the end offset, in bytes
	VMOVDQU64 0(DX), Z0
	VMOVDQU64 64(DX), Z1
	VMOVDQU64 128(DX), Z2
	VMOVDQU64 192(DX), Z3
	XORQ CX, CX
	CMPQ CX, n+24(FP)
	JAE  lanes16done
	// Lanes 0 to 9 keep their pointers in registers; 10 to 15 load theirs
	// from ptrs into DX at each use.
	MOVQ 0(BX), SI
	MOVQ 8(BX), DI
	MOVQ 16(BX), R8
	MOVQ 24(BX), R9
	MOVQ 32(BX), R10
	MOVQ 40(BX), R11
	MOVQ 48(BX), R12
	MOVQ 56(BX), R13
	MOVQ 64(BX), R14
	MOVQ 72(BX), R15

lanes16loop:
	VMOVDQU (SI)(CX*1), X4
	VINSERTI32X4 $1, (DI)(CX*1), Z4, Z4
	VINSERTI32X4 $2, (R8)(CX*1), Z4, Z4
	VINSERTI32X4 $3, (R9)(CX*1), Z4, Z4
	VMOVDQU (R10)(CX*1), X5
	VINSERTI32X4 $1, (R11)(CX*1), Z5, Z5
	VINSERTI32X4 $2, (R12)(CX*1), Z5, Z5
	VINSERTI32X4 $3, (R13)(CX*1), Z5, Z5
	VMOVDQU (R14)(CX*1), X6
	VINSERTI32X4 $1, (R15)(CX*1), Z6, Z6
	MOVQ 80(BX), DX
	VINSERTI32X4 $2, (DX)(CX*1), Z6, Z6
	MOVQ 88(BX), DX
	VINSERTI32X4 $3, (DX)(CX*1), Z6, Z6
	MOVQ 96(BX), DX
	VMOVDQU (DX)(CX*1), X7
	MOVQ 104(BX), DX
	VINSERTI32X4 $1, (DX)(CX*1), Z7, Z7
	MOVQ 112(BX), DX
	VINSERTI32X4 $2, (DX)(CX*1), Z7, Z7
	MOVQ 120(BX), DX
	VINSERTI32X4 $3, (DX)(CX*1), Z7, Z7
	VPXORQ Z4, Z0, Z0
	VPXORQ Z5, Z1, Z1
	VPXORQ Z6, Z2, Z2
	VPXORQ Z7, Z3, Z3
	VPXORQ 0(AX), Z0, Z0
	VPXORQ 704(AX), Z1, Z1
	VPXORQ 1408(AX), Z2, Z2
	VPXORQ 2112(AX), Z3, Z3
	VAESENC 64(AX), Z0, Z0
	VAESENC 768(AX), Z1, Z1
	VAESENC 1472(AX), Z2, Z2
	VAESENC 2176(AX), Z3, Z3
	VAESENC 128(AX), Z0, Z0
	VAESENC 832(AX), Z1, Z1
	VAESENC 1536(AX), Z2, Z2
	VAESENC 2240(AX), Z3, Z3
	VAESENC 192(AX), Z0, Z0
	VAESENC 896(AX), Z1, Z1
	VAESENC 1600(AX), Z2, Z2
	VAESENC 2304(AX), Z3, Z3
	VAESENC 256(AX), Z0, Z0
	VAESENC 960(AX), Z1, Z1
	VAESENC 1664(AX), Z2, Z2
	VAESENC 2368(AX), Z3, Z3
	VAESENC 320(AX), Z0, Z0
	VAESENC 1024(AX), Z1, Z1
	VAESENC 1728(AX), Z2, Z2
	VAESENC 2432(AX), Z3, Z3
	VAESENC 384(AX), Z0, Z0
	VAESENC 1088(AX), Z1, Z1
	VAESENC 1792(AX), Z2, Z2
	VAESENC 2496(AX), Z3, Z3
	VAESENC 448(AX), Z0, Z0
	VAESENC 1152(AX), Z1, Z1
	VAESENC 1856(AX), Z2, Z2
	VAESENC 2560(AX), Z3, Z3
	VAESENC 512(AX), Z0, Z0
	VAESENC 1216(AX), Z1, Z1
	VAESENC 1920(AX), Z2, Z2
	VAESENC 2624(AX), Z3, Z3
	VAESENC 576(AX), Z0, Z0
	VAESENC 1280(AX), Z1, Z1
	VAESENC 1984(AX), Z2, Z2
	VAESENC 2688(AX), Z3, Z3
	VAESENCLAST 640(AX), Z0, Z0
	VAESENCLAST 1344(AX), Z1, Z1
	VAESENCLAST 2048(AX), Z2, Z2
	VAESENCLAST 2752(AX), Z3, Z3
	VMOVDQU X0, (SI)(CX*1)
	VEXTRACTI32X4 $1, Z0, (DI)(CX*1)
	VEXTRACTI32X4 $2, Z0, (R8)(CX*1)
	VEXTRACTI32X4 $3, Z0, (R9)(CX*1)
	VMOVDQU X1, (R10)(CX*1)
	VEXTRACTI32X4 $1, Z1, (R11)(CX*1)
	VEXTRACTI32X4 $2, Z1, (R12)(CX*1)
	VEXTRACTI32X4 $3, Z1, (R13)(CX*1)
	VMOVDQU X2, (R14)(CX*1)
	VEXTRACTI32X4 $1, Z2, (R15)(CX*1)
	MOVQ 80(BX), DX
	VEXTRACTI32X4 $2, Z2, (DX)(CX*1)
	MOVQ 88(BX), DX
	VEXTRACTI32X4 $3, Z2, (DX)(CX*1)
	MOVQ 96(BX), DX
	VMOVDQU X3, (DX)(CX*1)
	MOVQ 104(BX), DX
	VEXTRACTI32X4 $1, Z3, (DX)(CX*1)
	MOVQ 112(BX), DX
	VEXTRACTI32X4 $2, Z3, (DX)(CX*1)
	MOVQ 120(BX), DX
	VEXTRACTI32X4 $3, Z3, (DX)(CX*1)
	ADDQ $16, CX
	CMPQ CX, n+24(FP)
	JB   lanes16loop

lanes16done:
	MOVQ ivs+16(FP), DX
	VMOVDQU64 Z0, 0(DX)
	VMOVDQU64 Z1, 64(DX)
	VMOVDQU64 Z2, 128(DX)
	VMOVDQU64 Z3, 192(DX)
	VZEROUPPER
	RET

