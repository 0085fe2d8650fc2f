#include <assert.h>

#include "internal.h"

/* The highest power of four that is not above n, for n > 0. */
static uint64_t top_power_of_four(uint64_t n) {
#ifdef FIXED_HAVE_BUILTIN_CLZ
  int top_bit = 63 - __builtin_clzll(n);

  return (uint64_t)1 << (top_bit & ~1);
#else
  uint64_t bit = (uint64_t)1 << 62;

  while (bit > n) {
    bit >>= 2;
  }
  return bit;
#endif
}

/* Integer square root, rounded to nearest. */
static uint64_t isqrt_rounded(uint64_t n) {
  uint64_t root = 0;
  uint64_t bit;

  if (n == 0) {
    return 0;
  }
  /* Digit by digit in base 4: each step settles one bit of the root. */
  for (bit = top_power_of_four(n); bit != 0; bit >>= 2) {
    if (n >= root + bit) {
      n -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
  }
  /* n now holds n - root^2; (root + 0.5)^2 = root^2 + root + 0.25. */
  return n > root ? root + 1 : root;
}

int fx_sqrt(fx_t a, fx_t *root) {
  assert(root != NULL);
  if (a < 0) {
    return FX_EDOM;
  }
  /* sqrt(a / 2^16) * 2^16 = sqrt(a * 2^16): at most 2^23.5, no overflow. */
  *root = (fx_t)isqrt_rounded((uint64_t)a << FX_FRAC_BITS);
  return FX_OK;
}
