/*
 * Character backends: where a serial port's (or a debug port's) bytes go
 * and where its input comes from.
 *
 *   stdio       output to stdout; input from stdin (raw mode only if stdin
 *               is a terminal; restored on close and at exit)
 *   none        output discarded, no input
 *   file:PATH   output appended to PATH (truncated at open), no input
 *   unix:PATH   a listening Unix stream socket, one client at a time,
 *               input and output; output is dropped while nobody listens
 *
 * Output (chardev_write) may be called from any thread and never blocks
 * for long: a full pipe or terminal waits a bounded time, then output is
 * dropped until the sink drains. Input is read on the event loop thread and
 * handed to the frontend only as far as it has room (can_read); when the
 * frontend is full the backend stops reading, and the frontend calls
 * chardev_accept_input() once it has room again.
 */
#ifndef NYX_CORE_CHARDEV_H
#define NYX_CORE_CHARDEV_H

#include <stddef.h>
#include <stdint.h>

struct chardev;
struct event_loop;
struct logger;

/* How many bytes the frontend can take now (called on the loop thread). */
typedef size_t (*chardev_can_read_fn)(void *opaque);
/* Delivers at most what can_read allowed (called on the loop thread). */
typedef void (*chardev_read_fn)(void *opaque, const uint8_t *buf, size_t len);

/*
 * Opens the backend named by spec. loop may be NULL: then no input is read
 * (unix: needs a loop). 0 or a negative errno with err naming the spec.
 */
int chardev_open(struct chardev **out, const char *spec, struct event_loop *loop,
		 struct logger *log, char *err, size_t err_len);
/* Connects the frontend and starts reading input. */
void chardev_set_handlers(struct chardev *c, chardev_can_read_fn can_read,
			  chardev_read_fn read, void *opaque);
/* Sends bytes to the backend (any thread); drops what cannot go out. */
void chardev_write(struct chardev *c, const uint8_t *buf, size_t len);
/* The frontend has room again: resume reading input (any thread). */
void chardev_accept_input(struct chardev *c);
/* "stdio", "none", "file" or "unix". */
const char *chardev_kind(const struct chardev *c);
void chardev_close(struct chardev *c);

#endif
