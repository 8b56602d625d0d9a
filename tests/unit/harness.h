/*
 * Minimal unit-test harness. TEST(name) defines a test and places it in the
 * "nyx_tests" linker section, so adding a test file needs no central table.
 * CHECK() records a failure with file:line and continues; REQUIRE() returns.
 */
#ifndef NYX_TESTS_HARNESS_H
#define NYX_TESTS_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
};

extern int test_failures;
void test_fail(const char *file, int line, const char *expr);

#define TEST(n)                                                               \
	static void test_##n(void);                                           \
	static const struct unit_test test_desc_##n                           \
		__attribute__((used, section("nyx_tests"), aligned(8))) = {   \
			#n, test_##n};                                        \
	static void test_##n(void)

#define CHECK(e) do { if (!(e)) test_fail(__FILE__, __LINE__, #e); } while (0)
#define REQUIRE(e) do { if (!(e)) { test_fail(__FILE__, __LINE__, #e); return; } } while (0)
#define CHECK_EQ(a, b)                                                        \
	do {                                                                  \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
		if (a_ != b_) {                                               \
			char m_[256];                                         \
			snprintf(m_, sizeof m_, "%s == %s (0x%llx != 0x%llx)", #a, #b, a_, b_); \
			test_fail(__FILE__, __LINE__, m_);                    \
		}                                                             \
	} while (0)
#define CHECK_STR(a, b)                                                       \
	do {                                                                  \
		const char *a_ = (a), *b_ = (b);                              \
		if (!a_ || !b_ || strcmp(a_, b_)) {                           \
			char m_[512];                                         \
			snprintf(m_, sizeof m_, "%s == %s (\"%s\" != \"%s\")", #a, #b, \
				 a_ ? a_ : "(null)", b_ ? b_ : "(null)");     \
			test_fail(__FILE__, __LINE__, m_);                    \
		}                                                             \
	} while (0)

#endif
