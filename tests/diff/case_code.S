/*
 * Hand-picked differential test cases (tests/diff/README.md).
 *
 * Each CASE runs alone in slot 0 (addresses below) at CPL3, from the
 * registers of dt_seq_init() and RFLAGS 0x202, and sets what it needs
 * itself; the harness appends the epilogue. Arguments: name, group (the
 * EMU_PENDING key), flags the last instructions leave architecturally
 * undefined (Intel SDM, masked before comparison), registers whose final
 * value is undefined (bit n = GPR n).
 *
 * gas expressions: a comparison yields -1 for true, 0 for false, so
 * `(x > 1) & OF` is OF when x > 1.
 */
	.intel_syntax noprefix

	.set SCRATCH, 0x401000          /* DT_SCRATCH(0): two RW pages */
	.set GAP, 0x403000              /* DT_GUARD(0): absent */
	.set RO, 0x404000
	.set SUPER, 0x405000
	.set STACK, 0x406000
	.set SEQ0, 0x100080             /* DT_SEQ_CODE(0): where a case's code runs */
	.set FSBASE, 0x10000            /* DT_FS_BASE */
	.set GSBASE, 0x20000            /* DT_GS_BASE */
	.set CF, 0x001
	.set PF, 0x004
	.set AF, 0x010
	.set ZF, 0x040
	.set SF, 0x080
	.set OF, 0x800
	.set ARITH, 0x8D5
	.set R_RAX, 1
	.set R_RCX, 2
	.set R_RDX, 4
	.set R_RBX, 8

	.section .rodata.dtstr, "a"
	.section .rodata.dtcode, "a"

.macro CASE name, group, uflags=0, uregs=0
	.pushsection .rodata.dtstr, "a"
9001:	.asciz "\name"
9002:	.asciz "\group"
	.popsection
	.pushsection difftest_cases, "aw"
	.balign 8
	.quad 9001b, 9002b, 9003f, 9004f, \uflags, \uregs
	.popsection
	.section .rodata.dtcode, "a"
9003:
.endm

.macro END
9004:
.endm

/* RFLAGS from an immediate (IF stays as it is at CPL3). */
.macro SETF v
	push \v
	popfq
.endm

/* --- ADD/ADC/SUB/SBB/CMP/NEG/INC/DEC flags at the boundaries ------------ */

.macro BIN op, a, b, d, s, va, vb, f=0x202
CASE "\op \d,\s \va,\vb f=\f", \op
	mov rax, \va
	mov rbx, \vb
	SETF \f
	\op \d, \s
END
.endm

.irp op, add, adc, sub, sbb, cmp
	BIN \op, rax, rbx, al, bl, 0x7F, 1
	BIN \op, rax, rbx, al, bl, 0xFF, 1
	BIN \op, rax, rbx, al, bl, 0x80, 0x80, 0x203
	BIN \op, rax, rbx, al, bl, 0x0F, 1, 0x203
	BIN \op, rax, rbx, al, bl, 0, 1
	BIN \op, rax, rbx, al, bl, 0x80, 1, 0x203
	BIN \op, rax, rbx, ax, bx, 0x7FFF, 1
	BIN \op, rax, rbx, ax, bx, 0xFFFF, 0xFFFF, 0x203
	BIN \op, rax, rbx, ax, bx, 0x8000, 1
	BIN \op, rax, rbx, eax, ebx, 0x7FFFFFFF, 1
	BIN \op, rax, rbx, eax, ebx, 0xFFFFFFFF, 0, 0x203
	BIN \op, rax, rbx, eax, ebx, 0x80000000, 0x80000000
	BIN \op, rax, rbx, eax, ebx, -1, 0x7FFFFFFF, 0x203
	BIN \op, rax, rbx, rax, rbx, 0x7FFFFFFFFFFFFFFF, 1
	BIN \op, rax, rbx, rax, rbx, -1, -1, 0x203
	BIN \op, rax, rbx, rax, rbx, 0x8000000000000000, 1
	BIN \op, rax, rbx, rax, rbx, 0, 0x8000000000000000, 0x203
	BIN \op, rax, rbx, rax, rbx, 0x1234, 0x1234
.endr

/* 32-bit results zero-extend; 8/16-bit results keep the rest; AH. */
CASE "add eax zero-extends", add
	mov rax, -1
	add eax, 1
END
CASE "add ax keeps upper bits", add
	mov rax, -1
	add ax, 1
END
CASE "add ah, imm", add
	mov rax, 0x12345678
	add ah, 0xF0
END
CASE "sub spl with REX", sub
	mov rsp, 0x406801
	sub spl, 2
END

.irp v, 0, 1, 0x7F, 0x80, 0xFF, 0x8000, 0x80000000, 0x8000000000000000, -1
CASE "neg \v (byte..qword)", neg
	mov rax, \v
	mov rbx, \v
	mov rcx, \v
	mov rdx, \v
	SETF 0x202
	neg al
	neg bx
	neg ecx
	neg rdx
END
.endr

.irp op, inc, dec
.irp v, 0, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, -1, 0x7FFFFFFFFFFFFFFF
CASE "\op keeps CF, \v", \op
	mov rax, \v
	mov rbx, \v
	SETF 0x203
	\op bl
	pushfq
	\op rax
	pop rcx
END
.endr
.endr

/* --- Logic: OF=CF=0, AF undefined ------------------------------------------- */
.irp op, and, or, xor, test
CASE "\op byte..qword", \op, AF
	mov rax, 0x80FF80FF80FF80FF
	mov rbx, 0xFF00FF00FF00FF01
	SETF 0xA03
	\op al, bl
	\op rax, rbx
END
CASE "\op eax zero/parity", \op, AF
	mov rax, 0xFFFFFFFF00000003
	SETF 0x203
	\op eax, 0x3
END
.endr
CASE "not keeps flags", not
	mov rax, 0x00FF00FF00FF00FF
	SETF 0xAD7
	not rax
	not al
	not word ptr [SCRATCH + 0x10]
END


/* --- Shifts and rotates by 0/1/7/8/9/16/31/32/33/63/64 through CL --------- */
.macro SHIFT op, rot, r, width, cnt
	.set m, \cnt & (31 | ((\width == 64) & 32))
	.set of_u, (m > 1) & OF
	.set af_u, ((m != 0) & ~\rot) & AF
	.set cf_u, ((m >= \width) & ~\rot & ((\width == 8) | (\width == 16))) & CF
CASE "\op \r, cl=\cnt", \op, (of_u | af_u | cf_u)
	mov rax, 0x8123456789ABCDEF
	mov rcx, \cnt
	SETF 0xAD7
	\op \r, cl
	pushfq
	pop rdx
	and rdx, ~(of_u | af_u | cf_u)
	SETF 0x202
	\op \r, cl
END
.endm

/* shl/shr: CF undefined when the count reaches the width (8/16-bit only
 * reachable: counts are masked to 5/6 bits); sar is excluded from that. */
.irp cnt, 0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64
	SHIFT shl, 0, al, 8, \cnt
	SHIFT shr, 0, ax, 16, \cnt
	SHIFT shl, 0, eax, 32, \cnt
	SHIFT shr, 0, rax, 64, \cnt
	SHIFT rol, -1, al, 8, \cnt
	SHIFT ror, -1, ax, 16, \cnt
	SHIFT rcl, -1, eax, 32, \cnt
	SHIFT rcr, -1, rax, 64, \cnt
	SHIFT rcl, -1, al, 8, \cnt
	SHIFT rcr, -1, ax, 16, \cnt
	SHIFT rol, -1, rax, 64, \cnt
	SHIFT ror, -1, eax, 32, \cnt
.endr
/* sar is not shl/shr: the SDM leaves CF defined for every count. */
.irp cnt, 0, 1, 7, 8, 9, 16, 17, 31, 32, 63
CASE "sar al/ax/eax/rax, cl=\cnt", sar, (((\cnt & 63) > 1) & OF) | (((\cnt & 63) != 0) & AF)
	mov rax, 0x8123456789ABCDEF
	mov rbx, 0x8123456789ABCDEF
	mov rdx, 0x8123456789ABCDEF
	mov rsi, 0x8123456789ABCDEF
	mov rcx, \cnt
	SETF 0x202
	sar al, cl
	sar bx, cl
	sar edx, cl
	sar rsi, cl
END
.endr
CASE "shl by 1 sets OF from the top bits", shl, AF
	mov rax, 0x4000000000000000
	shl rax, 1
END
CASE "shr by 1: OF = old top bit", shr, AF
	mov eax, 0x80000001
	shr eax, 1
END
CASE "sar by 1: OF = 0", sar, AF
	mov ax, 0x8001
	SETF 0xA02
	sar ax, 1
END
CASE "shl mem by imm 33 (masked to 1)", shl, AF
	shl dword ptr [SCRATCH + 0x20], 33
END
CASE "rcl 8-bit by 9 (mod 9 = 0)", rcl
	mov al, 0x81
	SETF 0x203
	rcl al, 9
END
CASE "rcr 16-bit by 17 (mod 17 = 0)", rcr, OF
	mov ax, 0x8001
	SETF 0x203
	rcr ax, 17
END
CASE "rol 8-bit by 8: CF from bit 0", rol, OF
	mov al, 0x81
	SETF 0x202
	rol al, 8
END

/* SHLD/SHRD: 1-bit OF, count 0 keeps flags, 16-bit counts up to 16. */
.irp cnt, 0, 1, 4, 16, 31, 32, 63
CASE "shld/shrd rax, rbx, \cnt", shld, ((((\cnt & 63) > 1) & OF) | (((\cnt & 63) != 0) & AF))
	mov rax, 0x8123456789ABCDEF
	mov rbx, 0xFEDCBA9876543210
	mov rdx, 0x8123456789ABCDEF
	SETF 0xAD7
	shld rax, rbx, \cnt
	shrd rdx, rbx, \cnt
END
.endr
.irp cnt, 0, 1, 8, 15, 16
CASE "shld/shrd eax/ax, cl=\cnt", shld, ((((\cnt & 31) > 1) & OF) | (((\cnt & 31) != 0) & AF))
	mov rax, 0x8123456789ABCDEF
	mov rbx, 0xFEDCBA9876543210
	mov rdx, 0x8123456789ABCDEF
	mov rcx, \cnt
	SETF 0x202
	shld eax, ebx, cl
	shrd dx, bx, cl
END
.endr
CASE "shld mem, reg, 5", shld, AF | OF
	mov rbx, 0xFEDCBA9876543210
	shld qword ptr [SCRATCH + 0x40], rbx, 5
END

/* --- MUL/IMUL/DIV/IDIV, #DE ----------------------------------------------- */
.set MULU, SF | ZF | AF | PF
CASE "mul byte 0x80*2", mul, MULU
	mov eax, 0x80
	mov bl, 2
	mul bl
END
CASE "mul byte no overflow", mul, MULU
	mov eax, 0x10
	mov bl, 0x0F
	mul bl
END
CASE "mul word", mul, MULU
	mov rax, -1
	mov rdx, -1
	mov bx, 0xFFFF
	mul bx
END
CASE "mul dword zero-extends rdx:rax", mul, MULU
	mov rax, -1
	mov rdx, -1
	mov ebx, 3
	mul ebx
END
CASE "mul qword -1*-1", mul, MULU
	mov rax, -1
	mov rbx, -1
	mul rbx
END
CASE "mul qword mem", mul, MULU
	mov rax, 0x123456789
	mul qword ptr [SCRATCH + 0x80]
END
CASE "imul1 byte -1*-1", imul1, MULU
	mov al, -1
	mov bl, -1
	imul bl
END
CASE "imul1 byte -128*-1", imul1, MULU
	mov al, -128
	mov bl, -1
	imul bl
END
CASE "imul1 qword overflow", imul1, MULU
	mov rax, 0x4000000000000000
	mov rbx, 2
	imul rbx
END
CASE "imul1 dword negative", imul1, MULU
	mov rax, -1
	mov rdx, -1
	mov eax, -5
	mov ebx, 7
	imul ebx
