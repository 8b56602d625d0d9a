/*
 * fw_cfg: the QEMU firmware configuration device, as SeaBIOS and OVMF
 * drive it on a PC (ports 0x510/0x511 and DMA at 0x514).
 *
 * Design note (state machine and invariants):
 *   - State: the selected item (cur_key, or none when the key names nothing),
 *     the read offset into it (cur_off), and the DMA address register
 *     (dma_addr, 0 at reset and after every transfer).
 *   - Selecting a key (port 0x510 16-bit write, or DMA with SELECT) resets
 *     cur_off to 0. Bit 14 (write channel) and bit 15 (arch-local) are part
 *     of the key as QEMU defines them: bit 14 is ignored, bit 15 picks the
 *     arch table (0x8000..).
 *   - Data reads (port 0x511, or 0x510, 8-bit) return the byte at cur_off and
 *     advance it; past the end, or with nothing selected, they return 0 and
 *     cur_off stays put.
 *   - DMA: the address register is big endian; writing the low half at
 *     0x518 (or all 8 bytes at 0x514) starts a transfer of the 16-byte
 *     descriptor {be32 control, be32 length, be64 address} at that address.
 *     SELECT, then one of READ (item -> guest; past the end the guest gets
 *     zeros), WRITE (guest -> item; only writable files, never past the end,
 *     all or nothing) or SKIP (advance cur_off). On completion control is
 *     written back as 0, or ERROR if any guest access failed or a write was
 *     refused. A descriptor we cannot read gets ERROR written if possible.
 *   - Reading the DMA register returns "QEMU CFG" (big endian), the probe
 *     OVMF uses.
 *   - Guest memory is touched only through gpa_read/gpa_write; lengths are
 *     guest controlled (up to 4 GiB) but every byte goes through the checked
 *     API, so a bad descriptor ends in ERROR, never outside RAM.
 *   - The directory (key 0x19) lists files sorted by name; file i has key
 *     0x20 + i. Items are added before the guest runs; afterwards only
 *     writable files change, under the device lock.
 */
#include "hw/pc/fw_cfg.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bus.h"
#include "core/device.h"
#include "core/log.h"
#include "core/machine.h"
#include "core/memory.h"
#include "core/state.h"

#define FW_CFG_GEN_ENTRIES FW_CFG_FILE_FIRST    /* legacy generic keys */
#define FW_CFG_ARCH_ENTRIES 0x10
#define FW_CFG_KEY_MASK 0x3FFF
#define FW_CFG_DMA_SIGNATURE "QEMU CFG"
#define FW_CFG_DMA_DESC_SIZE 16

struct fw_cfg_item {
	uint8_t *data;
	uint32_t len;
	bool present;
	bool writable;
	fw_cfg_write_cb cb;
	void *cb_opaque;
	fw_cfg_select_cb select_cb;
	void *select_opaque;
	char name[FW_CFG_FILE_NAME_LEN];   /* files only */
};

struct fw_cfg {
	struct guest_mem *mem;
	struct logger *log;
	pthread_mutex_t lock;
	struct fw_cfg_item gen[FW_CFG_GEN_ENTRIES];
	struct fw_cfg_item arch[FW_CFG_ARCH_ENTRIES];
	struct fw_cfg_item files[FW_CFG_MAX_FILES];  /* sorted by name */
	unsigned nfiles;
	uint16_t cur_key;
	bool cur_valid;
	uint32_t cur_off;
	uint64_t dma_addr;
	struct log_ratelimit rl;
};

struct fw_cfg *fw_cfg_new(struct guest_mem *mem, struct logger *log)
{
	struct fw_cfg *fc = calloc(1, sizeof(*fc));
	if (!fc)
		return NULL;
	fc->mem = mem;
	fc->log = log;
	pthread_mutex_init(&fc->lock, NULL);
	fc->cur_valid = true;          /* reset selects the signature */
	if (fw_cfg_add_bytes(fc, FW_CFG_SIGNATURE, "QEMU", 4) ||
	    fw_cfg_add_i32(fc, FW_CFG_ID, FW_CFG_VERSION_TRADITIONAL | FW_CFG_VERSION_DMA) ||
	    fw_cfg_add_bytes(fc, FW_CFG_FILE_DIR, "\0\0\0\0", 4)) {
		fw_cfg_free(fc);
		return NULL;
	}
	return fc;
}

