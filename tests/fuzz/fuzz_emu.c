/*
 * libFuzzer entry for the emulator decoder and executor: `make fuzz-emu`,
 * then build-fuzz/fuzz-emu [corpus dir]. A case fails (abort) when the
 * emulator returns an undefined exit or its state does not round-trip;
 * ASan/UBSan catch memory errors in the decoder and executor.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_emu_run.h"

int test_failures;

void test_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "fuzz-emu: %s:%d: %s\n", file, line, expr);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fuzz_emu_case(data, size))
		abort();
	return 0;
}
