/*
 * x87 host stubs: every x87 data instruction (D8-DF) the emulator does not
 * handle itself is executed by the host's own x87 unit on a copy of the
 * guest's x87 state. Nyx's emulator only runs on x86-64 hosts (the KVM
 * backend is the production path there), so the host FPU is the most
 * faithful x87 available: 80-bit results, precision and rounding control,
 * denormals, C0-C3, the stack fault rules and the transcendental
 * approximations are the real processor's.
 *
 * Design note — the stub table: one 32-byte stub per opcode form, 8 memory
 * forms (ModRM.reg, the operand at [rsi]) and 64 register forms per opcode
 * byte D8-DF, 576 in all. A stub loads the guest's arithmetic flags
 * (FCMOVcc reads them), FXRSTORs the image at [rdi], runs the one
 * instruction, keeps RFLAGS (FCOMI writes them), FXSAVEs the image and
 * FNINITs, so the host FPU is left clean: FXSAVE and FNINIT do not wait, so
 * an exception the instruction raised unmasked never traps on the host. The
 * caller (x87.c) clears the exception flags and ES in the image first so no
 * exception is pending when the instruction runs, sets MXCSR to its default
 * (FXRSTOR loads it) and only ever calls valid encodings.
 */
#include "cpu/emu/emu.h"
#include "cpu/emu/x87.h"

__asm__(
	".pushsection .text\n"
	".macro NYX_X87_STUB op, modrm\n"
	"	.balign 32\n"
	"	endbr64\n"
	"	pushq %rdx\n"
	"	popfq\n"
	"	fxrstor64 (%rdi)\n"
	"	.byte \\op, \\modrm\n"
	"	pushfq\n"
	"	popq %rax\n"
	"	fxsave64 (%rdi)\n"
	"	fninit\n"
	"	ret\n"
	".endm\n"
	".macro NYX_X87_OP op\n"
	"	.irp r, 0, 1, 2, 3, 4, 5, 6, 7\n"
	"	NYX_X87_STUB \\op, (\\r << 3) | 6\n"
	"	.endr\n"
	"	.irp r, 0, 1, 2, 3, 4, 5, 6, 7\n"
	"	.irp i, 0, 1, 2, 3, 4, 5, 6, 7\n"
	"	NYX_X87_STUB \\op, 0xC0 | (\\r << 3) | \\i\n"
	"	.endr\n"
	"	.endr\n"
	".endm\n"
	"	.balign 32\n"
	"	.globl nyx_x87_stubs\n"
	"	.hidden nyx_x87_stubs\n"
	"nyx_x87_stubs:\n"
	"	.irp op, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF\n"
	"	NYX_X87_OP \\op\n"
	"	.endr\n"
	".purgem NYX_X87_OP\n"
	".purgem NYX_X87_STUB\n"
	".popsection\n");

extern const char nyx_x87_stubs[];

typedef uint64_t (*x87_stub_fn)(void *img, void *mem, uint64_t rflags);

uint64_t x87_host_run(void *img, unsigned op, unsigned modrm, void *mem, uint64_t rflags)
{
	unsigned idx = (op - 0xD8) * 72 + ((modrm & 0xC0) == 0xC0 ? 8 + (modrm & 0x3F) : (modrm >> 3) & 7);
	x87_stub_fn fn = (x87_stub_fn)(uintptr_t)(nyx_x87_stubs + 32 * idx);
	return fn(img, mem, (rflags & 0x8D5) | 2);
}
