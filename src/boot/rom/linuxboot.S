/*
 * linuxboot.S: Nyx's Linux loader option ROM. SeaBIOS runs it from fw_cfg
 * ("genroms/linuxboot.bin") when `nyx run --bios` is given --kernel; it
 * loads the bzImage's real-mode setup, its protected-mode kernel, the
 * command line and the initrd that the VMM serves on the fw_cfg kernel keys
 * and runs the setup code as the Linux boot protocol describes
 * (Documentation/arch/x86/boot.rst, "Running the kernel").
 *
 * Design note (ROM layout and boot flow):
 *   - Layout (BIOS Boot Specification 1.01): 0x55 0xAA, the size in 512-byte
 *     blocks, the init entry at offset 3, the PCI data pointer at 0x18 (none)
 *     and the PnP expansion header pointer at 0x1A. The PnP header names a
 *     bootstrap entry vector (BEV), so the BIOS lists the ROM as a boot
 *     device (the VMM's "bootorder" puts it first) and far-calls the BEV when
 *     it boots. The size byte, the PnP header checksum and the ROM checksum
 *     (all bytes sum to 0 mod 256) are filled in after linking by
 *     tools/optionrom_sum.c.
 *   - Init does nothing: the ROM takes no memory and hooks no interrupt.
 *   - BEV: checks the fw_cfg signature ("QEMU" on key 0) and its DMA feature
 *     (bit 1 of key 1), then for setup, command line, kernel and initrd reads
 *     the part's address and size keys through the I/O ports and has fw_cfg
 *     DMA the data key there (guest memory above 1 MiB is out of reach of
 *     real-mode string I/O; DMA needs no mode switch). The DMA descriptor
 *     lives on the BIOS stack (the ROM itself is read-only by then).
 *   - The VMM has already filled in the setup header (type_of_loader,
 *     CAN_USE_HEAP, heap_end_ptr, cmd_line_ptr, ramdisk_image/size) to match
 *     the addresses it serves (hw/pc/fw_cfg_kernel.c), so the ROM only
 *     checks "HdrS" and enters the kernel: interrupts off, DS = ES = FS =
 *     GS = SS = the setup segment, SP = heap_end_ptr + 0x200, far jump to
 *     setup segment + 0x20 : 0.
 *   - Any failure prints a line through int 10h (SeaBIOS copies it to its
 *     serial console) and returns to the BIOS, which tries the next boot
 *     device.
 */
	.code16
	.text

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_PORT_DMA_HI 0x514
#define FW_CFG_PORT_DMA_LO 0x518
#define KEY_SIGNATURE 0x00
#define KEY_ID 0x01
#define KEY_KERNEL_ADDR 0x07
#define KEY_KERNEL_SIZE 0x08
#define KEY_INITRD_ADDR 0x0a
#define KEY_INITRD_SIZE 0x0b
#define KEY_KERNEL_DATA 0x11
#define KEY_INITRD_DATA 0x12
#define KEY_CMDLINE_ADDR 0x13
#define KEY_CMDLINE_SIZE 0x14
#define KEY_CMDLINE_DATA 0x15
#define KEY_SETUP_ADDR 0x16
#define KEY_SETUP_SIZE 0x17
#define KEY_SETUP_DATA 0x18
#define ID_DMA 0x02
#define DMA_CTL_ERROR 0x01
#define DMA_CTL_READ 0x02
#define DMA_CTL_SELECT 0x08
#define SIG_QEMU 0x554d4551             /* "QEMU" as a le32 */
#define SIG_HDRS 0x53726448             /* "HdrS" as a le32 */
#define HDR_MAGIC 0x202
#define HDR_HEAP_END_PTR 0x224

	.globl _start
_start:
	.byte 0x55, 0xaa
	.byte 0                         /* size in blocks: tools/optionrom_sum */
	jmp init                        /* init entry, offset 3 */

	.org 0x18
	.word 0                         /* PCI data structure: none */
	.word pnp_header

	.balign 16
pnp_header:
	.ascii "$PnP"
	.byte 1                         /* structure revision */
	.byte 2                         /* length in 16-byte units */
	.word 0                         /* next header: none */
	.byte 0                         /* reserved */
	.byte 0                         /* checksum: tools/optionrom_sum */
	.long 0                         /* device identifier */
	.word vendor_name               /* manufacturer string */
	.word product_name              /* product name (boot menu text) */
	.byte 0, 0, 0                   /* device type code */
	.byte 0                         /* device indicators */
	.word 0                         /* boot connection vector */
	.word 0                         /* disconnect vector */
	.word boot                      /* bootstrap entry vector */
	.word 0                         /* reserved */
	.word 0                         /* static resource information */

vendor_name:
	.asciz "Nyx"
product_name:
	.asciz "Linux loader (fw_cfg kernel)"

init:
	lret

/* cfg_read32: AX = key. Returns the item's first 4 bytes as a le32 in EAX. */
cfg_read32:
	push %cx
	push %dx
	mov $FW_CFG_PORT_SEL, %dx
	out %ax, %dx
	mov $FW_CFG_PORT_DATA, %dx
	mov $4, %cx
