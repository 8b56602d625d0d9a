/*
 * MC146818A real-time clock and 128 bytes of CMOS RAM.
 *
 * Design note (time keeping):
 *  - The divider chain is a count of 32.768 kHz ticks derived from the
 *    clock source (the host monotonic clock, the machine clock's time
 *    base; tests substitute a fake one): ticks = (now - div_origin) scaled,
 *    while register A's DV bits select a running time base (000, 001, 010);
 *    held in reset (11x) it stops, and restarting it puts the first update
 *    500 ms later, as the datasheet says.
 *  - Time of day runs when the divider runs and register B's SET bit is
 *    clear: seconds = tod_base + ticks / 32768. While it runs, the time
 *    registers (0,2,4,6-9 and the century at 0x32) are formatted from it
 *    on every read, in BCD or binary and 12/24 h as register B says.
 *    While it is stopped, the registers hold the time and the guest's
 *    writes; restarting parses them back (the day of week is derived from
 *    the date, not kept separately).
 *  - UIP (A bit 7) is set during the last 244 us (8 ticks) of each second;
 *    the update completes at the second boundary.
 *  - PF is set whatever PIE says (datasheet: "independent of the state of
 *    the PIE bit"); QEMU only sets it while PIE or SQWE is on.
 *  - Flags in register C are computed from the divider ticks that passed
 *    since the last evaluation: PF when a periodic boundary (rate from A)
 *    was crossed, UF when a second boundary was crossed with the clock
 *    running, AF when such a second matches the alarm (0xC0-0xFF = any).
 *    IRQF = PF&PIE | AF&AIE | UF&UIE; IRQ 8 is high while IRQF is set and
 *    drops when C is read (reading C clears it). Evaluation happens on
 *    every register access and on a loop timer armed only while an enabled
 *    interrupt can occur and IRQF is clear, so an idle guest costs nothing.
 *    A running CPU also evaluates once that time comes (intc_add_ext_timer),
 *    so a late event loop delays nothing while the guest runs.
 *  - Late periodic interrupts (hw/intc/catchup.c): periods that pass while
 *    IRQF is still set merge into it when the CPU that takes IRQ 8 ran
 *    that long (the guest left C unread, as on the chip) and are owed
 *    when it did not run (the host kept it from the guest); the next owed
 *    one sets PF again when the handler has read C and sent its EOI
 *    (rtc_raise_owed), so a backlog drains one interrupt per handler run.
 *    Owed ones are bounded, dropped when PIE goes off, the rate changes
 *    or the divider stops (a handler that turns PIE off before its EOI
 *    gets no more), and not saved.
 *  - Machine reset clears PIE/AIE/UIE/SQWE and the flags, as the RESET pin
 *    does; time and CMOS RAM survive, being battery backed (firmware keeps
 *    the shutdown status at 0x0F across a reset).
 * Invariant: last_ticks <= div_ticks(now). Locking: r->lock guards it all
 * (vCPU port accesses and the loop thread's timer).
 */
#include "hw/pc/rtc.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop.h"
#include "core/machine.h"
#include "core/state.h"
#include "hw/intc/intc.h"

#define RTC_STATE_VERSION 1
#define NS_PER_S 1000000000ULL
#define TICKS_PER_S 32768ULL
#define UIP_TICKS 8              /* 244 us */

/* Register indexes. */
enum { REG_SEC = 0, REG_SEC_ALARM = 1, REG_MIN = 2, REG_MIN_ALARM = 3, REG_HOUR = 4,
       REG_HOUR_ALARM = 5, REG_WDAY = 6, REG_MDAY = 7, REG_MONTH = 8, REG_YEAR = 9,
       REG_A = 0x0A, REG_B = 0x0B, REG_C = 0x0C, REG_D = 0x0D, REG_CENTURY = 0x32 };

#define A_UIP 0x80
#define A_DV_MASK 0x70
#define A_RS_MASK 0x0F
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_SQWE 0x08
#define B_DM_BINARY 0x04
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10
#define D_VRT 0x80

