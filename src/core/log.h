/*
 * Logging core: levels TRACE..FATAL, per-component levels, a ring buffer of
 * the last LOG_RING_SIZE entries and pluggable outputs.
 *
 * Cheap when disabled: LOG() compares against a cached minimum level before
 * formatting anything. Outputs may be called from any thread (vCPU threads,
 * the event loop); an output that is not thread-safe must queue.
 */
#ifndef NYX_CORE_LOG_H
#define NYX_CORE_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum log_level {
	LOG_TRACE = 0,
	LOG_DEBUG,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
	LOG_FATAL,
	LOG_LEVEL_COUNT
};

#define LOG_RING_SIZE 10000
#define LOG_COMPONENT_MAX 32
#define LOG_MSG_MAX 256

struct log_entry {
	uint64_t ts_ns;          /* wall clock, ns since the Unix epoch */
	uint64_t seq;            /* monotonically increasing per logger */
	enum log_level level;
	char component[LOG_COMPONENT_MAX];
	char msg[LOG_MSG_MAX];
};

typedef void (*log_output_fn)(void *opaque, const struct log_entry *e);

struct logger;

struct logger *logger_new(void);
void logger_free(struct logger *l);
/* The process-wide logger (scripts' global `logger`). */
struct logger *logger_global(void);

void logger_set_level(struct logger *l, enum log_level level);
enum log_level logger_get_level(const struct logger *l);
/* Component level overrides the global level for that component. */
int logger_register_component(struct logger *l, const char *name, enum log_level level);
/* Returns an output id >= 0, or a negative errno. */
int logger_add_output(struct logger *l, log_output_fn fn, void *opaque);
void logger_remove_output(struct logger *l, int id);
/* Built-in output: lines at or above `level` go to `f` (stderr usually). */
int logger_add_stream_output(struct logger *l, FILE *f, enum log_level level);

bool logger_enabled(struct logger *l, enum log_level level, const char *component);
void log_write(struct logger *l, enum log_level level, const char *component,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void log_vwrite(struct logger *l, enum log_level level, const char *component,
		const char *fmt, va_list ap);

/* Lowest level any component may log at: the fast pre-check of LOG(). */
enum log_level logger_min_level(const struct logger *l);

#define LOG(l, lvl, comp, ...)                                             \
	do {                                                               \
		struct logger *log__l = (l);                               \
		if (log__l && (lvl) >= logger_min_level(log__l))           \
			log_write(log__l, (lvl), (comp), __VA_ARGS__);     \
	} while (0)

/*
 * Visit buffered entries, oldest first. component NULL = all; since_ns 0 =
 * all. Returns the number visited.
 */
size_t logger_foreach(struct logger *l, const char *component, uint64_t since_ns,
		      void (*fn)(void *opaque, const struct log_entry *e), void *opaque);
size_t logger_dump(struct logger *l, FILE *f, const char *component, uint64_t since_ns);
void log_format_entry(const struct log_entry *e, char *buf, size_t len);

const char *log_level_name(enum log_level level);
/* Accepts trace|debug|info|warn|error|fatal (any case); -1 if unknown. */
int log_level_parse(const char *s);

/*
 * Rate limiting for guest-triggered messages: returns true at most `burst`
 * times per second for one limiter.
 */
struct log_ratelimit {
	uint64_t window_start_ns;
	unsigned count;
	unsigned suppressed;
};
bool log_ratelimit_ok(struct log_ratelimit *rl, unsigned burst);

#endif