END
CASE "imul r16, r/m16, imm8", imul, MULU
	mov rbx, -1
	mov ax, 0x4000
	imul bx, ax, 2
END
CASE "imul r32, r/m32 zero-extends", imul, MULU
	mov rax, -1
	mov ebx, 0x10000
	imul eax, ebx
END
CASE "imul r64, r/m64, imm32 no overflow", imul, MULU
	mov rbx, -3
	imul rax, rbx, -0x12345
END
CASE "imul r64, mem", imul, MULU
	mov rax, 0x7FFFFFFF
	imul rax, qword ptr [SCRATCH + 0x88]
END
CASE "div byte", div, ARITH
	mov eax, 1000
	mov bl, 7
	div bl
END
CASE "div byte overflow #DE", div, ARITH
	mov eax, 0x1000
	mov bl, 2
	div bl
END
CASE "div by zero #DE", div, ARITH
	mov eax, 5
	xor ebx, ebx
	div ebx
END
CASE "div qword", div, ARITH
	mov rdx, 0x12345
	mov rax, 0x6789ABCDEF012345
	mov rbx, 0x123456789
	div rbx
END
CASE "div qword overflow #DE", div, ARITH
	mov rdx, 1
	xor eax, eax
	mov rbx, 1
	div rbx
END
CASE "div dword zero-extends", div, ARITH
	mov rdx, 0xFFFFFFFF00000000
	mov rax, 0xFFFFFFFF00000064
	mov ebx, 7
	div ebx
END
CASE "div word mem", div, ARITH
	mov dx, 0x12
	mov ax, 0x3456
	div word ptr [SCRATCH + 0x90]
END
CASE "idiv byte -128/-1 #DE", idiv, ARITH
	mov ax, -128
	mov bl, -1
	idiv bl
END
CASE "idiv qword min/-1 #DE", idiv, ARITH
	mov rax, 0x8000000000000000
	cqo
	mov rbx, -1
	idiv rbx
END
CASE "idiv remainder has the dividend's sign", idiv, ARITH
	mov rax, -7
	cqo
	mov rbx, 2
	idiv rbx
END
CASE "idiv dword negative divisor", idiv, ARITH
	mov eax, 100
	cdq
	mov ebx, -7
	idiv ebx
END
CASE "idiv word", idiv, ARITH
	mov ax, -1000
	cwd
	mov bx, 33
	idiv bx
END

/* --- BT/BTS/BTR/BTC, BSF/BSR, BSWAP ------------------------------------------ */
.set BTU, OF | SF | AF | PF
CASE "bt reg, reg (offset mod width)", bt, BTU
	mov rax, 0x8000000000000001
	mov rbx, 63 + 64
	bt rax, rbx
	mov ecx, 33
	bt eax, ecx
END
CASE "bt mem, reg far offset", bt, BTU
	mov rax, 0x7FF
	bt qword ptr [SCRATCH + 0x100], rax
END
CASE "bt mem, reg negative offset", bt, BTU
	mov rax, -1
	bt dword ptr [SCRATCH + 0x100], eax
END
CASE "bt mem16, reg16 negative offset", bt, BTU
	mov rax, 0xFFFF
	bt word ptr [SCRATCH + 0x100], ax
END
CASE "bts/btr/btc mem, imm (masked)", bts, BTU
	bts dword ptr [SCRATCH + 0x110], 35
	btr qword ptr [SCRATCH + 0x118], 63
	btc word ptr [SCRATCH + 0x120], 17
END
CASE "bts/btr/btc mem, reg", bts, BTU
	mov rax, 200
	mov rbx, -9
	mov rcx, 0x41
	bts qword ptr [SCRATCH + 0x130], rax
	btr dword ptr [SCRATCH + 0x130], ebx
	btc word ptr [SCRATCH + 0x130], cx
END
CASE "lock bts mem, reg", bts, BTU
	mov rax, 77
	lock bts qword ptr [SCRATCH + 0x140], rax
END
CASE "btc reg16 keeps upper bits", btc, BTU
	mov rax, -1
	btc ax, 15
END
.set BSU, CF | OF | SF | AF | PF
CASE "bsf/bsr qword", bsf, BSU
	mov rbx, 0x0010000000000100
	bsf rax, rbx
	bsr rcx, rbx
END
CASE "bsf/bsr dword zero-extend", bsf, BSU
	mov rax, -1
	mov rcx, -1
	mov ebx, 0x00800100
	bsf eax, ebx
	bsr ecx, ebx
END
CASE "bsf/bsr word", bsf, BSU
	mov rax, -1
	mov bx, 0x0180
	bsf ax, bx
	bsr cx, bx
END
CASE "bsf zero source: ZF=1, destination undefined", bsf, BSU, R_RAX
	mov rax, 0x1234
	xor ebx, ebx
	bsf rax, rbx
END
CASE "bsr mem", bsr, BSU
	mov qword ptr [SCRATCH + 0x150], 0x40
	bsr rax, qword ptr [SCRATCH + 0x150]
END
CASE "bswap r32/r64", bswap
	mov rax, 0x0123456789ABCDEF
	mov rbx, 0x0123456789ABCDEF
	mov r9, 0x0123456789ABCDEF
	bswap rax
	bswap ebx
	bswap r9
END
CASE "bswap r16 (result undefined)", bswap, 0, R_RAX
	mov rax, 0x0123456789ABCDEF
	.byte 0x66, 0x0F, 0xC8
END

/* --- SETcc over all conditions and flag states; CMOVcc ------------------------- */
.irp f, 0x202, 0xAD7, 0x283, 0xA02, 0xA82, 0x242, 0x206, 0x203
CASE "setcc all, flags \f", setcc
	xor eax, eax
	xor ebx, ebx
	xor ecx, ecx
	xor edx, edx
	SETF \f
	seto al
	setno ah
	setb bl
	setae bh
	sete cl
	setne ch
	setbe dl
	seta dh
	sets sil
	setns dil
	setp r8b
	setnp r9b
	setl r10b
	setge r11b
	setle r12b
	setg r13b
END
CASE "cmovcc all r32, flags \f", cmovcc
	mov r8, -1
	SETF \f
	mov rax, r8
	cmovo eax, ebx
	mov rbx, r8
	cmovno ebx, ecx
	mov rcx, r8
	cmovb ecx, edx
	mov rdx, r8
	cmovae edx, esi
	mov rsi, r8
	cmove esi, edi
	mov rdi, r8
	cmovne edi, r9d
	mov r9, r8
	cmovbe r9d, r10d
	mov r10, r8
	cmova r10d, r11d
	mov r11, r8
	cmovs r11d, r12d
	mov r12, r8
	cmovns r12d, r13d
	mov r13, r8
	cmovp r13d, r14d
	mov r14, r8
	cmovnp r14d, r15d
	mov r15, r8
	cmovl r15d, eax
	cmovge ax, bx
	cmovle rbx, qword ptr [SCRATCH + 0x160]
	cmovg cx, word ptr [SCRATCH + 0x168]
END
.endr
CASE "cmov with a faulting memory operand, condition false", cmovcc
	SETF 0x202
	cmovz rax, qword ptr [GAP]
END

/* --- Jcc, LOOP, JRCXZ, CALL/RET, ENTER/LEAVE ------------------------------------ */
.irp f, 0x202, 0xAD7, 0x283, 0xA42
CASE "jcc all, flags \f", jcc, AF
	xor eax, eax
	SETF \f
	.irp cc, o, no, b, ae, e, ne, be, a, s, ns, p, np, l, ge, le, g
	shl eax, 1
	j\cc 1f
	or eax, 1
1:
	.endr
END
.endr
CASE "loop and jrcxz", loop
	mov ecx, 3
	xor eax, eax
1:	inc eax
	loop 1b
	jrcxz 2f
	mov ebx, 1
2:
END
CASE "jecxz with upper bits set", loop
	mov rcx, 0x100000000
	xor eax, eax
	.byte 0x67
	jrcxz 1f
	mov eax, 1
1:
END
CASE "loope/loopne", loop
	mov ecx, 5
	xor eax, eax
	cmp eax, eax
1:	loope 1b
	mov ebx, ecx
	mov ecx, 5
	cmp eax, 1
2:	loopne 2b
END
CASE "call/ret pushes and pops", call
	call 1f
	jmp 2f
1:	mov rax, [rsp]
	ret
2:
END
CASE "ret imm16", call
	call 1f
	jmp 2f
1:	push 0x55
	push qword ptr [rsp + 8]
	ret 8
2:
END
CASE "call through register and memory", call
	lea rax, [rip + 1f]
	call rax
	mov qword ptr [SCRATCH + 0x170], rax
	call qword ptr [SCRATCH + 0x170]
	jmp 2f
1:	inc rbx
	ret
2:
END
CASE "enter/leave", enter
	mov rbp, 0x406700
	enter 0x20, 0
	mov qword ptr [rbp - 8], 0x99
	leave
END
CASE "enter nesting level 2", enter
	mov rbp, 0x406700
	enter 0x10, 2
	mov rbx, rsp
	leave
END

/* --- String instructions with REP and DF ------------------------------------------ */
CASE "rep movsb forward", movs
	mov rsi, SCRATCH + 0x200
	mov rdi, SCRATCH + 0x300
	mov ecx, 37
	cld
	rep movsb
END
CASE "rep movsb backward", movs
	mov rsi, SCRATCH + 0x240
	mov rdi, SCRATCH + 0x340
	mov ecx, 37
	std
	rep movsb
	cld
END
CASE "rep movsb overlapping forward", movs
	mov rsi, SCRATCH + 0x200
	mov rdi, SCRATCH + 0x203
	mov ecx, 40
	rep movsb
END
CASE "rep movsq / movsw / movsd", movs
	mov rsi, SCRATCH + 0x400
	mov rdi, SCRATCH + 0x500
	mov ecx, 9
	rep movsq
	mov ecx, 5
	rep movsw
	std
	mov ecx, 3
	rep movsd
	cld
END
CASE "rep movsb rcx=0 leaves everything", movs
	mov rsi, SCRATCH + 0x200
	mov rdi, SCRATCH + 0x300
	xor ecx, ecx
	SETF 0x2D7
	rep movsb
END
CASE "rep movsb a32: ecx/esi/edi, upper bits", movs
	mov rsi, 0xAAAAAAAA00000000 + SCRATCH + 0x600
	mov rdi, 0x5555555500000000 + SCRATCH + 0x700
	mov rcx, 0x7777777700000011
	.byte 0x67
	rep movsb
END
CASE "rep movsb runs into an absent page (#PF mid-way)", movs
	mov rsi, SCRATCH
	mov rdi, SCRATCH + 0x1FF0
	mov ecx, 64
	rep movsb
END
CASE "rep movsq from an absent page backwards", movs
	mov rsi, SCRATCH + 0x18
	mov rdi, SCRATCH + 0x1800
	mov ecx, 10
	std
	rep movsq
END
CASE "rep stosb/stosd/stosq", stos
	mov rax, 0x1122334455667788
	mov rdi, SCRATCH + 0x800
	mov ecx, 13
	rep stosb
	mov ecx, 7
	rep stosd
	std
	mov ecx, 3
	rep stosq
	cld
END
CASE "stosw 66 prefix, DF=1", stos
	mov ax, 0xBEEF
	mov rdi, SCRATCH + 0x880
	std
	stosw
	stosw
	cld
END
CASE "rep stosq into a read-only page: #PF at once", stos
	mov rdi, RO + 0x10
	mov ecx, 10
	rep stosq
END
CASE "lodsb/lodsq", lods
	mov rsi, SCRATCH + 0x900
	lodsb
	lodsq
	std
	lodsd
	cld
END
CASE "repe cmpsb stops at the first difference", cmps
	mov rsi, SCRATCH + 0xA00
	mov rdi, SCRATCH + 0xB00
	mov rax, 0x1122334455667788
	mov [rsi], rax
	mov [rdi], rax
	mov byte ptr [rdi + 5], 0
	mov ecx, 8
	repe cmpsb
