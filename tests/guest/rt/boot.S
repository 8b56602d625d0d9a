/*
 * Start code for multiboot v1 guests. The loader enters _start in 32-bit
 * protected mode with paging off, EAX = 0x2BADB002 and EBX = the multiboot
 * information; nothing else about the CPU state is promised (no valid GDT,
 * no stack), so we load our own GDT and stack first.
 *
 * Built twice: without RT_LONG it calls rt_start in protected mode; with
 * RT_LONG it identity-maps the first 4 GiB with 2 MiB pages (PML4 -> PDPT ->
 * four page directories), enables PAE, EFER.LME and paging, and calls
 * rt_start in 64-bit mode. The 64-bit build is still packaged as an ELF32
 * file (objcopy) because multiboot loaders, QEMU's among them, take ELF32.
 */
#include "rt.h"

#define MB_HDR_MAGIC	0x1BADB002
#define MB_HDR_FLAGS	0x00000003	/* page-aligned modules, memory info */

	.section .multiboot, "a"
	.align 4
	.long MB_HDR_MAGIC
	.long MB_HDR_FLAGS
	.long -(MB_HDR_MAGIC + MB_HDR_FLAGS)

	.section .data
	.align 16
	.globl rt_gdt
rt_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08 code32, flat */
	.quad 0x00cf92000000ffff	/* 0x10 data, flat */
	.quad 0x00af9a000000ffff	/* 0x18 code64 */
	.quad 0x00009a000000ffff	/* 0x20 code16, base 0, limit 64 KiB */
	.quad 0x000092000000ffff	/* 0x28 data16, base 0, limit 64 KiB */
	.quad 0x0040920000000fff	/* 0x30 data, limit 0xfff (byte granular) */
rt_gdt_end:
	.globl rt_gdt_desc
rt_gdt_desc:
	.word rt_gdt_end - rt_gdt - 1
	.long rt_gdt
	.long 0

	.section .bss
	.align 4096
	.globl rt_pml4, rt_pdpt, rt_pd
rt_pml4:	.skip 4096
rt_pdpt:	.skip 4096
rt_pd:		.skip 4 * 4096
rt_pt_end:
	.align 16
	.globl rt_stack_top
rt_stack:	.skip 16384
rt_stack_top:

	.section .text
	.code32
	.globl _start
_start:
	cli
	cld
	movl $rt_stack_top, %esp
	movl %eax, rt_mb_magic
	movl %ebx, rt_mb_info
	lgdt rt_gdt_desc
	ljmp $RT_SEL_CODE32, $1f
1:	movw $RT_SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
#ifndef RT_LONG
	call rt_start
2:	hlt
	jmp 2b
#else
	/* Page tables live in .bss; clear them rather than trust the loader. */
	movl $rt_pml4, %edi
	movl $(rt_pt_end - rt_pml4) / 4, %ecx
	xorl %eax, %eax
	rep stosl
	movl $rt_pdpt + 0x3, %eax		/* present, writable */
	movl %eax, rt_pml4
	movl $rt_pd + 0x3, %eax
	movl $rt_pdpt, %edi
	movl $4, %ecx
3:	movl %eax, (%edi)			/* PDPT[i] = PD i */
	addl $4096, %eax
	addl $8, %edi
	loop 3b
	movl $0x83, %eax			/* present, writable, 2 MiB page */
	movl $rt_pd, %edi
	movl $2048, %ecx
4:	movl %eax, (%edi)			/* PD entry n maps n * 2 MiB */
	addl $0x200000, %eax
	addl $8, %edi
	loop 4b

	movl %cr4, %eax
	orl $0x20, %eax				/* CR4.PAE */
	movl %eax, %cr4
	movl $rt_pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx			/* EFER */
	rdmsr
	orl $0x100, %eax			/* LME */
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax			/* PG | PE */
	movl %eax, %cr0
	ljmp $RT_SEL_CODE64, $5f

	.code64
5:	movw $RT_SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movq $rt_stack_top, %rsp
	call rt_start
6:	hlt
	jmp 6b
#endif
