/*
 * 8042 keyboard controller with a PS/2 keyboard and mouse behind it.
 *
 * Design note:
 *  - Port 0x64 write: a controller command. Commands that take a data byte
 *    (0x60-0x7F write RAM / command byte, 0xD1 output port, 0xD2/0xD3 fake
 *    keyboard/mouse output, 0xD4 byte to the mouse) leave `pending` set and
 *    the next write to port 0x60 completes them.
 *  - Port 0x60 write with nothing pending goes to the keyboard (and
 *    re-enables the keyboard interface, as on real controllers); the
 *    keyboard answers ACK 0xFA and, for some commands, more bytes.
 *  - Output: bytes from the controller, keyboard and mouse wait in one
 *    queue; the head is the output buffer. Status bit 0 (OBF) = queue not
 *    empty, bit 5 = head came from the mouse. IRQ 1 is high while the head
 *    is a keyboard/controller byte and command byte bit 0 is set; IRQ 12
 *    likewise for mouse bytes and bit 1. Reading port 0x60 pops the head;
 *    the line drops and rises again for the next byte, one edge per byte.
 *  - Reading port 0x60 with nothing queued returns the last byte again.
 *  - Output port: bit 0 low resets the machine (0xD1 with bit 0 clear, or
 *    pulse command 0xF0-0xFE with bit 0 clear); bit 1 is the A20 gate,
 *    kept in the machine's shared gate so port 0x92 sees the same state.
 *  - With translation on (command byte bit 6) the keyboard's ID byte 0x83
 *    reaches the host as 0x41, as a real 8042 translates set 2 to set 1.
 *    No host key input exists yet, so no other scancodes flow.
 * Invariant: q_count <= I8042_QUEUE. Locking: k->lock guards everything;
 * the IRQ lines and machine requests are called with it held.
 */
#include "hw/pc/i8042.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "core/state.h"

#define I8042_QUEUE 16
#define I8042_STATE_VERSION 1

/* Status register. */
#define STAT_OBF 0x01
#define STAT_SYS 0x04
#define STAT_CMD 0x08          /* last write went to port 0x64 */
#define STAT_UNLOCKED 0x10
#define STAT_AUXOBF 0x20

/* Command byte. */
#define CTR_KBDINT 0x01
#define CTR_AUXINT 0x02
#define CTR_SYS 0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE 0x40
#define CTR_DEFAULT (CTR_KBDINT | CTR_AUXINT)

/* Output port. */
#define OUT_RESET 0x01          /* active low */
#define OUT_A20 0x02
#define OUT_KBD_OBF 0x10
#define OUT_AUX_OBF 0x20
#define OUT_DEFAULT 0xCD        /* reset high, undefined bits high; A20 apart */

#define ACK 0xFA
#define RESEND 0xFE

struct i8042 {
	struct machine *m;
	atomic_bool *a20;
	pthread_mutex_t lock;
	struct irq_line irq_kbd, irq_aux;
	struct log_ratelimit rl;

	uint8_t ram[32];         /* ram[0] is the command byte */
	uint8_t status;          /* STAT_SYS | STAT_CMD; the rest is computed */
	uint8_t outport;         /* without A20 and the OBF bits */
	uint8_t pending;         /* controller command awaiting its data byte */
	uint8_t q_data[I8042_QUEUE];
	uint8_t q_aux[I8042_QUEUE];
	unsigned q_head, q_count;
	uint8_t last;            /* last byte read from port 0x60 */

	uint8_t kbd_pending;     /* keyboard command awaiting its argument */
	uint8_t kbd_scanning, kbd_set, kbd_leds, kbd_typematic;

	uint8_t aux_pending;
	uint8_t aux_enabled, aux_remote, aux_wrap, aux_scaling, aux_res, aux_rate;
};

