/*
 * PCI configuration mechanism, BARs, INTx/PIRQ routing, MSI and the i440FX
 * PAM registers, driven through ports 0xCF8/0xCFC as SeaBIOS and Linux do.
 * Expected values: PCI 3.0 (header layout, BAR sizing, MSI), 82441FX and
 * 82371SB datasheets (IDs, PAM encoding, PIRQRC).
 */
#include <errno.h>

#include "harness.h"
#include "hw/pci/pirq.h"
#include "pc_fixture.h"

#define HOST PCI_DEVFN(0, 0)
#define ISA PCI_DEVFN(1, 0)
#define IDE PCI_DEVFN(1, 1)
#define PM PCI_DEVFN(1, 3)

TEST(pci_enumerates_the_chipset)
{
	struct fixture f;
	REQUIRE(fixture_init(&f) == 0);
	/* The probe SeaBIOS does before anything else. */
	outp(&f, 0xcf8, 4, 0x80000000);
	CHECK_EQ(inp(&f, 0xcf8, 4), 0x80000000);
	CHECK_EQ(cfg_read(&f, HOST, 0, 4), 0x12378086);
	CHECK_EQ(cfg_read(&f, ISA, 0, 4), 0x70008086);
	CHECK_EQ(cfg_read(&f, IDE, 0, 4), 0x70108086);
	CHECK_EQ(cfg_read(&f, PM, 0, 4), 0x71138086);
	CHECK_EQ(cfg_read(&f, HOST, 0x08, 4), 0x06000002);   /* class 0600, rev 02 */
	CHECK_EQ(cfg_read(&f, IDE, 0x08, 4), 0x01018000);    /* IDE, prog-if 80h */
	CHECK_EQ(cfg_read(&f, PM, 0x08, 4), 0x06800003);
	CHECK_EQ(cfg_read(&f, ISA, 0x0e, 1), 0x80);          /* multi-function */
	CHECK_EQ(cfg_read(&f, HOST, 0x2c, 4), 0x11001af4);   /* subsystem 1af4:1100 */
	/* Nothing at 00:02.0, 00:01.2 or on bus 1: all ones. */
	CHECK_EQ(cfg_read(&f, PCI_DEVFN(2, 0), 0, 4), 0xffffffff);
	CHECK_EQ(cfg_read(&f, PCI_DEVFN(1, 2), 0, 2), 0xffff);
	outp(&f, 0xcf8, 4, 0x80010000);
	CHECK_EQ(inp(&f, 0xcfc, 4), 0xffffffff);
	/* Byte and word reads at offsets inside the data window. */
	CHECK_EQ(cfg_read(&f, HOST, 0x02, 2), 0x1237);
	CHECK_EQ(cfg_read(&f, HOST, 0x03, 1), 0x12);
	/* Config disabled (bit 31 clear): no cycle. */
	outp(&f, 0xcf8, 4, 0x00000000);
	CHECK_EQ(inp(&f, 0xcfc, 4), 0xffffffff);
	fixture_fini(&f);
}

TEST(pci_read_only_and_w1c_fields)
{
	struct fixture f;
	REQUIRE(fixture_init(&f) == 0);
	cfg_write(&f, IDE, 0x00, 4, 0xdeadbeef);
	CHECK_EQ(cfg_read(&f, IDE, 0, 4), 0x70108086);
	cfg_write(&f, IDE, 0x08, 4, 0xffffffff);
	CHECK_EQ(cfg_read(&f, IDE, 0x08, 4), 0x01018000);
	/* Status error bits are write-one-to-clear: set one behind the guest's
	 * back, then a write of 0 keeps it and a write of 1 clears it. */
	struct pci_device *d = pci_bus_find(f.cs->bus, IDE);
	d->config[PCI_STATUS + 1] |= 0x20;                 /* received master abort */
	cfg_write(&f, IDE, 0x06, 2, 0x0000);
	CHECK_EQ(cfg_read(&f, IDE, 0x07, 1) & 0x20, 0x20);
	cfg_write(&f, IDE, 0x06, 2, 0x2000);
	CHECK_EQ(cfg_read(&f, IDE, 0x07, 1) & 0x20, 0);
	/* An access crossing the dword is refused, not half-applied. */
	outp(&f, 0xcf8, 4, 0x80000000u | IDE << 8 | 0x3c);
	outp(&f, 0xcfd, 4, 0xffffffff);
	CHECK_EQ(inp(&f, 0xcfd, 4), 0xffffffff);
	CHECK_EQ(cfg_read(&f, IDE, 0x3c, 4) & 0xffff, 0x0000);
	fixture_fini(&f);
}