static void item_clear(struct fw_cfg_item *it)
{
	free(it->data);
	memset(it, 0, sizeof(*it));
}

void fw_cfg_free(struct fw_cfg *fc)
{
	if (!fc)
		return;
	for (unsigned i = 0; i < FW_CFG_GEN_ENTRIES; i++)
		item_clear(&fc->gen[i]);
	for (unsigned i = 0; i < FW_CFG_ARCH_ENTRIES; i++)
		item_clear(&fc->arch[i]);
	for (unsigned i = 0; i < fc->nfiles; i++)
		item_clear(&fc->files[i]);
	pthread_mutex_destroy(&fc->lock);
	free(fc);
}

/* The item a key names, or NULL. */
static struct fw_cfg_item *item_of(struct fw_cfg *fc, uint16_t key)
{
	unsigned idx = key & FW_CFG_KEY_MASK;
	struct fw_cfg_item *it = NULL;

	if (key & FW_CFG_ARCH_LOCAL) {
		if (idx < FW_CFG_ARCH_ENTRIES)
			it = &fc->arch[idx];
	} else if (idx < FW_CFG_FILE_FIRST) {
		it = &fc->gen[idx];
	} else if (idx - FW_CFG_FILE_FIRST < fc->nfiles) {
		it = &fc->files[idx - FW_CFG_FILE_FIRST];
	}
	return it && it->present ? it : NULL;
}

static int item_set(struct fw_cfg_item *it, const void *data, size_t len)
{
	uint8_t *copy;

	if (len > UINT32_MAX)
		return -EINVAL;
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, data, len);
	free(it->data);
	it->data = copy;
	it->len = (uint32_t)len;
	it->present = true;
	return 0;
}

int fw_cfg_add_bytes(struct fw_cfg *fc, uint16_t key, const void *data, size_t len)
{
	unsigned idx = key & FW_CFG_KEY_MASK;
	struct fw_cfg_item *it;

	if (key & FW_CFG_WRITE_CHANNEL)
		return -EINVAL;
	if (key & FW_CFG_ARCH_LOCAL) {
		if (idx >= FW_CFG_ARCH_ENTRIES)
			return -EINVAL;
		it = &fc->arch[idx];
	} else {
		if (idx >= FW_CFG_FILE_FIRST)
			return -EINVAL;   /* files are added by name */
		it = &fc->gen[idx];
	}
	return item_set(it, data, len);
}

int fw_cfg_add_i16(struct fw_cfg *fc, uint16_t key, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	return fw_cfg_add_bytes(fc, key, b, 2);
}

int fw_cfg_add_i32(struct fw_cfg *fc, uint16_t key, uint32_t v)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fw_cfg_add_bytes(fc, key, b, 4);
}

