/*
 * irq64: hardware interrupts in 64-bit mode, counted by handlers:
 *  1. PIT channel 0 (mode 2, ~1 kHz) through the 8259 pair remapped to 0x20;
 *     the handler also reads the master's ISR (OCW3) before its EOI.
 *  2. RTC periodic interrupt (register A rate 6, register B PIE) on IRQ 8,
 *     through the slave PIC; register C must show IRQF and PF (bits 7, 6).
 *  3. The same two sources through the IOAPIC and the local APIC, with the
 *     PIC masked. ISA IRQ 0 arrives on IOAPIC pin 2 on PCs (the MADT's
 *     interrupt source override says so; QEMU wires it that way), so pins 0
 *     and 2 get different vectors and we report which one ticked.
 *  4. The local APIC timer in periodic mode.
 * Each source is masked again once it reaches its count, so the counts
 * printed are exact. Nothing here measures time.
 */
#include "rt.h"

#define LAPIC		0xFEE00000u
#define LAPIC_EOI	(LAPIC + 0xB0)
#define LAPIC_SVR	(LAPIC + 0xF0)
#define LAPIC_LVT_TIMER	(LAPIC + 0x320)
#define LAPIC_TIMER_ICR	(LAPIC + 0x380)
#define LAPIC_TIMER_DCR	(LAPIC + 0x3E0)
#define IOAPIC		0xFEC00000u

#define PIT_TICKS	20
#define RTC_TICKS	16
#define LAPIC_TICKS	10

static volatile unsigned pit_ticks, pit_isr, rtc_ticks, rtc_c;
static volatile unsigned pin0_ticks, pin2_ticks, pin8_ticks, lapic_ticks, lapic_late;

static void ioapic_write(unsigned reg, uint32_t v)
{
	mmio_write32(IOAPIC, reg);
	mmio_write32(IOAPIC + 0x10, v);
}

static uint32_t ioapic_read(unsigned reg)
{
	mmio_write32(IOAPIC, reg);
	return mmio_read32(IOAPIC + 0x10);
}

/* Redirection entry: fixed delivery, physical destination APIC 0, edge. */
static void ioapic_route(unsigned pin, unsigned vector, int masked)
{
	ioapic_write(0x11 + 2 * pin, 0);
	ioapic_write(0x10 + 2 * pin, vector | (masked ? 1u << 16 : 0));
}

static void pic_init(void)
{
	outb(0x20, 0x11);	/* ICW1: edge, cascade, ICW4 follows */
	outb(0xA0, 0x11);
	outb(0x21, 0x20);	/* ICW2: vector bases */
	outb(0xA1, 0x28);
	outb(0x21, 0x04);	/* ICW3: slave on IRQ 2 */
	outb(0xA1, 0x02);
	outb(0x21, 0x01);	/* ICW4: 8086 mode */
	outb(0xA1, 0x01);
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
}

static void pit_start(void)
{
	outb(0x43, 0x34);	/* channel 0, lobyte/hibyte, mode 2 */
	outb(0x40, 1193 & 0xff);
	outb(0x40, 1193 >> 8);
}

static void rtc_periodic(int on)
{
	cmos_write(0x0A, (cmos_read(0x0A) & 0xF0) | 0x06);
	cmos_write(0x0B, (cmos_read(0x0B) & ~0x40) | (on ? 0x40 : 0));
	(void)cmos_read(0x0C);
}

static void on_pit_pic(struct rt_frame *f)
{
	outb(0x20, 0x0B);	/* OCW3: read ISR */
	pit_isr = inb(0x20);
	if (++pit_ticks == PIT_TICKS)
		outb(0x21, inb(0x21) | 0x01);
	outb(0x20, 0x20);
}

static void on_rtc_pic(struct rt_frame *f)
{
	rtc_c |= cmos_read(0x0C);
	if (++rtc_ticks == RTC_TICKS)
		rtc_periodic(0);
	outb(0xA0, 0x20);
	outb(0x20, 0x20);
}