static void i8042_update_irq(struct i8042 *k)
{
	int kbd = 0, aux = 0;

	if (k->q_count) {
		if (k->q_aux[k->q_head])
			aux = (k->ram[0] & CTR_AUXINT) != 0;
		else
			kbd = (k->ram[0] & CTR_KBDINT) != 0;
	}
	if (kbd != k->irq_kbd.level)
		irq_line_set(&k->irq_kbd, kbd);
	if (aux != k->irq_aux.level)
		irq_line_set(&k->irq_aux, aux);
}

static void i8042_queue(struct i8042 *k, uint8_t v, bool aux)
{
	unsigned tail;

	if (k->q_count == I8042_QUEUE) {
		if (log_ratelimit_ok(&k->rl, 5))
			LOG(k->m->log, LOG_WARN, "i8042",
			    "output queue full (guest not reading port 0x60): 0x%02x dropped", v);
		return;
	}
	tail = (k->q_head + k->q_count) % I8042_QUEUE;
	k->q_data[tail] = v;
	k->q_aux[tail] = aux;
	k->q_count++;
}

/* A byte from the keyboard: translated when command byte bit 6 is set. */
static void i8042_kbd_send(struct i8042 *k, uint8_t v)
{
	if ((k->ram[0] & CTR_XLATE) && v == 0x83)
		v = 0x41;
	i8042_queue(k, v, false);
}

static void i8042_aux_send(struct i8042 *k, uint8_t v)
{
	i8042_queue(k, v, true);
}

static void i8042_set_a20(struct i8042 *k, bool on)
{
	atomic_store(k->a20, on);
}

static void i8042_kbd_defaults(struct i8042 *k)
{
	k->kbd_set = 2;
	k->kbd_typematic = 0x2B;   /* 10.9 cps, 500 ms */
}

static void i8042_kbd_reset(struct i8042 *k)
{
	i8042_kbd_defaults(k);
	k->kbd_pending = 0;
	k->kbd_scanning = 1;
	k->kbd_leds = 0;
}

static void i8042_aux_defaults(struct i8042 *k)
{
	k->aux_enabled = 0;
	k->aux_remote = 0;
	k->aux_scaling = 0;
	k->aux_res = 2;            /* 4 counts/mm */
	k->aux_rate = 100;
}

static void i8042_aux_reset(struct i8042 *k)
{
	i8042_aux_defaults(k);
	k->aux_pending = 0;
	k->aux_wrap = 0;
}

/* A byte the guest sends to the keyboard. */
static void i8042_kbd_write(struct i8042 *k, uint8_t v)
{
	if (k->kbd_pending) {
		uint8_t cmd = k->kbd_pending;

		k->kbd_pending = 0;
		switch (cmd) {
		case 0xED:
			k->kbd_leds = v & 7;
			i8042_kbd_send(k, ACK);
			return;
		case 0xF3:
			k->kbd_typematic = v & 0x7F;
			i8042_kbd_send(k, ACK);
			return;
		case 0xF0:
			i8042_kbd_send(k, ACK);
			if (v == 0)
				i8042_kbd_send(k, k->kbd_set);
			else if (v <= 3)
				k->kbd_set = v;
			return;
		}
	}
	switch (v) {
	case 0xED: /* set LEDs */
	case 0xF3: /* typematic rate */
	case 0xF0: /* scancode set */
		k->kbd_pending = v;
		i8042_kbd_send(k, ACK);
		break;
	case 0xEE: /* echo */
		i8042_kbd_send(k, 0xEE);
		break;
	case 0xF2: /* identify: MF2 keyboard */
		i8042_kbd_send(k, ACK);
		i8042_kbd_send(k, 0xAB);
		i8042_kbd_send(k, 0x83);
		break;
	case 0xF4:
		k->kbd_scanning = 1;
		i8042_kbd_send(k, ACK);
		break;
	case 0xF5: /* disable scanning, restore defaults */
		i8042_kbd_defaults(k);
		k->kbd_scanning = 0;
		i8042_kbd_send(k, ACK);
		break;
	case 0xF6:
		i8042_kbd_defaults(k);
		k->kbd_scanning = 1;
		i8042_kbd_send(k, ACK);
		break;
	case 0xF7: case 0xF8: case 0xF9: case 0xFA: case 0xFB: case 0xFC: case 0xFD:
		i8042_kbd_send(k, ACK);   /* set-3 key types: accepted, no effect */
		break;
	case 0xFF: /* reset and self test (BAT) */
		i8042_kbd_reset(k);
		i8042_kbd_send(k, ACK);
		i8042_kbd_send(k, 0xAA);
		break;
	default:
		if (log_ratelimit_ok(&k->rl, 5))
			LOG(k->m->log, LOG_DEBUG, "i8042", "unknown keyboard command 0x%02x", v);
		i8042_kbd_send(k, RESEND);
		break;
	}
}

