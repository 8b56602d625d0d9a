@@ rm_add_sub_flags code16 0x1000
	mov $0x7f, %al
	add $1, %al
	pushfw
	popw 0x4000
	mov $0, %cl
	sub $1, %cl
	pushfw
	popw 0x4002
	hlt
@@ rm_adc_sbb_inc code16 0x1000
	stc
	mov $0xffff, %ax
	adc $0, %ax
	pushfw
	popw 0x4000
	inc %ax
	pushfw
	popw 0x4002
	clc
	mov $0, %dx
	sbb $1, %dx
	pushfw
	popw 0x4004
	stc
	mov $5, %si
	sbb $2, %si
	pushfw
	popw 0x4006
	hlt
@@ rm_muldiv code16 0x1000
	mov $0x1234, %ax
	mov $0x100, %bx
	mul %bx
	pushfw
	popw 0x4000
	mov %ax, 0x4010
	mov %dx, 0x4012
	mov $-3, %ax
	mov $7, %cx
	imul %cx
	pushfw
	popw 0x4002
	mov %ax, 0x4004
	mov %dx, 0x4006
	mov $0, %dx
	mov $1000, %ax
	mov $7, %cx
	div %cx
	mov %ax, 0x4008
	mov %dx, 0x400a
	mov $-1000, %ax
	cwd
	mov $7, %cx
	idiv %cx
	hlt
@@ rm_div_zero code16 0x1000
	mov $0, %bl
	mov $5, %ax
	div %bl
	hlt
@@ rm_div_overflow code16 0x1000
	mov $1, %bl
	mov $0x1000, %ax
	div %bl
	hlt
@@ rm_handler_hlt code16 0x8000
	hlt
@@ rm_shifts code16 0x1000
	mov $0x81, %al
	stc
	rcl $1, %al
	pushfw
	popw 0x4000
	mov %al, 0x4002
	mov $0x01, %bl
	clc
	rcr $1, %bl
	pushfw
	popw 0x4004
	mov %bl, 0x4006
	mov $0x8000, %ax
	sar $15, %ax
	mov %ax, 0x4008
	mov $0x1234, %ax
	mov $0x5678, %dx
	shld $4, %dx, %ax
	pushfw
	popw 0x400a
	mov %ax, 0x400c
	mov $0x1234, %ax
	shrd $4, %dx, %ax
	mov %ax, 0x400e
	mov $0x96, %cl
	rol $4, %cl
	mov %cl, 0x4010
	hlt
@@ rm_bcd code16 0x1000
	mov $0x79, %al
	mov $0x35, %bl
	add %bl, %al
	daa
	pushfw
	popw 0x4000
	mov %al, 0x4002
	mov $0x35, %al
	mov $0x47, %bl
	sub %bl, %al
	das
	pushfw
	popw 0x4004
	mov %al, 0x4006
	mov $0x000d, %ax
	aaa
	mov %ax, 0x4008
	mov $63, %al
	aam
	mov %ax, 0x400a
	mov $0x0603, %ax
	aad
	mov %ax, 0x400c
	hlt
@@ rm_strings code16 0x1000
	cld
	mov $0x4000, %si
	mov $0x4100, %di
	mov $16, %cx
	rep movsb
	mov $0xaa55, %ax
	mov $0x4200, %di
	mov $8, %cx
	rep stosw
	mov $0x4000, %di
	mov $7, %al
	mov $16, %cx
	repne scasb
	pushfw
	popw 0x4300
	mov %cx, 0x4302
	mov %di, 0x4304
	std
	mov $0x400f, %si
	lodsb
	cld
	mov %al, 0x4306
	mov %si, 0x4308
	movb $0xab, 0x4400
	mov $0x4400, %si
	mov $0x4401, %di
	mov $8, %cx
	rep movsb
	mov $0x4000, %si
	mov $0x4100, %di
	mov $16, %cx
	repe cmpsb
	mov %cx, 0x430a
	hlt
@@ rm_stack code16 0x1000
	mov $0x1111, %ax
	mov $0x2222, %cx
	mov $0x3333, %dx
	mov $0x4444, %bx
	mov $0x5555, %bp
	mov $0x6666, %si
	mov $0x7777, %di
	pusha
	mov %sp, 0x4000
	xor %ax, %ax
	xor %cx, %cx
	xor %dx, %dx
	xor %bx, %bx
	xor %bp, %bp
	xor %si, %si
	xor %di, %di
	popa
	mov %bp, 0x4008
	call func
	hlt
func:
	enter $4, $0
	mov %sp, 0x4004
	mov %bp, 0x4006
	leave
	mov $0xbeef, %ax
	ret
@@ rm_int code16 0x1000
	int $0x21
	mov $0x66, %cl
	hlt
