/*
 * fakelinux.S: a bzImage-shaped test kernel for the linuxboot option ROM
 * (tests/boot/run). Its setup header (Documentation/arch/x86/boot.rst)
 * declares protocol 2.15, two sectors of setup code, a kernel loaded high
 * and a 255-byte command line; the "protected-mode kernel" after the setup
 * is 16 marker bytes. The setup code runs where a real-mode loader starts a
 * kernel and reports on COM1, one "key=value" per line (after a newline:
 * the firmware may leave a line open), what it finds:
 *   regs=ok|bad   CS = DS + 0x20, ES = SS = DS, SP = heap_end_ptr + 0x200,
 *                 interrupts off (boot.rst, "Running the kernel")
 *   loader=XX     type_of_loader, hex
 *   heap=XX       loadflags & CAN_USE_HEAP, hex
 *   cmdline=...   the string at cmd_line_ptr
 *   kernel=...    16 bytes at 1 MiB (code32_start)
 *   initrd=...    16 bytes at ramdisk_image
 *   initrd_size=XXXXXXXX  ramdisk_size, hex
 * then writes 0x21 to port 0xF4 (nyx exits with status 67). Memory above
 * 1 MiB is read with the BIOS block move (int 15h AH=87h).
 */
	.code16
	.text
	.globl _start
_start:
	.org 0x1F1
	.byte 2                         /* setup_sects */
	.word 0                         /* root_flags */
	.long 1                         /* syssize (16-byte units) */
	.word 0, 0, 0                   /* ram_size, vid_mode, root_dev */
	.word 0xAA55                    /* boot_flag */
	jmp setup                       /* 0x200: the entry, seg + 0x20 : 0 */
	.ascii "HdrS"                   /* 0x202 */
	.word 0x020F                    /* 0x206 version */
	.long 0                         /* 0x208 realmode_swtch */
	.word 0, 0                      /* 0x20C start_sys_seg, kernel_version */
hdr_type_of_loader:
	.byte 0                         /* 0x210 */
hdr_loadflags:
	.byte 0x01                      /* 0x211 LOADED_HIGH */
	.word 0                         /* 0x212 setup_move_size */
	.long 0x100000                  /* 0x214 code32_start */
hdr_ramdisk_image:
	.long 0                         /* 0x218 */
hdr_ramdisk_size:
	.long 0                         /* 0x21C */
	.long 0                         /* 0x220 bootsect_kludge */
hdr_heap_end_ptr:
	.word 0                         /* 0x224 */
	.byte 0, 0                      /* 0x226 ext_loader_ver, ext_loader_type */
hdr_cmd_line_ptr:
	.long 0                         /* 0x228 */
	.long 0x7FFFFFFF                /* 0x22C initrd_addr_max */
	.long 0x200000                  /* 0x230 kernel_alignment */
	.byte 0, 0                      /* 0x234 relocatable_kernel, min_alignment */
	.word 0                         /* 0x236 xloadflags */
	.long 255                       /* 0x238 cmdline_size */

setup:
	pushf
	pop %bx                         /* flags at entry */
	mov %sp, %bp                    /* SP at entry */
	mov %cs, %ax
	mov %ds, %cx
	mov $msg_bad, %si
	sub $0x20, %ax
	cmp %cx, %ax
	jne 1f
	mov %ss, %ax
	cmp %cx, %ax
	jne 1f
	mov %es, %ax
	cmp %cx, %ax
	jne 1f
	test $0x200, %bx                /* IF */
	jnz 1f
	mov hdr_heap_end_ptr - _start, %ax
	add $0x200, %ax
	cmp %ax, %bp
	jne 1f
	mov $msg_ok, %si
1:	call puts_ds_rel
	mov $msg_loader, %si
	call puts_ds_rel
	mov hdr_type_of_loader - _start, %al
	call hex8
	mov $msg_heap, %si
	call puts_ds_rel
	mov hdr_loadflags - _start, %al
	and $0x80, %al
	call hex8

	mov $msg_cmdline, %si
	call puts_ds_rel
	push %ds
	mov hdr_cmd_line_ptr - _start, %eax
	mov %eax, %edx
	shr $4, %eax
	and $0x0F, %dx
	mov %dx, %si
	mov %ax, %ds
