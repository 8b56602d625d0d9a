/* hello64: hello.c built for 64-bit mode. */
#include "hello.c"