TEST(pci_bar_sizing_and_mapping)
{
	struct fixture f;
	REQUIRE(fixture_init(&f) == 0);
	/* BAR4 of the IDE function: 16 bytes of I/O (82371SB BMIBA). */
	CHECK_EQ(cfg_read(&f, IDE, 0x20, 4), 0x00000001);
	cfg_write(&f, IDE, 0x20, 4, 0xffffffff);
	CHECK_EQ(cfg_read(&f, IDE, 0x20, 4), 0xfffffff1);
	/* Unimplemented BARs read 0 whatever is written. */
	cfg_write(&f, IDE, 0x10, 4, 0xffffffff);
	CHECK_EQ(cfg_read(&f, IDE, 0x10, 4), 0);
	/* Program the address: nothing decodes until I/O space is enabled. */
	cfg_write(&f, IDE, 0x20, 4, 0xc001);
	CHECK(bus_owner(&f.m->pio, 0xc002) == NULL);
	cfg_write(&f, IDE, 0x04, 2, PCI_COMMAND_IO);
	CHECK(bus_owner(&f.m->pio, 0xc002) != NULL);
	CHECK(bus_owner(&f.m->pio, 0xc00f) != NULL);
	CHECK(bus_owner(&f.m->pio, 0xc010) == NULL);
	/* Low bits of the address are not writable: size alignment holds. */
	cfg_write(&f, IDE, 0x20, 4, 0xd00f);
	CHECK_EQ(cfg_read(&f, IDE, 0x20, 4), 0xd001);
	CHECK(bus_owner(&f.m->pio, 0xc002) == NULL);       /* moved away */
	CHECK(bus_owner(&f.m->pio, 0xd002) != NULL);
	/* Sizing while enabled must not map anything at 0xfff0. */
	cfg_write(&f, IDE, 0x20, 4, 0xffffffff);
	CHECK(bus_owner(&f.m->pio, 0xfff0) == NULL);
	CHECK(bus_owner(&f.m->pio, 0xd002) == NULL);
	cfg_write(&f, IDE, 0x20, 4, 0xd001);
	cfg_write(&f, IDE, 0x04, 2, 0);
	CHECK(bus_owner(&f.m->pio, 0xd002) == NULL);
	/* A BAR over ports someone else owns stays unmapped (logged). */
	cfg_write(&f, IDE, 0x20, 4, 0x1f1);                 /* 0x1f0: the IDE ports */
	cfg_write(&f, IDE, 0x04, 2, PCI_COMMAND_IO);
	CHECK_STR(bus_owner(&f.m->pio, 0x1f0), "ide0");
	fixture_fini(&f);
}

/* A test function with a 4 KiB memory BAR, a 64-bit BAR and INTA. */
static uint64_t dummy_read(void *o, uint64_t off, unsigned size) { return 0x5a; }
static void dummy_write(void *o, uint64_t off, uint64_t v, unsigned size) {}
static const struct io_ops dummy_ops = { dummy_read, dummy_write };

static int add_dummy(struct fixture *f, struct pci_device *d, unsigned dev)
{
	int rc = pci_device_init(d, PCI_DEVFN(dev, 0), "dummy", 0x1234, 0x0001, 0, 0xff0000, 0,
				 NULL, NULL);
	if (!rc)
		rc = pci_device_set_bar(d, 0, PCI_BAR_MEM32, false, 4096, &dummy_ops, d);
	if (!rc)
		rc = pci_device_set_bar(d, 2, PCI_BAR_MEM64, true, 1 << 20, &dummy_ops, d);
	pci_device_set_pin(d, 1);
	if (!rc)
		rc = pci_bus_add(f->cs->bus, d);
	return rc;
}