2:	lodsb
	test %al, %al
	jz 3f
	call putc
	jmp 2b
3:	pop %ds
	mov $0x0A, %al
	call putc

	mov $msg_kernel, %si
	call puts_ds_rel
	mov $0x100000, %eax
	call show16
	mov $msg_initrd, %si
	call puts_ds_rel
	mov hdr_ramdisk_image - _start, %eax
	call show16
	mov $msg_initrd_size, %si
	call puts_ds_rel
	mov hdr_ramdisk_size - _start, %eax
	call hex32
	mov $0x21, %al
	out %al, $0xF4
4:	hlt
	jmp 4b

/* show16: copies 16 bytes at physical EAX to buf (int 15h AH=87h) and
 * prints them, then a newline. */
show16:
	mov %ax, gdt_src + 2 - _start
	shr $16, %eax
	mov %al, gdt_src + 4 - _start
	mov %ah, gdt_src + 7 - _start
	xor %eax, %eax
	mov %ds, %ax
	shl $4, %eax
	add $buf - _start, %eax
	mov %ax, gdt_dst + 2 - _start
	shr $16, %eax
	mov %al, gdt_dst + 4 - _start
	mov %ah, gdt_dst + 7 - _start
	push %ds
	pop %es
	mov $gdt - _start, %si
	mov $8, %cx                     /* words */
	mov $0x87, %ah
	int $0x15
	mov $buf - _start, %si
	mov $16, %cx
1:	lodsb
	call putc
	loop 1b
	mov $0x0A, %al
	jmp putc

/* puts_ds_rel: SI = a NUL-terminated string in this file (DS = the file's
 * start, which is address 0 here). */
puts_ds_rel:
1:	lodsb
	test %al, %al
	jz 2f
	call putc
	jmp 1b
2:	ret

hex32:
	push %eax
	shr $16, %eax
	call hex16_nonl
	pop %eax
	call hex16_nonl
	mov $0x0A, %al
	jmp putc
hex16_nonl:
	push %ax
	mov %ah, %al
	call hex8_nonl
	pop %ax
	jmp hex8_nonl
hex8:
	call hex8_nonl
	mov $0x0A, %al
	jmp putc
hex8_nonl:
	push %ax
	shr $4, %al
	call hexdigit
	pop %ax
hexdigit:
	push %ax
	and $0x0F, %al
	add $'0', %al
	cmp $'9', %al
	jbe 1f
	add $('A' - '9' - 1), %al
1:	call putc
	pop %ax
	ret

/* putc: AL to COM1, once the transmitter holds nothing. */
putc:
	push %dx
	push %ax
	mov $0x3FD, %dx
1:	in %dx, %al
	test $0x20, %al
	jz 1b
	pop %ax
	mov $0x3F8, %dx
	out %al, %dx
	pop %dx
	ret

msg_ok:
	.asciz "\nregs=ok\n"
msg_bad:
	.asciz "\nregs=bad\n"
msg_loader:
	.asciz "loader="
msg_heap:
	.asciz "heap="
msg_cmdline:
	.asciz "cmdline="
msg_kernel:
	.asciz "kernel="
msg_initrd:
	.asciz "initrd="
msg_initrd_size:
	.asciz "initrd_size="

	.balign 8
gdt:
	.quad 0, 0                      /* null, the GDT itself (BIOS) */
gdt_src:
	.word 0xFFFF, 0
	.byte 0, 0x93, 0, 0
gdt_dst:
	.word 0xFFFF, 0
	.byte 0, 0x93, 0, 0
	.quad 0, 0                      /* BIOS code and stack */
buf:
	.fill 16, 1, 0

	.org 0x600                      /* end of setup: (2 + 1) * 512 */
	.ascii "NYX-KERNEL-BODY!"