int fw_cfg_add_i64(struct fw_cfg *fc, uint16_t key, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fw_cfg_add_bytes(fc, key, b, 8);
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Rebuilds key 0x19: be32 count, then {be32 size, be16 key, be16 0, name[56]}. */
static int rebuild_dir(struct fw_cfg *fc)
{
	size_t len = 4 + (size_t)fc->nfiles * FW_CFG_DIR_ENTRY_SIZE;
	uint8_t *d = calloc(1, len);
	int err;

	if (!d)
		return -ENOMEM;
	put_be(d, fc->nfiles, 4);
	for (unsigned i = 0; i < fc->nfiles; i++) {
		uint8_t *e = d + 4 + (size_t)i * FW_CFG_DIR_ENTRY_SIZE;
		put_be(e, fc->files[i].len, 4);
		put_be(e + 4, FW_CFG_FILE_FIRST + i, 2);
		memcpy(e + 8, fc->files[i].name, FW_CFG_FILE_NAME_LEN);
	}
	err = item_set(&fc->gen[FW_CFG_FILE_DIR], d, len);
	free(d);
	return err;
}

int fw_cfg_add_file_writable(struct fw_cfg *fc, const char *name, const void *data,
			     size_t len, fw_cfg_write_cb cb, void *opaque)
{
	size_t n = strlen(name);
	unsigned pos;
	int err;

	if (n == 0 || n >= FW_CFG_FILE_NAME_LEN)
		return -EINVAL;
	for (pos = 0; pos < fc->nfiles; pos++) {
		int c = strcmp(name, fc->files[pos].name);
		if (c == 0)
			break;
		if (c < 0) {
			if (fc->nfiles == FW_CFG_MAX_FILES)
				return -ENOSPC;
			memmove(&fc->files[pos + 1], &fc->files[pos],
				(fc->nfiles - pos) * sizeof(fc->files[0]));
			memset(&fc->files[pos], 0, sizeof(fc->files[0]));
			fc->nfiles++;
			break;
		}
	}
	if (pos == fc->nfiles) {
		if (fc->nfiles == FW_CFG_MAX_FILES)
			return -ENOSPC;
		memset(&fc->files[pos], 0, sizeof(fc->files[0]));
		fc->nfiles++;
	}
	struct fw_cfg_item *it = &fc->files[pos];
	memcpy(it->name, name, n + 1);
	err = item_set(it, data, len);
	if (err) {
		/* Leave no half-made entry behind. */
		memmove(&fc->files[pos], &fc->files[pos + 1],
			(fc->nfiles - pos - 1) * sizeof(fc->files[0]));
		fc->nfiles--;
		return err;
	}
	it->writable = cb != NULL;
	it->cb = cb;
	it->cb_opaque = opaque;
	return rebuild_dir(fc);
}

int fw_cfg_add_file(struct fw_cfg *fc, const char *name, const void *data, size_t len)
{
	return fw_cfg_add_file_writable(fc, name, data, len, NULL, NULL);
}

int fw_cfg_set_select_cb(struct fw_cfg *fc, const char *name, fw_cfg_select_cb cb,
			 void *opaque)
{
	for (unsigned i = 0; i < fc->nfiles; i++) {
		if (!strcmp(fc->files[i].name, name)) {
			fc->files[i].select_cb = cb;
			fc->files[i].select_opaque = opaque;
			return 0;
		}
	}
	return -ENOENT;
}

const uint8_t *fw_cfg_file_data(struct fw_cfg *fc, const char *name, size_t *len)
{
	for (unsigned i = 0; i < fc->nfiles; i++) {
		if (!strcmp(fc->files[i].name, name)) {
			if (len)
				*len = fc->files[i].len;
			return fc->files[i].data;
		}
	}
	return NULL;
}

static void fw_cfg_select(struct fw_cfg *fc, uint16_t key)
{
	struct fw_cfg_item *it = item_of(fc, key);

	fc->cur_key = key;
	fc->cur_off = 0;
	fc->cur_valid = it != NULL;
	if (it && it->select_cb)
		it->select_cb(it->select_opaque, it->data, it->len);
}

static uint8_t fw_cfg_read_byte(struct fw_cfg *fc)
{
	struct fw_cfg_item *it = fc->cur_valid ? item_of(fc, fc->cur_key) : NULL;

	if (!it || fc->cur_off >= it->len)
		return 0;
	return it->data[fc->cur_off++];
}

#define FW_CFG_ZERO_CHUNK 4096

/* Fills guest memory with zeros; 0 or -EFAULT. */
static int dma_zero(struct fw_cfg *fc, uint64_t gpa, uint64_t len)
{
	static const uint8_t zeros[FW_CFG_ZERO_CHUNK];

	while (len) {
		size_t n = len < FW_CFG_ZERO_CHUNK ? (size_t)len : FW_CFG_ZERO_CHUNK;
		if (gpa + n < gpa || gpa_write(fc->mem, gpa, zeros, n))
			return -EFAULT;
		gpa += n;
		len -= n;
	}
	return 0;
}

static void fw_cfg_dma_transfer(struct fw_cfg *fc)
{
	uint64_t desc_gpa = fc->dma_addr;
	uint8_t desc[FW_CFG_DMA_DESC_SIZE];
	uint8_t status[4];
	uint32_t control, length;
	uint64_t addr;
	bool read = false, write = false;
	uint32_t result = 0;

	fc->dma_addr = 0;
	if (gpa_read(fc->mem, desc_gpa, desc, sizeof(desc))) {
		if (log_ratelimit_ok(&fc->rl, 10))
			LOG(fc->log, LOG_WARN, "fw_cfg",
			    "DMA descriptor at 0x%llx is not in RAM; transfer dropped",
			    (unsigned long long)desc_gpa);
		put_be(status, FW_CFG_DMA_ERROR, 4);
		gpa_write(fc->mem, desc_gpa, status, 4);   /* best effort */
		return;
	}
	control = (uint32_t)get_be(desc, 4);
	length = (uint32_t)get_be(desc + 4, 4);
	addr = get_be(desc + 8, 8);

	if (control & FW_CFG_DMA_SELECT)
		fw_cfg_select(fc, (uint16_t)(control >> 16));
	if (control & FW_CFG_DMA_READ)
		read = true;
	else if (control & FW_CFG_DMA_WRITE)
		write = true;
	else if (!(control & FW_CFG_DMA_SKIP))
		length = 0;

	struct fw_cfg_item *it = fc->cur_valid ? item_of(fc, fc->cur_key) : NULL;
	LOG(fc->log, LOG_DEBUG, "fw_cfg", "DMA %s key 0x%04x%s%s offset %u length %u at 0x%llx",
	    read ? "read" : write ? "write" : length ? "skip" : "nop", fc->cur_key,
	    it && it->name[0] ? " " : "", it ? it->name : "", fc->cur_off, length,
	    (unsigned long long)addr);
	while (length && !(result & FW_CFG_DMA_ERROR)) {
		uint32_t n;

		if (!it || fc->cur_off >= it->len) {
			/* Past the end: reads see zeros, writes fail, skips are free. */
			n = length;
			if (read && dma_zero(fc, addr, n))
				result |= FW_CFG_DMA_ERROR;
			if (write)
				result |= FW_CFG_DMA_ERROR;
		} else {
			uint32_t avail = it->len - fc->cur_off;
			n = length < avail ? length : avail;
			if (read && gpa_write(fc->mem, addr, it->data + fc->cur_off, n))
				result |= FW_CFG_DMA_ERROR;
			if (write) {
				if (!it->writable || n != length ||
				    gpa_read(fc->mem, addr, it->data + fc->cur_off, n))
					result |= FW_CFG_DMA_ERROR;
				else if (it->cb)
					it->cb(it->cb_opaque, fc->cur_off, n);
			}
			fc->cur_off += n;
		}
		addr += n;
		length -= n;
	}
	if ((result & FW_CFG_DMA_ERROR) && log_ratelimit_ok(&fc->rl, 10))
		LOG(fc->log, LOG_WARN, "fw_cfg",
		    "DMA control 0x%08x key 0x%04x to 0x%llx failed (outside RAM or read-only item)",
		    control, fc->cur_key, (unsigned long long)addr);
	put_be(status, result, 4);
	if (gpa_write(fc->mem, desc_gpa, status, 4) && log_ratelimit_ok(&fc->rl, 10))
		LOG(fc->log, LOG_WARN, "fw_cfg", "cannot write DMA status at 0x%llx",
		    (unsigned long long)desc_gpa);
}

static uint32_t bswap32_u(uint32_t v)
{
	return (v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24);
}

uint64_t fw_cfg_io_read(struct fw_cfg *fc, uint16_t port, unsigned size)
{
	uint64_t v = 0;

	pthread_mutex_lock(&fc->lock);
	if ((port == FW_CFG_PORT_SEL || port == FW_CFG_PORT_DATA) && size == 1) {
		v = fw_cfg_read_byte(fc);
	} else if (port >= FW_CFG_PORT_DMA && port < FW_CFG_PORT_DMA + 8 &&
		   port - FW_CFG_PORT_DMA + size <= 8) {
		/* Bytes of "QEMU CFG" in port order: the big-endian value. */
		for (unsigned i = 0; i < size; i++)
			v |= (uint64_t)(uint8_t)FW_CFG_DMA_SIGNATURE[port - FW_CFG_PORT_DMA + i]
			     << (8 * i);
	} else if (log_ratelimit_ok(&fc->rl, 10)) {
		LOG(fc->log, LOG_WARN, "fw_cfg", "unsupported %u-byte read of port 0x%x",
		    size, port);
	}
	pthread_mutex_unlock(&fc->lock);
	return v;
}

void fw_cfg_io_write(struct fw_cfg *fc, uint16_t port, uint64_t value, unsigned size)
{
	pthread_mutex_lock(&fc->lock);
	if (port == FW_CFG_PORT_SEL && size == 2) {
		fw_cfg_select(fc, (uint16_t)value);
	} else if ((port == FW_CFG_PORT_SEL || port == FW_CFG_PORT_DATA) && size == 1) {
		/* Data-port writes were removed from QEMU in 2.4: ignored. */
	} else if (port == FW_CFG_PORT_DMA && size == 4) {
		fc->dma_addr = (uint64_t)bswap32_u((uint32_t)value) << 32;
	} else if (port == FW_CFG_PORT_DMA + 4 && size == 4) {
		fc->dma_addr |= bswap32_u((uint32_t)value);
		fw_cfg_dma_transfer(fc);
	} else if (port == FW_CFG_PORT_DMA && size == 8) {
		fc->dma_addr = ((uint64_t)bswap32_u((uint32_t)value) << 32) |
			       bswap32_u((uint32_t)(value >> 32));
		fw_cfg_dma_transfer(fc);
	} else if (log_ratelimit_ok(&fc->rl, 10)) {
		LOG(fc->log, LOG_WARN, "fw_cfg", "unsupported %u-byte write 0x%llx to port 0x%x",
		    size, (unsigned long long)value, port);
	}
	pthread_mutex_unlock(&fc->lock);
}

/* ---- machine integration: bus handlers, reset, snapshot ---- */

static uint64_t fw_cfg_ctl_read(void *opaque, uint64_t offset, unsigned size)
{
	return fw_cfg_io_read(opaque, (uint16_t)(FW_CFG_PORT_SEL + offset), size);
}

static void fw_cfg_ctl_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	fw_cfg_io_write(opaque, (uint16_t)(FW_CFG_PORT_SEL + offset), value, size);
}

