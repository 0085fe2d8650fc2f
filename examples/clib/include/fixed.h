/*
 * libfixed: signed Q16.16 fixed-point arithmetic.
 *
 * A value is an int32_t holding the real number value / 65536, so it covers
 * [-32768, 32768) in steps of about 0.0000153. Every operation saturates at
 * the ends of that range instead of wrapping, and rounds to the nearest step
 * with ties away from zero.
 *
 * This header is self-contained: it needs only a C99 compiler, not the
 * config.h that ./configure writes for building the library itself.
 */
#ifndef FIXED_H
#define FIXED_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t fx_t;

#define FX_FRAC_BITS 16
#define FX_ONE ((fx_t)1 << FX_FRAC_BITS)
#define FX_MAX ((fx_t)INT32_MAX)
#define FX_MIN ((fx_t)INT32_MIN)

/* The most fraction digits fx_format writes. */
#define FX_MAX_DECIMALS 9

/* Status codes of the functions that can fail. */
enum fx_status {
  FX_OK = 0,
  FX_ERANGE = 1, /* the result saturated at FX_MIN or FX_MAX */
  FX_EDOM = 2,   /* no result: division by zero, root of a negative */
  FX_EINVAL = 3  /* the text is not a number */
};

/* Conversions. fx_to_int truncates toward zero. */
fx_t fx_from_int(int32_t value);
int32_t fx_to_int(fx_t value);
fx_t fx_from_double(double value);
double fx_to_double(fx_t value);

/* Saturating arithmetic. */
fx_t fx_add(fx_t a, fx_t b);
fx_t fx_sub(fx_t a, fx_t b);
fx_t fx_mul(fx_t a, fx_t b);

/*
 * Stores a / b in *quotient. Returns FX_EDOM when b is 0 (and leaves
 * *quotient alone), FX_ERANGE when the quotient saturated.
 */
int fx_div(fx_t a, fx_t b, fx_t *quotient);

/* Stores the square root of a in *root; FX_EDOM when a is negative. */
int fx_sqrt(fx_t a, fx_t *root);

/*
 * Writes value with exactly `decimals` fraction digits (at most
 * FX_MAX_DECIMALS), like snprintf: returns the length the text needs, which
 * is at least `size` when it was cut short, or -1 when decimals is too big.
 */
int fx_format(fx_t value, unsigned decimals, char *buffer, size_t size);

/*
 * Parses "[+-]digits[.digits]" (digits on at least one side of the point,
 * nothing else around it). Returns FX_EINVAL and leaves *out alone when the
 * text does not match, FX_ERANGE when the number saturated.
 */
int fx_parse(const char *text, fx_t *out);

#ifdef __cplusplus
}
#endif

#endif /* FIXED_H */