END
CASE "repne cmpsw finds an equal word", cmps
	mov rsi, SCRATCH + 0xA00
	mov rdi, SCRATCH + 0xB00
	mov dword ptr [rsi + 6], 0x12345678
	mov dword ptr [rdi + 6], 0x12345678
	mov ecx, 8
	repne cmpsw
END
CASE "cmpsq no rep, DF=1", cmps
	mov rsi, SCRATCH + 0xA00
	mov rdi, SCRATCH + 0xB00
	std
	cmpsq
	cld
END
CASE "repne scasb finds a byte", scas
	mov rdi, SCRATCH + 0xC00
	mov byte ptr [rdi + 20], 0x5A
	mov al, 0x5A
	mov ecx, 100
	repne scasb
END
CASE "repe scasd", scas
	mov rdi, SCRATCH + 0xC40
	mov eax, 0x01010101
	mov dword ptr [rdi], eax
	mov dword ptr [rdi + 4], eax
	mov ecx, 4
	repe scasd
END
CASE "rep scasb rcx=0 keeps flags", scas
	mov rdi, SCRATCH + 0xC00
	xor ecx, ecx
	SETF 0xAD7
	repne scasb
END

/* --- CMPXCHG/XADD/XCHG ------------------------------------------------------------ */
CASE "cmpxchg equal qword", cmpxchg
	mov rax, 0x1111
	mov rbx, 0x1111
	mov rcx, 0x2222
	cmpxchg rbx, rcx
END
CASE "cmpxchg not equal qword", cmpxchg
	mov rax, 0x1111
	mov rbx, 0x3333
	mov rcx, 0x2222
	cmpxchg rbx, rcx
END
CASE "cmpxchg r32 equal: rax untouched, dest zero-extended", cmpxchg
	mov rax, 0xFFFFFFFF00001111
	mov rbx, 0xFFFFFFFF00001111
	mov rcx, 0x2222
	cmpxchg ebx, ecx
END
CASE "cmpxchg r32 not equal: eax loaded and zero-extended", cmpxchg
	mov rax, 0xFFFFFFFF00001111
	mov rbx, 0xFFFFFFFF00003333
	mov rcx, 0x2222
	cmpxchg ebx, ecx
END
CASE "cmpxchg byte/word flags", cmpxchg
	mov eax, 0x80
	mov ebx, 0x7F
	cmpxchg bl, cl
	mov eax, 0x1234
	cmpxchg word ptr [SCRATCH + 0x180], dx
END
CASE "lock cmpxchg mem equal", cmpxchg
	mov rax, qword ptr [SCRATCH + 0x188]
	mov rcx, 0xABCDEF
	lock cmpxchg qword ptr [SCRATCH + 0x188], rcx
END
CASE "cmpxchg8b equal and not equal", cmpxchg8b
	mov eax, dword ptr [SCRATCH + 0x190]
	mov edx, dword ptr [SCRATCH + 0x194]
	mov ebx, 0x11111111
	mov ecx, 0x22222222
	cmpxchg8b qword ptr [SCRATCH + 0x190]
	pushfq
	cmpxchg8b qword ptr [SCRATCH + 0x198]
END
CASE "xadd reg/mem", xadd
	mov rax, 0x7F
	mov rbx, 1
	xadd al, bl
	mov ecx, 0xFFFFFFFF
	lock xadd dword ptr [SCRATCH + 0x1A0], ecx
	mov rdx, -1
	xadd qword ptr [SCRATCH + 0x1A8], rdx
END
CASE "xchg reg/mem and r32 zero-extension", xchg
	mov rax, -1
	mov rbx, -1
	xchg eax, ebx
	mov rcx, 0x55
	xchg rcx, qword ptr [SCRATCH + 0x1B0]
	xchg dl, byte ptr [SCRATCH + 0x1B8]
END
CASE "90 is nop, 87 db zero-extends ebx", xchg
	mov rax, -1
	mov rbx, -1
	.byte 0x90
	.byte 0x87, 0xDB
END
CASE "xchg r8 with rax (49 90)", xchg
	mov rax, 1
	mov r8, 2
	.byte 0x49, 0x90
END

/* --- MOVZX/MOVSX/MOVSXD, MOV forms --------------------------------------------------- */
CASE "movzx/movsx byte and word", movzx
	mov rbx, 0x8080808080808080
	movzx eax, bl
	movsx rcx, bl
	movzx rdx, bx
	movsx esi, bx
	movsx di, bl
	movzx r8w, bl
END
CASE "movzx from AH vs SIL", movzx
	mov rax, 0x8142
	mov rsi, 0x90
	movzx ecx, ah
	movzx edx, sil
END
CASE "movsx mem", movsx
	mov byte ptr [SCRATCH + 0x1C0], 0x80
	movsx rax, byte ptr [SCRATCH + 0x1C0]
	movsx ebx, word ptr [SCRATCH + 0x1C0]
END
CASE "movsxd rax, ecx / mem", movsxd
	mov rcx, 0x0000000080000000
	movsxd rax, ecx
	movsxd rbx, dword ptr [SCRATCH + 0x1C4]
END
CASE "movsxd without REX.W (32-bit move)", movsxd
	mov rax, -1
	mov rcx, 0x1234567887654321
	.byte 0x63, 0xC1
END
CASE "mov r64, imm64 / imm32 sign-extended / r32 zero-extends", mov
	mov rax, -1
	movabs rbx, 0x8000000000000001
	mov rcx, -5
	mov eax, 5
	mov dword ptr [SCRATCH + 0x1D0], -1
	mov qword ptr [SCRATCH + 0x1D8], -2
END
CASE "mov moffs (A1/A3, 64-bit address)", mov
	movabs rax, [SCRATCH + 0x1E0]
	movabs [SCRATCH + 0x1F0], eax
	movabs al, [SCRATCH + 0x1E4]
END
CASE "mov null to ds is fine in 64-bit mode", movseg
	xor eax, eax
	mov ds, eax
	mov rbx, [SCRATCH]
END
CASE "mov null to ss at CPL3: #GP(0)", movseg
	xor eax, eax
	mov ss, eax
END
CASE "mov kernel code selector to ds: #GP(sel)", movseg
	mov eax, 8
	mov ds, eax
END
CASE "pop fs reloads the base from the GDT", movseg
	push 0x23
	pop fs
	mov rax, fs:[SCRATCH]
END

/* --- LEA with every addressing form --------------------------------------------------- */
CASE "lea forms 64-bit", lea
	mov rbx, 0x1000
	mov rsi, 3
	mov r12, 0x2000
	mov r13, 0x3000
	mov rbp, 0x4000
	lea rax, [rbx]
	lea rcx, [rbx + 0x7F]
	lea rdx, [rbx - 0x80]
	lea rdi, [rbx + 0x12345678]
	lea r8, [rbx + rsi]
	lea r9, [rbx + rsi * 2 + 1]
	lea r10, [rbx + rsi * 4 - 0x100]
	lea r11, [rsi * 8 + 0x55]
	lea r14, [r12]
	lea r15, [r13]
	lea rbx, [rbp]
	lea rsi, [r12 + r13 * 8 + 0x10]
END
CASE "lea rip-relative and absolute", lea
	lea rax, [rip]
	lea rbx, [rip + 0x1234]
	lea rcx, [0x7FFFFFF0]
	lea rdx, [rsp + 8]
	lea rsi, [rsp + rbp * 1]
END
CASE "lea with 32-bit address size wraps", lea
	mov rbx, 0xFFFFFFFFFFFFFFFF
	mov rcx, 0x12345678FFFFFFF0
	lea rax, [ebx + 2]
	lea rdx, [ecx + ecx * 2 + 0x100]
	lea esi, [rbx + 0x10]
	lea di, [rbx + rcx]
END
CASE "lea 16-bit operand, 32-bit address", lea
	mov rax, -1
	mov ebx, 0x12345
	.byte 0x66, 0x67, 0x8D, 0x43, 0x10
END

/* --- Prefix combinations ----------------------------------------------------------- */
CASE "66 and REX.W: REX.W wins", prefix
	mov rax, 0x7FFFFFFFFFFFFFFF
	mov rbx, 1
	.byte 0x66, 0x48, 0x01, 0xD8
END
CASE "REX before 66 is ignored (16-bit add)", prefix
	mov rax, 0x7FFF
	mov rbx, 1
	.byte 0x48, 0x66, 0x01, 0xD8
END
CASE "66 66 duplicate", prefix
	mov rax, 0x12347FFF
	mov rbx, 1
	.byte 0x66, 0x66, 0x01, 0xD8
END
CASE "REX.B with AH-BH encodings selects SPL..DIL/R", prefix
	mov rax, 0x1111
	mov rsp, 0x406800
	mov rbp, 0x2222
	.byte 0x40, 0x00, 0xE5
	.byte 0x00, 0xE5
END
CASE "fs/gs segment override", prefix
	mov rax, fs:[SCRATCH - 0x10000]
	mov rbx, gs:[SCRATCH - 0x20000 + 8]
	mov rcx, cs:[SCRATCH + 16]
	mov rdx, ss:[SCRATCH + 24]
END
CASE "fs: with a 32-bit address", prefix, AF
	mov rbx, 0xFFFFFFFF00000000 + SCRATCH + 0x100 - FSBASE
	shl dword ptr fs:[ebx], 1
END
CASE "fs: rip-relative", prefix, AF
	.byte 0x64, 0xD1, 0x25                  /* shl dword fs:[rip + d32], 1 */
	.long SCRATCH + 0x100 - FSBASE - (SEQ0 + 7)
END
CASE "fs: eip-relative (67)", prefix, AF
	.byte 0x67, 0x64, 0xD1, 0x25            /* shl dword fs:[eip + d32], 1 */
	.long SCRATCH + 0x100 - FSBASE - (SEQ0 + 8)
END
CASE "gs: eip-relative (67) read", prefix
	.byte 0x67, 0x65, 0x8B, 0x05            /* mov eax, gs:[eip + d32] */
	.long SCRATCH + 0x104 - 0x20000 - (SEQ0 + 8)
END
CASE "67 memory operand wraps at 4 GiB", prefix
	mov rbx, 0xFFFFFFFF00000000 + SCRATCH
	.byte 0x67, 0x48, 0x8B, 0x43, 0x08
END
CASE "lock on a register operand: #UD", prefix
	.byte 0xF0, 0x01, 0xD8
END
CASE "lock on mov: #UD", prefix
	.byte 0xF0, 0x89, 0x03
END
CASE "15-byte instruction is fine", prefix
	.byte 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66
	.byte 0x01, 0xD8
END
CASE "16-byte instruction: #GP(0)", prefix
	.byte 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66
	.byte 0x66, 0x01, 0xD8
END
CASE "f3 90 is pause", prefix
	.byte 0xF3, 0x90
END
CASE "multi-byte nop with memory operand does not access it", prefix
	.byte 0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x80
	nop word ptr [rax + rax * 1 + 0x0]
END

/* --- Flag liveness in the JIT (jit.c's flags_dead): an op whose flags a later
 * op of the same block overwrites stores none, so whatever can observe the
 * flags in between (a fault's exception frame, a flag reader, a handler, the
 * block's end) must still see that op's. With NYX_EMU_JIT=1 each case is one
 * translated block up to its first branch. ------------------------------------ */
CASE "flags of add in the frame of a faulting load, a sub after", jit-flags
	mov rax, -1
	mov rbx, 1
	add rax, rbx
	mov rcx, qword ptr [GAP]
	sub rdx, rbx
END
CASE "flags of cmp in the frame of a faulting store, an xor after", jit-flags
	mov eax, 5
	cmp eax, 7
	mov qword ptr [RO + 8], rax
	xor ecx, ecx
END
CASE "flags of add in the frame of a faulting add-from-memory", jit-flags
	mov rax, 0x7FFFFFFFFFFFFFFF
	add rax, 1
	add rcx, qword ptr [GAP]
	sub rdx, 3
