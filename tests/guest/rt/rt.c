/*
 * Guest runtime core: COM1 output, a small printf, exit through the
 * isa-debug-exit port, string helpers, and the C entry called by boot.S.
 */
#include "rt.h"

#define COM1		0x3F8
#define COM1_LSR	(COM1 + 5)
#define LSR_THRE	0x20
#define DEBUG_EXIT	0xF4

uint32_t rt_mb_magic, rt_mb_info;

static void serial_init(void)
{
	outb(COM1 + 1, 0x00);	/* IER: no interrupts */
	outb(COM1 + 3, 0x80);	/* LCR: DLAB to set the divisor */
	outb(COM1 + 0, 0x01);	/* DLL: 115200 baud */
	outb(COM1 + 1, 0x00);	/* DLM */
	outb(COM1 + 3, 0x03);	/* LCR: 8N1, DLAB off */
	outb(COM1 + 2, 0x07);	/* FCR: enable and clear FIFOs */
	outb(COM1 + 4, 0x03);	/* MCR: DTR, RTS */
}

void rt_putc(char c)
{
	if (c == '\n')
		rt_putc('\r');
	while (!(inb(COM1_LSR) & LSR_THRE))
		;
	outb(COM1, (uint8_t)c);
}

void rt_puts(const char *s)
{
	while (*s)
		rt_putc(*s++);
}

/* 64-bit by 10 without libgcc: on i386 two 32-bit divl steps. */
static unsigned div10(uint64_t *v)
{
#ifdef __x86_64__
	unsigned r = *v % 10;
	*v /= 10;
	return r;
#else
	uint32_t hi = *v >> 32, lo = (uint32_t)*v, qhi, qlo, r;
	qhi = hi / 10;
	r = hi % 10;
	asm("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "r"(10u));
	*v = (uint64_t)qhi << 32 | qlo;
	return r;
#endif
}

static void put_num(uint64_t v, unsigned base, int width, char pad, int neg)
{
	char buf[24];
	int n = 0;

	do {
		unsigned d = base == 16 ? (unsigned)(v & 15) : div10(&v);
		if (base == 16)
			v >>= 4;
		buf[n++] = "0123456789abcdef"[d];
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (n < width)
		rt_putc(pad), width--;
	while (n)
		rt_putc(buf[--n]);
}

/* Supports %s %c %d %u %x %p with l/ll/z modifiers, width and 0 padding. */
void rt_vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			rt_putc(*fmt);
			continue;
		}
		char pad = ' ';
		int width = 0, lng = 0;
		fmt++;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z')
			lng += *fmt == 'z' ? (sizeof(size_t) == 8 ? 2 : 0) : 1, fmt++;
		if (lng == 1 && sizeof(long) == 8)
			lng = 2;
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			rt_puts(s ? s : "(null)");
			break;
		}
		case 'c':
			rt_putc((char)va_arg(ap, int));
			break;
		case 'd': {
			int64_t v = lng >= 2 ? va_arg(ap, int64_t) : va_arg(ap, int);
			put_num(v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, pad, v < 0);
			break;
		}
		case 'u':
		case 'x': {
			uint64_t v = lng >= 2 ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			put_num(v, *fmt == 'x' ? 16 : 10, width, pad, 0);
			break;
		}
		case 'p':
			rt_puts("0x");
			put_num((uintptr_t)va_arg(ap, void *), 16, 0, '0', 0);
			break;
		case '%':
			rt_putc('%');
			break;
		default:
			rt_putc('%');
			rt_putc(*fmt);
			break;
		}
	}
}

void rt_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rt_vprintf(fmt, ap);
	va_end(ap);
}

void rt_exit(unsigned code)
{
	outb(DEBUG_EXIT, (uint8_t)code);
	/* No debug-exit device: stop here; the runner's timeout reports it. */
	for (;;)
		asm volatile("cli; hlt");
}

void rt_fail(const char *fmt, ...)
{
	va_list ap;

	rt_puts("FAIL: ");
	va_start(ap, fmt);
	rt_vprintf(fmt, ap);
	va_end(ap);
	rt_putc('\n');
	rt_exit(RT_EXIT_FAIL);
}

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

const char *rt_cmdline(void)
{
	const struct mb_info *mbi = (const struct mb_info *)(uintptr_t)rt_mb_info;

	if (rt_mb_magic != MB_MAGIC || !(mbi->flags & (1u << 2)) || !mbi->cmdline)
		return "";
	return (const char *)(uintptr_t)mbi->cmdline;
}

unsigned long rt_cmdline_num(const char *key, unsigned long dflt)
{
	const char *s = rt_cmdline();
	size_t kl = strlen(key);

	for (; *s; s++) {
		if ((s == rt_cmdline() || s[-1] == ' ') && !memcmp(s, key, kl) && s[kl] == '=') {
			unsigned long v = 0, base = 10;
			s += kl + 1;
			if (s[0] == '0' && s[1] == 'x')
				base = 16, s += 2;
			for (;; s++) {
				unsigned d;
				if (*s >= '0' && *s <= '9')
					d = *s - '0';
				else if (base == 16 && *s >= 'a' && *s <= 'f')
					d = *s - 'a' + 10;
				else
					break;
				v = v * base + d;
			}
			return v;
		}
	}
	return dflt;
}

/* Called by boot.S on the boot stack with flat segments, interrupts off. */
void rt_start(void) __attribute__((noreturn));
void rt_start(void)
{
	serial_init();
	rt_exit((unsigned)guest_main());
}
