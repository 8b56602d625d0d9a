/* softint64: exc.c with software interrupts, built for 64-bit mode. */
#define SOFTINT
#include "exc.c"