END
CASE "flags of sub in the frame of a faulting add-to-memory", jit-flags
	mov eax, 3
	sub eax, 4
	add qword ptr [RO], 1
	and eax, 1
END
CASE "flags of shl in the frame of a faulting load, an or after", jit-flags, AF
	mov rax, 0xC000000000000001
	shl rax, 1
	mov rcx, qword ptr [GAP]
	or rax, rax
END
CASE "flags of imul in the frame of a faulting push, a sub after", jit-flags, SF | ZF | AF | PF
	mov rax, 0x100000000
	mov rbx, 0x100000001
	imul rax, rbx
	mov rsp, STACK
	push rax
	sub rax, rbx
END
CASE "flags of cmp in the frame of a faulting movzx load", jit-flags
	mov ecx, 0x80000000
	cmp ecx, 1
	movzx eax, word ptr [GAP + 6]
	test ecx, ecx
END
CASE "CF of add read by adc, a sub after", jit-flags
	mov rax, -1
	mov rcx, 0x10
	mov rdx, 0x20
	add rax, 1
	adc rcx, rdx
	sub rbx, 5
END
CASE "CF of sub read by sbb (32-bit), an and after", jit-flags
	mov eax, 1
	mov ecx, 0x10
	sub eax, 2
	sbb ecx, 3
	and edx, 7
END
CASE "CF of add kept through inc and dec, read by adc", jit-flags
	mov rax, -1
	mov r8, 0x40
	add rax, 1
	inc rcx
	dec rdx
	adc r8, 0
END
CASE "flags of cmp read by setc and cmovz, an add after", jit-flags
	mov eax, 7
	mov ebx, 7
	mov esi, 0x55
	cmp eax, ebx
	setz cl
	setc dl
	cmovz edi, esi
	add eax, ebx
END
CASE "flags of add pushed by pushfq, a sub after", jit-flags
	mov rax, 0x8000000000000000
	add rax, rax
	pushfq
	pop r8
	sub rbx, 1
END
CASE "a cmp and a test nobody reads between two adds", jit-flags
	mov eax, 1
	mov ecx, 2
	add eax, 0x7FFFFFFF
	cmp eax, ecx
	test ecx, ecx
	add ecx, eax
END
CASE "ops whose flags are overwritten, moves between", jit-flags, SF | ZF | AF | PF
	mov rax, 0x123456789
	mov rbx, 0xFEDCBA987
	add rax, rbx
	mov rcx, rax
	lea rdx, [rax + rcx * 2 + 5]
	movzx esi, al
	xor rax, rcx
	imul rdx, rsi
	shr rdx, 3
	sub rdx, rax
	sar rdx, 1
	or rsi, rdx
	imul rsi, rbx
END
CASE "ALU ops of every kind whose flags are overwritten, 32/64-bit, imm and register", jit-flags
	mov rax, 0x0123456789ABCDEF
	mov rcx, 0xFEDCBA9876543210
	mov rdx, -5
	mov r8, 0x8000000000000000
	mov r9, -1
	add rax, 0x12345678
	or rcx, -0x100
	and rdx, rax
	sub rax, rcx
	xor rcx, 0x7FFF0000
	add r8, -1
	sub r9, 0x70000000
	add eax, ecx
	or edx, 0x55
	and ecx, -2
	sub edx, eax
	xor eax, edx
	add r8d, 0x80000000
	sub r9d, -3
	xor esi, esi
	or rsi, r8
	and r9, r8
	test rax, rcx
	cmp rax, rcx
END
/* rax forwarding (jit.c): a register the previous instruction's code left in
 * rax is read from rax, zero-extended for a 32-bit read, and never after
 * code that changed the register without going through rax. */
CASE "a register a 64-bit op wrote, read next by 32-bit moves", jit-flags
	mov rax, -1
	mov rbx, 0x100000001
	add rbx, rax
	mov ecx, ebx
	mov rdi, 0xFFFFFFFF00000007
	imul rdi, rbx
	mov r8d, edi
	mov rsi, 0x8000000000000001
	shl rsi, 1
	lea r9d, [rsi + 2]
	sub rdx, 1
END
CASE "a register changed by a read-modify-write after rax last held it", jit-flags
	mov rax, 0x1234
	mov rbx, rax
	add rbx, 5
	mov rcx, rbx
	sub rdx, 1
END
CASE "flags of add read by the next block after a jmp", jit-flags
	mov eax, -1
	add eax, 1
	jmp 1f
1:	setc cl
	seto dl
	setz bl
	sub rsi, 1
END
/* 16 instructions make a block (EMU_BLOCK_INSNS): the add is the last of one,
 * the setc the first of the next. */
CASE "flags of add read by the next block after a full block", jit-flags
	mov eax, -1
	jmp 1f
1:	.rept 15
	lea rdx, [rdx + 1]
	.endr
	add eax, 1
	setc cl
	seto bl
	sub rsi, 1
END
CASE "flags of shr read by the next block after the block's end", jit-flags, AF
	mov rax, 0x8000000000000003
	add rcx, rax
	shr rax, 1
	jz 1f
	setc dl
	seto bl
1:	sub rsi, 1
END
/* A block whose last instruction jumps back to its own start: the JIT loops
 * inside its code, and leaves (RIP stored then) at the step loop's event
 * checks, every 16384 instructions, and at the end. */
CASE "a block looping back to its own start 40000 times", jit-flags
	mov ecx, 40000
	xor eax, eax
	xor edx, edx
1:	add rax, rcx
	lea rdx, [rdx + 3]
	sub ecx, 1
	jnz 1b
	setz bl
END
CASE "a loop to its own start with a load, a store and a cmp, 30000 times", jit-flags
	mov ecx, 30000
	mov rsi, SCRATCH + 0x100
	xor eax, eax
1:	mov rdx, [rsi]
	add rdx, rcx
	mov [rsi + 8], rdx
	add rax, rdx
	cmp ecx, 1
	lea ecx, [rcx - 1]
	jne 1b
	setc bl
END

/* --- Memory at page boundaries and faults ------------------------------------------- */
CASE "qword across two mapped pages", pagecross
	mov rax, qword ptr [SCRATCH + 0xFFD]
	mov qword ptr [SCRATCH + 0xFFB], rax
END
CASE "read across into an absent page: #PF", pagecross
	mov rax, qword ptr [SCRATCH + 0x1FFD]
END
CASE "write across into an absent page: #PF, nothing written", pagecross
	mov rax, -1
	mov qword ptr [SCRATCH + 0x1FFD], rax
END
/* The same with the first page already in the TLB: a translated access
 * must not take the first page's TLB hit for the whole access. */
CASE "read across into an absent page after a read of the first: #PF", pagecross
	mov rcx, qword ptr [SCRATCH + 0x1FF0]
	mov rax, qword ptr [SCRATCH + 0x1FFD]
END
CASE "write across into an absent page after a write to the first: #PF", pagecross
	mov rax, -1
	mov qword ptr [SCRATCH + 0x1FF0], rax
	mov qword ptr [SCRATCH + 0x1FFA], rax
END
CASE "read below the scratch: #PF", fault
	mov al, byte ptr [SCRATCH - 1]
END
CASE "write to a read-only page: #PF", fault
	mov byte ptr [RO + 5], 1
END
CASE "read of a read-only page is fine", fault
	mov rax, qword ptr [RO + 8]
END
CASE "user read of a supervisor page: #PF", fault
	mov rax, qword ptr [SUPER]
END
CASE "non-canonical read: #GP(0)", fault
	mov rbx, 0x0000800000000000
	mov rax, [rbx]
END
CASE "non-canonical through rsp: #SS(0)", fault
	mov rbx, 0x0000800000000000
	mov rax, [rsp + rbx]
END
CASE "non-canonical through rbp: #SS(0)", fault
	mov rbp, 0xFFFF7FFFFFFFFFF0
	mov rax, [rbp]
END
CASE "push below the stack page: #PF", fault
	mov rsp, STACK
	push rax
END
CASE "pop from above the stack: #PF", fault
	mov rsp, STACK + 0x1FFC
	pop rax
END
CASE "jump to an NX page: #PF", fault
	mov rax, SCRATCH
	jmp rax
END
CASE "jump to an absent page: #PF", fault
	mov rax, GAP
	jmp rax
END
CASE "jump to a non-canonical address: #GP", fault
	mov rax, 0x0000800000000000
	jmp rax
END
CASE "ret to a non-canonical address: #GP", fault
	mov rax, 0x8000000000000000
	push rax
	ret
END
CASE "ud2: #UD", ud
	ud2
END
CASE "invalid in 64-bit mode: #UD", ud
	.byte 0x06
END
CASE "aam in 64-bit mode: #UD", ud
	.byte 0xD4, 0x0A
END
CASE "into in 64-bit mode: #UD", ud
	.byte 0xCE
END
CASE "ud1 with modrm: #UD", ud
	.byte 0x0F, 0xB9, 0xC0
END
CASE "hlt at CPL3: #GP(0)", priv
	hlt
END
CASE "cli at CPL3 with IOPL 0: #GP(0)", priv
	cli
END
CASE "in from a port outside the I/O bitmap: #GP(0)", priv
	in al, 0x60
END
CASE "out to a port outside the I/O bitmap: #GP(0)", priv
	mov dx, 0x80
	out dx, al
END
CASE "mov cr0 at CPL3: #GP(0)", priv
	mov rax, cr0
END
CASE "rdmsr at CPL3: #GP(0)", priv
	rdmsr
END
CASE "int3: #BP after the instruction", int
	mov eax, 1
	int3
END
CASE "int 3 (CD 03): #BP", int
	.byte 0xCD, 0x03
END

CASE "movaps misaligned store: #GP(0)", sse-mov
	movaps [SCRATCH + 0x318], xmm0
END
CASE "movq load that faults leaves the destination", sse-mov
	movq xmm3, qword ptr [SCRATCH + 0x1FFC]
END
CASE "movq xmm, r/m64 (66 REX.W 0F 6E) that faults leaves the destination", sse-mov
	mov rbx, SCRATCH + 0x1FFC
	.byte 0x66, 0x48, 0x0F, 0x6E, 0x1B      /* movq xmm3, [rbx] */
END
CASE "movss: register form merges, load zeroes the rest", sse-mov
	movss xmm0, xmm1
	movss xmm2, dword ptr [SCRATCH + 0x320]
	movsd xmm4, xmm5
	movsd xmm6, qword ptr [SCRATCH + 0x328]
END

.macro MXCSR v
	mov dword ptr [rsp - 8], \v
	ldmxcsr [rsp - 8]
.endm
.macro XF32 x, v
	mov eax, \v
	movd \x, eax
.endm
.macro XF64 x, v
	mov rax, \v
	movq \x, rax
.endm

.irp rc, 0x1F80, 0x3F80, 0x5F80, 0x7F80
CASE "addss/subsd/cvtsd2ss/cvtss2si under MXCSR \rc", sse-farith
	MXCSR \rc
	XF32 xmm0, 0x3F800000
	XF32 xmm1, 0x33800001
	addss xmm0, xmm1
	XF32 xmm2, 0xBF800000
	subss xmm2, xmm1
	XF64 xmm3, 0x47EFFFFFE0000000
	cvtsd2ss xmm4, xmm3
	XF32 xmm5, 0x3FC00000
	cvtss2si eax, xmm5
	XF32 xmm6, 0xBFC00000
	cvtss2si rbx, xmm6
	cvtsi2ss xmm7, rbx
	mov rcx, 0x1000001
	cvtsi2ss xmm8, rcx
END
.endr
CASE "inexact sets PE", sse-cvtsi
	MXCSR 0x1F80
	mov rax, 0x1000001
	cvtsi2ss xmm0, rax
END
CASE "cvttss2si NaN and out of range: indefinite, IE", sse-cvtsi
	MXCSR 0x1F80
	XF32 xmm0, 0x7FC00000
	cvttss2si eax, xmm0
	XF32 xmm1, 0x4F000000
	cvttss2si ebx, xmm1
	cvttss2si rcx, xmm1
