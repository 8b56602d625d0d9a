/*
 * Boot sector for the platform test: SeaBIOS loads it from the IDE disk at
 * 0000:7C00 with the drive number in DL. It reads LBA 1 with int 13h
 * AH=02h (CHS 0/0/2), checks the marker the test wrote there, writes a
 * sector of "WRITTEN!" to LBA 2 with AH=03h (CHS 0/0/3), reads it back
 * with the extended read AH=42h, and reports through the debug exit port
 * 0xF4: 0x10 = all good; 0x11 read failed, 0x12 wrong marker, 0x13 write
 * failed, 0x14 extended read failed or returned other data.
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

	/* Read LBA 1 to 0x7e00. */
	movw	$0x0201, %ax		/* AH=02 read, AL=1 sector */
	movw	$0x0002, %cx		/* cylinder 0, sector 2 */
	xorb	%dh, %dh		/* head 0 */
	movb	drive, %dl
	movw	$0x7e00, %bx
	int	$0x13
	movb	$0x11, %al
	jc	done
	movw	$0x7e00, %si
	movw	$marker, %di
	movw	$8, %cx
	cld
	repe	cmpsb
	movb	$0x12, %al
	jne	done

	/* Fill 0x8000 with "WRITTEN!" and write it to LBA 2. */
	movw	$0x8000, %di
	movw	$64, %bx
1:	movw	$written, %si
	movw	$8, %cx
	rep	movsb
	decw	%bx
	jnz	1b
	movw	$0x0301, %ax		/* AH=03 write, AL=1 sector */
	movw	$0x0003, %cx
	xorb	%dh, %dh
	movb	drive, %dl
	movw	$0x8000, %bx
	int	$0x13
	movb	$0x13, %al
	jc	done

	/* Read LBA 2 back through the EDD packet interface to 0x9000. */
	movb	$0x42, %ah
	movb	drive, %dl
	movw	$dap, %si
	int	$0x13
	movb	$0x14, %al
	jc	done
	movw	$0x9000, %si
	movw	$0x8000, %di
	movw	$512, %cx
	repe	cmpsb
	jne	done
	movb	$0x10, %al
done:
	outb	%al, $0xf4
	cli
2:	hlt
	jmp	2b

marker:	.ascii	"NYXDATA1"
written: .ascii	"WRITTEN!"
	.balign	4
dap:	.byte	16, 0
	.word	1			/* sectors */
	.word	0x9000, 0		/* buffer offset, segment */
	.quad	2			/* LBA */
drive:	.byte	0
	.org	510
	.byte	0x55, 0xaa
