/*
 * A boot sector for the firmware boot tests: prints "MBR OK" on COM1, reads
 * LBA 1 through BIOS int 13h (must start with "NYXN"), writes it back to
 * LBA 2 with "DONE" after the tag, and exits through isa-debug-exit:
 * 0x10 (status 33) on success, 0x11 (status 35) on any failure.
 */
	.code16
	.org 0
start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $0x7c00, %sp
	mov %dl, drive
	mov $msg, %si
1:	lodsb
	test %al, %al
	jz 2f
	mov $0x3f8, %dx
	out %al, %dx
	jmp 1b
2:	/* read LBA 1 (CHS 0/0/2) to 0x8000 */
	mov $0x0201, %ax
	mov $0x0002, %cx
	xor %dh, %dh
	mov drive, %dl
	mov $0x8000, %bx
	int $0x13
	jc fail
	cmpl $0x4e58594e, 0x8000   /* "NXYN" */
	jne fail
	/* write the sector back to LBA 2 with a mark */
	movl $0x454e4f44, 0x8004   /* "DONE" */
	mov $0x0301, %ax
	mov $0x0003, %cx
	xor %dh, %dh
	mov drive, %dl
	mov $0x8000, %bx
	int $0x13
	jc fail
	mov $0x10, %al
	out %al, $0xf4
fail:
	mov $0x11, %al
	out %al, $0xf4
	hlt
drive: .byte 0
msg: .asciz "MBR OK\r\n"
	.org 510
	.byte 0x55, 0xaa
