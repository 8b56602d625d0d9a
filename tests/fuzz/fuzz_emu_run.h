/*
 * One emulator fuzz case, shared by the libFuzzer entry (fuzz_emu.c) and the
 * fixed-seed unit test (tests/unit/test_emu_fuzz.c). Input: byte 0 picks
 * the mode (real, 32-bit protected, 64-bit long), the rest is code placed
 * at 0x1000 and run for a bounded number of instructions with every
 * exception vector pointing at a HLT. The case passes when the emulator
 * returns a defined exit and its state survives a get/set/get round trip.
 */
#ifndef NYX_TEST_FUZZ_EMU_RUN_H
#define NYX_TEST_FUZZ_EMU_RUN_H

#include "../unit/emu/fixture.h"

#define FUZZ_EMU_MAX_CODE 2048
#define FUZZ_EMU_STEPS 256

/* Returns 0 when the case ends in a defined state, -1 otherwise. */
static inline int fuzz_emu_case(const uint8_t *data, size_t len)
{
	static const uint8_t hlt = 0xf4;
	struct emu_fix *f = fix_new();
	if (!f || !len)
		goto out_ok;
	unsigned mode = data[0] % 3;
	data++;
	len--;
	if (len > FUZZ_EMU_MAX_CODE)
		len = FUZZ_EMU_MAX_CODE;
	switch (mode) {
	case 0:
		fix_real(f, data, len);
		for (unsigned v = 0; v < 256; v++)
			fix_put32(f, v * 4, 0x8000 + v);
		break;
	case 1:
		fix_prot32(f, data, len);
		f->s.cr4 |= 0x200;   /* OSFXSR: let SSE code run */
		for (unsigned v = 0; v < 256; v++)
			fix_gate32(f, v, SEL_CODE32, 0x8000 + v, 0xe, 3);
		break;
	default:
		fix_long(f, data, len);
		f->s.cr4 |= 0x200;
		for (unsigned v = 0; v < 256; v++)
			fix_gate64(f, v, SEL_CODE64, 0x8000 + v, 0xe, 3, 0);
		break;
	}
	for (unsigned v = 0; v < 256; v++)
		fix_put(f, 0x8000 + v, &hlt, 1);
	int r = fix_run(f, FUZZ_EMU_STEPS);
	if (r != -1 && r != VCPU_EXIT_HLT && r != VCPU_EXIT_SHUTDOWN)
		goto out_bad;
	/* The state read back loads again and reads back the same. */
	struct vcpu_state *a = malloc(sizeof(*a));
	if (!a)
		goto out_ok;
	*a = f->s;
	emu_state_set(f->cpu, a);
	emu_state_get(f->cpu, &f->s);
	bool same = !memcmp(a->regs, f->s.regs, sizeof(a->regs)) && a->rip == f->s.rip &&
		    a->rflags == f->s.rflags && !memcmp(a->seg, f->s.seg, sizeof(a->seg)) &&
		    a->cr0 == f->s.cr0 && a->cr3 == f->s.cr3 && a->cr4 == f->s.cr4 &&
		    a->efer == f->s.efer;
	free(a);
	if (!same)
		goto out_bad;
out_ok:
	if (f)
		fix_free(f);
	return 0;
out_bad:
	fix_free(f);
	return -1;
}

#endif
