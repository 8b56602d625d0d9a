/*
 * Character backends (stdio, none, file:, unix:) for serial ports and debug
 * ports; see chardev.h for the contract.
 *
 * Design note (threads and file descriptors):
 *  - Writers are vCPU threads; they take c->lock, so bytes from two vCPUs
 *    never interleave inside one chardev_write call.
 *  - The input fd and the unix client fd are opened, watched and closed only
 *    on the event loop thread (or before the loop runs). A writer that sees
 *    the client gone marks it dead and asks the loop thread to close it.
 *  - Frontend callbacks (can_read/read) are called without c->lock held:
 *    the frontend calls chardev_write under its own lock, so holding ours
 *    across its callbacks would invert the lock order.
 *  - A sink that stays full (a stopped terminal, a pipe nobody reads) costs
 *    at most CHARDEV_WRITE_WAIT_MS once; further output is dropped without
 *    waiting until the sink accepts a byte again.
 */
#define _GNU_SOURCE   /* accept4 */
#include "core/chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"

#define CHARDEV_WRITE_WAIT_MS 50
#define CHARDEV_READ_CHUNK 256

enum chardev_type { CHR_NONE, CHR_STDIO, CHR_FILE, CHR_UNIX };

struct chardev {
	enum chardev_type type;
	struct event_loop *loop;
	struct logger *log;
	pthread_mutex_t lock;

	int out_fd;              /* -1: output dropped */
	int in_fd;               /* -1: no input (now) */
	int listen_fd;           /* unix: the listening socket */
	char *path;              /* unix: to unlink at close */
	bool watching;           /* in_fd registered with the loop (loop thread) */
	bool in_eof;
	bool congested;          /* last write timed out: drop until writable */
	bool out_regular;        /* out_fd is a regular file: always writable, no poll */
	atomic_bool resume_pending;
	atomic_bool client_dead;

	chardev_can_read_fn can_read;
	chardev_read_fn read;
	void *opaque;
};

/*
 * The terminal is process-wide state: the settings to restore live here so
 * that an exit() anywhere still gives the user a sane terminal back.
 */
static struct termios stdio_saved_tios;
static atomic_bool stdio_raw;
static atomic_bool stdio_input_claimed;

static void stdio_restore(void)
{
	if (atomic_exchange(&stdio_raw, false))
		tcsetattr(STDIN_FILENO, TCSANOW, &stdio_saved_tios);
}

/*
 * ^C (ISIG stays on) or a kill would end the process without atexit:
 * put the terminal back, then die of the signal as before. Installed only
 * where the signal still has its default action, so a handler of the
 * program's own (a graceful stop that ends in chardev_close) wins.
 */
static void stdio_on_fatal_signal(int sig)
{
	if (atomic_load(&stdio_raw))
		tcsetattr(STDIN_FILENO, TCSANOW, &stdio_saved_tios);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void stdio_catch_fatal_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction old, sa = { .sa_handler = stdio_on_fatal_signal };

		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
			sigemptyset(&sa.sa_mask);
			sa.sa_flags = SA_RESETHAND;
			sigaction(sigs[i], &sa, NULL);
		}
	}
}

static void stdio_make_raw(void)
{
	static atomic_bool atexit_done;
	struct termios t;

	/* Not a terminal, or we run in the background (tcsetattr would stop
	 * us with SIGTTOU): leave the terminal alone. */
	if (!isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) != getpgrp() ||
	    tcgetattr(STDIN_FILENO, &stdio_saved_tios))
		return;
	t = stdio_saved_tios;
	/* Keys go to the guest unmodified; ISIG stays so ^C still stops nyx. */
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t))
		return;
	atomic_store(&stdio_raw, true);
	if (!atomic_exchange(&atexit_done, true)) {
		atexit(stdio_restore);
		stdio_catch_fatal_signals();
	}
}

static void chardev_close_client(struct chardev *c);