struct rtc {
	struct machine *m;
	pthread_mutex_t lock;
	struct irq_line irq;
	struct loop_timer *timer;
	struct log_ratelimit rl;
	uint64_t (*now_ns)(void *opaque);
	void *now_opaque;

	uint8_t cmos[128];
	uint8_t index;
	bool nmi_disabled;       /* bit 7 of the index port; kept for the record */

	bool div_running;
	int64_t div_origin;      /* clock value where the divider count was 0 */
	uint64_t div_frozen;     /* the count while stopped */
	int64_t tod_base;        /* seconds at divider count 0 */
	uint64_t last_ticks;     /* divider count at the last flag evaluation */
	struct intc_catchup cu;  /* late periodic interrupts (not saved) */
	int ext_id;              /* intc_add_ext_timer id, or negative */
	uint64_t late_ns;        /* NYX_DEBUG_TIMER_LATE_US */
};

/* The machine clock (host monotonic time since machine_create()): guest
 * time, in the interrupt hardware's time base, which the catch-up of late
 * periodic interrupts compares due times with. */
static uint64_t rtc_machine_clock(void *opaque)
{
	return machine_clock_ns(opaque);
}

static uint64_t ns_to_ticks(uint64_t ns)
{
	return ns / NS_PER_S * TICKS_PER_S + ns % NS_PER_S * TICKS_PER_S / NS_PER_S;
}

/* The first ns at which the count reaches `ticks`. */
static uint64_t ticks_to_ns(uint64_t ticks)
{
	return ticks / TICKS_PER_S * NS_PER_S +
	       (ticks % TICKS_PER_S * NS_PER_S + TICKS_PER_S - 1) / TICKS_PER_S;
}

static uint64_t rtc_div_ticks(const struct rtc *r, uint64_t now)
{
	if (!r->div_running)
		return r->div_frozen;
	if ((int64_t)now <= r->div_origin)
		return 0;
	return ns_to_ticks((uint64_t)((int64_t)now - r->div_origin));
}

static bool rtc_tod_running(const struct rtc *r)
{
	return r->div_running && !(r->cmos[REG_B] & B_SET);
}

static int64_t rtc_tod(const struct rtc *r, uint64_t now)
{
	return r->tod_base + (int64_t)(rtc_div_ticks(r, now) / TICKS_PER_S);
}

