/* Machine lifecycle on the KVM backend with a tiny real-mode firmware image:
 * the reset vector runs, port I/O reaches a device, stop and timeout work. */
#include <stdlib.h>
#include <unistd.h>

#include "core/machine.h"
#include "harness.h"

static void write_image(const char *path, const uint8_t *code, size_t n)
{
	static uint8_t img[65536];
	memset(img, 0xF4, sizeof(img));   /* hlt everywhere */
	memcpy(img + 0xFFF0, code, n);
	FILE *f = fopen(path, "wb");
	fwrite(img, 1, sizeof(img), f);
	fclose(f);
}

static void exit_port_write(void *o, uint64_t off, uint64_t v, unsigned size)
{
	machine_request_stop(o, STOP_DEBUG_EXIT, (int)((v << 1) | 1));
}

static const struct io_ops exit_ops = { NULL, exit_port_write };

static struct machine *make(const char *img, unsigned cpus, double timeout)
{
	struct machine_config c;
	machine_config_init(&c);
	c.bios = strdup(img);
	c.cpus = cpus;
	c.mem_size = 32ULL << 20;
	c.accel = ACCEL_KVM;
	c.timeout_s = timeout;
	c.log_level = LOG_ERROR;
	char err[256] = "";
	struct machine *m = machine_create(&c, err, sizeof(err));
	machine_config_free(&c);
	if (!m) {
		fprintf(stderr, "  machine_create: %s\n", err);
		return NULL;
	}
	if (!mem_find(&m->mem, 0xFFFFFFF0ULL)) {
		/* Until the firmware loader lands, map the image here. */
		FILE *f = fopen(img, "rb");
		static uint8_t buf[65536];
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		mem_add_rom(&m->mem, 0x100000000ULL - n, buf, n, "bios");
		m->cpu->mem_sync(m);
	}
	bus_register(&m->pio, 0xF4, 1, &exit_ops, m, "test-exit");
	return m;
}

TEST(kvm_reset_vector_runs_and_exits_through_port)
{
	char img[] = "/tmp/nyx-test-bios-XXXXXX";
	close(mkstemp(img));
	/* mov al,0x42 ; out 0xF4,al ; hlt */
	const uint8_t code[] = { 0xB0, 0x42, 0xE6, 0xF4, 0xF4 };
	write_image(img, code, sizeof(code));
	struct machine *m = make(img, 1, 10);
	REQUIRE(m);
	CHECK_EQ(machine_run(m), (0x42 << 1) | 1);
	machine_destroy(m);
	unlink(img);
}

TEST(kvm_timeout_stops_spinning_guest_smp)
{
	char img[] = "/tmp/nyx-test-bios-XXXXXX";
	close(mkstemp(img));
	const uint8_t code[] = { 0xEB, 0xFE };   /* jmp $ */
	write_image(img, code, sizeof(code));
	struct machine *m = make(img, 2, 0.3);
	REQUIRE(m);
	CHECK_EQ(machine_run(m), EXIT_TIMEOUT);
	machine_destroy(m);
	unlink(img);
}

TEST(kvm_state_round_trip)
{
	char img[] = "/tmp/nyx-test-bios-XXXXXX";
	close(mkstemp(img));
	const uint8_t code[] = { 0xF4 };
	write_image(img, code, sizeof(code));
	struct machine *m = make(img, 1, 1);
	REQUIRE(m);
	struct vcpu_state *s = calloc(1, sizeof(*s)), *t = calloc(1, sizeof(*t));
	REQUIRE(m->cpu->get_state(m->vcpus[0], s) == 0);
	/* Architectural reset values (SDM vol. 3 table 9-1). */
	CHECK_EQ(s->rip, 0xFFF0);
	CHECK_EQ(s->seg[SEG_CS].selector, 0xF000);
	CHECK_EQ(s->seg[SEG_CS].base, 0xFFFF0000);
	CHECK_EQ(s->cr0 & 0xFFFFFFFF, 0x60000010);
	s->regs[REG_RBX] = 0x1234567890ULL;
	s->regs[REG_R15] = 0xFEDCBA9876543210ULL;
	s->rip = 0xFFF1;
	REQUIRE(m->cpu->set_state(m->vcpus[0], s) == 0);
	REQUIRE(m->cpu->get_state(m->vcpus[0], t) == 0);
	CHECK_EQ(t->regs[REG_RBX], 0x1234567890ULL);
	CHECK_EQ(t->regs[REG_R15], 0xFEDCBA9876543210ULL);
	CHECK_EQ(t->rip, 0xFFF1);
	free(s);
	free(t);
	machine_destroy(m);
	unlink(img);
}
