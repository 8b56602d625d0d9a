/*
 * A PCI function's configuration space: header type 0 defaults, write
 * masks, W1C status bits, BAR sizing and decoding, expansion ROM and
 * capability lists.
 *
 * Design note. Three byte arrays describe the space: config (what reads
 * return), wmask (bits a guest write replaces) and w1cmask (bits a guest
 * clears by writing one). A write is applied byte by byte as
 *     new = (old & ~(wmask|w1c)) | (val & wmask) | (old & w1c & ~val)
 * so read-only IDs, hard-wired BAR type bits and BAR size bits (the low
 * address bits of a BAR are simply not writable) all fall out of the masks:
 * writing all ones to a BAR reads back ~(size - 1) plus its type bits, which
 * is how firmware sizes it. After a write touching the command register,
 * a BAR or the ROM BAR, every BAR is re-decoded: a BAR is mapped when its
 * space is enabled in the command register and its address is usable
 * (non-zero, inside the space, not the all-ones sizing pattern); a change
 * unregisters the old range and registers the new one. A range the bus
 * refuses (overlap) stays unmapped and is logged.
 */
#include "hw/pci/pci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "core/state.h"

#define PCI_PHYS_LIMIT (1ULL << 46)  /* highest MMIO address a 64-bit BAR may use */

static struct logger *pci_log(struct pci_device *d)
{
	return d->bus && d->bus->m ? d->bus->m->log : NULL;
}