static uint8_t rtc_enc(const struct rtc *r, unsigned v)
{
	if (r->cmos[REG_B] & B_DM_BINARY)
		return (uint8_t)v;
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static unsigned rtc_dec(const struct rtc *r, uint8_t v)
{
	if (r->cmos[REG_B] & B_DM_BINARY)
		return v;
	return (v >> 4) * 10 + (v & 0x0F);
}

static uint8_t rtc_enc_hour(const struct rtc *r, unsigned h)
{
	if (r->cmos[REG_B] & B_24H)
		return rtc_enc(r, h);
	return (uint8_t)(rtc_enc(r, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0));
}

static unsigned rtc_dec_hour(const struct rtc *r, uint8_t v)
{
	if (r->cmos[REG_B] & B_24H)
		return rtc_dec(r, v);
	return rtc_dec(r, v & 0x7F) % 12 + ((v & 0x80) ? 12 : 0);
}

/* Formats a time into the time registers. */
static void rtc_store_time(struct rtc *r, int64_t secs)
{
	time_t t = (time_t)secs;
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		return;
	r->cmos[REG_SEC] = rtc_enc(r, (unsigned)tm.tm_sec);
	r->cmos[REG_MIN] = rtc_enc(r, (unsigned)tm.tm_min);
	r->cmos[REG_HOUR] = rtc_enc_hour(r, (unsigned)tm.tm_hour);
	r->cmos[REG_WDAY] = rtc_enc(r, (unsigned)tm.tm_wday + 1);
	r->cmos[REG_MDAY] = rtc_enc(r, (unsigned)tm.tm_mday);
	r->cmos[REG_MONTH] = rtc_enc(r, (unsigned)tm.tm_mon + 1);
	r->cmos[REG_YEAR] = rtc_enc(r, (unsigned)(tm.tm_year + 1900) % 100);
	r->cmos[REG_CENTURY] = rtc_enc(r, (unsigned)(tm.tm_year + 1900) / 100);
}

/* Parses the time registers (whatever the guest left in them). */
static int64_t rtc_load_time(const struct rtc *r)
{
	struct tm tm = { 0 };

	tm.tm_sec = (int)rtc_dec(r, r->cmos[REG_SEC]);
	tm.tm_min = (int)rtc_dec(r, r->cmos[REG_MIN]);
	tm.tm_hour = (int)rtc_dec_hour(r, r->cmos[REG_HOUR]);
	tm.tm_mday = (int)rtc_dec(r, r->cmos[REG_MDAY]);
	tm.tm_mon = (int)rtc_dec(r, r->cmos[REG_MONTH]) - 1;
	tm.tm_year = (int)(rtc_dec(r, r->cmos[REG_CENTURY]) * 100 +
			   rtc_dec(r, r->cmos[REG_YEAR])) - 1900;
	return (int64_t)timegm(&tm);
}

/* Brings the time registers up to date while the clock runs. */
static void rtc_refresh(struct rtc *r, uint64_t now)
{
	if (rtc_tod_running(r))
		rtc_store_time(r, rtc_tod(r, now));
}

/* Restarts the time of day from the registers at the current divider phase. */
static void rtc_thaw(struct rtc *r, uint64_t now)
{
	r->tod_base = rtc_load_time(r) - (int64_t)(rtc_div_ticks(r, now) / TICKS_PER_S);
}

static uint64_t rtc_period_ticks(const struct rtc *r)
{
	unsigned rs = r->cmos[REG_A] & A_RS_MASK;

	if (!rs)
		return 0;
	if (rs < 3)
		rs += 7;   /* rates 1 and 2 repeat rates 8 and 9 at 32.768 kHz */
	return 1ULL << (rs - 1);
}

static bool rtc_alarm_matches(const struct rtc *r, int64_t secs)
{
	int64_t day = secs % 86400;
	unsigned s, mi, h;

	if (day < 0)
		day += 86400;
	s = (unsigned)(day % 60);
	mi = (unsigned)(day / 60 % 60);
	h = (unsigned)(day / 3600);
#define ALARM_OK(reg, cur) ((r->cmos[reg] & 0xC0) == 0xC0 || r->cmos[reg] == (cur))
	return ALARM_OK(REG_SEC_ALARM, rtc_enc(r, s)) && ALARM_OK(REG_MIN_ALARM, rtc_enc(r, mi)) &&
	       ALARM_OK(REG_HOUR_ALARM, rtc_enc_hour(r, h));
#undef ALARM_OK
}

static void rtc_update_irq(struct rtc *r)
{
	uint8_t c = r->cmos[REG_C] & (C_PF | C_AF | C_UF);
	int level;

	if (c & r->cmos[REG_B] & (B_PIE | B_AIE | B_UIE))
		c |= C_IRQF;
	r->cmos[REG_C] = c;
	level = (c & C_IRQF) != 0;
	if (level != r->irq.level)
		irq_line_set(&r->irq, level);
}

/* The guest is done with the last periodic interrupt when it has read C
 * (IRQF clear) and its handler has sent the EOI: an owed one goes in then,
 * unless PIE went off meanwhile (rtc_write_control dropped it). `ack`: the
 * guest just finished one (catchup.c starts its run-time mark). */
static void rtc_raise_owed(struct rtc *r, bool ack)
{
	if ((r->cmos[REG_B] & B_PIE) && (ack || r->cu.owed) &&
	    !(r->cmos[REG_C] & C_IRQF) && !intc_gsi_in_service(r->m, RTC_IRQ) &&
	    intc_catchup_acked(r->m, &r->cu, RTC_IRQ, r->cu.cpu)) {
		r->cmos[REG_C] |= C_PF;
		rtc_update_irq(r);
	}
}

/* Guest time at which the divider count reached `ticks`. */
static uint64_t rtc_ticks_time(const struct rtc *r, uint64_t ticks)
{
	int64_t ns = r->div_origin + (int64_t)ticks_to_ns(ticks);

	return ns > 0 ? (uint64_t)ns : 0;
}

/*
 * `n` periodic boundaries passed, the last at divider count `last`. PF is
 * set whatever PIE; with PIE, each is an interrupt that catchup.c raises
 * (the first, when IRQF was clear), merges (the guest kept IRQF set while
 * it ran) or owes (it did not run): an owed one sets PF again when the
 * guest is done with the last (rtc_raise_owed).
 */
static void rtc_periodic_due(struct rtc *r, uint64_t n, uint64_t last)
{
	uint64_t period_ns = rtc_period_ticks(r) * NS_PER_S / TICKS_PER_S;
	bool held = r->cmos[REG_C] & C_IRQF;

	r->cmos[REG_C] |= C_PF;
	if (r->cmos[REG_B] & B_PIE)
		intc_catchup_due_held(r->m, &r->cu, RTC_IRQ, n, period_ns,
				      rtc_ticks_time(r, last), held);
	else
		r->cu.owed = 0;
}

/* Sets the flags for what happened since the last evaluation. */
static void rtc_eval(struct rtc *r, uint64_t now)
{
	uint64_t t = rtc_div_ticks(r, now), last = r->last_ticks, period;

	if (t > last) {
		period = rtc_period_ticks(r);
		if (period && t / period > last / period)
			rtc_periodic_due(r, t / period - last / period, t / period * period);
		if (rtc_tod_running(r) && t / TICKS_PER_S > last / TICKS_PER_S) {
			uint64_t crossed = t / TICKS_PER_S - last / TICKS_PER_S;
			int64_t newest = r->tod_base + (int64_t)(t / TICKS_PER_S);

			r->cmos[REG_C] |= C_UF;
			/* One day of seconds covers every alarm pattern. */
			if (crossed > 86400)
				crossed = 86400;
			for (uint64_t i = 0; i < crossed; i++) {
				if (rtc_alarm_matches(r, newest - (int64_t)i)) {
					r->cmos[REG_C] |= C_AF;
					break;
				}
			}
		}
	}
	r->last_ticks = t;
	rtc_update_irq(r);
}

/* Arms the timer for the next event that would raise IRQF. */
static void rtc_arm(struct rtc *r, uint64_t now)
{
	uint64_t t, next = UINT64_MAX, period, due = UINT64_MAX;

	if (r->timer)
		timer_del(r->timer);
	if (!(r->cmos[REG_C] & C_IRQF) && r->div_running) {
		t = rtc_div_ticks(r, now);
		period = rtc_period_ticks(r);
		if ((r->cmos[REG_B] & B_PIE) && period)
			next = (t / period + 1) * period;
		if ((r->cmos[REG_B] & (B_UIE | B_AIE)) && rtc_tod_running(r) &&
		    (t / TICKS_PER_S + 1) * TICKS_PER_S < next)
			next = (t / TICKS_PER_S + 1) * TICKS_PER_S;
		if (next != UINT64_MAX)
			due = rtc_ticks_time(r, next);
	}
	if (r->ext_id >= 0)
		intc_ext_timer_due(r->m, r->ext_id, due);
	if (r->timer && due != UINT64_MAX)
		timer_mod(r->timer, clock_ns() + r->late_ns + (due > now ? due - now : 0));
}

static void rtc_timer_fire(void *opaque)
{
	struct rtc *r = opaque;
	uint64_t now;

	pthread_mutex_lock(&r->lock);
	now = r->now_ns(r->now_opaque);
	rtc_eval(r, now);
	rtc_arm(r, now);
	pthread_mutex_unlock(&r->lock);
}

/* A CPU's handler of IRQ 8 sent its EOI (the 8259's, or the LAPIC's for
 * an IOAPIC pin): its run time is the one that tells merged periodic
 * interrupts from owed ones, and an owed one may go in if C was read. */
static void rtc_acked(void *opaque, unsigned gsi, unsigned cpu)
{
	struct rtc *r = opaque;
	uint64_t now;

	pthread_mutex_lock(&r->lock);
	now = r->now_ns(r->now_opaque);
	r->cu.cpu = cpu;
	rtc_eval(r, now);
	rtc_raise_owed(r, true);
	rtc_arm(r, now);
	pthread_mutex_unlock(&r->lock);
}

void rtc_poll(struct rtc *r)
{
	rtc_timer_fire(r);
}

static bool rtc_dv_runs(uint8_t a)
{
	return ((a & A_DV_MASK) >> 4) <= 2;
}

/* Applies new values of registers A and B: divider and SET transitions. */
static void rtc_write_control(struct rtc *r, uint64_t now, uint8_t a, uint8_t b)
{
	bool was = rtc_tod_running(r);

	/* A new rate, PIE off or the divider stopped: nothing owed from before. */
	if (!(b & B_PIE) || !rtc_dv_runs(a) || ((a ^ r->cmos[REG_A]) & A_RS_MASK))
		r->cu.owed = 0;
	if (was)
		rtc_refresh(r, now);   /* the registers hold the time from here */
	if (r->div_running && !rtc_dv_runs(a)) {
		r->div_frozen = rtc_div_ticks(r, now);
		r->div_running = false;
	} else if (!r->div_running && rtc_dv_runs(a)) {
		/* Out of divider reset: the first update comes 500 ms later. */
		r->div_running = true;
		r->div_origin = (int64_t)now - (int64_t)(NS_PER_S / 2);
		r->last_ticks = rtc_div_ticks(r, now);
	}
	if ((b & B_SET) && !(r->cmos[REG_B] & B_SET))
		b &= ~B_UIE;   /* SET going high clears UIE */
	r->cmos[REG_A] = a & ~A_UIP;
	r->cmos[REG_B] = b;
	if (!was && rtc_tod_running(r))
		rtc_thaw(r, now);
}

static bool rtc_is_time_reg(unsigned idx)
{
	return idx == REG_SEC || idx == REG_MIN || idx == REG_HOUR || idx == REG_CENTURY ||
	       (idx >= REG_WDAY && idx <= REG_YEAR);
}

/* Reading C clears it and drops IRQ 8; an owed periodic one goes in now
 * if the handler already sent its EOI (Linux's 8259 code sends it before
 * the handler runs), else at the EOI (rtc_acked). */
static uint8_t rtc_read_c(struct rtc *r, uint64_t now)
{
	uint8_t v = r->cmos[REG_C];

	r->cmos[REG_C] = 0;
	rtc_update_irq(r);
	rtc_raise_owed(r, v & C_IRQF);
	rtc_arm(r, now);
	return v;
}

static uint8_t rtc_read_data(struct rtc *r)
{
	uint64_t now = r->now_ns(r->now_opaque);
	unsigned idx = r->index;
	uint8_t v;

	rtc_eval(r, now);
	if (rtc_is_time_reg(idx)) {
		rtc_refresh(r, now);
		return r->cmos[idx];
	}
	switch (idx) {
	case REG_A:
		v = r->cmos[REG_A];
		if (rtc_tod_running(r) &&
		    rtc_div_ticks(r, now) % TICKS_PER_S >= TICKS_PER_S - UIP_TICKS)
			v |= A_UIP;
		return v;
	case REG_C:
		return rtc_read_c(r, now);
	case REG_D:
		return D_VRT;
	default:
		return r->cmos[idx];
	}
}

static void rtc_write_data(struct rtc *r, uint8_t v)
{
	uint64_t now = r->now_ns(r->now_opaque);
	unsigned idx = r->index;

	rtc_eval(r, now);
	if (rtc_is_time_reg(idx)) {
		bool running = rtc_tod_running(r);

		rtc_refresh(r, now);
		r->cmos[idx] = v;
		if (running)
			rtc_thaw(r, now);
	} else if (idx == REG_A) {
		rtc_write_control(r, now, v, r->cmos[REG_B]);
	} else if (idx == REG_B) {
		rtc_write_control(r, now, r->cmos[REG_A], v);
	} else if (idx == REG_C || idx == REG_D) {
		if (log_ratelimit_ok(&r->rl, 5))
			LOG(r->m->log, LOG_DEBUG, "rtc", "write 0x%02x to read-only register %c ignored",
			    v, idx == REG_C ? 'C' : 'D');
	} else {
		r->cmos[idx] = v;
	}
	rtc_update_irq(r);
	rtc_arm(r, now);
}

static uint64_t rtc_io_read(void *opaque, uint64_t offset, unsigned size)
{
	struct rtc *r = opaque;
	uint64_t v;

	if (offset == 0)
		return 0xFF;   /* the index register is write-only */
	pthread_mutex_lock(&r->lock);
	v = rtc_read_data(r);
	pthread_mutex_unlock(&r->lock);
	if (size != 1 && log_ratelimit_ok(&r->rl, 5))
		LOG(r->m->log, LOG_WARN, "rtc", "%u-byte read of port 0x71: one byte returned", size);
	return v;
}

static void rtc_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	struct rtc *r = opaque;

	pthread_mutex_lock(&r->lock);
	if (size != 1 && log_ratelimit_ok(&r->rl, 5))
		LOG(r->m->log, LOG_WARN, "rtc", "%u-byte write 0x%llx to port 0x%llx: low byte used",
		    size, (unsigned long long)value, (unsigned long long)(RTC_INDEX_PORT + offset));
	if (offset == 0) {
		r->index = value & 0x7F;
		r->nmi_disabled = (value & 0x80) != 0;
	} else {
		rtc_write_data(r, (uint8_t)value);
	}
	pthread_mutex_unlock(&r->lock);
}

