# The language tests under valgrind (memory errors, definite leaks).
lang-valgrind: all
	@BUILD=$(BUILD) VALGRIND=1 tests/lang/run

.PHONY: lang-valgrind