int pci_device_init(struct pci_device *d, unsigned devfn, const char *name, uint16_t vendor,
		    uint16_t device, uint8_t revision, uint32_t class_code, uint8_t header_type,
		    const struct pci_device_ops *ops, void *opaque)
{
	memset(d, 0, sizeof(*d));
	if (devfn > 0xff)
		return -EINVAL;
	d->cfg_size = PCI_CFG_SIZE;
	d->config = calloc(3, d->cfg_size);
	if (!d->config)
		return -ENOMEM;
	d->wmask = d->config + d->cfg_size;
	d->w1cmask = d->wmask + d->cfg_size;
	d->devfn = devfn;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->ops = ops;
	d->opaque = opaque;
	for (unsigned i = 0; i <= PCI_NUM_BARS; i++)
		d->bars[i].addr = PCI_BAR_UNMAPPED;

	uint8_t *c = d->config;
	pci_set_word(c + PCI_VENDOR_ID, vendor);
	pci_set_word(c + PCI_DEVICE_ID, device);
	c[PCI_REVISION_ID] = revision;
	c[PCI_CLASS_PROG] = class_code;
	c[PCI_CLASS_PROG + 1] = class_code >> 8;
	c[PCI_CLASS_PROG + 2] = class_code >> 16;
	c[PCI_HEADER_TYPE] = header_type;
	pci_set_word(c + PCI_SUBSYSTEM_VENDOR_ID, PCI_SUBSYS_VENDOR_DEFAULT);
	pci_set_word(c + PCI_SUBSYSTEM_ID, PCI_SUBSYS_ID_DEFAULT);

	pci_set_word(d->wmask + PCI_COMMAND,
		     PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		     PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	pci_set_word(d->w1cmask + PCI_STATUS, PCI_STATUS_W1C);
	d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	d->wmask[PCI_LATENCY_TIMER] = 0xff;
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	return 0;
}

void pci_device_free(struct pci_device *d)
{
	free(d->config);
	d->config = d->wmask = d->w1cmask = NULL;
}

static bool is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

static unsigned bar_offset(unsigned bar)
{
	return bar == PCI_ROM_SLOT ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * bar;
}

int pci_device_set_bar(struct pci_device *d, unsigned bar, enum pci_bar_type type,
		       bool prefetch, uint64_t size, const struct io_ops *ops, void *opaque)
{
	if (bar > PCI_ROM_SLOT || !is_pow2(size) || !ops)
		return -EINVAL;
	if (bar == PCI_ROM_SLOT && (type != PCI_BAR_MEM32 || size < 2048))
		return -EINVAL;
	if ((type == PCI_BAR_IO && (size < 4 || size > 0x10000)) ||
	    (type == PCI_BAR_MEM32 && (size < 16 || size > 0x80000000ULL)) ||
	    (type == PCI_BAR_MEM64 && (size < 16 || bar >= PCI_NUM_BARS - 1)) ||
	    type == PCI_BAR_NONE)
		return -EINVAL;
	struct pci_bar *b = &d->bars[bar];
	b->type = type;
	b->prefetch = prefetch;
	b->size = size;
	b->ops = ops;
	b->opaque = opaque;
	snprintf(b->name, sizeof(b->name), "%s.%s%u", d->name, bar == PCI_ROM_SLOT ? "rom" : "bar",
		 bar == PCI_ROM_SLOT ? 0 : bar);

	unsigned off = bar_offset(bar);
	uint32_t low, mask;
	if (bar == PCI_ROM_SLOT) {
		low = 0;
		mask = ~(uint32_t)(size - 1) | 1;        /* address + enable bit */
	} else if (type == PCI_BAR_IO) {
		low = 1;
		mask = ~(uint32_t)(size - 1) & ~3u;
	} else {
		low = (type == PCI_BAR_MEM64 ? 4 : 0) | (prefetch ? 8 : 0);
		mask = ~(uint32_t)(size - 1) & ~15u;
	}
	pci_set_long(d->config + off, low);
	pci_set_long(d->wmask + off, mask);
	if (type == PCI_BAR_MEM64) {
		pci_set_long(d->config + off + 4, 0);
		pci_set_long(d->wmask + off + 4, (uint32_t)(~(size - 1) >> 32));
		d->bars[bar + 1].type = PCI_BAR_NONE;
		d->bars[bar + 1].size = 0;
	}
	return 0;
}

void pci_device_set_pin(struct pci_device *d, unsigned pin)
{
	d->config[PCI_INTERRUPT_PIN] = pin <= 4 ? pin : 0;
}

int pci_add_capability(struct pci_device *d, uint8_t id, unsigned off, unsigned size)
{
	if (off < 0x40 || off & 3 || size < 2 || off + size > d->cfg_size)
		return -EINVAL;
	d->config[off] = id;
	d->config[off + 1] = d->config[PCI_CAPABILITY_LIST];
	d->config[PCI_CAPABILITY_LIST] = off;
	d->config[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	return off;
}

/* Where BAR `bar` should be mapped now, or PCI_BAR_UNMAPPED. */
static uint64_t bar_decode(struct pci_device *d, unsigned bar)
{
	const struct pci_bar *b = &d->bars[bar];
	uint16_t cmd = pci_get_word(d->config + PCI_COMMAND);
	uint32_t v = pci_get_long(d->config + bar_offset(bar));
	uint64_t addr, last;

	if (!b->size)
		return PCI_BAR_UNMAPPED;
	if (b->type == PCI_BAR_IO) {
		if (!(cmd & PCI_COMMAND_IO))
			return PCI_BAR_UNMAPPED;
		addr = v & ~3u & ~(b->size - 1);
		last = addr + b->size - 1;
		return addr && last <= 0xffff ? addr : PCI_BAR_UNMAPPED;
	}
	if (!(cmd & PCI_COMMAND_MEMORY))
		return PCI_BAR_UNMAPPED;
	if (bar == PCI_ROM_SLOT) {
		if (!(v & 1))
			return PCI_BAR_UNMAPPED;
		addr = v & ~0x7ffu & ~(b->size - 1);
	} else {
		addr = v & ~15u & ~(b->size - 1);
	}
	if (b->type == PCI_BAR_MEM64)
		addr |= (uint64_t)pci_get_long(d->config + bar_offset(bar) + 4) << 32;
	last = addr + b->size - 1;
	if (!addr || last < addr)
		return PCI_BAR_UNMAPPED;
	/* The all-ones sizing pattern ends at the top of the space: never map it. */
	if (b->type == PCI_BAR_MEM64 ? last >= PCI_PHYS_LIMIT : last >= 0xffffffffULL)
		return PCI_BAR_UNMAPPED;
	return addr;
}

void pci_update_mappings(struct pci_device *d)
{
	if (!d->bus)
		return;
	for (unsigned i = 0; i <= PCI_NUM_BARS; i++) {
		struct pci_bar *b = &d->bars[i];
		if (!b->size)
			continue;
		uint64_t addr = bar_decode(d, i);
		if (addr == b->addr)
			continue;
		struct bus *space = b->type == PCI_BAR_IO ? d->bus->pio : d->bus->mmio;
		if (b->addr != PCI_BAR_UNMAPPED)
			bus_unregister(space, b->addr, b->opaque);
		b->addr = PCI_BAR_UNMAPPED;
		if (addr == PCI_BAR_UNMAPPED)
			continue;
		int rc = bus_register(space, addr, b->size, b->ops, b->opaque, b->name);
		if (rc) {
			if (log_ratelimit_ok(&d->rl, 5))
				LOG(pci_log(d), LOG_WARN, "pci",
				    "%s: cannot map %s at 0x%llx size 0x%llx: %s (left unmapped)",
				    d->name, b->name, (unsigned long long)addr,
				    (unsigned long long)b->size, strerror(-rc));
			continue;
		}
		b->addr = addr;
		LOG(pci_log(d), LOG_DEBUG, "pci", "%s: %s mapped at 0x%llx", d->name, b->name,
		    (unsigned long long)addr);
	}
}

uint32_t pci_config_read(struct pci_device *d, unsigned off, unsigned size)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)(off + i < d->cfg_size ? d->config[off + i] : 0xff) << (8 * i);
	return v;
}

