/*
 * rtc: reads the MC146818 clock through ports 0x70/0x71 as firmware does:
 * wait for register A's update-in-progress bit to clear, read the time and
 * date registers until two reads agree, decode BCD or binary and 12/24-hour
 * according to register B, and take the century from register 0x32 (the
 * index ACPI's FADT names on PCs). Prints UTC date and time for the runner
 * to compare with the host clock, then waits until the seconds change to
 * show that the clock runs. Register D bit 7 (valid RAM and time) must be 1.
 */
#include "rt.h"

struct rtc_time {
	unsigned sec, min, hour, day, mon, year, cent;
};

static void rtc_raw(struct rtc_time *t)
{
	while (cmos_read(0x0A) & 0x80)
		;
	t->sec = cmos_read(0x00);
	t->min = cmos_read(0x02);
	t->hour = cmos_read(0x04);
	t->day = cmos_read(0x07);
	t->mon = cmos_read(0x08);
	t->year = cmos_read(0x09);
	t->cent = cmos_read(0x32);
}

static void rtc_read(struct rtc_time *t)
{
	struct rtc_time again;

	for (;;) {
		rtc_raw(t);
		rtc_raw(&again);
		if (!memcmp(t, &again, sizeof(again)))
			break;
	}
}

static unsigned bcd(unsigned v)
{
	return (v >> 4) * 10 + (v & 15);
}

int guest_main(void)
{
	struct rtc_time t;
	uint8_t b = cmos_read(0x0B);
	unsigned pm, first;

	rt_printf("rtc: valid=%u\n", cmos_read(0x0D) >> 7);
	rtc_read(&t);
	pm = !(b & 0x02) && (t.hour & 0x80);
	t.hour &= 0x7F;
	if (!(b & 0x04)) {
		t.sec = bcd(t.sec), t.min = bcd(t.min), t.hour = bcd(t.hour);
		t.day = bcd(t.day), t.mon = bcd(t.mon), t.year = bcd(t.year);
		t.cent = bcd(t.cent);
	}
	if (!(b & 0x02))
		t.hour = t.hour % 12 + (pm ? 12 : 0);
	rt_printf("rtc: %02u%02u-%02u-%02u %02u:%02u:%02u\n",
		  t.cent, t.year, t.mon, t.day, t.hour, t.min, t.sec);

	first = cmos_read(0x00);
	while (cmos_read(0x00) == first)
		;
	rt_puts("rtc: seconds advanced\n");
	return RT_EXIT_OK;
}
