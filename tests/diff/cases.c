/*
 * The hand-picked cases: case_code.S assembles each case's code into
 * .rodata.dtcode and a descriptor into the `difftest_cases` section; this
 * file walks that table (the linker provides its start and stop symbols).
 */
#include <string.h>

#include "difftest.h"

struct dt_case_desc {
	const char *name, *group;
	const uint8_t *start, *end;
	uint64_t undef_flags, undef_regs;
};

extern const struct dt_case_desc __start_difftest_cases[], __stop_difftest_cases[];

unsigned dt_cases_count(void)
{
	return (unsigned)(__stop_difftest_cases - __start_difftest_cases);
}

int dt_cases_get(unsigned i, struct dt_seq *s)
{
	if (i >= dt_cases_count())
		return -1;
	const struct dt_case_desc *c = &__start_difftest_cases[i];
	size_t len = (size_t)(c->end - c->start);
	if (len > DT_MAX_CODE)
		return -1;
	dt_seq_init(s, 0, 0);
	snprintf(s->name, sizeof(s->name), "%s", c->name);
	snprintf(s->group, sizeof(s->group), "%s", c->group);
	memcpy(s->code, c->start, len);
	s->len = (unsigned)len;
	/* No instruction boundaries: the masks hold wherever it ends. */
	s->ninsns = 0;
	s->undef_flags[0] = (uint32_t)c->undef_flags;
	s->undef_regs[0] = (uint16_t)c->undef_regs;
	return 0;
}
