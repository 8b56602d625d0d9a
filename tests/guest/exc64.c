/* exc64: exc.c built for 64-bit mode. */
#include "exc.c"