/* A byte the guest sends to the mouse (after controller command 0xD4). */
static void i8042_aux_write(struct i8042 *k, uint8_t v)
{
	if (k->aux_pending) {
		uint8_t cmd = k->aux_pending;

		k->aux_pending = 0;
		if (cmd == 0xE8)
			k->aux_res = v & 3;
		else
			k->aux_rate = v;
		i8042_aux_send(k, ACK);
		return;
	}
	if (k->aux_wrap && v != 0xEC && v != 0xFF) {
		i8042_aux_send(k, v);     /* wrap mode echoes */
		return;
	}
	switch (v) {
	case 0xE6: case 0xE7:
		k->aux_scaling = v == 0xE7;
		i8042_aux_send(k, ACK);
		break;
	case 0xE8: /* resolution */
	case 0xF3: /* sample rate */
		k->aux_pending = v;
		i8042_aux_send(k, ACK);
		break;
	case 0xE9: /* status request */
		i8042_aux_send(k, ACK);
		i8042_aux_send(k, (uint8_t)((k->aux_remote << 6) | (k->aux_enabled << 5) |
					    (k->aux_scaling << 4)));
		i8042_aux_send(k, k->aux_res);
		i8042_aux_send(k, k->aux_rate);
		break;
	case 0xEA: case 0xF0:
		k->aux_remote = v == 0xF0;
		i8042_aux_send(k, ACK);
		break;
	case 0xEB: /* read data: no motion, no buttons */
		i8042_aux_send(k, ACK);
		i8042_aux_send(k, 0x08);
		i8042_aux_send(k, 0);
		i8042_aux_send(k, 0);
		break;
	case 0xEC: case 0xEE:
		k->aux_wrap = v == 0xEE;
		i8042_aux_send(k, ACK);
		break;
	case 0xF2: /* identify: standard PS/2 mouse */
		i8042_aux_send(k, ACK);
		i8042_aux_send(k, 0x00);
		break;
	case 0xF4: case 0xF5:
		k->aux_enabled = v == 0xF4;
		i8042_aux_send(k, ACK);
		break;
	case 0xF6:
		i8042_aux_defaults(k);
		i8042_aux_send(k, ACK);
		break;
	case 0xFF:
		i8042_aux_reset(k);
		i8042_aux_send(k, ACK);
		i8042_aux_send(k, 0xAA);
		i8042_aux_send(k, 0x00);
		break;
	default:
		if (log_ratelimit_ok(&k->rl, 5))
			LOG(k->m->log, LOG_DEBUG, "i8042", "unknown mouse command 0x%02x", v);
		i8042_aux_send(k, RESEND);
		break;
	}
}

static uint8_t i8042_outport(const struct i8042 *k)
{
	uint8_t v = k->outport;

	if (atomic_load(k->a20))
		v |= OUT_A20;
	if (k->q_count)
		v |= k->q_aux[k->q_head] ? OUT_AUX_OBF : OUT_KBD_OBF;
	return v;
}

static void i8042_write_outport(struct i8042 *k, uint8_t v)
{
	k->outport = (v & ~(OUT_A20 | OUT_KBD_OBF | OUT_AUX_OBF)) | OUT_RESET;
	i8042_set_a20(k, (v & OUT_A20) != 0);
	if (!(v & OUT_RESET)) {
		LOG(k->m->log, LOG_INFO, "i8042", "guest cleared the reset line (output port 0x%02x)", v);
		machine_request_reset(k->m);
	}
}