static bool ranges_overlap(unsigned a, unsigned alen, unsigned b, unsigned blen)
{
	return a < b + blen && b < a + alen;
}

void pci_config_write(struct pci_device *d, unsigned off, uint32_t val, unsigned size)
{
	for (unsigned i = 0; i < size && off + i < d->cfg_size; i++) {
		uint8_t v = val >> (8 * i), w = d->wmask[off + i], c = d->w1cmask[off + i];
		uint8_t old = d->config[off + i];
		d->config[off + i] = (old & ~(w | c)) | (v & w) | (old & c & ~v);
	}
	if (ranges_overlap(off, size, PCI_COMMAND, 2) ||
	    ranges_overlap(off, size, PCI_BASE_ADDRESS_0, 24) ||
	    ranges_overlap(off, size, PCI_ROM_ADDRESS, 4))
		pci_update_mappings(d);
	if (ranges_overlap(off, size, PCI_COMMAND, 2))
		pci_intx_update(d);
	if (d->msi.cap && ranges_overlap(off, size, d->msi.cap, d->msi.addr64 ? 14 : 10))
		pci_msi_update(d);
	if (d->ops && d->ops->config_write)
		d->ops->config_write(d, off, val, size);
}

void pci_device_reset(struct pci_device *d)
{
	/* Every guest-writable bit returns to zero: command, status errors,
	 * BAR addresses, interrupt line, capability enables. */
	for (unsigned i = 0; i < d->cfg_size; i++)
		d->config[i] &= ~(d->wmask[i] | d->w1cmask[i]);
	if (d->ops && d->ops->reset)
		d->ops->reset(d);
	pci_update_mappings(d);
	pci_set_irq(d, 0);
	pci_intx_update(d);
	if (d->msi.cap)
		pci_msi_update(d);
}

/* Snapshot of one function: its configuration bytes and INTx request.
 * Loading refuses a space of another size or another device's IDs, then
 * re-derives everything that follows from config (BAR mappings, INTx
 * output, MSI decode). */
void pci_device_save(struct pci_device *d, struct state_writer *w)
{
	sw_u16(w, d->cfg_size);
	sw_bytes(w, d->config, d->cfg_size);
	sw_u8(w, d->intx_level);
}

void pci_device_load(struct pci_device *d, struct state_reader *r)
{
	uint16_t size = sr_u16(r);
	if (sr_ok(r) && size != d->cfg_size) {
		sr_fail(r, "%s: configuration space of %u bytes, expected %u", d->name, size,
			d->cfg_size);
		return;
	}
	uint8_t *cfg = malloc(d->cfg_size);
	if (!cfg) {
		sr_fail(r, "%s: out of memory", d->name);
		return;
	}
	sr_bytes(r, cfg, d->cfg_size);
	uint8_t level = sr_u8(r);
	if (sr_ok(r) && memcmp(cfg, d->config, 4)) {
		sr_fail(r, "%s: snapshot holds device %04x:%04x, this is %04x:%04x", d->name,
			pci_get_word(cfg), pci_get_word(cfg + 2), pci_get_word(d->config),
			pci_get_word(d->config + 2));
	}
	if (sr_ok(r)) {
		memcpy(d->config, cfg, d->cfg_size);
		pci_update_mappings(d);
		pci_set_irq(d, level);
		if (d->msi.cap)
			pci_msi_update(d);
	}
	free(cfg);
}