@@ rm_int_handler code16 0x8000
	mov $0x55, %bl
	pushfw
	popw 0x4000
	iret
@@ rm_to_pm code16 0x1000
	cli
	lgdtl gdtr
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $0x08, $pm32
.code32
pm32:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $0x7000, %esp
	movl $0xfeedface, 0x4000
	push $0x12345678
	pop %ebx
	hlt
.p2align 3
gdtr:
	.word 0x6f
	.long 0x800
@@ pm_misc code32 0x1000
	mov $0x12345678, %eax
	bswap %eax
	mov %eax, 0x4000
	mov $0x00001000, %ebx
	bsf %ebx, %ecx
	mov %ecx, 0x4004
	mov $0x80000001, %ebx
	bsr %ebx, %edx
	mov %edx, 0x4008
	mov $35, %ecx
	bts %ecx, 0x400c
	btl $3, 0x4010
	setc 0x4014
	mov $5, %eax
	movl $5, 0x4018
	mov $9, %ecx
	lock cmpxchg %ecx, 0x4018
	setz 0x401c
	mov $7, %eax
	cmpxchg %ecx, 0x4018
	mov %eax, 0x4020
	mov $10, %eax
	movl $32, 0x4024
	lock xadd %eax, 0x4024
	mov %eax, 0x4028
	movsbl 0x402c, %eax
	mov %eax, 0x4030
	mov $-1, %ebx
	cmp $0, %ebx
	setl 0x4034
	seta 0x4035
	setb 0x4036
	mov $111, %esi
	mov $222, %edi
	cmp %esi, %edi
	cmovg %esi, %edi
	mov %edi, 0x4038
	mov $0x80, %al
	cbw
	cwde
	cdq
	mov %edx, 0x403c
	lea 0x10(%ebx,%esi,4), %eax
	mov %eax, 0x4040
	mov $0x4050, %ebx
	mov $3, %al
	xlat
	mov %al, 0x4044
	mov $0x11223344, %eax
	xchg %eax, 0x4048
	mov %eax, 0x404c
	hlt
@@ pm_load_np code32 0x1000
	mov $0x60, %ax
	mov %ax, %ds
	hlt
@@ pm_load_bad code32 0x1000
	mov $0x1000, %ax
	mov %ax, %es
	hlt
@@ pm_ud2 code32 0x1000
	nop
	ud2
	hlt
@@ pm_paging code32 0x1000
	mov 0x5000, %eax
	hlt
@@ pm_paging_wp code32 0x1000
	movl $0x77, 0x4000
	mov 0x4000, %ebx
	hlt
@@ pm_user_call code32 0x1000
	lcall $0x50, $0
	hlt
@@ pm_gate_target code32 0x8000
	mov %esp, %ebx
	mov %ss, %ecx
	mov 12(%esp), %edx
	hlt
@@ pm_iret_user code32 0x1000
	push $0x3b
	push $0x6000
	pushf
	push $0x33
	push $user
	iret
user:
	mov %cs, %eax
	mov %ss, %ebx
	int $0x40
	hlt
@@ lm_basic code64 0x1000
	mov $0x123456789abcdef0, %rax
	mov %rax, %r9
	add %r9, %r9
	mov %r9, data(%rip)
	movslq data2(%rip), %r10
	push %r10
	pop %r11
	mov $0xffffffff, %eax
	mov $-1, %rcx
	mov %ecx, %ecx
	mov $0x1122334455667788, %rdx
	mov $0x99, %dl
	mov %dl, %sil
	hlt
data:
	.quad 0
data2:
	.long 0x80000000
@@ lm_sysret code64 0x1000
	mov $user, %rcx
	mov $0x202, %r11
	sysretq
user:
	mov $42, %rdi
	syscall
	hlt
@@ lm_int_ist code64 0x1000
	int $0x80
	hlt
@@ lm_int_handler code64 0x8000
	mov %rsp, %rbx
	mov 8(%rsp), %rcx
	iretq
@@ lm_cpuid code64 0x1000
	xor %eax, %eax
	cpuid
	mov %ebx, 0x4000
	mov %edx, 0x4004
	mov %ecx, 0x4008
	mov $1, %eax
	cpuid
	mov %eax, 0x400c
	mov $0x40000000, %eax
	cpuid
	mov %ebx, 0x4010
	mov %ecx, 0x4014
	mov %edx, 0x4018
	hlt
@@ lm_pf code64 0x1000
	movq $1, 0x5000
	hlt
@@ lm_pf_handler code64 0x8000
	mov %cr2, %rax
	pop %rbx
	hlt
@@ lm_smc code64 0x1000
	xor %ecx, %ecx
