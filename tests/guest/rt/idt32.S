/*
 * Interrupt entry stubs for 32-bit protected mode: one 16-byte stub per
 * vector pushes a zero error code when the CPU pushes none, then the vector,
 * and joins a common path that saves the registers (struct rt_frame) and
 * calls rt_trap(frame). rt_trap may change frame->ip to resume elsewhere.
 */
	.section .text
	.code32
	.align 16
	.globl rt_isr_stubs
rt_isr_stubs:
	vec = 0
	.rept 256
	.align 16
	.if vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30
	pushl $vec
	.else
	pushl $0
	pushl $vec
	.endif
	jmp rt_isr_common
	vec = vec + 1
	.endr

rt_isr_common:
	pushal
	cld
	pushl %esp
	call rt_trap
	addl $4, %esp
	popal
	addl $8, %esp
	iretl