static const struct io_ops rtc_io_ops = {
	.read = rtc_io_read,
	.write = rtc_io_write,
};

void rtc_set_time(struct rtc *r, time_t t)
{
	uint64_t now;

	pthread_mutex_lock(&r->lock);
	now = r->now_ns(r->now_opaque);
	rtc_eval(r, now);
	if (rtc_tod_running(r))
		r->tod_base = (int64_t)t - (int64_t)(rtc_div_ticks(r, now) / TICKS_PER_S);
	else
		rtc_store_time(r, (int64_t)t);
	rtc_arm(r, now);
	pthread_mutex_unlock(&r->lock);
}

void rtc_set_clock(struct rtc *r, uint64_t (*now_ns)(void *opaque), void *opaque)
{
	uint64_t now;
	int64_t tod;

	pthread_mutex_lock(&r->lock);
	tod = rtc_tod(r, r->now_ns(r->now_opaque));
	r->now_ns = now_ns;
	r->now_opaque = opaque;
	now = now_ns(opaque);
	r->div_origin = (int64_t)now;
	r->div_frozen = 0;
	r->last_ticks = 0;
	r->tod_base = tod;
	rtc_arm(r, now);
	pthread_mutex_unlock(&r->lock);
}

/* The PC CMOS layout firmware reads (as on QEMU's PC). */
static void rtc_init_cmos(struct rtc *r)
{
	const struct guest_mem *mem = &r->m->mem;
	uint64_t v;
	unsigned sum = 0, cpus = r->m->cfg.cpus ? r->m->cfg.cpus : 1;

	r->cmos[REG_A] = 0x26;        /* 32.768 kHz time base, 1024 Hz rate */
	r->cmos[REG_B] = B_24H;       /* BCD, 24 h, interrupts off */
	r->cmos[0x0F] = 0;            /* shutdown status: normal POST */
	r->cmos[0x10] = 0;            /* no floppy drives */
	r->cmos[0x12] = 0;            /* no hard disk types */
	r->cmos[0x14] = 0x06;         /* equipment: FPU, PS/2 mouse, VGA, no floppy */
	/* Base memory in KiB. */
	v = mem->below_4g / 1024 < 640 ? mem->below_4g / 1024 : 640;
	r->cmos[0x15] = (uint8_t)v;
	r->cmos[0x16] = (uint8_t)(v >> 8);
	/* Extended memory above 1 MiB in KiB, capped at 0xFFFF. */
	v = mem->below_4g > 0x100000 ? (mem->below_4g - 0x100000) / 1024 : 0;
	if (v > 0xFFFF)
		v = 0xFFFF;
	r->cmos[0x17] = r->cmos[0x30] = (uint8_t)v;
	r->cmos[0x18] = r->cmos[0x31] = (uint8_t)(v >> 8);
	/* Memory above 16 MiB (below 4 GiB) in 64 KiB units, capped. */
	v = mem->below_4g > 0x1000000 ? (mem->below_4g - 0x1000000) / 65536 : 0;
	if (v > 0xFFFF)
		v = 0xFFFF;
	r->cmos[0x34] = (uint8_t)v;
	r->cmos[0x35] = (uint8_t)(v >> 8);
	/* Memory above 4 GiB in 64 KiB units (24 bits). */
	v = mem->above_4g / 65536;
	r->cmos[0x5B] = (uint8_t)v;
	r->cmos[0x5C] = (uint8_t)(v >> 8);
	r->cmos[0x5D] = (uint8_t)(v >> 16);
	r->cmos[0x5F] = (uint8_t)(cpus - 1);
	/* Boot order as QEMU's default "cad": hard disk (2), floppy (1),
	 * CD-ROM (3), one nibble each; 0x38 bit 0 clear = check the floppy
	 * boot signature. */
	r->cmos[0x3D] = 0x12;
	r->cmos[0x38] = 0x30;
	/* Standard checksum over 0x10-0x2D, big endian at 0x2E. */
	for (unsigned i = 0x10; i <= 0x2D; i++)
		sum += r->cmos[i];
	r->cmos[0x2E] = (uint8_t)(sum >> 8);
	r->cmos[0x2F] = (uint8_t)sum;
}

