/*
 * The device descriptor: every device registers one with the machine so that
 * reset, snapshot (save/load) and teardown reach it without the machine
 * knowing device types. Device state hangs off the machine, never globals.
 */
#ifndef NYX_CORE_DEVICE_H
#define NYX_CORE_DEVICE_H

#include <stdint.h>

struct state_writer;
struct state_reader;

struct device_ops {
	const char *type;        /* "serial", "rtc", ... */
	uint32_t state_version;  /* bumped when the saved layout changes */
	void (*reset)(void *opaque);
	/* Writes the device's state (inside a section the machine opens). */
	void (*save)(void *opaque, struct state_writer *w);
	/* Reads it back; errors are recorded in the reader. */
	void (*load)(void *opaque, struct state_reader *r, uint32_t version);
	void (*destroy)(void *opaque);
};

struct device {
	const struct device_ops *ops;
	void *opaque;
	char name[32];           /* instance name: "com1", "rtc" */
	struct device *next;
};

#endif