/* Loop thread: input is readable on c->in_fd. */
static void chardev_on_input(void *opaque, int fd)
{
	struct chardev *c = opaque;
	uint8_t buf[CHARDEV_READ_CHUNK];
	size_t room;
	ssize_t n;

	if (fd != c->in_fd)
		return;
	room = c->can_read ? c->can_read(c->opaque) : sizeof buf;
	if (room == 0) {
		/* Stop watching until the frontend drains (chardev_accept_input). */
		loop_del_fd(c->loop, fd);
		c->watching = false;
		return;
	}
	if (room > sizeof buf)
		room = sizeof buf;
	n = read(fd, buf, room);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (c->type == CHR_UNIX) {
			LOG(c->log, LOG_INFO, "chardev", "unix:%s: client disconnected", c->path);
			chardev_close_client(c);
		} else {
			/* stdin at EOF (e.g. /dev/null): stop polling it. */
			loop_del_fd(c->loop, fd);
			c->watching = false;
			c->in_eof = true;
		}
		return;
	}
	if (c->read)
		c->read(c->opaque, buf, (size_t)n);
}

static void chardev_start_input(struct chardev *c)
{
	if (!c->loop || c->in_fd < 0 || c->watching || c->in_eof)
		return;
	if (loop_add_fd(c->loop, c->in_fd, chardev_on_input, c) == 0)
		c->watching = true;
}

/* Loop thread. */
static void chardev_close_client(struct chardev *c)
{
	int fd = c->in_fd;

	if (fd < 0)
		return;
	if (c->watching)
		loop_del_fd(c->loop, fd);
	pthread_mutex_lock(&c->lock);
	c->watching = false;
	c->in_fd = -1;
	c->out_fd = -1;
	pthread_mutex_unlock(&c->lock);
	close(fd);
	atomic_store(&c->client_dead, false);
}

/* Loop thread: a client connects to the unix socket. */
static void chardev_on_accept(void *opaque, int fd)
{
	struct chardev *c = opaque;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (cfd < 0)
		return;
	if (c->in_fd >= 0) {
		LOG(c->log, LOG_WARN, "chardev", "unix:%s: refusing a second client", c->path);
		close(cfd);
		return;
	}
	pthread_mutex_lock(&c->lock);
	c->in_fd = cfd;
	c->out_fd = cfd;
	c->congested = false;
	pthread_mutex_unlock(&c->lock);
	LOG(c->log, LOG_INFO, "chardev", "unix:%s: client connected", c->path);
	chardev_start_input(c);
}

static void chardev_on_resume(void *opaque)
{
	struct chardev *c = opaque;

	atomic_store(&c->resume_pending, false);
	if (atomic_load(&c->client_dead))
		chardev_close_client(c);
	else
		chardev_start_input(c);
}

static int chardev_open_unix(struct chardev *c, const char *path, char *err, size_t err_len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (!c->loop) {
		snprintf(err, err_len, "unix:%s: needs an event loop", path);
		return -EINVAL;
	}
	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, err_len, "unix:%s: path longer than %zu bytes", path,
			 sizeof sa.sun_path - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, err_len, "unix:%s: exists and is not a socket", path);
			return -EEXIST;
		}
		unlink(path);   /* a stale socket from an earlier run */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, err_len, "unix:%s: socket: %s", path, strerror(errno));
		return ret;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 1)) {
		ret = -errno;
		snprintf(err, err_len, "unix:%s: %s", path, strerror(errno));
		close(fd);
		return ret;
	}
	ret = loop_add_fd(c->loop, fd, chardev_on_accept, c);
	if (ret) {
		snprintf(err, err_len, "unix:%s: cannot watch the socket", path);
		close(fd);
		unlink(path);
		return ret;
	}
	c->listen_fd = fd;
	c->path = strdup(path);
	return c->path ? 0 : -ENOMEM;
}

int chardev_open(struct chardev **out, const char *spec, struct event_loop *loop,
		 struct logger *log, char *err, size_t err_len)
{
	struct chardev *c;
	int ret = 0;