TEST(pci_memory_bars_32_and_64_bit)
{
	struct fixture f;
	struct pci_device d;
	REQUIRE(fixture_init(&f) == 0);
	REQUIRE(add_dummy(&f, &d, 3) == 0);
	unsigned fn = PCI_DEVFN(3, 0);
	cfg_write(&f, fn, 0x10, 4, 0xffffffff);
	CHECK_EQ(cfg_read(&f, fn, 0x10, 4), 0xfffff000);
	/* 64-bit prefetchable: type bits 1100b; the upper half sizes too. */
	CHECK_EQ(cfg_read(&f, fn, 0x18, 4), 0x0000000c);
	cfg_write(&f, fn, 0x18, 4, 0xffffffff);
	cfg_write(&f, fn, 0x1c, 4, 0xffffffff);
	CHECK_EQ(cfg_read(&f, fn, 0x18, 4), 0xfff0000c);
	CHECK_EQ(cfg_read(&f, fn, 0x1c, 4), 0xffffffff);
	cfg_write(&f, fn, 0x10, 4, 0xfebf0000);
	cfg_write(&f, fn, 0x18, 4, 0x00000000);
	cfg_write(&f, fn, 0x1c, 4, 0x00000008);            /* 32 GiB */
	cfg_write(&f, fn, 0x04, 2, PCI_COMMAND_MEMORY);
	uint64_t v = 0;
	CHECK(bus_read(&f.m->mmio, 0xfebf0004, 4, &v));
	CHECK_EQ(v, 0x5a);
	CHECK(bus_owner(&f.m->mmio, 0x800000000ULL) != NULL);
	CHECK(bus_owner(&f.m->mmio, 0x8000fffffULL) != NULL);
	/* Reset unmaps everything and clears the BAR addresses. */
	pc_chipset_reset(f.cs);
	CHECK(bus_owner(&f.m->mmio, 0xfebf0004) == NULL);
	CHECK_EQ(cfg_read(&f, fn, 0x10, 4), 0);
	pci_bus_destroy(f.cs->bus);     /* detach the dummy before it goes out of scope */
	f.cs->bus = NULL;
	pci_device_free(&d);
	fixture_fini(&f);
}

TEST(pci_intx_through_pirq_routing)
{
	struct fixture f;
	struct pci_device a, b;
	REQUIRE(fixture_init(&f) == 0);
	REQUIRE(add_dummy(&f, &a, 3) == 0);      /* slot 3 INTA -> PIRQC */
	REQUIRE(add_dummy(&f, &b, 7) == 0);      /* slot 7 INTA -> PIRQC too */
	CHECK_EQ(pirq_of(3, 1), 2);
	CHECK_EQ(pirq_of(1, 1), 0);
	CHECK_EQ(pirq_of(0, 1), 3);
	/* Reset value 80h: not routed, nothing is delivered. */
	CHECK_EQ(cfg_read(&f, ISA, 0x60, 4), 0x80808080);
	pci_set_irq(&a, 1);
	CHECK_EQ(f.irq.level[11], -1);
	CHECK_EQ(cfg_read(&f, PCI_DEVFN(3, 0), 0x06, 1) & PCI_STATUS_INTERRUPT,
		 PCI_STATUS_INTERRUPT);
	/* Route PIRQC to IRQ 11 (what SeaBIOS does): the pending level arrives. */
	cfg_write(&f, ISA, 0x62, 1, 11);
	CHECK_EQ(f.irq.level[11], 1);
	/* Wired OR: b asserts, a drops, the line stays high until b drops. */
	pci_set_irq(&b, 1);
	pci_set_irq(&a, 0);
	CHECK_EQ(f.irq.level[11], 1);
	pci_set_irq(&b, 0);
	CHECK_EQ(f.irq.level[11], 0);
	/* Re-route while asserted: the old IRQ falls, the new one rises. */
	pci_set_irq(&a, 1);
	cfg_write(&f, ISA, 0x62, 1, 10);
	CHECK_EQ(f.irq.level[11], 0);
	CHECK_EQ(f.irq.level[10], 1);
	/* INTx disable in the command register masks the pin. */
	cfg_write(&f, PCI_DEVFN(3, 0), 0x04, 2, PCI_COMMAND_INTX_DISABLE);
	CHECK_EQ(f.irq.level[10], 0);
	cfg_write(&f, PCI_DEVFN(3, 0), 0x04, 2, 0);
	CHECK_EQ(f.irq.level[10], 1);
	/* A reserved IRQ value (13) or the disable bit routes nowhere. */
	cfg_write(&f, ISA, 0x62, 1, 13);
	CHECK_EQ(f.irq.level[10], 0);
	CHECK_EQ(f.irq.level[13], -1);
	cfg_write(&f, ISA, 0x62, 1, 0x8a);
	CHECK_EQ(f.irq.level[10], 0);
	/* Bits 6:4 do not take part in routing: 0x7b routes to IRQ 11. */
	CHECK_EQ(cfg_read(&f, ISA, 0x62, 1), 0x8a);
	cfg_write(&f, ISA, 0x62, 1, 0x7b);
	CHECK_EQ(f.irq.level[11], 1);
	pci_set_irq(&a, 0);
	pci_bus_destroy(f.cs->bus);
	f.cs->bus = NULL;
	pci_device_free(&a);
	pci_device_free(&b);
	fixture_fini(&f);
}

