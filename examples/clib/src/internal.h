/* Helpers shared by the library's sources; not part of the public API. */
#ifndef FIXED_INTERNAL_H
#define FIXED_INTERNAL_H

#include "config.h"
#include "fixed.h"

/*
 * A build can ask for the plain C paths even where the compiler has the
 * builtins, so that both are tested on one machine.
 */
#if defined(FIXED_PORTABLE)
#undef FIXED_HAVE_BUILTIN_OVERFLOW
#undef FIXED_HAVE_BUILTIN_CLZ
#endif

/* Clamps a wide intermediate result into the Q16.16 range. */
fx_t fx_saturate(int64_t value);

/* True when fx_saturate would have to clamp value. */
int fx_out_of_range(int64_t value);

/*
 * Divides, rounding to nearest with ties away from zero. The divisor must
 * not be 0 and neither operand may be INT64_MIN.
 */
int64_t fx_divide_rounded(int64_t numerator, int64_t denominator);

#endif /* FIXED_INTERNAL_H */
