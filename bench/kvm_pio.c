/*
 * Bare KVM PIO round trip: the smallest VMM that can measure it. One vCPU
 * in flat 32-bit protected mode (as the bench guest pio runs) executes
 * "OUT 0x80, AL" n times then HLT; every OUT comes back
 * from KVM_RUN as KVM_EXIT_IO and we re-enter at once. Prints microseconds
 * per exit (wall clock over the whole loop), the floor any VMM's PIO exit
 * cost sits on. Usage: kvm-pio [N]
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	fprintf(stderr, "kvm-pio: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 200000;
	/* 32-bit code: mov ecx, n; 1: out 0x80, al; dec ecx; jnz 1b; hlt */
	unsigned char code[] = { 0xb9, n, n >> 8, n >> 16, n >> 24,
				 0xe6, 0x80, 0x49, 0x75, 0xfb, 0xf4 };
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("open /dev/kvm");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	size_t memsz = 0x10000;
	unsigned char *mem = mmap(NULL, memsz, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap guest memory");
	memcpy(mem, code, sizeof(code));
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = memsz,
		.userspace_addr = (unsigned long)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		return fail("KVM_SET_USER_MEMORY_REGION");
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	int runsz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run = mmap(NULL, runsz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");
	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		return fail("KVM_GET_SREGS");
	/* Flat segments, no GDT needed: KVM takes the hidden parts as given. */
	struct kvm_segment flat = {
		.base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 3,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .g = 1,
	};
	sregs.ds = sregs.es = sregs.ss = sregs.fs = sregs.gs = flat;
	flat.selector = 0x08;
	flat.type = 11;
	sregs.cs = flat;
	sregs.cr0 |= 1;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		return fail("KVM_SET_SREGS");
	struct kvm_regs regs = { .rip = 0, .rflags = 2 };
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		return fail("KVM_SET_REGS");

	unsigned exits = 0;
	double t0 = now();
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) && errno != EINTR)
			return fail("KVM_RUN");
		if (run->exit_reason == KVM_EXIT_IO) {
			exits++;
			continue;
		}
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		fprintf(stderr, "kvm-pio: unexpected exit reason %u\n", run->exit_reason);
		return 1;
	}
	double t = now() - t0;
	if (exits != n) {
		fprintf(stderr, "kvm-pio: %u exits, expected %u\n", exits, n);
		return 1;
	}
	printf("%.3f\n", exits ? t / exits * 1e6 : 0.0);
	return 0;
}
