/* exc32: exc.c built for 32-bit mode. */
#include "exc.c"
