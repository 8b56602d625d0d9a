/*
 * AML builder: encodings checked against the ACPI specification (6.x,
 * chapter 20) by hand, byte for byte.
 */
#include "harness.h"

#include "acpi/aml.h"

static int bytes_eq(const struct aml *a, const uint8_t *want, size_t n)
{
	return a->len == n && memcmp(a->buf, want, n) == 0;
}

TEST(acpi_aml_integer_encodings)
{
	struct aml a;
	/* ZeroOp, OneOp, BytePrefix 0x0A, WordPrefix 0x0B, DWordPrefix 0x0C,
	 * QWordPrefix 0x0E, OnesOp 0xFF */
	static const uint8_t want[] = {0x00, 0x01, 0x0A, 0x80, 0x0B, 0x34, 0x12,
				       0x0C, 0x00, 0x00, 0xC0, 0xFE, 0x0E, 1, 0, 0, 0,
				       1, 0, 0, 0, 0xFF};
	aml_init(&a);
	aml_int(&a, 0);
	aml_int(&a, 1);
	aml_int(&a, 0x80);
	aml_int(&a, 0x1234);
	aml_int(&a, 0xFEC00000);
	aml_int(&a, 0x100000001ULL);
	aml_int(&a, UINT64_MAX);
	CHECK_EQ(aml_finish(&a), 0);
	CHECK(bytes_eq(&a, want, sizeof(want)));
	aml_free(&a);
}

TEST(acpi_aml_name_strings)
{
	struct aml a;
	/* \_SB.PCI0: RootChar, DualNamePrefix, two padded segments;
	 * ^LNK: ParentPrefix, one segment "LNK_"; a.b.c: MultiNamePrefix, 3 */
	static const uint8_t want[] = {'\\', 0x2E, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
				       '^', 'L', 'N', 'K', '_',
				       0x2F, 3, 'A', '_', '_', '_', 'B', '_', '_', '_',
				       'C', '_', '_', '_'};
	aml_init(&a);
	aml_name(&a, "\\_SB.PCI0");
	aml_name(&a, "^LNK");
	aml_name(&a, "A.B.C");
	CHECK_EQ(aml_finish(&a), 0);
	CHECK(bytes_eq(&a, want, sizeof(want)));
	aml_free(&a);

	aml_init(&a);
	aml_name(&a, "TOOLONG");     /* more than four characters */
	CHECK(aml_finish(&a) != 0);
	aml_free(&a);
	aml_init(&a);
	aml_name(&a, "1ABC");        /* a segment cannot start with a digit */
	CHECK(aml_finish(&a) != 0);
	aml_free(&a);
}

TEST(acpi_aml_eisaid)
{
	struct aml a;
	/* EISAID("PNP0A03") is the DWord 0x030AD041 (ACPI spec, _HID examples). */
	static const uint8_t want[] = {0x0C, 0x41, 0xD0, 0x0A, 0x03};
	aml_init(&a);
	aml_eisaid(&a, "PNP0A03");
	CHECK(bytes_eq(&a, want, sizeof(want)));
	aml_eisaid(&a, "pnp0a03");   /* lower case is not an EISA id */
	CHECK(aml_finish(&a) != 0);
	aml_free(&a);
}

TEST(acpi_aml_pkglength_boundaries)
{
	struct aml a;
	uint8_t body[100];

	memset(body, 0x00, sizeof(body));
	/* Scope(\): the name is RootChar + NullName (2 bytes). With 60 more
	 * bytes the body is 62, plus one length byte = 63 < 64: one byte. */
	aml_init(&a);
	aml_scope_begin(&a, "\\");
	aml_bytes(&a, body, 60);
	aml_end(&a);
	REQUIRE(aml_finish(&a) == 0);
	CHECK_EQ(a.buf[0], 0x10);
	CHECK_EQ(a.buf[1], 63);
	CHECK_EQ(a.len, 64u);
	aml_free(&a);

	/* One more byte: 63 + 1 = 64 does not fit 6 bits; with two length
	 * bytes the total is 65: lead 0x40 | (65 & 0xF), then 65 >> 4. */
	aml_init(&a);
	aml_scope_begin(&a, "\\");
	aml_bytes(&a, body, 61);
	aml_end(&a);
	REQUIRE(aml_finish(&a) == 0);
	CHECK_EQ(a.buf[1], 0x40 | (65 & 0xF));
	CHECK_EQ(a.buf[2], 65 >> 4);
	CHECK_EQ(a.len, 66u);
	aml_free(&a);
}

TEST(acpi_aml_unbalanced_is_an_error)
{
	struct aml a;
	aml_init(&a);
	aml_device_begin(&a, "DEV0");
	CHECK(aml_finish(&a) != 0);   /* never closed */
	aml_free(&a);
	aml_init(&a);
	aml_end(&a);                  /* nothing open */
	CHECK(aml_finish(&a) != 0);
	aml_free(&a);
}

TEST(acpi_aml_resource_descriptors)
{
	struct aml r, a;
	static const uint32_t irqs[2] = {5, 10};
	/* I/O port: 0x47, decode16, min, max, align 1, length (ACPI 6.4.2.5) */
	static const uint8_t io[] = {0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x01, 0x08};
	/* IRQ without flags: 0x22, 16-bit mask (6.4.2.1) */
	static const uint8_t irq[] = {0x22, 0x10, 0x00};
	/* Extended interrupt: 0x89, length 2+4n, flags (consumer|shared),
	 * count, DWords (6.4.3.6) */
	static const uint8_t ext[] = {0x89, 0x0A, 0x00, 0x09, 0x02, 5, 0, 0, 0, 10, 0, 0, 0};

	aml_init(&r);
	aml_res_io(&r, 0x3F8, 8);
	aml_res_irq_noflags(&r, 1u << 4);
	aml_res_interrupt_level_shared(&r, irqs, 2);
	REQUIRE(aml_finish(&r) == 0);
	REQUIRE(r.len == sizeof(io) + sizeof(irq) + sizeof(ext));
	CHECK(memcmp(r.buf, io, sizeof(io)) == 0);
	CHECK(memcmp(r.buf + sizeof(io), irq, sizeof(irq)) == 0);
	CHECK(memcmp(r.buf + sizeof(io) + sizeof(irq), ext, sizeof(ext)) == 0);

	/* The template is a Buffer: 0x11, PkgLength, size, bytes, end tag 79 00 */
	aml_init(&a);
	aml_resource_template(&a, &r);
	REQUIRE(aml_finish(&a) == 0);
	CHECK_EQ(a.buf[0], 0x11);
	CHECK_EQ(a.buf[2], 0x0A);                      /* BytePrefix */
	CHECK_EQ(a.buf[3], r.len + 2);
	CHECK_EQ(a.buf[a.len - 2], 0x79);
	CHECK_EQ(a.buf[a.len - 1], 0x00);
	aml_free(&a);
	aml_free(&r);
}
