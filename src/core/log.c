/*
 * Logging core (see log.h).
 *
 * Design: one mutex per logger guards the ring buffer, the component table
 * and the output list. The fast path (LOG() with the level disabled) reads
 * only `min_level`, an atomic kept equal to the lowest of the global level
 * and every component level. Outputs are called with the lock released, on
 * a snapshot of the output list, so an output may itself log.
 */
#include "core/log.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define LOG_MAX_COMPONENTS 64
#define LOG_MAX_OUTPUTS 16

struct log_component {
	char name[LOG_COMPONENT_MAX];
	enum log_level level;
};

struct log_output {
	log_output_fn fn;
	void *opaque;
	FILE *stream;            /* stream output when fn == NULL */
	enum log_level stream_level;
	bool used;
};

struct logger {
	pthread_mutex_t lock;
	enum log_level level;
	_Atomic int min_level;
	struct log_component comps[LOG_MAX_COMPONENTS];
	unsigned ncomps;
	struct log_output outputs[LOG_MAX_OUTPUTS];
	struct log_entry *ring;  /* LOG_RING_SIZE entries */
	size_t head, count;
	uint64_t seq;
};

static const char *const level_names[LOG_LEVEL_COUNT] = {
	"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"
};

const char *log_level_name(enum log_level level)
{
	return (unsigned)level < LOG_LEVEL_COUNT ? level_names[level] : "?";
}

int log_level_parse(const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; i < LOG_LEVEL_COUNT; i++)
		if (!strcasecmp(s, level_names[i]))
			return i;
	if (!strcasecmp(s, "warning"))
		return LOG_WARN;
	return -1;
}

struct logger *logger_new(void)
{
	struct logger *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->ring = calloc(LOG_RING_SIZE, sizeof(*l->ring));
	if (!l->ring) {
		free(l);
		return NULL;
	}
	pthread_mutex_init(&l->lock, NULL);
	l->level = LOG_INFO;
	atomic_store(&l->min_level, LOG_INFO);
	return l;
}

void logger_free(struct logger *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l->ring);
	free(l);
}

static struct logger *global_logger;
static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	global_logger = logger_new();
}

struct logger *logger_global(void)
{
	pthread_once(&global_once, global_init);
	return global_logger;
}

/* Caller holds the lock. */
static void recompute_min(struct logger *l)
{
	int min = l->level;
	for (unsigned i = 0; i < l->ncomps; i++)
		if ((int)l->comps[i].level < min)
			min = l->comps[i].level;
	atomic_store(&l->min_level, min);
}

enum log_level logger_min_level(const struct logger *l)
{
	return (enum log_level)atomic_load(&((struct logger *)l)->min_level);
}

void logger_set_level(struct logger *l, enum log_level level)
{
	if ((unsigned)level >= LOG_LEVEL_COUNT)
		return;
	pthread_mutex_lock(&l->lock);
	l->level = level;
	recompute_min(l);
	pthread_mutex_unlock(&l->lock);
}

enum log_level logger_get_level(const struct logger *l)
{
	return l->level;
}

int logger_register_component(struct logger *l, const char *name, enum log_level level)
{
	if (!name || !*name || strlen(name) >= LOG_COMPONENT_MAX ||
	    (unsigned)level >= LOG_LEVEL_COUNT)
		return -EINVAL;
	pthread_mutex_lock(&l->lock);
	for (unsigned i = 0; i < l->ncomps; i++) {
		if (!strcmp(l->comps[i].name, name)) {
			l->comps[i].level = level;
			recompute_min(l);
			pthread_mutex_unlock(&l->lock);
			return 0;
		}
	}
	if (l->ncomps == LOG_MAX_COMPONENTS) {
		pthread_mutex_unlock(&l->lock);
		return -ENOSPC;
	}
	snprintf(l->comps[l->ncomps].name, LOG_COMPONENT_MAX, "%s", name);
	l->comps[l->ncomps].level = level;
	l->ncomps++;
	recompute_min(l);
	pthread_mutex_unlock(&l->lock);
	return 0;
}

static int add_output(struct logger *l, log_output_fn fn, void *opaque, FILE *f,
		      enum log_level level)
{
	pthread_mutex_lock(&l->lock);
	for (int i = 0; i < LOG_MAX_OUTPUTS; i++) {
		if (!l->outputs[i].used) {
			l->outputs[i] = (struct log_output){ fn, opaque, f, level, true };
			pthread_mutex_unlock(&l->lock);
			return i;
		}
	}
	pthread_mutex_unlock(&l->lock);
	return -ENOSPC;
}

int logger_add_output(struct logger *l, log_output_fn fn, void *opaque)
{
	if (!fn)
		return -EINVAL;
	return add_output(l, fn, opaque, NULL, LOG_TRACE);
}

int logger_add_stream_output(struct logger *l, FILE *f, enum log_level level)
{
	if (!f)
		return -EINVAL;
	return add_output(l, NULL, NULL, f, level);
}

