/* The `nyx` command: runs a script, boots a VM from flags, or helps. */
#include <stdio.h>
#include <string.h>

#include "nyx/nyx.h"
#include "nyx/script.h"

static void usage(FILE *f)
{
	fprintf(f, "usage:\n"
		   "  nyx FILE.ny [ARGS...]   run a Nyx script\n"
		   "  nyx run [OPTIONS]       boot a VM from flags ('nyx run --help')\n"
		   "  nyx help | nyx version\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "run"))
		return nyx_run_main(argc - 2, argv + 2);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("nyx %s\n", NYX_VERSION);
		return 0;
	}
	size_t n = strlen(cmd);
	if (n > 3 && !strcmp(cmd + n - 3, ".ny")) {
		return nyx_script_main(argc - 1, argv + 1);
	}
	fprintf(stderr, "nyx: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
