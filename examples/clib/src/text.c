#include <assert.h>
#include <stdio.h>

#include "internal.h"

static const uint32_t POWERS_OF_TEN[FX_MAX_DECIMALS + 1] = {
    1,         10,         100,         1000,
    10000,     100000,     1000000,     10000000,
    100000000, 1000000000,
};

int fx_format(fx_t value, unsigned decimals, char *buffer, size_t size) {
  /* INT32_MIN has no positive int32_t, but its magnitude fits unsigned. */
  uint32_t magnitude = value < 0 ? 0u - (uint32_t)value : (uint32_t)value;
  uint32_t whole = magnitude >> FX_FRAC_BITS;
  uint64_t scale;
  uint64_t fraction;
  int negative;

  if (decimals > FX_MAX_DECIMALS) {
    return -1;
  }
  scale = POWERS_OF_TEN[decimals];
  fraction = magnitude & (uint32_t)(FX_ONE - 1);
  fraction = (fraction * scale + FX_ONE / 2) >> FX_FRAC_BITS;
  if (fraction == scale) {
    whole += 1;
    fraction = 0;
  }
  /* Rounding can leave nothing to be negative about: no "-0.00". */
  negative = value < 0 && (whole != 0 || fraction != 0);

  if (decimals == 0) {
    return snprintf(buffer, size, "%s%lu", negative ? "-" : "",
                    (unsigned long)whole);
  }
  return snprintf(buffer, size, "%s%lu.%0*lu", negative ? "-" : "",
                  (unsigned long)whole, (int)decimals,
                  (unsigned long)fraction);
}

static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

int fx_parse(const char *text, fx_t *out) {
  const char *p = text;
  int negative = 0;
  int digits = 0;
  int64_t whole = 0;
  int64_t fraction = 0;
  int fraction_digits = 0;
  int64_t value;

  assert(text != NULL && out != NULL);
  if (*p == '+' || *p == '-') {
    negative = *p == '-';
    p++;
  }
  for (; is_digit(*p); p++, digits++) {
    /* Past the range the value only saturates; stop growing it. */
    if (whole <= (int64_t)FX_MAX) {
      whole = whole * 10 + (*p - '0');
    }
  }
  if (*p == '.') {
    for (p++; is_digit(*p); p++, digits++) {
      /*
       * Nine digits resolve far finer than one step (1 / 65536); later
       * ones could only matter for an exact tie, so they are dropped.
       */
      if (fraction_digits < FX_MAX_DECIMALS) {
        fraction = fraction * 10 + (*p - '0');
        fraction_digits++;
      }
    }
  }
  if (digits == 0 || *p != '\0') {
    return FX_EINVAL;
  }

  value = whole * FX_ONE +
          fx_divide_rounded(fraction * FX_ONE,
                            POWERS_OF_TEN[fraction_digits]);
  if (negative) {
    value = -value;
  }
  *out = fx_saturate(value);
  return fx_out_of_range(value) ? FX_ERANGE : FX_OK;
}