static uint64_t fw_cfg_dma_read(void *opaque, uint64_t offset, unsigned size)
{
	return fw_cfg_io_read(opaque, (uint16_t)(FW_CFG_PORT_DMA + offset), size);
}

static void fw_cfg_dma_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	fw_cfg_io_write(opaque, (uint16_t)(FW_CFG_PORT_DMA + offset), value, size);
}

static const struct io_ops fw_cfg_ctl_ops = {fw_cfg_ctl_read, fw_cfg_ctl_write};
static const struct io_ops fw_cfg_dma_ops = {fw_cfg_dma_read, fw_cfg_dma_write};

static void fw_cfg_reset(void *opaque)
{
	struct fw_cfg *fc = opaque;

	pthread_mutex_lock(&fc->lock);
	fw_cfg_select(fc, FW_CFG_SIGNATURE);
	fc->dma_addr = 0;
	pthread_mutex_unlock(&fc->lock);
}

/*
 * Saved state (version 1): u16 cur_key, u8 cur_valid, u32 cur_off,
 * u64 dma_addr, u32 nfiles, then per writable file u32 len + bytes (the
 * guest may have changed them); read-only items are rebuilt from the config.
 */
static void fw_cfg_save(void *opaque, struct state_writer *w)
{
	struct fw_cfg *fc = opaque;

	pthread_mutex_lock(&fc->lock);
	sw_u16(w, fc->cur_key);
	sw_u8(w, fc->cur_valid);
	sw_u32(w, fc->cur_off);
	sw_u64(w, fc->dma_addr);
	sw_u32(w, fc->nfiles);
	for (unsigned i = 0; i < fc->nfiles; i++) {
		if (!fc->files[i].writable)
			continue;
		sw_u32(w, fc->files[i].len);
		sw_bytes(w, fc->files[i].data, fc->files[i].len);
	}
	pthread_mutex_unlock(&fc->lock);
}