void logger_remove_output(struct logger *l, int id)
{
	if (id < 0 || id >= LOG_MAX_OUTPUTS)
		return;
	pthread_mutex_lock(&l->lock);
	l->outputs[id].used = false;
	pthread_mutex_unlock(&l->lock);
}

/* Caller holds the lock. */
static enum log_level level_for(struct logger *l, const char *component)
{
	if (component)
		for (unsigned i = 0; i < l->ncomps; i++)
			if (!strcmp(l->comps[i].name, component))
				return l->comps[i].level;
	return l->level;
}

bool logger_enabled(struct logger *l, enum log_level level, const char *component)
{
	if (!l || (int)level < atomic_load(&l->min_level))
		return false;
	pthread_mutex_lock(&l->lock);
	bool on = level >= level_for(l, component);
	pthread_mutex_unlock(&l->lock);
	return on;
}


static uint64_t log_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void log_format_entry(const struct log_entry *e, char *buf, size_t len)
{
	time_t secs = (time_t)(e->ts_ns / 1000000000ULL);
	struct tm tm;
	localtime_r(&secs, &tm);
	char when[32];
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03u [%s][%s] %s", when,
		 (unsigned)(e->ts_ns / 1000000ULL % 1000), log_level_name(e->level),
		 e->component, e->msg);
}

void log_vwrite(struct logger *l, enum log_level level, const char *component,
		const char *fmt, va_list ap)
{
	if (!l || (unsigned)level >= LOG_LEVEL_COUNT)
		return;
	struct log_entry e;
	struct log_output outs[LOG_MAX_OUTPUTS];
	unsigned nouts = 0;

	pthread_mutex_lock(&l->lock);
	if (level < level_for(l, component)) {
		pthread_mutex_unlock(&l->lock);
		return;
	}
	pthread_mutex_unlock(&l->lock);

	e.ts_ns = log_now_ns();
	e.level = level;
	snprintf(e.component, sizeof(e.component), "%s", component ? component : "-");
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	/* Keep one line per entry. */
	for (char *p = e.msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';

	pthread_mutex_lock(&l->lock);
	e.seq = l->seq++;
	l->ring[(l->head + l->count) % LOG_RING_SIZE] = e;
	if (l->count < LOG_RING_SIZE)
		l->count++;
	else
		l->head = (l->head + 1) % LOG_RING_SIZE;
	for (int i = 0; i < LOG_MAX_OUTPUTS; i++)
		if (l->outputs[i].used)
			outs[nouts++] = l->outputs[i];
	pthread_mutex_unlock(&l->lock);

	for (unsigned i = 0; i < nouts; i++) {
		if (outs[i].fn) {
			outs[i].fn(outs[i].opaque, &e);
		} else if (level >= outs[i].stream_level) {
			char line[LOG_MSG_MAX + 96];
			log_format_entry(&e, line, sizeof(line));
			fprintf(outs[i].stream, "%s\n", line);
			fflush(outs[i].stream);
		}
	}
}

void log_write(struct logger *l, enum log_level level, const char *component,
	       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(l, level, component, fmt, ap);
	va_end(ap);
}

size_t logger_foreach(struct logger *l, const char *component, uint64_t since_ns,
		      void (*fn)(void *opaque, const struct log_entry *e), void *opaque)
{
	/* Copy matching entries out under the lock, visit without it. */
	pthread_mutex_lock(&l->lock);
	size_t n = 0;
	struct log_entry *copy = malloc(sizeof(*copy) * (l->count ? l->count : 1));
	if (!copy) {
		pthread_mutex_unlock(&l->lock);
		return 0;
	}
	for (size_t i = 0; i < l->count; i++) {
		const struct log_entry *e = &l->ring[(l->head + i) % LOG_RING_SIZE];
		if (component && strcmp(e->component, component))
			continue;
		if (e->ts_ns < since_ns)
			continue;
		copy[n++] = *e;
	}
	pthread_mutex_unlock(&l->lock);
	for (size_t i = 0; i < n; i++)
		fn(opaque, &copy[i]);
	free(copy);
	return n;
}

static void dump_one(void *opaque, const struct log_entry *e)
{
	char line[LOG_MSG_MAX + 96];
	log_format_entry(e, line, sizeof(line));
	fprintf((FILE *)opaque, "%s\n", line);
}

size_t logger_dump(struct logger *l, FILE *f, const char *component, uint64_t since_ns)
{
	size_t n = logger_foreach(l, component, since_ns, dump_one, f);
	fflush(f);
	return n;
}

bool log_ratelimit_ok(struct log_ratelimit *rl, unsigned burst)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	if (now - rl->window_start_ns >= 1000000000ULL) {
		rl->window_start_ns = now;
		rl->count = 0;
	}
	if (rl->count < burst) {
		rl->count++;
		return true;
	}
	rl->suppressed++;
	return false;
}