static void i8042_command(struct i8042 *k, uint8_t cmd)
{
	k->pending = 0;
	if (cmd >= 0x20 && cmd <= 0x3F) {            /* read RAM */
		i8042_queue(k, k->ram[cmd & 0x1F], false);
		return;
	}
	if (cmd >= 0x60 && cmd <= 0x7F) {            /* write RAM: data follows */
		k->pending = cmd;
		return;
	}
	if (cmd >= 0xF0) {                           /* pulse output lines */
		if (!(cmd & 1)) {
			LOG(k->m->log, LOG_INFO, "i8042", "guest pulsed the reset line (0x%02x)", cmd);
			machine_request_reset(k->m);
		}
		return;
	}
	switch (cmd) {
	case 0xA7:
		k->ram[0] |= CTR_AUXDIS;
		break;
	case 0xA8:
		k->ram[0] &= ~CTR_AUXDIS;
		break;
	case 0xA9: /* mouse interface test: ok */
	case 0xAB: /* keyboard interface test: ok */
		i8042_queue(k, 0x00, false);
		break;
	case 0xAA: /* controller self test */
		k->status |= STAT_SYS;
		i8042_queue(k, 0x55, false);
		break;
	case 0xAD:
		k->ram[0] |= CTR_KBDDIS;
		break;
	case 0xAE:
		k->ram[0] &= ~CTR_KBDDIS;
		break;
	case 0xC0: /* input port: keyboard not inhibited */
		i8042_queue(k, 0x80, false);
		break;
	case 0xD0:
		i8042_queue(k, i8042_outport(k), false);
		break;
	case 0xD1: case 0xD2: case 0xD3: case 0xD4:
		k->pending = cmd;
		break;
	case 0xDD: case 0xDF: /* A20 off / on (some controllers) */
		i8042_set_a20(k, cmd == 0xDF);
		break;
	case 0xE0: /* test inputs */
		i8042_queue(k, 0x00, false);
		break;
	default:
		if (log_ratelimit_ok(&k->rl, 5))
			LOG(k->m->log, LOG_WARN, "i8042", "unknown controller command 0x%02x ignored", cmd);
		break;
	}
}

static void i8042_data_write(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending;

	k->pending = 0;
	if (cmd >= 0x60 && cmd <= 0x7F) {
		k->ram[cmd & 0x1F] = v;
		if (cmd == 0x60)
			k->status = (uint8_t)((k->status & ~STAT_SYS) | (v & CTR_SYS));
		return;
	}
	switch (cmd) {
	case 0xD1:
		i8042_write_outport(k, v);
		break;
	case 0xD2:
		i8042_queue(k, v, false);
		break;
	case 0xD3:
		i8042_queue(k, v, true);
		break;
	case 0xD4:
		i8042_aux_write(k, v);
		break;
	default:
		/* Talking to the keyboard re-enables its interface. */
		k->ram[0] &= ~CTR_KBDDIS;
		i8042_kbd_write(k, v);
		break;
	}
}

static uint64_t i8042_io_read(void *opaque, uint64_t offset, unsigned size, bool cmd_port)
{
	struct i8042 *k = opaque;
	uint8_t v;

	pthread_mutex_lock(&k->lock);
	if (cmd_port) {
		v = k->status | STAT_UNLOCKED;
		if (k->q_count)
			v |= STAT_OBF | (k->q_aux[k->q_head] ? STAT_AUXOBF : 0);
	} else {
		if (k->q_count) {
			k->last = k->q_data[k->q_head];
			k->q_head = (k->q_head + 1) % I8042_QUEUE;
			k->q_count--;
			/* One edge per byte: drop the line before the next byte. */
			if (k->irq_kbd.level)
				irq_line_set(&k->irq_kbd, 0);
			if (k->irq_aux.level)
				irq_line_set(&k->irq_aux, 0);
			i8042_update_irq(k);
		}
		v = k->last;
	}
	pthread_mutex_unlock(&k->lock);
	return v;
}