again:
patch:
	mov $1, %eax
	movb $2, patch+1(%rip)
	inc %ecx
	cmp $2, %ecx
	jne again
	hlt
@@ pm_io code32 0x1000
	mov $0x5a, %al
	out %al, $0x80
	mov $0x81, %dx
	mov $0x1234, %ax
	out %ax, %dx
	in $0x80, %al
	mov %al, 0x4000
	cld
	mov $0x4100, %esi
	mov $3, %ecx
	mov $0x80, %dx
	rep outsb
	hlt
@@ pm_x87 code32 0x1000
	fninit
	fnstsw %ax
	fnstcw 0x4000
	movw $0x27f, 0x4002
	fldcw 0x4002
	fnstcw 0x4004
	hlt
@@ rm_loop code16 0x1000
	mov $100, %cx
	xor %ax, %ax
l1:
	add %cx, %ax
	loop l1
	hlt
@@ pm_send_init_sipi code32 0x1000
	movl $0x01000000, 0xfee00310
	movl $0x00004500, 0xfee00300
	movl $0x00004609, 0xfee00300
	hlt
@@ rm_ap_entry code16 0x9000
	mov %cs, %ax
	mov %ax, 0x4000
	movw $0xa9a9, 0x4002
	hlt
@@ pm_self_ipi code32 0x1000
	movl $0x1ff, 0xfee000f0
	sti
	movl $0x00044040, 0xfee00300
	nop
	movl $1, 0x4004
	hlt
@@ pm_ipi_handler code32 0x8000
	movl $0x77, 0x4000
	movl $0, 0xfee000b0
	iret
@@ rm_a20_wrap code16 0x1000
	mov $0xffff, %ax
	mov %ax, %es
	movb $0x11, 0x0500
	movb $0x22, %es:0x0510
	mov 0x0500, %bl
	hlt
@@ pm_to_v86 code32 0x1000
	push $0
	push $0
	push $0
	push $0
	push $0
	push $0x6000
	push $0x23202
	push $0
	push $0x9000
	iret
@@ v86_code code16 0x9000
	mov $0x1234, %bx
	int $0x40
	hlt
@@ pm_v86_handler code32 0x8000
	mov %esp, %esi
	mov %ds, %edi
	hlt
@@ pm_sysenter code32 0x1000
	sysenter
@@ pm_sysenter_kernel code32 0x8000
	mov $0x9100, %edx
	mov $0x6800, %ecx
	sysexit
@@ pm_sysexit_user code32 0x9100
	mov %cs, %eax
	mov %ss, %ebx
	mov %esp, %edi
	int $0x41
@@ pm_rep_fault code32 0x1000
	cld
	mov $0x4f80, %esi
	mov $0x6000, %edi
	mov $0x100, %ecx
	rep movsb
	hlt
@@ pm_pf_fixup code32 0x8000
	movl $0x5003, 0x11014
	invlpg 0x5000
	incl 0x6200
	add $4, %esp
	iret
@@ pm_more code32 0x1000
	mov $0x11111111, %eax
	mov $0x22222222, %edx
	mov $0x33333333, %ebx
	mov $0x44444444, %ecx
	lock cmpxchg8b 0x4000
	setz 0x4010
	cmpxchg8b 0x4000
	mov %eax, 0x4014
	mov %edx, 0x4018
	setz 0x401c
	imul $-3, 0x4020, %esi
	mov $0x40000000, %eax
	imul $4, %eax, %edi
	setc 0x4024
	seto 0x4025
	hlt
@@ lm_sse code64 0x1000
	movdqu 0x4000, %xmm0
	pxor %xmm1, %xmm1
	pcmpeqb %xmm0, %xmm1
	pmovmskb %xmm1, %eax
	mov %eax, 0x4034
	bsf %eax, %ecx
	movdqa 0x4010, %xmm2
	pshufd $0x1b, %xmm2, %xmm3
	movdqu %xmm3, 0x4020
	movd %ecx, %xmm4
	movq %xmm4, %rdx
	mov $3, %eax
	cvtsi2sd %eax, %xmm5
	mov $4, %eax
	cvtsi2sd %eax, %xmm6
	mulsd %xmm6, %xmm5
	addsd %xmm6, %xmm5
	sqrtsd %xmm5, %xmm7
	cvttsd2si %xmm7, %rsi
	ucomisd %xmm6, %xmm7
	setz 0x4030
	setp 0x4031
	setc 0x4032
	punpcklbw %xmm1, %xmm2
	movdqu %xmm2, 0x4040
	psrldq $4, %xmm3
	movdqu %xmm3, 0x4050
	fxsave 0x4100
	hlt
@@ lm_sse_fault code64 0x1000
	pxor %xmm0, %xmm0
	hlt
