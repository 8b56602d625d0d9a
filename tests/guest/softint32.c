/* softint32: exc.c with software interrupts, built for 32-bit mode. */
#define SOFTINT
#include "exc.c"