	*out = NULL;
	if (!spec)
		spec = "none";
	c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, err_len, "%s: out of memory", spec);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->loop = loop;
	c->log = log;
	c->out_fd = c->in_fd = c->listen_fd = -1;

	if (!strcmp(spec, "none")) {
		c->type = CHR_NONE;
	} else if (!strcmp(spec, "stdio")) {
		c->type = CHR_STDIO;
		c->out_fd = STDOUT_FILENO;
		/* Only one backend reads the process's stdin. */
		if (!atomic_exchange(&stdio_input_claimed, true)) {
			c->in_fd = STDIN_FILENO;
			stdio_make_raw();
		}
	} else if (!strncmp(spec, "file:", 5) && spec[5]) {
		c->type = CHR_FILE;
		c->out_fd = open(spec + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (c->out_fd < 0) {
			ret = -errno;
			snprintf(err, err_len, "%s: cannot open: %s", spec, strerror(errno));
		}
	} else if (!strncmp(spec, "unix:", 5) && spec[5]) {
		c->type = CHR_UNIX;
		ret = chardev_open_unix(c, spec + 5, err, err_len);
	} else {
		snprintf(err, err_len,
			 "'%s': unknown backend (use stdio, none, file:PATH or unix:PATH)",
			 spec);
		ret = -EINVAL;
	}
	if (ret) {
		chardev_close(c);
		return ret;
	}
	struct stat st;
	if (c->out_fd >= 0 && c->type != CHR_UNIX && !fstat(c->out_fd, &st) &&
	    S_ISREG(st.st_mode))
		c->out_regular = true;
	*out = c;
	return 0;
}

void chardev_set_handlers(struct chardev *c, chardev_can_read_fn can_read,
			  chardev_read_fn read, void *opaque)
{
	c->can_read = can_read;
	c->read = read;
	c->opaque = opaque;
	chardev_start_input(c);
}

/* Writes all of buf to fd or gives up; c->lock held. */
static void chardev_write_fd(struct chardev *c, int fd, const uint8_t *buf, size_t len)
{
	bool sock = c->type == CHR_UNIX;

	while (len) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int wait = c->congested ? 0 : CHARDEV_WRITE_WAIT_MS;
		ssize_t n;

		/* A regular file is always writable: a poll per byte of serial
		 * output was half the syscalls of a logged boot. */
		if (c->out_regular)
			goto do_write;
		if (poll(&p, 1, wait) <= 0) {
			c->congested = true;
			return;
		}
		if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) {
			/* The reader is gone: writing would raise SIGPIPE. */
			if (sock && !atomic_exchange(&c->client_dead, true) &&
			    !atomic_exchange(&c->resume_pending, true))
				loop_call(c->loop, chardev_on_resume, c);
			c->out_fd = -1;
			return;
		}
		c->congested = false;
do_write:
		n = sock ? send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) : write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (sock && !atomic_exchange(&c->client_dead, true) &&
			    !atomic_exchange(&c->resume_pending, true))
				loop_call(c->loop, chardev_on_resume, c);
			c->out_fd = -1;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

void chardev_write(struct chardev *c, const uint8_t *buf, size_t len)
{
	if (!c || !len)
		return;
	pthread_mutex_lock(&c->lock);
	if (c->out_fd >= 0)
		chardev_write_fd(c, c->out_fd, buf, len);
	pthread_mutex_unlock(&c->lock);
}

void chardev_accept_input(struct chardev *c)
{
	if (!c || !c->loop || c->type == CHR_NONE || c->type == CHR_FILE)
		return;
	if (!atomic_exchange(&c->resume_pending, true))
		loop_call(c->loop, chardev_on_resume, c);
}

const char *chardev_kind(const struct chardev *c)
{
	static const char *const names[] = { "none", "stdio", "file", "unix" };

	return c ? names[c->type] : "none";
}

void chardev_close(struct chardev *c)
{
	if (!c)
		return;
	if (c->watching)
		loop_del_fd(c->loop, c->in_fd);
	switch (c->type) {
	case CHR_STDIO:
		if (c->in_fd >= 0) {
			stdio_restore();
			atomic_store(&stdio_input_claimed, false);
		}
		break;
	case CHR_FILE:
		if (c->out_fd >= 0)
			close(c->out_fd);
		break;
	case CHR_UNIX:
		if (c->in_fd >= 0)
			close(c->in_fd);
		if (c->listen_fd >= 0) {
			loop_del_fd(c->loop, c->listen_fd);
			close(c->listen_fd);
		}
		if (c->path)
			unlink(c->path);
		break;
	case CHR_NONE:
		break;
	}
	free(c->path);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
