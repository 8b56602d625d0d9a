/*
 * Mini runtime for the guest test programs: serial output on COM1, exit
 * through isa-debug-exit (port 0xF4), an IDT with one C handler per vector,
 * port and MSR helpers, and the multiboot information the loader passed.
 * Compiled twice: -m32 (protected mode) and -m64 (long mode); the mode is
 * chosen by the start code (boot.S) the guest is linked with.
 */
#ifndef GUEST_RT_H
#define GUEST_RT_H

/* GDT selectors set up by boot.S (same table in both modes). */
#define RT_SEL_CODE32	0x08
#define RT_SEL_DATA	0x10
#define RT_SEL_CODE64	0x18
#define RT_SEL_CODE16	0x20
#define RT_SEL_DATA16	0x28
#define RT_SEL_SMALL	0x30	/* data, base 0, limit 0xfff, byte granular */

/* Exit codes: status of `nyx run` is (code << 1) | 1. */
#define RT_EXIT_OK	0x10	/* status 33 */
#define RT_EXIT_FAIL	0x11	/* status 35: a check inside the guest failed */
#define RT_EXIT_TRAP	0x12	/* status 37: unexpected exception */

#define MB_MAGIC	0x2BADB002u

#ifndef __ASSEMBLER__
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
} __attribute__((packed));

struct mb_module {
	uint32_t mod_start, mod_end, string, reserved;
} __attribute__((packed));

struct mb_mmap_entry {
	uint32_t size;		/* of the rest of the entry, not counting this field */
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

/* Register frame built by the interrupt stubs (idt32.S / idt64.S). */
#ifdef __x86_64__
struct rt_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, err;
	uint64_t ip, cs, flags, sp, ss;
};
#else
struct rt_frame {
	uint32_t edi, esi, ebp, esp_unused, ebx, edx, ecx, eax;
	uint32_t vector, err;
	uint32_t ip, cs, flags;
};
#endif

typedef void (*rt_handler)(struct rt_frame *f);

extern uint32_t rt_mb_magic, rt_mb_info;

/* Provided by each guest program. Its return value is the exit code. */
int guest_main(void);

void rt_putc(char c);
void rt_puts(const char *s);
void rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rt_vprintf(const char *fmt, va_list ap);
void rt_exit(unsigned code) __attribute__((noreturn));
void rt_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

void rt_idt_init(void);
void rt_set_handler(int vector, rt_handler fn);
int rt_has_error_code(int vector);

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

static inline void rt_sti(void) { asm volatile("sti" ::: "memory"); }
static inline void rt_cli(void) { asm volatile("cli" ::: "memory"); }
/* sti;hlt as one pair: the interrupt shadow keeps a tick from slipping in between. */
static inline void rt_sti_hlt(void) { asm volatile("sti; hlt" ::: "memory"); }

static inline uintptr_t read_cr0(void) { uintptr_t v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uintptr_t read_cr2(void) { uintptr_t v; asm volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uintptr_t read_cr3(void) { uintptr_t v; asm volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uintptr_t read_cr4(void) { uintptr_t v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uintptr_t v) { asm volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void write_cr3(uintptr_t v) { asm volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void write_cr4(uintptr_t v) { asm volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }
static inline void invlpg(uintptr_t va) { asm volatile("invlpg (%0)" : : "r"(va) : "memory"); }

/* CMOS/RTC register access (port 0x70 index with NMI left enabled, 0x71 data). */
static inline uint8_t cmos_read(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static inline void cmos_write(uint8_t reg, uint8_t v)
{
	outb(0x70, reg);
	outb(0x71, v);
}

/* Command line from the multiboot info, or "" when there is none. */
const char *rt_cmdline(void);
/* Value of "key=N" on the command line (decimal or 0x hex), or dflt. */
unsigned long rt_cmdline_num(const char *key, unsigned long dflt);

#endif /* __ASSEMBLER__ */
#endif