static void rtc_reset(void *opaque)
{
	struct rtc *r = opaque;
	uint64_t now;

	pthread_mutex_lock(&r->lock);
	now = r->now_ns(r->now_opaque);
	rtc_eval(r, now);
	r->cmos[REG_B] &= ~(B_PIE | B_AIE | B_UIE | B_SQWE);
	r->cmos[REG_C] = 0;
	r->cu = (struct intc_catchup){0};
	rtc_update_irq(r);
	rtc_arm(r, now);
	pthread_mutex_unlock(&r->lock);
}

static void rtc_save(void *opaque, struct state_writer *w)
{
	struct rtc *r = opaque;
	uint64_t now, ticks;

	pthread_mutex_lock(&r->lock);
	now = r->now_ns(r->now_opaque);
	rtc_eval(r, now);
	rtc_refresh(r, now);
	ticks = rtc_div_ticks(r, now);
	sw_bytes(w, r->cmos, sizeof r->cmos);
	sw_u8(w, r->index);
	sw_u8(w, r->nmi_disabled);
	sw_u8(w, r->div_running);
	sw_u64(w, ticks);
	sw_u64(w, ticks - r->last_ticks);
	sw_u64(w, (uint64_t)rtc_tod(r, now));
	pthread_mutex_unlock(&r->lock);
}