static void i8042_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size,
			   bool cmd_port)
{
	struct i8042 *k = opaque;

	pthread_mutex_lock(&k->lock);
	if (size != 1 && log_ratelimit_ok(&k->rl, 5))
		LOG(k->m->log, LOG_WARN, "i8042", "%u-byte write 0x%llx to port 0x%x: low byte used",
		    size, (unsigned long long)value, cmd_port ? I8042_CMD_PORT : I8042_DATA_PORT);
	if (cmd_port) {
		k->status |= STAT_CMD;
		i8042_command(k, (uint8_t)value);
	} else {
		k->status &= ~STAT_CMD;
		i8042_data_write(k, (uint8_t)value);
	}
	i8042_update_irq(k);
	pthread_mutex_unlock(&k->lock);
}

static uint64_t i8042_data_read(void *opaque, uint64_t offset, unsigned size)
{
	return i8042_io_read(opaque, offset, size, false);
}

static uint64_t i8042_cmd_read(void *opaque, uint64_t offset, unsigned size)
{
	return i8042_io_read(opaque, offset, size, true);
}

static void i8042_data_write_op(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	i8042_io_write(opaque, offset, value, size, false);
}

static void i8042_cmd_write_op(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	i8042_io_write(opaque, offset, value, size, true);
}

static const struct io_ops i8042_data_ops = {
	.read = i8042_data_read,
	.write = i8042_data_write_op,
};

static const struct io_ops i8042_cmd_ops = {
	.read = i8042_cmd_read,
	.write = i8042_cmd_write_op,
};

static void i8042_reset(void *opaque)
{
	struct i8042 *k = opaque;

	pthread_mutex_lock(&k->lock);
	memset(k->ram, 0, sizeof k->ram);
	k->ram[0] = CTR_DEFAULT;
	k->status = STAT_CMD;
	k->outport = OUT_DEFAULT;
	k->pending = 0;
	k->q_head = k->q_count = 0;
	k->last = 0;
	i8042_kbd_reset(k);
	i8042_aux_reset(k);
	i8042_update_irq(k);
	pthread_mutex_unlock(&k->lock);
}

static void i8042_save(void *opaque, struct state_writer *w)
{
	struct i8042 *k = opaque;

	pthread_mutex_lock(&k->lock);
	sw_bytes(w, k->ram, sizeof k->ram);
	sw_u8(w, k->status);
	sw_u8(w, k->outport);
	sw_u8(w, k->pending);
	sw_u8(w, (uint8_t)k->q_count);
	for (unsigned i = 0; i < k->q_count; i++) {
		unsigned j = (k->q_head + i) % I8042_QUEUE;

		sw_u8(w, k->q_data[j]);
		sw_u8(w, k->q_aux[j]);
	}
	sw_u8(w, k->last);
	sw_u8(w, k->kbd_pending);
	sw_u8(w, k->kbd_scanning);
	sw_u8(w, k->kbd_set);
	sw_u8(w, k->kbd_leds);
	sw_u8(w, k->kbd_typematic);
	sw_u8(w, k->aux_pending);
	sw_u8(w, k->aux_enabled);
	sw_u8(w, k->aux_remote);
	sw_u8(w, k->aux_wrap);
	sw_u8(w, k->aux_scaling);
	sw_u8(w, k->aux_res);
	sw_u8(w, k->aux_rate);
	pthread_mutex_unlock(&k->lock);
}