TEST(pci_msi_capability)
{
	struct fixture f;
	struct pci_device d;
	REQUIRE(fixture_init(&f) == 0);
	REQUIRE(add_dummy(&f, &d, 4) == 0);
	REQUIRE(pci_msi_init(&d, 0x50, 4, true) == 0);
	unsigned fn = PCI_DEVFN(4, 0);
	/* Capability list: status bit 4, pointer at 0x34, ID 05h. */
	CHECK_EQ(cfg_read(&f, fn, 0x06, 2) & PCI_STATUS_CAP_LIST, PCI_STATUS_CAP_LIST);
	CHECK_EQ(cfg_read(&f, fn, 0x34, 1), 0x50);
	CHECK_EQ(cfg_read(&f, fn, 0x50, 1), 0x05);
	/* Control: 64-bit capable (bit 7), 4 vectors requested (MMC = 2). */
	CHECK_EQ(cfg_read(&f, fn, 0x52, 2), 0x0084);
	CHECK(!pci_msi_notify(&d, 0));
	cfg_write(&f, fn, 0x54, 4, 0xfee01003);            /* low 2 bits read 0 */
	CHECK_EQ(cfg_read(&f, fn, 0x54, 4), 0xfee01000);
	cfg_write(&f, fn, 0x58, 4, 0);
	cfg_write(&f, fn, 0x5c, 2, 0x4040);
	cfg_write(&f, fn, 0x52, 2, 0x0021);                 /* enable, 4 vectors */
	/* No bus mastering: an MSI is a memory write, so nothing is sent. */
	CHECK(!pci_msi_notify(&d, 1));
	CHECK_EQ(f.irq.msis, 0);
	cfg_write(&f, fn, 0x04, 2, PCI_COMMAND_MASTER);
	CHECK(pci_msi_notify(&d, 3));
	CHECK_EQ(f.irq.msis, 1);
	CHECK_EQ(f.irq.msi_addr, 0xfee01000);
	CHECK_EQ(f.irq.msi_data, 0x4043);                   /* vector in the low bits */
	CHECK(!pci_msi_notify(&d, 4));                      /* only 4 enabled */
	pci_bus_destroy(f.cs->bus);
	f.cs->bus = NULL;
	pci_device_free(&d);
	fixture_fini(&f);
}