static void rtc_load(void *opaque, struct state_reader *r_, uint32_t version)
{
	struct rtc *r = opaque;
	uint8_t cmos[128], index, nmi, running;
	uint64_t ticks, since, tod, now;

	if (version != RTC_STATE_VERSION) {
		sr_fail(r_, "rtc: unsupported state version %u", version);
		return;
	}
	sr_bytes(r_, cmos, sizeof cmos);
	index = sr_u8(r_);
	nmi = sr_u8(r_);
	running = sr_u8(r_);
	ticks = sr_u64(r_);
	since = sr_u64(r_);
	tod = sr_u64(r_);
	if (!sr_ok(r_))
		return;
	if (since > ticks || ticks > (1ULL << 47)) {
		sr_fail(r_, "rtc: divider count %llu / %llu out of range",
			(unsigned long long)ticks, (unsigned long long)since);
		return;
	}

	pthread_mutex_lock(&r->lock);
	now = r->now_ns(r->now_opaque);
	memcpy(r->cmos, cmos, sizeof cmos);
	r->cmos[REG_A] &= ~A_UIP;
	r->index = index & 0x7F;
	r->nmi_disabled = nmi != 0;
	r->div_running = running != 0;
	r->div_frozen = ticks;
	r->div_origin = (int64_t)now - (int64_t)ticks_to_ns(ticks);
	/* ticks_to_ns rounds up: make sure the count reads back exactly. */
	while (r->div_running && rtc_div_ticks(r, now) < ticks)
		r->div_origin--;
	r->tod_base = (int64_t)tod - (int64_t)(ticks / TICKS_PER_S);
	r->last_ticks = ticks - since;
	r->cu = (struct intc_catchup){0};
	rtc_update_irq(r);
	rtc_arm(r, now);
	pthread_mutex_unlock(&r->lock);
}