1:	in %dx, %al
	ror $8, %eax                    /* after 4 rounds: byte 0 lowest */
	loop 1b
	pop %dx
	pop %cx
	ret

/*
 * dma_read: AX = key, EDI = guest-physical destination, ECX = length.
 * Selects the key and reads it whole through fw_cfg DMA. CF set on error.
 * The 16-byte descriptor {be32 control, be32 length, be64 address} is built
 * on the stack; its physical address is SS * 16 + SP.
 */
dma_read:
	push %bp
	push %eax
	push %ebx
	push %edx
	sub $16, %sp
	mov %sp, %bp
	xchg %al, %ah                   /* control = be32(key << 16 | SELECT | READ) */
	mov %ax, 0(%bp)
	movw $((DMA_CTL_SELECT | DMA_CTL_READ) << 8), 2(%bp)
	mov %ecx, %eax
	bswap %eax
	mov %eax, 4(%bp)
	movl $0, 8(%bp)                 /* address, high half */
	mov %edi, %eax
	bswap %eax
	mov %eax, 12(%bp)
	xor %eax, %eax
	mov %ss, %ax
	shl $4, %eax
	movzwl %bp, %ebx
	add %eax, %ebx                  /* EBX = descriptor address */
	xor %eax, %eax
	mov $FW_CFG_PORT_DMA_HI, %dx
	out %eax, %dx
	mov %ebx, %eax
	bswap %eax
	mov $FW_CFG_PORT_DMA_LO, %dx
	out %eax, %dx                   /* the low half starts the transfer */
2:	mov 0(%bp), %eax                /* done once control is 0 or ERROR */
	bswap %eax
	test $~DMA_CTL_ERROR, %eax
	jnz 2b
	add $16, %sp
	pop %edx
	pop %ebx
	bt $0, %ax                      /* CF = ERROR */
	pop %eax
	pop %bp
	ret

/* load_part: AX = address key (the size key follows it in BX, the data
 * key in SI). Loads one part; CF set on a DMA error. */
load_part:
	push %eax
	mov %bx, %ax
	call cfg_read32
	mov %eax, %ecx
	pop %eax
	call cfg_read32
	mov %eax, %edi
	jecxz 1f                        /* absent part (no initrd): size 0 */
	mov %si, %ax
	call dma_read
	ret
1:	clc
	ret

/* puts: CS:SI = NUL-terminated message, through int 10h teletype. */
puts:
	push %ax
	push %bx
1:	lodsb %cs:(%si), %al
	test %al, %al
	jz 2f
	mov $0x0e, %ah
	mov $0x0007, %bx
	int $0x10
	jmp 1b
2:	pop %bx
	pop %ax
	ret

	.macro LOAD_PART addr_key, size_key, data_key
	mov $\addr_key, %ax
	mov $\size_key, %bx
	mov $\data_key, %si
	call load_part
	jc dma_failed
	.endm

boot:
	cli
	cld
	mov $KEY_SIGNATURE, %ax
	call cfg_read32
	cmp $SIG_QEMU, %eax
	jne no_fw_cfg
	mov $KEY_ID, %ax
	call cfg_read32
	test $ID_DMA, %al
	jz no_dma

	LOAD_PART KEY_SETUP_ADDR, KEY_SETUP_SIZE, KEY_SETUP_DATA
	LOAD_PART KEY_CMDLINE_ADDR, KEY_CMDLINE_SIZE, KEY_CMDLINE_DATA
	LOAD_PART KEY_KERNEL_ADDR, KEY_KERNEL_SIZE, KEY_KERNEL_DATA
	LOAD_PART KEY_INITRD_ADDR, KEY_INITRD_SIZE, KEY_INITRD_DATA

	mov $KEY_SETUP_ADDR, %ax
	call cfg_read32
	shr $4, %eax                    /* setup segment */
	mov %ax, %ds
	cmpl $SIG_HDRS, HDR_MAGIC
	jne no_kernel
	mov HDR_HEAP_END_PTR, %dx
	add $0x200, %dx                 /* heap_end: the top of the setup stack */
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov %dx, %sp
	add $0x20, %ax                  /* setup code follows the boot sector */
	push %ax
	pushw $0
	lret

no_fw_cfg:
	mov $msg_no_fw_cfg, %si
	jmp fail
no_dma:
	mov $msg_no_dma, %si
	jmp fail
dma_failed:
	mov $msg_dma_failed, %si
	jmp fail
no_kernel:
	mov $msg_no_kernel, %si
fail:
	push %cs
	pop %ds
	call puts
	sti
	lret

msg_no_fw_cfg:
	.asciz "linuxboot: no fw_cfg device\r\n"
msg_no_dma:
	.asciz "linuxboot: fw_cfg without DMA\r\n"
msg_dma_failed:
	.asciz "linuxboot: fw_cfg DMA of the kernel failed\r\n"
msg_no_kernel:
	.asciz "linuxboot: no Linux setup header (HdrS) in the loaded setup\r\n"