static void fw_cfg_load(void *opaque, struct state_reader *r, uint32_t version)
{
	struct fw_cfg *fc = opaque;

	if (version != 1) {
		sr_fail(r, "fw_cfg: unsupported state version %u", version);
		return;
	}
	pthread_mutex_lock(&fc->lock);
	uint16_t key = sr_u16(r);
	bool valid = sr_u8(r) != 0;
	uint32_t off = sr_u32(r);
	uint64_t dma = sr_u64(r);
	uint32_t nfiles = sr_u32(r);
	if (sr_ok(r) && nfiles != fc->nfiles)
		sr_fail(r, "fw_cfg: snapshot has %u files, this machine %u", nfiles,
			fc->nfiles);
	for (unsigned i = 0; sr_ok(r) && i < fc->nfiles; i++) {
		if (!fc->files[i].writable)
			continue;
		uint32_t len = sr_u32(r);
		if (len != fc->files[i].len) {
			sr_fail(r, "fw_cfg: file %s has %u bytes in the snapshot, %u here",
				fc->files[i].name, len, fc->files[i].len);
			break;
		}
		sr_bytes(r, fc->files[i].data, len);
	}
	if (sr_ok(r)) {
		fc->cur_key = key;
		fc->cur_valid = valid && item_of(fc, key) != NULL;
		fc->cur_off = off;
		fc->dma_addr = dma;
	}
	pthread_mutex_unlock(&fc->lock);
}