static void rtc_destroy(void *opaque)
{
	struct rtc *r = opaque;

	if (r->timer)
		timer_free(r->timer);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static const struct device_ops rtc_device_ops = {
	.type = "rtc",
	.state_version = RTC_STATE_VERSION,
	.reset = rtc_reset,
	.save = rtc_save,
	.load = rtc_load,
	.destroy = rtc_destroy,
};

int rtc_create(struct machine *m, struct rtc **out)
{
	struct rtc *r = calloc(1, sizeof *r);
	uint64_t now, wall;
	int ret;

	if (out)
		*out = NULL;
	if (!r)
		return -ENOMEM;
	r->m = m;
	r->now_ns = rtc_machine_clock;
	r->now_opaque = m;
	r->ext_id = -1;
	r->late_ns = intc_debug_late_ns();
	pthread_mutex_init(&r->lock, NULL);
	irq_line_init(&r->irq, m, RTC_IRQ);
	if (m->loop) {
		r->timer = timer_new(m->loop, rtc_timer_fire, r);
		if (!r->timer) {
			rtc_destroy(r);
			return -ENOMEM;
		}
	}
	rtc_init_cmos(r);
	/* Start at the host's UTC time, with the divider in phase with it. */
	now = r->now_ns(r->now_opaque);
	wall = clock_wall_ns();
	r->div_running = true;
	r->div_origin = (int64_t)now - (int64_t)(wall % NS_PER_S);
	r->tod_base = (int64_t)(wall / NS_PER_S);
	r->last_ticks = rtc_div_ticks(r, now);
	rtc_store_time(r, rtc_tod(r, now));

	ret = machine_add_device(m, &rtc_device_ops, r, "rtc");
	if (ret) {
		rtc_destroy(r);
		return ret;
	}
	ret = bus_register(&m->pio, RTC_INDEX_PORT, 2, &rtc_io_ops, r, "rtc");
	if (ret)
		return ret;
	ret = intc_add_ack_notifier(m, 1u << RTC_IRQ, rtc_acked, r);
	if (ret)
		return ret;
	r->ext_id = intc_add_ext_timer(m, rtc_timer_fire, r);   /* -ENODEV on KVM */
	if (out)
		*out = r;
	return 0;
}
