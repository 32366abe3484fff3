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