static void fw_cfg_destroy(void *opaque)
{
	fw_cfg_free(opaque);
}

const struct device_ops fw_cfg_device_ops = {
	.type = "fw_cfg",
	.state_version = 1,
	.reset = fw_cfg_reset,
	.save = fw_cfg_save,
	.load = fw_cfg_load,
	.destroy = fw_cfg_destroy,
};

int fw_cfg_init(struct machine *m, char *err, size_t err_len)
{
	struct fw_cfg *fc = fw_cfg_new(&m->mem, m->log);
	int ret;

	if (!fc) {
		snprintf(err, err_len, "fw_cfg: out of memory");
		return -ENOMEM;
	}
	ret = fw_cfg_pc_populate(fc, m, err, err_len);
	if (ret)
		goto err_free;
	ret = bus_register(&m->pio, FW_CFG_PORT_SEL, 2, &fw_cfg_ctl_ops, fc, "fw_cfg");
	if (ret) {
		snprintf(err, err_len, "fw_cfg: ports 0x510-0x511 taken (%d)", ret);
		goto err_free;
	}
	ret = bus_register(&m->pio, FW_CFG_PORT_DMA, 8, &fw_cfg_dma_ops, fc, "fw_cfg-dma");
	if (ret) {
		snprintf(err, err_len, "fw_cfg: DMA ports 0x514-0x51b taken (%d)", ret);
		goto err_unreg;
	}
	ret = machine_add_device(m, &fw_cfg_device_ops, fc, "fw_cfg");
	if (ret) {
		snprintf(err, err_len, "fw_cfg: cannot register device (%d)", ret);
		goto err_unreg_dma;
	}
	return 0;

err_unreg_dma:
	bus_unregister(&m->pio, FW_CFG_PORT_DMA, fc);
err_unreg:
	bus_unregister(&m->pio, FW_CFG_PORT_SEL, fc);
err_free:
	fw_cfg_free(fc);
	return ret;
}