static void on_ioapic(struct rt_frame *f)
{
	unsigned total;

	if (f->vector == 0x38) {
		(void)cmos_read(0x0C);
		if (++pin8_ticks == RTC_TICKS)
			rtc_periodic(0);
	} else {
		if (f->vector == 0x30)
			pin0_ticks++;
		else
			pin2_ticks++;
		total = pin0_ticks + pin2_ticks;
		if (total == PIT_TICKS) {
			ioapic_route(0, 0x30, 1);
			ioapic_route(2, 0x32, 1);
		}
	}
	mmio_write32(LAPIC_EOI, 0);
}

/* Masking the LVT stops new ticks but does not retract one the LAPIC has
 * already accepted into IRR (SDM 10.5.1): when the handler runs longer
 * than a period (a loaded host, an emulator), one tick may follow the
 * mask. It is counted apart; more than one would be a bug. */
static void on_lapic_timer(struct rt_frame *f)
{
	if (lapic_ticks == LAPIC_TICKS)
		lapic_late++;
	else if (++lapic_ticks == LAPIC_TICKS)
		mmio_write32(LAPIC_LVT_TIMER, 1u << 16);
	mmio_write32(LAPIC_EOI, 0);
}

static void on_spurious(struct rt_frame *f)
{
}

static void wait_for(volatile unsigned *n, unsigned target)
{
	while (*n < target)
		rt_sti_hlt();
	rt_cli();
}

int guest_main(void)
{
	rt_idt_init();
	rt_set_handler(0x20, on_pit_pic);
	rt_set_handler(0x28, on_rtc_pic);
	rt_set_handler(0x30, on_ioapic);
	rt_set_handler(0x32, on_ioapic);
	rt_set_handler(0x38, on_ioapic);
	rt_set_handler(0x40, on_lapic_timer);
	rt_set_handler(0x27, on_spurious);
	rt_set_handler(0x2F, on_spurious);
	rt_set_handler(0xFF, on_spurious);

	pic_init();
	pit_start();
	outb(0x21, 0xFE);	/* IRQ 0 only */
	wait_for(&pit_ticks, PIT_TICKS);
	rt_printf("irq64: pic pit ticks=%u vector=0x20 isr=0x%x\n", pit_ticks, pit_isr);

	outb(0xA1, 0xFE);	/* IRQ 8 */
	outb(0x21, 0xFB);	/* IRQ 2 cascade */
	rtc_periodic(1);
	wait_for(&rtc_ticks, RTC_TICKS);
	rt_printf("irq64: pic rtc ticks=%u vector=0x28 regC&0xc0=0x%x\n", rtc_ticks, rtc_c & 0xC0);
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);

	mmio_write32(LAPIC_SVR, 0x1FF);	/* software-enable, spurious 0xFF */
	unsigned entries = (ioapic_read(1) >> 16 & 0xFF) + 1;
	rt_printf("irq64: ioapic redirection entries=%u\n", entries);
	for (unsigned pin = 0; pin < entries; pin++)
		ioapic_route(pin, 0x50 + pin, 1);
	ioapic_route(0, 0x30, 0);
	ioapic_route(2, 0x32, 0);
	pit_start();
	while (pin0_ticks + pin2_ticks < PIT_TICKS)
		rt_sti_hlt();
	rt_cli();
	rt_printf("irq64: ioapic pit ticks pin0=%u pin2=%u\n", pin0_ticks, pin2_ticks);

	ioapic_route(8, 0x38, 0);
	rtc_periodic(1);
	wait_for(&pin8_ticks, RTC_TICKS);
	rt_printf("irq64: ioapic rtc ticks pin8=%u\n", pin8_ticks);

	mmio_write32(LAPIC_TIMER_DCR, 0x0B);		/* divide by 1 */
	mmio_write32(LAPIC_LVT_TIMER, 0x40 | 1u << 17);	/* periodic */
	mmio_write32(LAPIC_TIMER_ICR, 100000);
	wait_for(&lapic_ticks, LAPIC_TICKS);
	rt_printf("irq64: lapic timer ticks=%u vector=0x40\n", lapic_ticks);
	if (lapic_late > 1)
		rt_printf("irq64: %u lapic timer ticks after the mask\n", lapic_late);
	return RT_EXIT_OK;
}
