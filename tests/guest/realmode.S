/*
 * realmode: a 64 KiB raw BIOS image (nyx --bios, qemu -bios). The CPU leaves
 * reset in real mode at F000:FFF0; we jump to start, print over COM1 and
 * check real-mode basics: segment:offset addressing (two different pairs
 * naming the same byte), 16-bit MUL/DIV, 32-bit operand-size prefixes, a
 * far call into another segment, and exceptions/interrupts through the IVT
 * (#DE, #BP, INT 0x21) with the saved IP ("fault" = the faulting
 * instruction, "next" = the one after). Expected values are worked out by
 * hand in tests/guest/expect/realmode.out. Linked at offset 0 of CS=F000.
 */
	.code16
	.set COM1, 0x3f8
	.set VARS, 0x500		/* scratch variables, DS = 0 */
	.set fault_ip, VARS
	.set resume_ip, VARS + 2
	.set seen_vec, VARS + 4
	.set seen_ip, VARS + 6

	.section .text
start:
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %ss
	movw $0x7000, %sp

	movw $msg_hello, %si
	call puts

	/* ES:0010 with ES=1000 and DS:0000 with DS=1001 both name 0x10010. */
	movw $0x1000, %ax
	movw %ax, %es
	movw $0xbeef, %es:0x0010
	movw $0x1001, %ax
	movw %ax, %ds
	movw 0x0000, %bx
	xorw %ax, %ax
	movw %ax, %ds
	movw $msg_alias, %si
	call puts
	movw %bx, %ax
	call put16
	call newline

	/* 0x1234 * 0x5678 = 0x06260060 in DX:AX; divided back gives 0x1234 r 0. */
	movw $0x1234, %ax
	movw $0x5678, %cx
	mulw %cx
	movw %ax, %bx
	movw $msg_mul, %si
	call puts
	movw %dx, %ax
	call put16
	movw %bx, %ax
	call put16
	movw %bx, %ax
	divw %cx
	movw %dx, %bx
	movw $msg_div, %si
	call puts
	call put16
	movw $msg_rem, %si
	call puts
	movw %bx, %ax
	call put16
	call newline

	/* 32-bit operands: 0x12345678 + 0x87654321 = 0x99999999, and
	 * 0xfffffff0 + 0x20 carries out: 0x00000010, CF=1. */
	movl $0x12345678, %eax
	addl $0x87654321, %eax
	movw $msg_add32, %si
	call puts
	call put32
	movl $0xfffffff0, %eax
	addl $0x20, %eax
	setc %bl
	movw $msg_sp, %si
	call puts
	call put32
	movw $msg_cf, %si
	call puts
	movzbw %bl, %ax
	call put16
	call newline

	/* Far call to 0000:0600, where we copied a stub that returns CS. */
	movw $0x0600, %di
	movw $farstub, %si
	movw $farstub_end - farstub, %cx
	xorw %ax, %ax
	movw %ax, %es
	rep movsb %cs:(%si), %es:(%di)
	lcall $0x0000, $0x0600
	movw %ax, %bx
	movw $msg_far, %si
	call puts
	movw %bx, %ax
	call put16
	call newline

	/* IVT: vectors 0, 3 and 0x21 enter 'trap' via small stubs. */
	movw $stub0, 0x00
	movw $0xf000, 0x02
	movw $stub3, 0x0c
	movw $0xf000, 0x0e
	movw $stub21, 0x84
	movw $0xf000, 0x86

	movw $msg_de, %si
	call arm
	movw $1f, fault_ip
	movw $2f, resume_ip
	xorw %dx, %dx
	movw $1, %ax
	xorw %cx, %cx
1:	divw %cx
2:	call report

	movw $msg_bp, %si
	call arm
	movw $1f, fault_ip
	movw $2f, resume_ip
1:	int3
2:	call report

	movw $msg_int, %si
	call arm
	movw $1f, fault_ip
	movw $2f, resume_ip