END
CASE "divss by zero: inf and ZE", sse-farith
	MXCSR 0x1F80
	XF32 xmm0, 0x3F800000
	XF32 xmm1, 0
	divss xmm0, xmm1
END
CASE "unmasked divide by zero: #XM", sse-farith
	MXCSR 0x1D80
	XF32 xmm0, 0x3F800000
	XF32 xmm1, 0
	divss xmm0, xmm1
END
CASE "unmasked precision exception: #XM", sse-cvtsi
	MXCSR 0x0F80
	mov rax, 0x1000001
	cvtsi2ss xmm0, rax
END
CASE "FTZ: an underflowing product becomes zero, UE PE", sse-farith
	MXCSR 0x9F80
	XF32 xmm0, 0x00800000
	XF32 xmm1, 0x3E800000
	mulss xmm0, xmm1
END
CASE "no FTZ: an underflowing product is denormal", sse-farith
	MXCSR 0x1F80
	XF32 xmm0, 0x00800000
	XF32 xmm1, 0x3E800000
	mulss xmm0, xmm1
END
CASE "DAZ: a denormal input counts as zero", sse-farith
	MXCSR 0x1FC0
	XF32 xmm0, 0x00000001
	XF32 xmm1, 0
	addss xmm0, xmm1
	XF32 xmm2, 0x00000001
	comiss xmm2, xmm1
END
CASE "denormal operand sets DE", sse-farith
	MXCSR 0x1F80
	XF32 xmm0, 0x00000001
	XF32 xmm1, 0x3F800000
	mulss xmm0, xmm1
END
CASE "maxss/minss: NaN or equal zeros give the second operand", sse-farith
	MXCSR 0x1F80
	XF32 xmm0, 0x7FC00000
	XF32 xmm1, 0x3F800000
	maxss xmm0, xmm1
	XF32 xmm2, 0x3F800000
	XF32 xmm3, 0x7FC00000
	minss xmm2, xmm3
	XF32 xmm4, 0x80000000
	XF32 xmm5, 0
	maxss xmm4, xmm5
END
CASE "NaN propagation: the first operand's NaN, SNaN quieted with IE", sse-farith
	MXCSR 0x1F80
	XF32 xmm0, 0x7FC00001
	XF32 xmm1, 0x7FC00002
	addss xmm0, xmm1
	XF32 xmm2, 0x7F800003
	XF32 xmm3, 0x3F800000
	mulss xmm2, xmm3
	XF64 xmm4, 0x3FF0000000000000
	XF64 xmm5, 0xFFF4000000000000
	addsd xmm4, xmm5
END
CASE "sqrtss of a negative: default NaN, IE", sse-farith
	MXCSR 0x1F80
	XF32 xmm0, 0xBF800000
	sqrtss xmm1, xmm0
END
CASE "comiss/ucomiss with QNaN: ZF PF CF, IE only for comiss", sse-comi
	MXCSR 0x1F80
	XF32 xmm0, 0x7FC00000
	XF32 xmm1, 0x3F800000
	ucomiss xmm0, xmm1
	pushfq
	stmxcsr [rsp - 8]
	mov eax, [rsp - 8]
	comiss xmm0, xmm1
END
CASE "comisd less/equal/greater", sse-comi
	XF64 xmm0, 0x3FF0000000000000
	XF64 xmm1, 0x4000000000000000
	comisd xmm0, xmm1
	pushfq
	comisd xmm1, xmm0
	pushfq
	comisd xmm0, xmm0
END
CASE "cmpps all eight predicates", sse-fcmp
	MXCSR 0x1F80
	movaps xmm0, [SCRATCH + 0x340]
	XF32 xmm1, 0x7FC00000
	movaps xmm8, xmm0
	.irp p, 0, 1, 2, 3, 4, 5, 6, 7
	movaps xmm\p, xmm8
	cmpps xmm\p, xmm1, \p
	.endr
END
CASE "cvtps2dq/cvttps2dq/cvtdq2ps/cvtpd2ps", sse-cvt
	MXCSR 0x1F80
	movaps xmm0, [SCRATCH + 0x350]
	cvtps2dq xmm1, xmm0
	cvttps2dq xmm2, xmm0
	cvtdq2ps xmm3, xmm0
	cvtpd2ps xmm4, xmm0
	cvtps2pd xmm5, xmm0
	cvtpd2dq xmm6, xmm0
	cvttpd2dq xmm7, xmm0
	cvtdq2pd xmm8, xmm0
END
CASE "pshufd/shufps/punpck", sse-shuffle
	movdqa xmm0, [SCRATCH + 0x360]
	movdqa xmm1, [SCRATCH + 0x370]
	pshufd xmm2, xmm0, 0x1B
	pshuflw xmm3, xmm0, 0xB1
	pshufhw xmm4, xmm0, 0x4E
	movaps xmm5, xmm0
	shufps xmm5, xmm1, 0x93
	movdqa xmm6, xmm0
	punpcklbw xmm6, xmm1
	movdqa xmm7, xmm0
	punpckhqdq xmm7, xmm1
END
CASE "packs with saturation, pmovmskb, pextrw/pinsrw", sse-pack
	movdqa xmm0, [SCRATCH + 0x380]
	movdqa xmm1, [SCRATCH + 0x390]
	movdqa xmm2, xmm0
	packsswb xmm2, xmm1
	movdqa xmm3, xmm0
	packuswb xmm3, xmm1
	movdqa xmm4, xmm0
	packssdw xmm4, xmm1
	pmovmskb eax, xmm0
	pextrw ebx, xmm1, 5
	pinsrw xmm5, ecx, 9
END
CASE "psrlw/psraw/psllq by 0, 15, 16, 64 and by a register", sse-pshift
	movdqa xmm0, [SCRATCH + 0x3A0]
	movdqa xmm1, xmm0
	psrlw xmm1, 15
	movdqa xmm2, xmm0
	psraw xmm2, 16
	movdqa xmm3, xmm0
	psllq xmm3, 64
	movdqa xmm4, xmm0
	pslldq xmm4, 17
	movdqa xmm5, xmm0
	psrldq xmm5, 3
	mov eax, 33
	movd xmm6, eax
	movdqa xmm7, xmm0
	psrld xmm7, xmm6
END

/* Not here, because this host's KVM runs CPL3 code natively inside a host
 * process and the oracle is wrong for them (README.md, "Host limits"):
 * SYSCALL, INT n through a DPL0 gate, ICEBP, and reading segment selectors
 * (MOV r/m, Sreg shows the host's user selectors). */


/* --- SSE ------------------------------------------------------------------------ */
CASE "movaps aligned load/store", sse-mov
	movaps xmm0, [SCRATCH + 0x300]
	movaps [SCRATCH + 0x310], xmm1
END
CASE "movups misaligned is fine", sse-mov
	movups xmm0, [SCRATCH + 0x301]
	movups [SCRATCH + 0x313], xmm1
END
CASE "movaps misaligned load", sse-align
	movaps xmm0, [SCRATCH + 0x308]
END

/* --- Flags instructions ----------------------------------------------------------- */
/* Unmasked overflow/underflow (expected values: the host CPU under KVM). */
CASE "unmasked UE: mulsd of two denormals, #XM with UE DE (exact product: no PE)", sse-farith
	MXCSR 0x1780
	XF64 xmm0, 0x7B
	XF64 xmm1, 0x34
	mulsd xmm1, xmm0
END
CASE "unmasked UE: divss to a tiny inexact quotient, #XM with UE PE", sse-farith
	MXCSR 0x1780
	XF32 xmm0, 0x00C00000
	XF32 xmm1, 0x40400000
	divss xmm0, xmm1
END
CASE "unmasked UE: a tiny exact difference underflows too", sse-farith
	MXCSR 0x1780
	XF32 xmm0, 0x00C00000
	XF32 xmm1, 0x00800000
	subss xmm0, xmm1
END
CASE "masked UE: a tiny exact difference raises nothing", sse-farith
	MXCSR 0x1F80
	XF32 xmm0, 0x00C00000
	XF32 xmm1, 0x00800000
	subss xmm0, xmm1
END
CASE "unmasked UE with FTZ: FTZ does not apply, #XM", sse-farith
	MXCSR 0x9780
	XF32 xmm0, 0x00800000
	XF32 xmm1, 0x3E800000
	mulss xmm0, xmm1
END
CASE "unmasked OE: mulps overflow, exact unbounded: #XM with OE only, destination kept", sse-farith
	MXCSR 0x1B80
	XF32 xmm0, 0x7F000000
	pshufd xmm0, xmm0, 0
	XF32 xmm1, 0x40400000
	mulps xmm0, xmm1
END
CASE "unmasked OE: cvtsd2ss of 2^200 is exact unbounded: OE without PE", sse-cvt
	MXCSR 0x1B80
	XF64 xmm0, 0x4C70000000000000
	cvtsd2ss xmm1, xmm0
END
CASE "cvtpd2ps: one lane overflows (masked), one underflows (unmasked)", sse-cvt
	MXCSR 0x1780
	XF64 xmm0, 0x7FE0000000000000
	XF64 xmm1, 0x3000000000000001
	punpcklqdq xmm0, xmm1
	cvtpd2ps xmm2, xmm0
END
CASE "unmasked IE in one lane: only IE, overflow in another lane not reported", sse-farith
	MXCSR 0x1F00
	XF32 xmm0, 0x7F000000
	XF32 xmm1, 0x7FA00000
	punpckldq xmm0, xmm1
	XF32 xmm2, 0x40400000
	pshufd xmm2, xmm2, 0
	mulps xmm0, xmm2
END
CASE "unmasked DE with DAZ: denormal is zero, no DE", sse-farith
	MXCSR 0x1DC0
	XF32 xmm0, 0x00000005
	XF32 xmm1, 0x3F800000
	mulss xmm0, xmm1
END
CASE "cvttsd2si unmasked IE: #XM, destination kept", sse-cvtsi
	MXCSR 0x1F00
	mov rbx, 0x1234
	XF64 xmm0, 0x7FF8000000000000
	cvttsd2si rbx, xmm0
END

/* SSE4.2 string compares and CRC32 (expected values: the host CPU). */
CASE "pcmpistri equal any: first vowel of 'hello world'", sse42
	mov rax, 0x000000756F696561
	mov rbx, 0x0000000000000000
	movq xmm1, rax
	pinsrq xmm1, rbx, 1
	mov rax, 0x6F77206F6C6C6568
	mov rbx, 0x0000000000646C72
	movq xmm2, rax
	pinsrq xmm2, rbx, 1
	pcmpistri xmm1, xmm2, 0x00
END
CASE "pcmpistri ranges: first of 'a'-'z' in 'HELLo WORLD', most significant", sse42
	mov rax, 0x0000000000007A61
	mov rbx, 0x0000000000000000
	movq xmm1, rax
	pinsrq xmm1, rbx, 1
	mov rax, 0x4F77206F4C4C4548
	mov rbx, 0x0000000000444C52
	movq xmm2, rax
	pinsrq xmm2, rbx, 1
	pcmpistri xmm1, xmm2, 0x44
END
CASE "pcmpistri equal ordered: 'lo w' in 'hello world'", sse42
	mov rax, 0x0000000077206F6C
	mov rbx, 0x0000000000000000
	movq xmm1, rax
	pinsrq xmm1, rbx, 1
	mov rax, 0x6F77206F6C6C6568
	mov rbx, 0x0000000000646C72
	movq xmm2, rax
	pinsrq xmm2, rbx, 1
	pcmpistri xmm1, xmm2, 0x0C
END
CASE "pcmpistrm equal each, masked negative, byte mask: strcmp", sse42
	mov rax, 0x6874206F6C6C6568
	mov rbx, 0x0000000000657265
	movq xmm1, rax
	pinsrq xmm1, rbx, 1
	mov rax, 0x6F77206F6C6C6568
	mov rbx, 0x0000000000646C72
	movq xmm2, rax
	pinsrq xmm2, rbx, 1
	pcmpistrm xmm1, xmm2, 0x78
