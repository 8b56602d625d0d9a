/*
 * Interrupt entry stubs for 64-bit mode, the same scheme as idt32.S: each
 * 16-byte stub normalises the error code, pushes the vector and joins a
 * common path that saves every GPR (struct rt_frame) and calls rt_trap.
 * The CPU aligns RSP to 16 before pushing its frame, and 22 quadwords
 * follow, so RSP is 16-aligned again at the call.
 */
	.section .text
	.code64
	.align 16
	.globl rt_isr_stubs
rt_isr_stubs:
	vec = 0
	.rept 256
	.align 16
	.if vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30
	pushq $vec
	.else
	pushq $0
	pushq $vec
	.endif
	jmp rt_isr_common
	vec = vec + 1
	.endr

rt_isr_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	cld
	movq %rsp, %rdi
	call rt_trap
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	iretq
