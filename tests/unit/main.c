/* Unit-test runner: runs every TEST() (or those whose name contains argv[1]).
 * A test that has not returned after UNIT_TEST_LIMIT_S seconds is reported
 * as hung and the run fails at once, so a hang is a named failure, not a CI
 * job that runs into its time limit. */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include "harness.h"

#define UNIT_TEST_LIMIT_S 300   /* far above any test's run time on a loaded host */

extern const struct unit_test __start_nyx_tests[], __stop_nyx_tests[];
int test_failures;

void test_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "  FAIL %s:%d: %s\n", file, line, expr);
	test_failures++;
}

static const char *running;

static void on_alarm(int sig)
{
	static const char head[] = "FAILED ", tail[] = ": hung (no result after the per-test limit)\n";
	(void)sig;
	if (write(2, head, sizeof head - 1) < 0 || write(2, running, strlen(running)) < 0 ||
	    write(2, tail, sizeof tail - 1) < 0)
		_exit(1);
	_exit(1);
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	signal(SIGALRM, on_alarm);
	for (const struct unit_test *t = __start_nyx_tests; t < __stop_nyx_tests; t++) {
		if (argc > 1 && !strstr(t->name, argv[1]))
			continue;
		int before = test_failures;
		running = t->name;
		alarm(UNIT_TEST_LIMIT_S);
		t->fn();
		alarm(0);
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
