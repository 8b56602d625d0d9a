/*
 * Reboot test boot sector: counts boots in byte 0 of LBA 1 (int 13h read,
 * increment, write), asks for a hard reset through 0xCF9 until the count
 * reaches 3, then reports 0x10 on port 0xF4 (0x11 read, 0x13 write failed).
 * Each reset must bring SeaBIOS up again from a clean shadow copy (PAM
 * unlocked by the reset, the BIOS recopied from the ROM alias).
 */
	.code16
	.text
	.globl _start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x7c00, %sp
	sti
	movb	%dl, drive
	/* read LBA 1 (boot counter) to 0x7e00 */
	movw	$0x0201, %ax
	movw	$0x0002, %cx
	xorb	%dh, %dh
	movb	drive, %dl
	movw	$0x7e00, %bx
	int	$0x13
	movb	$0x11, %al
	jc	done
	incb	0x7e00
	movw	$0x0301, %ax
	movw	$0x0002, %cx
	xorb	%dh, %dh
	movb	drive, %dl
	movw	$0x7e00, %bx
	int	$0x13
	movb	$0x13, %al
	jc	done
	movb	0x7e00, %al
	cmpb	$3, %al
	jae	ok
	/* hard reset through 0xCF9 */
	movw	$0xcf9, %dx
	movb	$0x02, %al
	outb	%al, %dx
	movb	$0x06, %al
	outb	%al, %dx
1:	hlt
	jmp	1b
ok:	movb	$0x10, %al
done:	outb	%al, $0xf4
2:	hlt
	jmp	2b
drive:	.byte	0
	.org	510
	.byte	0x55, 0xaa