1:	int $0x21
2:	call report

	movw $msg_done, %si
	call puts
	movb $0x10, %al
	outb %al, $0xf4
3:	cli
	hlt
	jmp 3b

/* Stub copied to 0000:0600: returns its own CS in AX. */
farstub:
	movw %cs, %ax
	lret
farstub_end:

stub0:	pushw $0
	jmp trap
stub3:	pushw $3
	jmp trap
stub21:	pushw $0x21
	jmp trap

/* Stack: vector, IP, CS, FLAGS. Record vector and IP, resume at resume_ip. */
trap:
	pushw %bp
	movw %sp, %bp
	pushw %ax
	movw 2(%bp), %ax
	movw %ax, seen_vec
	movw 4(%bp), %ax
	movw %ax, seen_ip
	movw resume_ip, %ax
	movw %ax, 4(%bp)
	popw %ax
	popw %bp
	addw $2, %sp
	iret

/* Prints the label in SI and clears the record of the last trap. */
arm:
	call puts
	movw $0xffff, seen_vec
	movw $0, seen_ip
	ret

report:
	movw seen_vec, %ax
	cmpw $0xffff, %ax
	jne 1f
	movw $msg_none, %si
	jmp puts
1:	movw $msg_vec, %si
	call puts
	call put16
	movw seen_ip, %ax
	movw $msg_ipf, %si
	cmpw fault_ip, %ax
	je 2f
	movw $msg_ipn, %si
	cmpw resume_ip, %ax
	je 2f
	movw $msg_ipo, %si
2:	jmp puts

putc:	/* AL */
	pushw %dx
	pushw %ax
	movw $COM1 + 5, %dx
1:	inb %dx, %al
	testb $0x20, %al
	jz 1b
	popw %ax
	movw $COM1, %dx
	outb %al, %dx
	popw %dx
	ret

puts:	/* CS:SI, NUL-terminated */
	pushw %ax
1:	movb %cs:(%si), %al
	incw %si
	testb %al, %al
	jz 2f
	cmpb $'\n', %al
	jne 3f
	movb $'\r', %al
	call putc
	movb $'\n', %al
3:	call putc
	jmp 1b
2:	popw %ax
	ret

newline:
	movw $msg_nl, %si
	jmp puts

put32:	/* EAX as 8 hex digits */
	pushl %eax
	shrl $16, %eax
	call put16
	popl %eax
	/* fall through for the low half */
put16:	/* AX as 4 hex digits */
	pushw %cx
	pushw %ax
	pushw %bx
	movw %ax, %bx
	movw $4, %cx
1:	rolw $4, %bx
	movw %bx, %ax
	andw $0xf, %ax
	cmpb $10, %al
	jb 2f
	addb $'a' - '0' - 10, %al
2:	addb $'0', %al
	call putc
	loop 1b
	popw %bx
	popw %ax
	popw %cx
	ret

msg_hello:	.asciz "realmode: hello from F000\n"
msg_alias:	.asciz "realmode: 1000:0010 seen at 1001:0000 = "
msg_mul:	.asciz "realmode: 1234*5678 = "
msg_div:	.asciz " / 5678 = "
msg_rem:	.asciz " rem "
msg_add32:	.asciz "realmode: 12345678+87654321 = "
msg_sp:		.asciz " fffffff0+20 = "
msg_cf:		.asciz " cf="
msg_far:	.asciz "realmode: far call to 0000:0600 ran with cs="
msg_de:		.asciz "realmode: #DE divide by zero:"
msg_bp:		.asciz "realmode: #BP int3:"
msg_int:	.asciz "realmode: int 0x21:"
msg_vec:	.asciz " vector="
msg_ipf:	.asciz " ip=fault\n"
msg_ipn:	.asciz " ip=next\n"
msg_ipo:	.asciz " ip=other\n"
msg_none:	.asciz " no exception\n"
msg_done:	.asciz "realmode: done\n"
msg_nl:		.asciz "\n"

	.section .reset, "ax"
	ljmp $0xf000, $start