END
CASE "pcmpistrm equal any, negative polarity, bit mask", sse42
	mov rax, 0x0000000000636261
	mov rbx, 0x0000000000000000
	movq xmm1, rax
	pinsrq xmm1, rbx, 1
	mov rax, 0x00005A6359625861
	mov rbx, 0x0000000000000000
	movq xmm2, rax
	pinsrq xmm2, rbx, 1
	pcmpistrm xmm1, xmm2, 0x10
END
CASE "pcmpistri signed words, ranges", sse42
	mov rax, 0x00007FBFC380C200
	mov rbx, 0x0000000000000000
	movq xmm1, rax
	pinsrq xmm1, rbx, 1
	mov rax, 0x00000080C2010005
	mov rbx, 0x0000000000000000
	movq xmm2, rax
	pinsrq xmm2, rbx, 1
	pcmpistri xmm1, xmm2, 0x07
END
CASE "pcmpestri explicit lengths 3 and -5 (abs), equal ordered", sse42
	mov rax, 0x0000636261636261
	mov rbx, 0x0000000000000000
	movq xmm1, rax
	pinsrq xmm1, rbx, 1
	mov rax, 0x6362616362617878
	mov rbx, 0x0000000000636261
	movq xmm2, rax
	pinsrq xmm2, rbx, 1
	mov eax, 3
	mov edx, -5
	pcmpestri xmm1, xmm2, 0x0C
END
CASE "pcmpestrm explicit lengths past 16 saturate, REX.W, word mask", sse42
	mov rax, 0x3736353433323130
	mov rbx, 0x6665646362613938
	movq xmm1, rax
	pinsrq xmm1, rbx, 1
	mov rax, 0x3839616263646566
	mov rbx, 0x3031323334353637
	movq xmm2, rax
	pinsrq xmm2, rbx, 1
	mov rax, 0x100000003
	mov rdx, -0x7FFFFFFFFFFFFFFF
	.byte 0x66, 0x48, 0x0F, 0x3A, 0x60, 0xCA, 0x41   /* pcmpestrm xmm1, xmm2, 0x41 (REX.W) */
END
CASE "crc32 of '123456789' (CRC-32C check value 0xE3069283)", sse42
	mov eax, -1
	mov rbx, 0x3837363534333231
	crc32 rax, rbx
	mov cl, 0x39
	crc32 eax, cl
	not eax
	mov edx, 0x12345678
	mov si, 0xBEEF
	crc32 edx, si
	mov r8, -1
	crc32 r8, qword ptr [SCRATCH + 0x40]
	mov r9d, 7
	crc32 r9d, byte ptr [SCRATCH + 0x41]
END

CASE "dppd: unmasked UE on a product of denormals: UE DE without PE (exact)", sse41-dp
	MXCSR 0x1780
	XF64 xmm0, 0x7B
	XF64 xmm1, 0x34
	dppd xmm0, xmm1, 0x31
END
CASE "dpps: masked products, sums rounded per step, broadcast to selected lanes", sse41-dp
	MXCSR 0x1F80
	mov rax, 0x3F8000004B800001
	mov rbx, 0xCB8000003F800000
	movq xmm0, rax
	pinsrq xmm0, rbx, 1
	mov rax, 0x3F8000003F800000
	movq xmm1, rax
	pinsrq xmm1, rax, 1
	movaps xmm2, xmm0
	dpps xmm2, xmm1, 0xF5
	movaps xmm3, xmm0
	dpps xmm3, xmm1, 0x7A
END
CASE "dpps: unmasked OE in a pair sum, #XM", sse41-dp
	MXCSR 0x1B80
	mov rax, 0x7F0000007F000000
	movq xmm0, rax
	pinsrq xmm0, rax, 1
	mov rax, 0x3F8000003F800000
	movq xmm1, rax
	pinsrq xmm1, rax, 1
	dpps xmm0, xmm1, 0x3F
END

CASE "fisttp m16/m32/m64 truncates whatever the rounding control; out of range: indefinite, IE (SSE3)", sse3
	fninit
	mov word ptr [SCRATCH + 0x200], 0x0B7F    /* RC = up, all masked */
	fldcw word ptr [SCRATCH + 0x200]
	mov rax, 0xC005999999999999               /* -2.7 */
	mov [SCRATCH + 0x100], rax
	mov rax, 0x4202A05F20000000               /* 1e10 */
	mov [SCRATCH + 0x108], rax
	fld qword ptr [SCRATCH + 0x100]
	fisttp word ptr [SCRATCH + 0x10]
	fld qword ptr [SCRATCH + 0x100]
	fisttp dword ptr [SCRATCH + 0x14]
	fld qword ptr [SCRATCH + 0x100]
	fisttp qword ptr [SCRATCH + 0x18]
	fld qword ptr [SCRATCH + 0x108]
	fisttp word ptr [SCRATCH + 0x20]
	fld qword ptr [SCRATCH + 0x108]
	fisttp qword ptr [SCRATCH + 0x28]
	fnstsw ax
END

CASE "clc/stc/cmc/cld/std", flags
	stc
	cmc
	pushfq
	std
	stc
	pushfq
	cld
	clc
END
CASE "lahf/sahf", flags
	SETF 0x2D7
	lahf
	mov bl, ah
	mov ah, 0x02
	sahf
	pushfq
	pop rcx
END
CASE "popf cannot change IOPL or IF at CPL3", flags
	push 0x3002
	popfq
	pushfq
	pop rax
END
CASE "popf sets AC and ID at CPL3", flags
	push 0x240202
	popfq
	pushfq
	pop rax
	push 0x202
	popfq
END
CASE "pushf/popf 16-bit", flags
	SETF 0x2D7
	.byte 0x66, 0x9C
	mov word ptr [rsp], 0x0803
	.byte 0x66, 0x9D
END
CASE "push/pop 16-bit and push imm", stack
	push 0x1234
	.byte 0x66, 0x6A, 0x80
	.byte 0x66, 0x58
	pop rbx
	push -5
	pop rcx
END
CASE "push rsp pushes the old value; pop rsp", stack
	push rsp
	pop rax
	push 0x406700
	pop rsp
END
CASE "push/pop memory with rsp-relative addressing", stack
	push qword ptr [rsp]
	pop qword ptr [rsp + 8]
	pop rax
END
CASE "cbw/cwde/cdqe/cwd/cdq/cqo", cbw
	mov rax, 0x80
	cbw
	mov rbx, rax
	mov eax, 0x8000
	cwde
	mov rcx, rax
	mov eax, 0x80000000
	cdqe
	mov rsi, rax
	mov rax, -1
	cqo
	mov eax, 0x80000000
	cdq
	mov ax, 0x8000
	cwd
END

/* --- x87 ------------------------------------------------------------------ */

/* FCMOVcc under each flag combination the conditions read (CF, ZF, PF);
 * both stack registers are stored as 80-bit values. */
.macro FCMOVCASE insn
CASE "\insn st, st(1) under CF/ZF/PF combinations", x87-fcmov
	fninit
	mov rdi, SCRATCH
	.irp f, 0x202, 0x203, 0x242, 0x206, 0x247, 0x2c3
	fld1
	fldpi
	SETF \f
	\insn st, st(1)
	fstp tbyte ptr [rdi]
	fstp tbyte ptr [rdi + 10]
	add rdi, 20
	.endr
	fnstsw ax
END
.endm
.irp insn, fcmovb, fcmove, fcmovbe, fcmovu, fcmovnb, fcmovne, fcmovnbe, fcmovnu
	FCMOVCASE \insn
.endr
CASE "fcmovnbe st, st(3) and fcmove st, st(2) deeper in the stack", x87-fcmov
	fninit
	fldz
	fldl2t
	fldlg2
	fld1
	SETF 0x202
	fcmovnbe st, st(3)
	fstp tbyte ptr [SCRATCH]
	SETF 0x242
	fcmove st, st(2)
	fstp tbyte ptr [SCRATCH + 16]
	fstp tbyte ptr [SCRATCH + 32]
	fnstsw ax
END
/* FNSTENV/FNSAVE store FCS and FDS, which on this host's KVM read as the
 * host's selectors (README.md): the cases overwrite them before comparing. */
.macro SELMASK addr, o16
	.if \o16
	mov word ptr [\addr + 8], 0x5555
	mov word ptr [\addr + 12], 0x5555
	.else
	mov word ptr [\addr + 16], 0x5555
	mov word ptr [\addr + 24], 0x5555
	.endif
.endm

CASE "x87: 9 pushes overflow the stack: IE SF C1, indefinite", x87-stack
	fninit
	.rept 9
	fld1
	.endr
	fnstsw ax
	fstp tbyte ptr [SCRATCH]
END
CASE "x87: arithmetic on empty registers underflows: IE SF, C1 clear", x87-stack
	fninit
	fld1
	fadd st, st(3)
	fnstsw ax
	fxch st(5)
	fnstsw word ptr [SCRATCH + 0x3F0]
	fstp tbyte ptr [SCRATCH]
END
CASE "x87: unmasked divide by zero: ES B, #MF at the next waiting instruction", x87-mf
	fninit
	mov word ptr [SCRATCH], 0x037B
	fldcw word ptr [SCRATCH]
	fldz
	fld1
	fdiv st, st(1)
	fnstsw ax
	fnstenv [SCRATCH + 16]
	SELMASK SCRATCH + 16, 0
	fldcw word ptr [SCRATCH]
	fld1
END
CASE "x87: FWAIT raises the pending #MF; FNSTSW and FNCLEX do not wait", x87-mf
	fninit
	mov word ptr [SCRATCH], 0x037E
	fldcw word ptr [SCRATCH]
	fstp st(0)
	fnstsw ax
	fnclex
	fnstsw word ptr [SCRATCH + 0x3F0]
	fstp st(0)
	fwait
END
CASE "x87: FLDCW unmasking a flag already set", x87-mf
	fninit
	fldz
	fld1
	fdiv st, st(1)
	mov word ptr [SCRATCH], 0x037B
	fldcw word ptr [SCRATCH]
	fnstsw ax
	fnstcw word ptr [SCRATCH + 2]
	fld1
END
CASE "x87: unmasked overflow stores no result to memory", x87-mf
	fninit
	mov word ptr [SCRATCH], 0x0377
	fldcw word ptr [SCRATCH]
	mov dword ptr [SCRATCH + 4], 0x11223344
	mov dword ptr [SCRATCH + 0x100], 0
	mov dword ptr [SCRATCH + 0x104], 0x80000000
	mov word ptr [SCRATCH + 0x108], 0x7000
	fld tbyte ptr [SCRATCH + 0x100]
	fst dword ptr [SCRATCH + 4]
	fnstsw ax
	fnclex
	fistp word ptr [SCRATCH + 8]
END
.irp pc, 0x007F, 0x027F, 0x037F
.irp rc, 0x0000, 0x0400, 0x0800, 0x0C00
CASE "x87: precision \pc rounding \rc: divide, sqrt, fist, frndint", x87-pcrc
	fninit
	mov word ptr [SCRATCH], \pc | \rc
	fldcw word ptr [SCRATCH]
	fld1
	fldpi
	fdivr st, st(1)
	fld st(0)
	fstp tbyte ptr [SCRATCH + 16]
	fsqrt
	fst qword ptr [SCRATCH + 32]
	fist dword ptr [SCRATCH + 40]
	fchs
	frndint
	fistp qword ptr [SCRATCH + 48]
	fnstsw ax
	fstp tbyte ptr [SCRATCH + 64]
END
.endr
.endr
CASE "x87: transcendental: fsin fcos fsincos fptan fpatan", x87-trans
	fninit
	fldpi
	fsin
	fstp tbyte ptr [SCRATCH]
	fld1
	fcos
	fstp tbyte ptr [SCRATCH + 10]
	fldl2e
	fsincos
	fstp tbyte ptr [SCRATCH + 20]
	fstp tbyte ptr [SCRATCH + 30]
	fldlg2
	fptan
	fstp tbyte ptr [SCRATCH + 40]
	fstp tbyte ptr [SCRATCH + 50]
	fld1
	fldpi
	fpatan
	fstp tbyte ptr [SCRATCH + 60]
	fnstsw ax
