/*
 * Hand-written guest code for the emulator unit tests, assembled once with
 * GNU as (the source of each snippet is the comment above its bytes).
 * Regenerate: python3 tests/unit/emu/gen.py tests/unit/emu/snippets.s > tests/unit/emu/code.h
 */
#ifndef NYX_TEST_EMU_CODE_H
#define NYX_TEST_EMU_CODE_H

#include <stdint.h>

/* [code64 at 0x1000]
 *       mov $0x4000, %esi
 *       mov $20000000, %ecx
 *   1:
 *       add %rcx, %rax
 *       xor %rdx, %rax
 *       mov %rax, (%rsi)
 *       mov (%rsi), %rbx
 *       dec %ecx
 *       jnz 1b
 *       hlt */
static const uint8_t bench_alu64[] = {
	0xbe, 0x00, 0x40, 0x00, 0x00, 0xb9, 0x00, 0x2d, 0x31, 0x01, 0x48, 0x01,
	0xc8, 0x48, 0x31, 0xd0, 0x48, 0x89, 0x06, 0x48, 0x8b, 0x1e, 0xff, 0xc9,
	0x75, 0xf0, 0xf4,
};

/* [code16 at 0x1000]
 *       mov $0x7000, %sp
 *       mov $0, %bx
 *       mov $20, %dx
 *   2:
 *       mov $50000, %cx
 *   1:
 *       call f
 *       loop 1b
 *       dec %dx
 *       jnz 2b
 *       hlt
 *   f:
 *       push %ax
 *       mov (%bx), %ax
 *       add $3, %ax
 *       mov %ax, (%bx)
 *       pop %ax
 *       ret */
static const uint8_t bench_call16[] = {
	0xbc, 0x00, 0x70, 0xbb, 0x00, 0x00, 0xba, 0x14, 0x00, 0xb9, 0x50, 0xc3,
	0xe8, 0x06, 0x00, 0xe2, 0xfb, 0x4a, 0x75, 0xf5, 0xf4, 0x50, 0x8b, 0x07,
	0x83, 0xc0, 0x03, 0x89, 0x07, 0x58, 0xc3,
};

#endif
