/*
 * A small builder for AML (ACPI Machine Language) byte code and ACPI
 * resource templates, used to generate the DSDT at machine build time.
 *
 * AML is emitted in prefix order straight into a growing byte buffer:
 * an expression such as Store(Add(Local0, 1), Local1) is written as the
 * calls aml_op(STORE), aml_op(ADD), aml_local(0), aml_int(1), aml_zero()
 * (no target), aml_local(1). Objects that carry a PkgLength (Scope, Device,
 * Method, Package, Buffer, If, Else, While, Field) are opened with
 * aml_*_begin() and closed with aml_end(); aml_end() inserts the encoded
 * length in front of the body once the body is known.
 *
 * Errors (out of memory, unbalanced begin/end, a malformed name) latch
 * `failed`; the caller checks it once at the end (aml_finish()).
 */
#ifndef NYX_ACPI_AML_H
#define NYX_ACPI_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 32

struct aml {
	uint8_t *buf;
	size_t len, cap;
	size_t open[AML_MAX_DEPTH];   /* where each open object's body starts */
	unsigned depth;
	bool failed;
};

/* Opcodes (ACPI 6.x, section 20.3). Two-byte ones carry the 0x5B prefix. */
enum {
	AML_ZERO = 0x00, AML_ONE = 0x01, AML_NAME = 0x08, AML_SCOPE = 0x10,
	AML_BUFFER = 0x11, AML_PACKAGE = 0x12, AML_METHOD = 0x14,
	AML_LOCAL0 = 0x60, AML_ARG0 = 0x68,
	AML_STORE = 0x70, AML_ADD = 0x72, AML_SUBTRACT = 0x74,
	AML_INCREMENT = 0x75, AML_SHIFT_LEFT = 0x79, AML_SHIFT_RIGHT = 0x7A,
	AML_AND = 0x7B, AML_OR = 0x7D, AML_DEREF_OF = 0x83, AML_NOTIFY = 0x86,
	AML_SIZE_OF = 0x87, AML_INDEX = 0x88, AML_CREATE_DWORD_FIELD = 0x8A,
	AML_LAND = 0x90, AML_LOR = 0x91, AML_LNOT = 0x92, AML_LEQUAL = 0x93,
	AML_LGREATER = 0x94, AML_LLESS = 0x95,
	AML_IF = 0xA0, AML_ELSE = 0xA1, AML_WHILE = 0xA2, AML_RETURN = 0xA4,
	AML_ONES = 0xFF,
};

/* Operation region address spaces. */
enum aml_region_space { AML_SYSTEM_MEMORY = 0, AML_SYSTEM_IO = 1, AML_PCI_CONFIG = 2 };

/* Field flags: access type | lock rule | update rule. */
enum {
	AML_FIELD_ANY_ACC = 0, AML_FIELD_BYTE_ACC = 1, AML_FIELD_WORD_ACC = 2,
	AML_FIELD_DWORD_ACC = 3,
	AML_FIELD_LOCK = 1 << 4,
	AML_FIELD_PRESERVE = 0 << 5, AML_FIELD_WRITE_AS_ONES = 1 << 5,
	AML_FIELD_WRITE_AS_ZEROS = 2 << 5,
};

void aml_init(struct aml *a);
void aml_free(struct aml *a);
/* 0 if every object was closed and nothing failed, else -EINVAL/-ENOMEM. */
int aml_finish(struct aml *a);

void aml_byte(struct aml *a, uint8_t v);
void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_op(struct aml *a, uint8_t op);
/* Appends another builder's bytes (a resource template, a sub-tree). */
void aml_append(struct aml *a, const struct aml *b);

/* Data objects. aml_int picks the shortest encoding (Zero, One, Ones,
 * Byte/Word/DWord/QWordConst). */
void aml_int(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
/* EISA id such as "PNP0A03", compressed into a DWordConst. */
void aml_eisaid(struct aml *a, const char *id);
void aml_local(struct aml *a, unsigned n);   /* Local0..7 */
void aml_arg(struct aml *a, unsigned n);     /* Arg0..6 */
/* A NameString: "\\_SB.PCI0", "^LNKA", "PRQ0". Segments shorter than four
 * characters are padded with '_'. */
void aml_name(struct aml *a, const char *path);

/* Name(path, <object the caller emits next>) */
void aml_name_decl(struct aml *a, const char *path);
void aml_name_int(struct aml *a, const char *path, uint64_t v);
void aml_name_string(struct aml *a, const char *path, const char *s);
void aml_name_eisaid(struct aml *a, const char *path, const char *id);

/* Objects with a body, closed by aml_end(). */
void aml_scope_begin(struct aml *a, const char *path);
void aml_device_begin(struct aml *a, const char *path);
void aml_method_begin(struct aml *a, const char *path, unsigned nargs, bool serialized);
void aml_package_begin(struct aml *a, unsigned nelems);
void aml_if_begin(struct aml *a);      /* the predicate follows, then the body */
void aml_else_begin(struct aml *a);
void aml_while_begin(struct aml *a);
/* Field(region, flags) { aml_field_unit()... } */
void aml_field_begin(struct aml *a, const char *region, uint8_t flags);
void aml_field_unit(struct aml *a, const char *name, unsigned bits);
void aml_field_skip(struct aml *a, unsigned bits);
void aml_end(struct aml *a);

/* Buffer(len) { data } as one complete object. */
void aml_buffer(struct aml *a, const void *data, size_t len);
/* OperationRegion(name, space, offset, len) */
void aml_opregion(struct aml *a, const char *name, enum aml_region_space space,
		  uint64_t offset, uint64_t len);

/*
 * Resource templates (ACPI 6.x section 6.4): descriptors are appended to a
 * plain builder; aml_resource_template() wraps them as Buffer with the end
 * tag.
 */
void aml_res_io(struct aml *r, uint16_t base, uint8_t len);
void aml_res_irq_noflags(struct aml *r, uint16_t mask);
/* Extended interrupt: consumer, level-triggered, active-high, shared. */
void aml_res_interrupt_level_shared(struct aml *r, const uint32_t *irqs, unsigned n);
void aml_res_memory32_fixed(struct aml *r, bool writable, uint32_t base, uint32_t len);
void aml_res_word_bus(struct aml *r, uint16_t min, uint16_t max);
void aml_res_word_io(struct aml *r, uint16_t min, uint16_t max);
void aml_res_dword_memory(struct aml *r, bool cacheable, uint32_t min, uint32_t max);
void aml_res_qword_memory(struct aml *r, bool cacheable, uint64_t min, uint64_t max);
void aml_resource_template(struct aml *a, const struct aml *r);

#endif