END
CASE "x87: f2xm1 fyl2x fyl2xp1 fscale fxtract", x87-trans
	fninit
	fldln2
	f2xm1
	fstp tbyte ptr [SCRATCH]
	fldpi
	fldl2t
	fyl2x
	fstp tbyte ptr [SCRATCH + 10]
	fld1
	fldlg2
	fyl2xp1
	fstp tbyte ptr [SCRATCH + 20]
	fldl2e
	fldpi
	fscale
	fstp tbyte ptr [SCRATCH + 30]
	fxtract
	fstp tbyte ptr [SCRATCH + 40]
	fstp tbyte ptr [SCRATCH + 50]
	fnstsw ax
END
CASE "x87: fsin out of range sets C2 and leaves the operand", x87-trans
	fninit
	mov dword ptr [SCRATCH], 0
	mov dword ptr [SCRATCH + 4], 0x80000000
	mov word ptr [SCRATCH + 8], 0x4050
	fld tbyte ptr [SCRATCH]
	fsin
	fnstsw ax
	fstp tbyte ptr [SCRATCH + 16]
END
CASE "x87: fprem and fprem1 partial remainders (C2, quotient bits C0 C3 C1)", x87-trans
	fninit
	fldpi
	mov dword ptr [SCRATCH], 0
	mov dword ptr [SCRATCH + 4], 0x80000000
	mov word ptr [SCRATCH + 8], 0x4080
	fld tbyte ptr [SCRATCH]
	fprem
	fnstsw ax
	fprem
	fnstsw word ptr [SCRATCH + 0x3F0]
	fldpi
	fld1
	fadd st, st(0)
	fadd st, st(0)
	fadd st, st(0)
	fprem1
	fnstsw word ptr [SCRATCH + 0x3F2]
	fstp tbyte ptr [SCRATCH + 16]
	fstp tbyte ptr [SCRATCH + 32]
	fstp tbyte ptr [SCRATCH + 48]
END
CASE "x87: fbld and fbstp", x87-bcd
	fninit
	mov dword ptr [SCRATCH], 0x56789012
	mov dword ptr [SCRATCH + 4], 0x12345678
	mov word ptr [SCRATCH + 8], 0x8099
	fbld tbyte ptr [SCRATCH]
	fld st(0)
	fbstp tbyte ptr [SCRATCH + 16]
	fldpi
	fmul st, st(1)
	fbstp tbyte ptr [SCRATCH + 32]
	fnstsw ax
	fstp tbyte ptr [SCRATCH + 48]
END
CASE "x87: fxam and ftst on each class", x87-cmp
	fninit
	fxam
	fnstsw ax
	mov word ptr [SCRATCH], ax
	fldz
	fxam
	fnstsw ax
	mov word ptr [SCRATCH + 2], ax
	ftst
	fnstsw ax
	mov word ptr [SCRATCH + 4], ax
	fld1
	fchs
	fxam
	fnstsw ax
	mov word ptr [SCRATCH + 6], ax
	ftst
	fnstsw ax
	mov word ptr [SCRATCH + 8], ax
	fldz
	fdiv st(1), st
	fxch
	fxam
	fnstsw ax
	mov word ptr [SCRATCH + 10], ax
	fsqrt
	fxam
	fnstsw ax
	mov word ptr [SCRATCH + 12], ax
	ftst
	fnstsw ax
	mov word ptr [SCRATCH + 14], ax
	mov dword ptr [SCRATCH + 32], 1
	mov dword ptr [SCRATCH + 36], 0
	mov word ptr [SCRATCH + 40], 0
	fld tbyte ptr [SCRATCH + 32]
	fxam
	fnstsw ax
	mov word ptr [SCRATCH + 16], ax
	ftst
	fnstsw ax
	mov word ptr [SCRATCH + 18], ax
END
CASE "x87: fcom fcomp fcompp fucom ficom, fcomi fucomip flags", x87-cmp
	fninit
	fld1
	fldpi
	fcom st(1)
	fnstsw ax
	mov word ptr [SCRATCH], ax
	fcomi st, st(1)
	pushfq
	fucomip st, st(1)
	pushfq
	fldz
	fdiv st, st(0)
	fucom st(1)
	fnstsw ax
	mov word ptr [SCRATCH + 2], ax
	fcom st(1)
	fnstsw ax
	mov word ptr [SCRATCH + 4], ax
	fcomip st, st(1)
	pushfq
	mov word ptr [SCRATCH + 8], 3
	ficom word ptr [SCRATCH + 8]
	fnstsw ax
	mov word ptr [SCRATCH + 6], ax
	fld1
	fcompp
	fnstsw ax
	pop rbx
	pop rcx
	pop rdx
END
.irp o16, 0, 1
CASE "x87: fnstenv/fldenv and fnsave/frstor round trip (o16=\o16)", x87-env
	fninit
	fld1
	fldpi
	fldz
	fdiv st(1), st
	fxch st(2)
	.if \o16
	.byte 0x66
	.endif
	fnstenv [SCRATCH]
	SELMASK SCRATCH, \o16
	fnstcw word ptr [SCRATCH + 0x100]
	.if \o16
	.byte 0x66
	.endif
	fnsave [SCRATCH + 0x200]
	SELMASK SCRATCH + 0x200, \o16
	fnstsw ax
	fld1
	.if \o16
	.byte 0x66
	.endif
	frstor [SCRATCH + 0x200]
	.if \o16
	.byte 0x66
	.endif
	fldenv [SCRATCH]
	fnstsw word ptr [SCRATCH + 0x3F0]
	fstp tbyte ptr [SCRATCH + 0x300]
END
.endr
CASE "x87: fldenv of a status word with an unmasked flag but no ES", x87-env
	fninit
	fnstenv [SCRATCH]
	SELMASK SCRATCH, 0
	mov word ptr [SCRATCH], 0x037B
	mov word ptr [SCRATCH + 4], 0x0004
	fldenv [SCRATCH]
	fnstsw ax
	fld1
END
CASE "x87: frstor of a full tag word: only empty or not counts", x87-env
	fninit
	fld1
	fldz
	fnsave [SCRATCH]
	SELMASK SCRATCH, 0
	mov word ptr [SCRATCH + 8], 0x5A5F
	frstor [SCRATCH]
	fnstenv [SCRATCH + 0x200]
	SELMASK SCRATCH + 0x200, 0
	fxam
	fnstsw ax
END
CASE "x87: fist/fistp limits and rounding: indefinite, IE", x87-ld
	fninit
	mov dword ptr [SCRATCH], 40000
	fild dword ptr [SCRATCH]
	fist word ptr [SCRATCH + 4]
	fnstsw ax
	fchs
	fistp dword ptr [SCRATCH + 8]
	fldpi
	fchs
	fistp qword ptr [SCRATCH + 16]
	fld1
	fldz
	fdivp
	fistp qword ptr [SCRATCH + 24]
	fnstsw word ptr [SCRATCH + 0x3F0]
END
CASE "x87: loads of float and double specials (SNaN quieted, denormals)", x87-ld
	fninit
	mov dword ptr [SCRATCH], 0x7FA00000
	fld dword ptr [SCRATCH]
	mov dword ptr [SCRATCH], 0x00000001
	fld dword ptr [SCRATCH]
	mov dword ptr [SCRATCH], 0
	mov dword ptr [SCRATCH + 4], 0x7FF40000
	fld qword ptr [SCRATCH]
	fnstsw ax
	fstp tbyte ptr [SCRATCH + 16]
	fstp tbyte ptr [SCRATCH + 32]
	fst dword ptr [SCRATCH + 48]
	fstp tbyte ptr [SCRATCH + 64]
	fnstsw word ptr [SCRATCH + 0x3F0]
END
CASE "x87: ffree, fdecstp, fincstp, ffreep move TOP and tags", x87-stack
	fninit
	fld1
	fldpi
	fldz
	ffree st(1)
	fdecstp
	fdecstp
	fincstp
	.byte 0xDF, 0xC1
	fnstsw ax
	fnstenv [SCRATCH]
	SELMASK SCRATCH, 0
END

/* --- MMX ------------------------------------------------------------------ */

CASE "mmx: after x87 pushes (TOP 5), movq sets TOP 0 and all tags valid", mmx
	fninit
	fld1
	fldpi
	fldz
	mov rax, 0x1122334455667788
	movq mm1, rax
	movq mm5, mm1
	paddb mm5, mm5
	fnstenv [SCRATCH]
	SELMASK SCRATCH, 0
	movq [SCRATCH + 32], mm0
	emms
	fnstenv [SCRATCH + 64]
	SELMASK SCRATCH + 64, 0
END
CASE "mmx: pack/unpack/compare/shift/multiply", mmx
	mov rax, 0x80FF7F0100017FFF
	mov rbx, 0x0102030405060708
	movq mm0, rax
	movq mm1, rbx
	movq mm2, mm0
	packsswb mm2, mm1
	movq mm3, mm0
	packuswb mm3, mm1
	movq mm4, mm0
	punpcklbw mm4, mm1
	movq mm5, mm0
	pmulhw mm5, mm1
	movq mm6, mm0
	psraw mm6, 3
	movq mm7, mm0
	psllq mm7, mm1
	pmaddwd mm1, mm0
	pcmpgtw mm0, mm1
	movq [SCRATCH], mm0
	movq [SCRATCH + 8], mm1
	movq [SCRATCH + 16], mm2
	movq [SCRATCH + 24], mm3
	movq [SCRATCH + 32], mm4
	movq [SCRATCH + 40], mm5
	movq [SCRATCH + 48], mm6
	movq [SCRATCH + 56], mm7
	emms
END
CASE "mmx: SSE forms: pshufw pinsrw pextrw pmovmskb pavgb psadbw pminub", mmx
	mov rax, 0x80FF7F0100017FFF
	mov rbx, 0x0102030405060708
	movq mm0, rax
	movq mm1, rbx
	pshufw mm2, mm0, 0x1B
	pinsrw mm2, ebx, 2
	pextrw ecx, mm0, 3
	pmovmskb edx, mm0
	movq mm3, mm0
	pavgb mm3, mm1
	movq mm4, mm0
	psadbw mm4, mm1
	pminub mm1, mm0
	movq [SCRATCH], mm1
	movq [SCRATCH + 8], mm2
	movq [SCRATCH + 16], mm3
	movq [SCRATCH + 24], mm4
	movntq [SCRATCH + 32], mm0
	lea rdi, [SCRATCH + 40]
	maskmovq mm0, mm0
	movd esi, mm0
END
CASE "mmx: movd/movq to and from memory and registers", mmx
	mov rax, -1
	movd mm0, eax
	movq mm1, rax
	movd mm2, dword ptr [SCRATCH + 8]
	movq mm3, qword ptr [SCRATCH + 16]
	movd dword ptr [SCRATCH + 32], mm1
	movq qword ptr [SCRATCH + 40], mm3
	movq rbx, mm0
	movd ecx, mm1
	movq2dq xmm3, mm1
	movdq2q mm4, xmm5
	fnsave [SCRATCH + 0x100]
	SELMASK SCRATCH + 0x100, 0
END
CASE "mmx: a pending x87 exception raises #MF at an MMX instruction", mmx
	fninit
	mov word ptr [SCRATCH], 0x037E
	fldcw word ptr [SCRATCH]
	fstp st(0)
	movq mm0, mm1
END

/* An access whose first byte is canonical and last is not faults before
 * any page walk (the first page here is absent): #SS through RBP or RSP.
 * (The #GP of other bases cannot be tested here: README.md, host limits.) */
CASE "8-byte write at 0x00007FFFFFFFFFF9 through rbp: #SS", fault
	mov rbp, 0x00007FFFFFFFFFF9
	mov [rbp], rax
END
CASE "16-byte movups from 0x00007FFFFFFFFFF8 through rbp: #SS", fault
	mov rbp, 0x00007FFFFFFFFFF8
	movups xmm0, [rbp]
