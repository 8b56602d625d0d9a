/*
 * Event loop: epoll over watched fds plus an eventfd for wake-ups; timers in
 * a list scanned for the earliest deadline (there are few: PIT, RTC, LAPIC,
 * serial, timeout), which sets the epoll_wait timeout.
 *
 * Timer state is guarded by the loop mutex; callbacks run on the loop thread
 * without it, so a callback may re-arm its own timer.
 */
#include "core/loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define LOOP_MAX_FDS 64

struct loop_timer {
	struct event_loop *loop;
	loop_timer_fn fn;
	void *opaque;
	uint64_t when;
	bool armed;
	struct loop_timer *next;
};

struct fd_watch {
	int fd;
	loop_fd_fn fn;
	void *opaque;
};

struct loop_callq {
	loop_call_fn fn;
	void *opaque;
	struct loop_callq *next;
};

struct event_loop {
	int epfd, evfd;
	pthread_mutex_t lock;
	struct loop_timer *timers;
	struct fd_watch fds[LOOP_MAX_FDS];
	struct loop_callq *calls, **calls_tail;
	bool quit;
	bool no_pwait2;           /* epoll_pwait2 missing: use epoll_wait */
};

uint64_t clock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t clock_wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void wake(struct event_loop *l)
{
	uint64_t one = 1;
	if (write(l->evfd, &one, sizeof(one)) < 0) {
		/* counter saturated: the loop is already awake */
	}
}

struct event_loop *loop_new(void)
{
	struct event_loop *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->epfd < 0 || l->evfd < 0)
		goto err;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->evfd, &ev))
		goto err;
	pthread_mutex_init(&l->lock, NULL);
	for (int i = 0; i < LOOP_MAX_FDS; i++)
		l->fds[i].fd = -1;
	l->calls_tail = &l->calls;
	return l;
err:
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->evfd >= 0)
		close(l->evfd);
	free(l);
	return NULL;
}

void loop_free(struct event_loop *l)
{
	if (!l)
		return;
	struct loop_timer *t = l->timers;
	while (t) {
		struct loop_timer *n = t->next;
		free(t);
		t = n;
	}
	struct loop_callq *c = l->calls;
	while (c) {
		struct loop_callq *n = c->next;
		free(c);
		c = n;
	}
	close(l->epfd);
	close(l->evfd);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

void loop_quit(struct event_loop *l)
{
	pthread_mutex_lock(&l->lock);
	l->quit = true;
	pthread_mutex_unlock(&l->lock);
	wake(l);
}

int loop_call(struct event_loop *l, loop_call_fn fn, void *opaque)
{
	struct loop_callq *c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fn = fn;
	c->opaque = opaque;
	c->next = NULL;
	pthread_mutex_lock(&l->lock);
	*l->calls_tail = c;
	l->calls_tail = &c->next;
	pthread_mutex_unlock(&l->lock);
	wake(l);
	return 0;
}

int loop_add_fd(struct event_loop *l, int fd, loop_fd_fn fn, void *opaque)
{
	pthread_mutex_lock(&l->lock);
	int slot = -1;
	for (int i = 0; i < LOOP_MAX_FDS; i++)
		if (l->fds[i].fd < 0) {
			slot = i;
			break;
		}
	if (slot < 0) {
		pthread_mutex_unlock(&l->lock);
		return -ENOSPC;
	}
	l->fds[slot] = (struct fd_watch){ fd, fn, opaque };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &l->fds[slot] };
	int rc = epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
	if (rc)
		l->fds[slot].fd = -1;
	pthread_mutex_unlock(&l->lock);
	return rc;
}

void loop_del_fd(struct event_loop *l, int fd)
{
	pthread_mutex_lock(&l->lock);
	for (int i = 0; i < LOOP_MAX_FDS; i++)
		if (l->fds[i].fd == fd) {
			epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
			l->fds[i].fd = -1;
		}
	pthread_mutex_unlock(&l->lock);
}

