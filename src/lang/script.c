/*
 * `nyx FILE.ny [ARGS...]`: runs a script and turns its outcome into an exit
 * status. The interpreter runs on its own thread with a large stack, so the
 * recursion limits (not the caller's stack size) decide how deep scripts
 * may go.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "lang/interp.h"
#include "nyx/script.h"

#define SCRIPT_STACK_SIZE (256u << 20)

struct script_job {
	int argc;
	char **argv;
	int status;
};

static void *script_thread(void *arg)
{
	struct script_job *job = arg;
	struct nyx *I = nyx_new();
	int rc;

	if (!I) {
		job->status = 1;
		return NULL;
	}
	rc = nyx_run_file(I, job->argv[0], job->argc - 1, job->argv + 1);
	fflush(I->out);
	if (I->exit_code >= 0) {
		job->status = I->exit_code;
	} else if (rc) {
		fprintf(stderr, "%s\n", I->errmsg);
		job->status = 1;
	} else {
		job->status = 0;
	}
	nyx_free(I);
	return NULL;
}

int nyx_script_main(int argc, char **argv)
{
	struct script_job job = {argc, argv, 1};
	pthread_attr_t attr;
	pthread_t th;

	if (argc < 1) {
		fprintf(stderr, "usage: nyx FILE.ny [ARGS...]\n");
		return 2;
	}
	/* A script writing to a closed pipe gets an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, SCRIPT_STACK_SIZE);
	if (pthread_create(&th, &attr, script_thread, &job)) {
		/* Fall back to the caller's thread. */
		pthread_attr_destroy(&attr);
		script_thread(&job);
		return job.status;
	}
	pthread_attr_destroy(&attr);
	pthread_join(th, NULL);
	return job.status;
}