static void i8042_load(void *opaque, struct state_reader *r, uint32_t version)
{
	struct i8042 *k = opaque;
	struct i8042 t;

	if (version != I8042_STATE_VERSION) {
		sr_fail(r, "i8042: unsupported state version %u", version);
		return;
	}
	/* Decode into a copy; commit only a complete, valid state. */
	memset(&t, 0, sizeof t);
	sr_bytes(r, t.ram, sizeof t.ram);
	t.status = sr_u8(r) & (STAT_SYS | STAT_CMD);
	t.outport = (sr_u8(r) & ~(OUT_A20 | OUT_KBD_OBF | OUT_AUX_OBF)) | OUT_RESET;
	t.pending = sr_u8(r);
	t.q_count = sr_u8(r);
	if (t.q_count > I8042_QUEUE) {
		sr_fail(r, "i8042: output queue holds %u bytes (at most %d)", t.q_count, I8042_QUEUE);
		return;
	}
	for (unsigned i = 0; i < t.q_count; i++) {
		t.q_data[i] = sr_u8(r);
		t.q_aux[i] = sr_u8(r) != 0;
	}
	t.last = sr_u8(r);
	t.kbd_pending = sr_u8(r);
	t.kbd_scanning = sr_u8(r) != 0;
	t.kbd_set = sr_u8(r);
	t.kbd_leds = sr_u8(r);
	t.kbd_typematic = sr_u8(r);
	t.aux_pending = sr_u8(r);
	t.aux_enabled = sr_u8(r) != 0;
	t.aux_remote = sr_u8(r) != 0;
	t.aux_wrap = sr_u8(r) != 0;
	t.aux_scaling = sr_u8(r) != 0;
	t.aux_res = sr_u8(r) & 3;
	t.aux_rate = sr_u8(r);
	if (!sr_ok(r))
		return;

	pthread_mutex_lock(&k->lock);
	memcpy(k->ram, t.ram, sizeof k->ram);
	k->status = t.status;
	k->outport = t.outport;
	k->pending = t.pending;
	memcpy(k->q_data, t.q_data, sizeof k->q_data);
	memcpy(k->q_aux, t.q_aux, sizeof k->q_aux);
	k->q_head = 0;
	k->q_count = t.q_count;
	k->last = t.last;
	k->kbd_pending = t.kbd_pending;
	k->kbd_scanning = t.kbd_scanning;
	k->kbd_set = t.kbd_set;
	k->kbd_leds = t.kbd_leds;
	k->kbd_typematic = t.kbd_typematic;
	k->aux_pending = t.aux_pending;
	k->aux_enabled = t.aux_enabled;
	k->aux_remote = t.aux_remote;
	k->aux_wrap = t.aux_wrap;
	k->aux_scaling = t.aux_scaling;
	k->aux_res = t.aux_res;
	k->aux_rate = t.aux_rate;
	i8042_update_irq(k);
	pthread_mutex_unlock(&k->lock);
}

static void i8042_destroy(void *opaque)
{
	struct i8042 *k = opaque;

	pthread_mutex_destroy(&k->lock);
	free(k);
}

static const struct device_ops i8042_device_ops = {
	.type = "i8042",
	.state_version = I8042_STATE_VERSION,
	.reset = i8042_reset,
	.save = i8042_save,
	.load = i8042_load,
	.destroy = i8042_destroy,
};

int i8042_create(struct machine *m, atomic_bool *a20, struct i8042 **out)
{
	struct i8042 *k = calloc(1, sizeof *k);
	int ret;

	if (out)
		*out = NULL;
	if (!k)
		return -ENOMEM;
	k->m = m;
	k->a20 = a20;
	pthread_mutex_init(&k->lock, NULL);
	irq_line_init(&k->irq_kbd, m, I8042_KBD_IRQ);
	irq_line_init(&k->irq_aux, m, I8042_AUX_IRQ);
	i8042_reset(k);
	ret = machine_add_device(m, &i8042_device_ops, k, "i8042");
	if (ret) {
		i8042_destroy(k);
		return ret;
	}
	ret = bus_register(&m->pio, I8042_DATA_PORT, 1, &i8042_data_ops, k, "i8042-data");
	if (!ret)
		ret = bus_register(&m->pio, I8042_CMD_PORT, 1, &i8042_cmd_ops, k, "i8042-cmd");
	if (ret)
		return ret;
	if (out)
		*out = k;
	return 0;
}