TEST(pci_pam_locks_and_unlocks_shadow_ram)
{
	struct fixture f;
	REQUIRE(fixture_init(&f) == 0);
	struct guest_mem *mem = &f.m->mem;
	unsigned regions = mem->nregions;
	uint8_t b = 0x42;
	/* Before firmware programs PAM, loaders may write the BIOS copy. */
	CHECK_EQ(gpa_write(mem, 0xf0000, &b, 1), 0);
	/* SeaBIOS's unlock: 0x30 at 0x59, 0x33 at 0x5a-0x5f (read/write DRAM). */
	cfg_write(&f, HOST, 0x58, 4, 0x33333000);     /* 0x59 = 30h, 0x5a-0x5b = 33h */
	cfg_write(&f, HOST, 0x5c, 4, 0x33333333);
	CHECK_EQ(cfg_read(&f, HOST, 0x59, 1), 0x30);
	CHECK_EQ(gpa_write(mem, 0xc0000, &b, 1), 0);
	CHECK_EQ(gpa_write(mem, 0xfffff, &b, 1), 0);
	/* Its lock: 0x10 (0xF0000 read only), 0x11 for the option ROM
	 * segments 0xC0000-0xC7FFF, the rest left writable (0x33). */
	cfg_write(&f, HOST, 0x59, 1, 0x10);
	cfg_write(&f, HOST, 0x5a, 1, 0x11);
	CHECK_EQ(gpa_write(mem, 0xf0000, &b, 1), -EFAULT);
	CHECK_EQ(gpa_write(mem, 0xfffff, &b, 1), -EFAULT);
	CHECK_EQ(gpa_write(mem, 0xc7fff, &b, 1), -EFAULT);
	CHECK_EQ(gpa_write(mem, 0xc8000, &b, 1), 0);
	CHECK_EQ(gpa_write(mem, 0xeffff, &b, 1), 0);
	CHECK_EQ(gpa_write(mem, 0x100000, &b, 1), 0);
	uint8_t r = 0;
	CHECK_EQ(gpa_read(mem, 0xf0000, &r, 1), 0);         /* reads still see the copy */
	CHECK_EQ(r, 0x42);
	CHECK_EQ(mem_find(mem, 0xf0000)->kind, MEM_RAM_RO);
	/* One 16 KiB segment: 0x5e low nibble = 0xE0000-0xE3FFF read only. */
	cfg_write(&f, HOST, 0x5e, 1, 0x31);
	CHECK_EQ(gpa_write(mem, 0xe3fff, &b, 1), -EFAULT);
	CHECK_EQ(gpa_write(mem, 0xe4000, &b, 1), 0);
	/* Reset: everything writable again, merged back into few regions
	 * (the shadow area stays apart from RAM above 1 MiB). */
	pc_chipset_reset(f.cs);
	CHECK_EQ(cfg_read(&f, HOST, 0x59, 1), 0);
	CHECK_EQ(gpa_write(mem, 0xf0000, &b, 1), 0);
	CHECK_EQ(gpa_write(mem, 0xc0000, &b, 1), 0);
	CHECK_EQ(mem->nregions, regions + 1);
	CHECK_EQ(mem_find(mem, 0xc0000)->size, 0x40000);
	CHECK_EQ(mem_find(mem, 0x100000)->gpa, 0x100000);
	/* SMRAM: default 02h; D_LCK freezes it and closes D_OPEN. */
	CHECK_EQ(cfg_read(&f, HOST, 0x72, 1), 0x02);
	cfg_write(&f, HOST, 0x72, 1, 0x4a);
	CHECK_EQ(cfg_read(&f, HOST, 0x72, 1), 0x4a);
	cfg_write(&f, HOST, 0x72, 1, 0x5a);
	CHECK_EQ(cfg_read(&f, HOST, 0x72, 1), 0x1a);
	cfg_write(&f, HOST, 0x72, 1, 0x42);
	CHECK_EQ(cfg_read(&f, HOST, 0x72, 1), 0x1a);
	fixture_fini(&f);
}

TEST(pci_mem_readonly_keeps_dirty_bits_and_refuses_non_ram)
{
	struct guest_mem mem;
	REQUIRE(mem_init(&mem, 16ULL << 20) == 0);
	uint8_t b = 1;
	REQUIRE(gpa_write(&mem, 0xd0000, &b, 1) == 0);
	struct mem_region *r = mem_find(&mem, 0xd0000);
	unsigned pg = (0xd0000 - r->gpa) / 4096;
	CHECK(r->dirty[pg / (8 * sizeof(long))] >> (pg % (8 * sizeof(long))) & 1);
	CHECK_EQ(mem_set_readonly(&mem, 0xd0000, 0x4000, true), 0);
	r = mem_find(&mem, 0xd0000);
	CHECK_EQ(r->gpa, 0xd0000);
	CHECK_EQ(r->dirty[0] & 1, 1);                        /* the dirty page moved along */
	CHECK_EQ(mem_set_readonly(&mem, 0xa0000, 0x1000, true), -EINVAL);  /* VGA hole */
	CHECK_EQ(mem_set_readonly(&mem, 0xd0001, 0x1000, true), -EINVAL);
	mem_destroy(&mem);
}