struct loop_timer *timer_new(struct event_loop *l, loop_timer_fn fn, void *opaque)
{
	struct loop_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->loop = l;
	t->fn = fn;
	t->opaque = opaque;
	pthread_mutex_lock(&l->lock);
	t->next = l->timers;
	l->timers = t;
	pthread_mutex_unlock(&l->lock);
	return t;
}

void timer_mod(struct loop_timer *t, uint64_t when)
{
	pthread_mutex_lock(&t->loop->lock);
	t->when = when;
	t->armed = true;
	pthread_mutex_unlock(&t->loop->lock);
	wake(t->loop);
}

void timer_del(struct loop_timer *t)
{
	pthread_mutex_lock(&t->loop->lock);
	t->armed = false;
	pthread_mutex_unlock(&t->loop->lock);
}

bool timer_pending(struct loop_timer *t)
{
	pthread_mutex_lock(&t->loop->lock);
	bool a = t->armed;
	pthread_mutex_unlock(&t->loop->lock);
	return a;
}

void timer_free(struct loop_timer *t)
{
	if (!t)
		return;
	struct event_loop *l = t->loop;
	pthread_mutex_lock(&l->lock);
	for (struct loop_timer **pp = &l->timers; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	pthread_mutex_unlock(&l->lock);
	free(t);
}

/* Fires due timers; returns ns until the next one (-1 = none). Caller does
 * not hold the lock. */
static int64_t run_timers(struct event_loop *l)
{
	for (;;) {
		uint64_t now = clock_ns();
		struct loop_timer *due = NULL;
		uint64_t next = UINT64_MAX;
		pthread_mutex_lock(&l->lock);
		for (struct loop_timer *t = l->timers; t; t = t->next) {
			if (!t->armed)
				continue;
			if (t->when <= now) {
				due = t;
				break;
			}
			if (t->when < next)
				next = t->when;
		}
		if (due)
			due->armed = false;
		pthread_mutex_unlock(&l->lock);
		if (due) {
			due->fn(due->opaque);
			continue;
		}
		if (next == UINT64_MAX)
			return -1;
		uint64_t ns = next - now;
		return ns > 1000000000ULL ? 1000000000LL : (int64_t)ns;
	}
}

static void run_calls(struct event_loop *l)
{
	pthread_mutex_lock(&l->lock);
	struct loop_callq *c = l->calls;
	l->calls = NULL;
	l->calls_tail = &l->calls;
	pthread_mutex_unlock(&l->lock);
	while (c) {
		struct loop_callq *n = c->next;
		c->fn(c->opaque);
		free(c);
		c = n;
	}
}

/* epoll_pwait2 (ns timeouts) where the kernel has it; epoll_wait, with the
 * timeout rounded up to whole milliseconds, where it does not (kernels
 * before 5.11, valgrind). */
static int wait_events(struct event_loop *l, struct epoll_event *evs, int max, int64_t timeout_ns)
{
	if (!l->no_pwait2) {
		struct timespec ts = { timeout_ns / 1000000000LL, timeout_ns % 1000000000LL };
		int n = epoll_pwait2(l->epfd, evs, max, timeout_ns < 0 ? NULL : &ts, NULL);
		if (n >= 0 || errno != ENOSYS)
			return n;
		l->no_pwait2 = true;
	}
	int ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000);
	return epoll_wait(l->epfd, evs, max, ms);
}

void loop_run(struct event_loop *l)
{
	for (;;) {
		run_calls(l);
		int64_t timeout = run_timers(l);
		pthread_mutex_lock(&l->lock);
		bool quit = l->quit;
		l->quit = false;
		pthread_mutex_unlock(&l->lock);
		if (quit)
			return;
		struct epoll_event evs[16];
		int n = wait_events(l, evs, 16, timeout);
		for (int i = 0; i < n; i++) {
			struct fd_watch *w = evs[i].data.ptr;
			if (!w) {
				uint64_t v;
				while (read(l->evfd, &v, sizeof(v)) > 0)
					;
				continue;
			}
			if (w->fd >= 0)
				w->fn(w->opaque, w->fd);
		}
	}
}
