/*
 * The event loop: one thread that owns timers, file-descriptor watches
 * (serial input, sockets) and calls posted from other threads.
 * Timer and fd callbacks run on the loop thread only.
 */
#ifndef NYX_CORE_LOOP_H
#define NYX_CORE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct event_loop;
struct loop_timer;

typedef void (*loop_fd_fn)(void *opaque, int fd);
typedef void (*loop_timer_fn)(void *opaque);
typedef void (*loop_call_fn)(void *opaque);

/* Host monotonic clock in ns. */
uint64_t clock_ns(void);
/* Wall clock (realtime) in ns since the epoch. */
uint64_t clock_wall_ns(void);

struct event_loop *loop_new(void);
void loop_free(struct event_loop *l);
/* Runs until loop_quit(); returns on the loop thread. */
void loop_run(struct event_loop *l);
void loop_quit(struct event_loop *l);     /* any thread */
/* Runs fn(opaque) on the loop thread soon (any thread). */
int loop_call(struct event_loop *l, loop_call_fn fn, void *opaque);

int loop_add_fd(struct event_loop *l, int fd, loop_fd_fn fn, void *opaque);
void loop_del_fd(struct event_loop *l, int fd);

struct loop_timer *timer_new(struct event_loop *l, loop_timer_fn fn, void *opaque);
/* Arms the timer to fire at absolute clock_ns() time `when` (any thread). */
void timer_mod(struct loop_timer *t, uint64_t when);
void timer_del(struct loop_timer *t);     /* disarm (any thread) */
void timer_free(struct loop_timer *t);
bool timer_pending(struct loop_timer *t);

#endif
