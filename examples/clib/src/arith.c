#include <assert.h>

#include "internal.h"

fx_t fx_saturate(int64_t value) {
  if (value > FX_MAX) {
    return FX_MAX;
  }
  if (value < FX_MIN) {
    return FX_MIN;
  }
  return (fx_t)value;
}

int fx_out_of_range(int64_t value) {
  return value > FX_MAX || value < FX_MIN;
}

int64_t fx_divide_rounded(int64_t numerator, int64_t denominator) {
  int negative = (numerator < 0) != (denominator < 0);
  int64_t n = numerator < 0 ? -numerator : numerator;
  int64_t d = denominator < 0 ? -denominator : denominator;
  int64_t q = (n + d / 2) / d;

  return negative ? -q : q;
}

fx_t fx_from_int(int32_t value) {
  return fx_saturate((int64_t)value * FX_ONE);
}

int32_t fx_to_int(fx_t value) {
  return value / FX_ONE;
}

fx_t fx_from_double(double value) {
  double scaled;

  /* NaN compares unequal to itself and has no sensible fixed value. */
  if (value != value) {
    return 0;
  }
  scaled = value * FX_ONE;
  if (scaled >= (double)FX_MAX) {
    return FX_MAX;
  }
  if (scaled <= (double)FX_MIN) {
    return FX_MIN;
  }
  return (fx_t)(scaled < 0 ? scaled - 0.5 : scaled + 0.5);
}

double fx_to_double(fx_t value) {
  return (double)value / FX_ONE;
}

fx_t fx_add(fx_t a, fx_t b) {
#ifdef FIXED_HAVE_BUILTIN_OVERFLOW
  fx_t sum;

  if (__builtin_add_overflow(a, b, &sum)) {
    return a < 0 ? FX_MIN : FX_MAX;
  }
  return sum;
#else
  return fx_saturate((int64_t)a + b);
#endif
}

fx_t fx_sub(fx_t a, fx_t b) {
#ifdef FIXED_HAVE_BUILTIN_OVERFLOW
  fx_t difference;

  if (__builtin_sub_overflow(a, b, &difference)) {
    return a < 0 ? FX_MIN : FX_MAX;
  }
  return difference;
#else
  return fx_saturate((int64_t)a - b);
#endif
}

fx_t fx_mul(fx_t a, fx_t b) {
  /* Both factors fit in 32 bits, so the product cannot overflow 64. */
  int64_t product = (int64_t)a * b;

  return fx_saturate(fx_divide_rounded(product, FX_ONE));
}

int fx_div(fx_t a, fx_t b, fx_t *quotient) {
  int64_t exact;

  assert(quotient != NULL);
  if (b == 0) {
    return FX_EDOM;
  }
  exact = fx_divide_rounded((int64_t)a * FX_ONE, b);
  *quotient = fx_saturate(exact);
  return fx_out_of_range(exact) ? FX_ERANGE : FX_OK;
}
