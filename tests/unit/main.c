/* Unit-test runner: runs every TEST() (or those whose name contains argv[1]). */
#include <stdlib.h>
#include "harness.h"

extern const struct unit_test __start_nyx_tests[], __stop_nyx_tests[];
int test_failures;

void test_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "  FAIL %s:%d: %s\n", file, line, expr);
	test_failures++;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	for (const struct unit_test *t = __start_nyx_tests; t < __stop_nyx_tests; t++) {
		if (argc > 1 && !strstr(t->name, argv[1]))
			continue;
		int before = test_failures;
		t->fn();
		if (test_failures == before) {
			passed++;
		} else {
			failed++;
			fprintf(stderr, "FAILED %s\n", t->name);
		}
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