END
CASE "push with rsp 0x0000800000000004: #SS", fault
	mov rsp, 0x0000800000000004
	push rax
END
CASE "4-byte read from 0xFFFF7FFFFFFFFFFE (last bytes canonical): #GP", fault
	mov rbx, 0xFFFF7FFFFFFFFFFE
	mov eax, [rbx]
END

/* --- Segment prefixes in 64-bit mode: which fault a non-canonical address
 * raises. Measured here (an access the CPU faults on itself, delivered
 * straight to the guest): ES/CS/DS prefixes are ignored, so an RBP or RSP
 * base stays SS-relative (#SS); an SS prefix makes any base SS-relative
 * (#SS); FS/GS make it FS/GS-relative (#GP), and the canonical check is on
 * base + offset. Each prefix x base, non-canonical both ways and
 * canonical. (A non-canonical offset that FS/GS bases make canonical
 * lands at 0xFFFF8000000xxxxx, whose #PF this host does not reproduce:
 * tests/unit/test_emu_canon.c.) */
.macro SEGBASE pfx, pname, sbase
.irp v, 0x0000800000000000, 0xFFFF7FFFFFF00010, (SCRATCH+0x10-\sbase)
CASE "\pname [rbp] = \v", segpfx
	mov rbp, \v
	.byte \pfx
	mov rax, [rbp]
END
CASE "\pname [rsp + rbx] -> \v", segpfx
	mov rbx, \v
	sub rbx, rsp
	.byte \pfx
	mov eax, [rsp + rbx]
END
CASE "\pname [rbx] = \v", segpfx
	mov rbx, \v
	.byte \pfx
	add [rbx], al
END
CASE "\pname [r13] = \v", segpfx
	mov r13, \v
	.byte \pfx
	mov [r13], ax
END
CASE "\pname [r12] = \v", segpfx
	mov r12, \v
	.byte \pfx
	mov rax, [r12]
END
CASE "\pname [rbx + rbp], rbp = \v", segpfx
	mov rbp, \v
	xor ebx, ebx
	.byte \pfx
	mov rax, [rbx + rbp]
END
CASE "\pname [rbp + rbx], rbx = \v", segpfx
	mov rbx, \v
	xor ebp, ebp
	.byte \pfx
	mov rax, [rbp + rbx]
END
.endr
CASE "\pname [rbp]: canonical offset, base + offset not", segpfx
	mov rbp, 0x00007FFFFFFFF000
	.byte \pfx
	mov rax, [rbp]
END
/* Implicit segments: PUSH (SS), STOS (ES) take no override; LODS does. */
CASE "\pname push with a non-canonical rsp", segpfx
	mov rsp, 0x0000800000000008
	.byte \pfx
	push rax
END
CASE "\pname stos to a non-canonical rdi", segpfx
	mov rdi, 0x0000800000000000
	.byte \pfx
	stosb
END
CASE "\pname lods from a non-canonical rsi", segpfx
	mov rsi, 0x0000800000000000
	.byte \pfx
	lodsb
END
.endm
SEGBASE 0x90, none, 0
SEGBASE 0x26, es, 0
SEGBASE 0x2E, cs, 0
SEGBASE 0x36, ss, 0
SEGBASE 0x3E, ds, 0
SEGBASE 0x64, fs, FSBASE
SEGBASE 0x65, gs, GSBASE

/* An operand that must be 16-byte aligned: the alignment #GP(0) comes
 * before the non-canonical check (the CPU reports #GP with a DS prefix on
 * an RBP base, which it otherwise treats as SS-relative). FXSAVE/FXRSTOR
 * check the address first (#SS). */
.irp p, 0x26, 0x2E, 0x3E
CASE "\p: cmpxchg16b [rbp + 1] non-canonical", segpfx
	mov rbp, 0x0000800000000000
	.byte \p
	cmpxchg16b [rbp + 1]
END
CASE "\p: cmpxchg16b [rbp + 8] non-canonical", segpfx
	mov rbp, 0xFFFF7FFFFFFFFF00
	.byte \p
	cmpxchg16b [rbp + 8]
END
CASE "\p: movaps [rbp + 4] non-canonical", segpfx
	mov rbp, 0x0000800000000000
	.byte \p
	movaps xmm1, [rbp + 4]
END
CASE "\p: movdqa store [rbp + 1] non-canonical", segpfx
	mov rbp, 0x0000800000000000
	.byte \p
	movdqa [rbp + 1], xmm2
END
CASE "\p: fxsave [rbp + 1] non-canonical", segpfx
	mov rbp, 0x0000800000000000
	.byte \p
	fxsave [rbp + 1]
END
CASE "\p: fxrstor [rbp + 1] non-canonical", segpfx
	mov rbp, 0x0000800000000000
	.byte \p
	fxrstor [rbp + 1]
END
.endr

/* FXSAVE's image: bytes 416-511 (reserved, then available to software)
 * are not written. MXCSR_MASK (bytes 28-31) is the CPU's own (this one
 * has AMD's misaligned-SSE bit): cleared before the comparison. */
CASE "fxsave and fxsave64 leave bytes 416-511 alone", fxsave
	fninit
	fxsave [SCRATCH + 0x200]
	mov dword ptr [SCRATCH + 0x200 + 28], 0
	fxsave64 [SCRATCH + 0x400]
	mov dword ptr [SCRATCH + 0x400 + 28], 0
END

/* --- XSAVE feature set (x87 and SSE components) -------------------------
 * This host runs CPL3 code under its own XCR0 (0xE7), so the masks in
 * EDX:EAX name only bits 0, 1 and bits outside both XCR0s, and XGETBV is
 * not compared (tests/unit). An XSAVE image's MXCSR_MASK is the CPU's own
 * (0x2FFFF here, 0xFFFF in the model): cleared before the comparison. */
	.set XA, SCRATCH + 0x400
	.set XB, SCRATCH + 0xC00
.macro XHDR bv, a=XA
	mov qword ptr [\a + 512], \bv
	mov qword ptr [\a + 520], 0
	mov qword ptr [\a + 528], 0
.endm
.macro XMASK a=XA
	mov dword ptr [\a + 28], 0
.endm
/* An image to restore: this state (FXSAVE64), then the header. */
.macro XIMAGE bv, a=XA
	fxsave64 [\a]
	XMASK \a
	XHDR \bv, \a
.endm

.irp rfbm, 0, 1, 2, 3, 0x18, 0xFFFFFF1B
CASE "xsave64 rfbm \rfbm: components, XSTATE_BV kept outside RFBM", xsave
	mov rax, -1
	mov [XA + 512], rax
	mov eax, \rfbm
	mov edx, -1
	xsave64 [XA]
	XMASK
END
.endr
CASE "xsave (32-bit format) with an exception pending: FIP, FDP, 32 bits", xsave
	fninit
	mov word ptr [XB], 0x37B          /* divide-by-zero unmasked */
	fldcw [XB]
	fld qword ptr [SCRATCH + 8]
	fldz
	fdivp st(1), st                   /* ZE: pending (this CPU stores FIP then) */
	mov eax, 1
	xor edx, edx
	xsave [XA]
	mov dword ptr [XA + 12], 0      /* FCS: the host's selector on this CPU */
	mov dword ptr [XA + 20], 0
END
CASE "xsave: 64-byte alignment, #GP(0)", xsave
	mov eax, 3
	xor edx, edx
	xsave [XA + 32]
END
CASE "xrstor: 64-byte alignment, #GP(0)", xsave
	XIMAGE 3
	mov eax, 3
	xor edx, edx
	xrstor [XA + 16]
END
.irp bv, 0, 1, 2, 3
CASE "xrstor64 XSTATE_BV \bv: loaded or initialised, MXCSR loaded", xsave
	XIMAGE \bv
	mov dword ptr [XA + 24], 0x1F00   /* MXCSR: all unmasked */
	pcmpeqd xmm3, xmm3
	mov eax, 3
	xor edx, edx
	xrstor64 [XA]
	xsave64 [XB]
	XMASK XB
END
.endr
CASE "xrstor64 rfbm 1: SSE state and MXCSR untouched", xsave
	XIMAGE 0
	mov dword ptr [XA + 24], 0x1F00
	mov eax, 1
	xor edx, edx
	xrstor64 [XA]
END
CASE "xrstor: XSTATE_BV bit 3 (in neither XCR0): #GP(0)", xsave
	XIMAGE 0xB
	mov eax, 3
	xor edx, edx
	xrstor [XA]
END
CASE "xrstor: XCOMP_BV not zero: #GP(0)", xsave
	XIMAGE 3
	mov byte ptr [XA + 520], 1
	mov eax, 3
	xor edx, edx
	xrstor [XA]
END
CASE "xrstor: header bytes 16-23 not zero: #GP(0)", xsave
	XIMAGE 3
	mov byte ptr [XA + 535], 0x80
	mov eax, 3
	xor edx, edx
	xrstor [XA]
END
CASE "xrstor: header bytes 24-63 are not checked", xsave
	XIMAGE 3
	mov byte ptr [XA + 536], 1
	mov byte ptr [XA + 575], 0x80
	mov eax, 3
	xor edx, edx
	xrstor [XA]
END
CASE "xrstor: reserved MXCSR bit with RFBM[1]: #GP(0)", xsave
	XIMAGE 3
	mov dword ptr [XA + 24], 0x41F80
	mov eax, 3
	xor edx, edx
	xrstor [XA]
END
CASE "xrstor: reserved MXCSR bit without RFBM[1]: not loaded", xsave
	XIMAGE 3
	mov dword ptr [XA + 24], 0x41F80
	mov eax, 1
	xor edx, edx
	xrstor [XA]
END
.irp insn, xrstor64, xrstor, fxrstor64, fxrstor
CASE "\insn of odd x87 fields: FCW reserved bits, FOP, 57-bit FIP/FDP, ES", xsave
	XIMAGE 1
	mov word ptr [XA], 0xFFC0        /* every exception unmasked */
	mov word ptr [XA + 2], 0x3801    /* IE set, ES clear */
	mov word ptr [XA + 6], 0xFFFF
	mov rax, 0xF932B440F0C55966
	mov [XA + 8], rax
	mov rax, 0x5263B50E799CDFBE
	mov [XA + 16], rax
	mov eax, 1
	xor edx, edx
	\insn [XA]
END
.endr
CASE "xsetbv at CPL3: #GP(0)", xsave
	xor ecx, ecx
	mov eax, 3
	xor edx, edx
	xsetbv
END
CASE "xgetbv with ECX=2: #GP(0)", xsave
	mov ecx, 2
	xgetbv
END

/* --- INC/DEC [m] in the JIT (jit_forms.c): the fast path takes the guest's
 * CF before the access, from the host CF an inline op left, from cc_cin
 * after an INC/DEC, or from the lazy state; a store to the page first puts
 * it in the write TLB so that the INC/DEC takes the fast path. --------------- */
CASE "inc/dec [m] after an inline cmp keep its CF", jit-forms
	mov dword ptr [SCRATCH + 0x40], 7
	mov eax, 1
	cmp eax, 2
	inc dword ptr [SCRATCH + 0x40]
	setc bl
	cmp eax, 0
	dec byte ptr [SCRATCH + 0x41]
	setc bh
	adc ecx, 5
END
CASE "lock inc/dec [m] after an inline cmp keep its CF", jit-forms
	mov qword ptr [SCRATCH + 0x48], -1
	mov eax, 1
	cmp eax, 2
	lock inc qword ptr [SCRATCH + 0x48]
	setc bl
	lock dec word ptr [SCRATCH + 0x50]
	setc bh
	cmp eax, 2
	lock dec dword ptr [SCRATCH + 0x52]
	sbb ecx, 5
END
CASE "inc [m] twice after stc, then a cmovc", jit-forms
	mov word ptr [SCRATCH + 0x60], 0x7FFF
	stc
	inc word ptr [SCRATCH + 0x60]
	inc word ptr [SCRATCH + 0x60]
	cmovc edx, eax
END

	.section .note.GNU-stack, "", @progbits