@@ lm_x87 code64 0x1000
	fninit
	fildl 0x4000
	fildl 0x4004
	fmulp
	fildl 0x4008
	faddp
	fistpl 0x4010
	fldpi
	fstpl 0x4018
	fld1
	fld1
	faddp
	fsqrt
	fstpl 0x4020
	fnclex
	fld1
	fdivl 0x4028
	fstpl 0x4030
	fnstsw %ax
	movsd 0x4038, %xmm0
	divsd 0x4028, %xmm0
	stmxcsr 0x4040
	ldmxcsr 0x4044
	movsd 0x4038, %xmm0
	divsd 0x4028, %xmm0
	hlt
@@ pm_x87_mf code32 0x1000
	fninit
	movw $0x37b, 0x4000
	fldcw 0x4000
	fldz
	fld1
	fdiv %st(1), %st
	fnstsw 0x4002
	fwait
	movw $1, 0x4004
	hlt
@@ pm_mmx code32 0x1000
	movq %mm1, %mm0
	hlt
@@ rm_x87_env code16 0x1000
	fninit
	fld1
	fstps 0x4000
	fnstenv 0x4010
	.byte 0x66
	fnstenv 0x4020
	hlt
@@ lm_smc_call_loop code64 0x1000
	xor %ebx, %ebx
1:	mov $0x5800, %eax
	call *%rax
	add %eax, %ebx
	hlt
	jmp 1b
@@ lm_smc_atomic_stos code64 0x1000
	mov $0x5800, %esi
	call *%rsi
	mov %eax, %ebx
	mov $7, %cl
	xchg %cl, 0x5801
	call *%rsi
	add %eax, %ebx
	cld
	mov $0x5801, %edi
	mov $2, %al
	mov $4, %ecx
	rep stosb
	call *%rsi
	add %eax, %ebx
	hlt
@@ lm_smc_cpu0_patch code64 0x1000
	movb $1, 0x5801
	hlt
	movb $7, 0x5801
	hlt
@@ lm_smc_cpu1_call_loop code64 0x1100
	xor %ebx, %ebx
1:	mov $0x5800, %eax
	call *%rax
	add %eax, %ebx
	hlt
	jmp 1b
@@ lm_call_unmapped code64 0x1000
	mov $0x7000, %esp
	call 0x5800
	hlt
@@ lm_pf_frame_handler code64 0x8000
	mov 32(%rsp), %rax
	mov 8(%rsp), %rbx
	hlt
@@ lm_block_exec_mid code64 0x1000
	xor %ebx, %ebx
	xor %ecx, %ecx
	xor %r8d, %r8d
	mov $5, %esi
	pxor %xmm0, %xmm0
1:	cmp $37, %ecx
	setb %al
	movzbl %al, %eax
	add %eax, %ebx
	xor %edi, %edi
	cmp $50, %ecx
	cmovae %esi, %edi
	add %edi, %r8d
	movd %ecx, %xmm1
	paddq %xmm1, %xmm0
	inc %ecx
	cmp $100, %ecx
	jne 1b
	movq %xmm0, %r9
	hlt
@@ lm_block_fault_mid code64 0x1000
	xor %ebx, %ebx
	xor %edx, %edx
	mov $100, %ecx
1:	inc %ebx
	cmp $60, %ebx
	setae %al
	movd %ebx, %xmm0
ud:	inc %edx
	dec %ecx
	jnz 1b
	mov %cr4, %rax
	and $~0x200, %eax
	mov %rax, %cr4
	mov $100, %ecx
	jmp 1b
	.org 0x100
	lea ud-4(%rip), %rcx
	mov (%rsp), %rax
	hlt
@@ lm_block_budget code64 0x1000
1:	inc %ebx
	inc %ebx
	inc %ebx
	inc %ebx
	inc %ebx
	inc %ebx
	inc %ebx
	inc %ebx
	inc %ebx
	inc %ebx
	inc %ebx
	inc %ebx
	inc %ebx
	inc %ebx
	inc %ebx
	jmp 1b
@@ lm_block_linked_smc code64 0x1000
	xor %ebx, %ebx
	xor %ebp, %ebp
1:	call 0x5000
	jmp 2f
	.org 0x80
2:	mov $1, %eax
	add %eax, %ebx
	inc %ebp
	cmp $100, %ebp
	jne 1b
	hlt
@@ lm_block_linked_smc_patch code64 0x5000
	cmp $50, %ebp
	jne 1f
	movb $7, 0x1081
1:	ret
@@ lm_block_smap_ac code64 0x1000
	stac
	mov 0x4000, %eax
	add $1, %eax
	clac
	mov 0x4000, %ecx
	hlt
