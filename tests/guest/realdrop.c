/*
 * realdrop: leaves protected mode for real mode and comes back, as boot
 * loaders and firmware do to call 16-bit code (Intel SDM vol. 3, 9.9.2):
 * far jump to a 16-bit code segment, load 64 KiB data segments and the
 * real-mode IVT, clear CR0.PE, far jump to a real-mode CS, run there, then
 * set CR0.PE again and far jump back. In real mode the stub prints over
 * COM1, records CS, runs INT 0x30 through the IVT, and reads a variable
 * above 1 MiB through FS with a 32-bit offset: FS was loaded with a flat
 * 4 GiB segment in protected mode and not reloaded, so its hidden limit
 * stays 4 GiB ("unreal mode", which SeaBIOS relies on).
 *
 * The stub is copied to 0x7000 (real-mode code must sit below 1 MiB); its
 * internal addresses are written as 0x7000 + (label - rd_start).
 */
#include "rt.h"

#define STUB	0x7000u
#define RESULTS	0x6000u		/* CS, FS read, INT flag, from the stub */

extern char rd_start[], rd_end[];
void realdrop_enter(void);
volatile uint32_t realdrop_magic = 0x600dfeed;
uint32_t realdrop_esp;

asm(".pushsection .text\n"
    ".code32\n"
    ".globl realdrop_enter\n"
    "realdrop_enter:\n"
    "	pushal\n"
    "	movl %esp, realdrop_esp\n"
    "	movw $0x10, %ax\n"		/* FS: flat 4 GiB, kept into real mode */
    "	movw %ax, %fs\n"
    "	ljmp $0x20, $0x7000 + (rd_pm16 - rd_start)\n"
    "rd_back:\n"
    "	movw $0x10, %ax\n"
    "	movw %ax, %ds\n"
    "	movw %ax, %es\n"
    "	movw %ax, %ss\n"
    "	movw %ax, %fs\n"
    "	movw %ax, %gs\n"
    "	movl realdrop_esp, %esp\n"
    "	popal\n"
    "	ret\n"
    ".code16\n"
    "rd_start:\n"
    "rd_pm16:\n"
    "	movw $0x28, %ax\n"
    "	movw %ax, %ds\n"
    "	movw %ax, %es\n"
    "	movw %ax, %ss\n"
    "	lidt 0x7000 + (rd_ivt - rd_start)\n"
    "	movl %cr0, %eax\n"
    "	andl $~1, %eax\n"
    "	movl %eax, %cr0\n"
    "	ljmp $0x0700, $(rd_real - rd_start)\n"
    "rd_real:\n"
    "	xorw %ax, %ax\n"
    "	movw %ax, %ds\n"
    "	movw %ax, %es\n"
    "	movw %ax, %ss\n"
    "	movw $0x6ff0, %sp\n"
    "	movw $0x7000 + (rd_msg - rd_start), %si\n"
    "1:	movb (%si), %bl\n"
    "	incw %si\n"
    "	testb %bl, %bl\n"
    "	jz 3f\n"
    "	movw $0x3fd, %dx\n"
    "2:	inb %dx, %al\n"
    "	testb $0x20, %al\n"
    "	jz 2b\n"
    "	movw $0x3f8, %dx\n"
    "	movb %bl, %al\n"
    "	outb %al, %dx\n"
    "	jmp 1b\n"
    "3:	movw %cs, %ax\n"
    "	movw %ax, 0x6000\n"
    "	movl $realdrop_magic, %esi\n"
    "	movl %fs:(%esi), %eax\n"
    "	movl %eax, 0x6004\n"
    "	movw $0, 0x6008\n"
    "	movw $(rd_int - rd_start), 0xc0\n"
    "	movw $0x0700, 0xc2\n"
    "	int $0x30\n"
    "	movl %cr0, %eax\n"
    "	orl $1, %eax\n"
    "	movl %eax, %cr0\n"
    "	ljmpl $0x08, $rd_back\n"
    "rd_int:\n"
    "	movw $0x1234, 0x6008\n"
    "	iret\n"
    "rd_ivt:\n"
    "	.word 0x3ff\n"
    "	.long 0\n"
    "rd_msg:\n"
    "	.asciz \"realdrop: hello from real mode\\r\\n\"\n"
    "rd_end:\n"
    ".code32\n"
    ".popsection\n");

int guest_main(void)
{
	volatile uint16_t *cs = (volatile uint16_t *)(uintptr_t)RESULTS;
	volatile uint32_t *fsread = (volatile uint32_t *)(uintptr_t)(RESULTS + 4);
	volatile uint16_t *intflag = (volatile uint16_t *)(uintptr_t)(RESULTS + 8);

	rt_puts("realdrop: in protected mode\n");
	memcpy((void *)(uintptr_t)STUB, rd_start, rd_end - rd_start);
	realdrop_enter();
	rt_printf("realdrop: back in protected mode, cr0.pe=%u\n", (unsigned)read_cr0() & 1);
	rt_printf("realdrop: real-mode cs=0x%04x\n", *cs);
	rt_printf("realdrop: unreal fs read above 1 MiB=0x%x\n", *fsread);
	rt_printf("realdrop: int 0x30 through the IVT=0x%x\n", *intflag);
	return RT_EXIT_OK;
}
