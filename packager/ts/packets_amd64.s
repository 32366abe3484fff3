//go:build amd64 && !purego

#include "textflag.h"

// func putPacketsAsm(dst, src *byte, n int, hdr, cc uint32)
//
// Per packet: the header word (hdr | (cc&15)<<24), then the 184 payload
// bytes as eleven 16-byte moves and a twelfth that overlaps the eleventh
// by 8 bytes (SSE2: every amd64 has it). Loads all come before the stores
// so that a packet's copy is not serialised on the store queue.
TEXT ·putPacketsAsm(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVL hdr+24(FP), AX
	MOVL cc+28(FP), DX

loop:
	MOVL DX, BX
	ANDL $15, BX
	SHLL $24, BX
	ORL  AX, BX
	MOVOU 0(SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3
	MOVOU 64(SI), X4
	MOVOU 80(SI), X5
	MOVOU 96(SI), X6
	MOVOU 112(SI), X7
	MOVOU 128(SI), X8
	MOVOU 144(SI), X9
	MOVOU 160(SI), X10
	MOVOU 168(SI), X11
	MOVL  BX, 0(DI)
	MOVOU X0, 4(DI)
	MOVOU X1, 20(DI)
	MOVOU X2, 36(DI)
	MOVOU X3, 52(DI)
	MOVOU X4, 68(DI)
	MOVOU X5, 84(DI)
	MOVOU X6, 100(DI)
	MOVOU X7, 116(DI)
	MOVOU X8, 132(DI)
	MOVOU X9, 148(DI)
	MOVOU X10, 164(DI)
	MOVOU X11, 172(DI)
	ADDQ $184, SI
	ADDQ $188, DI
	INCL DX
	DECQ CX
	JNZ  loop
	RET
