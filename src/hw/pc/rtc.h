/*
 * MC146818 real-time clock and CMOS RAM at ports 0x70/0x71, IRQ 8, with the
 * CMOS layout SeaBIOS and Linux expect on a PC (memory sizes, CPU count,
 * equipment, boot order).
 */
#ifndef NYX_HW_PC_RTC_H
#define NYX_HW_PC_RTC_H

#include <stdint.h>
#include <time.h>

struct machine;
struct rtc;

#define RTC_INDEX_PORT 0x70
#define RTC_DATA_PORT 0x71
#define RTC_IRQ 8

/* The clock starts at the host's UTC time and then follows the machine
 * clock. 0 or a negative errno. */
int rtc_create(struct machine *m, struct rtc **out);

/* For tests and the API: set the time of day (seconds since the epoch). */
void rtc_set_time(struct rtc *r, time_t t);
/* For tests: replace the clock source (ns, monotonic). The divider phase
 * restarts at the source's current value; the time of day is kept. */
void rtc_set_clock(struct rtc *r, uint64_t (*now_ns)(void *opaque), void *opaque);

/* For tests: what the loop timer does when it fires (flags brought up to
 * date, IRQ 8 raised as due). */
void rtc_poll(struct rtc *r);

#endif
