#include "fixed.h"
#include "runner.h"

static void converts_integers_both_ways(void) {
  CHECK(fx_from_int(0) == 0);
  CHECK(fx_from_int(1) == FX_ONE);
  CHECK(fx_from_int(-3) == -3 * FX_ONE);
  CHECK(fx_to_int(fx_from_int(12345)) == 12345);
  CHECK(fx_to_int(fx_from_int(-32768)) == -32768);
}

static void saturates_integers_out_of_range(void) {
  CHECK(fx_from_int(32768) == FX_MAX);
  CHECK(fx_from_int(-32769) == FX_MIN);
  CHECK(fx_from_int(INT32_MAX) == FX_MAX);
}

static void truncates_toward_zero_when_converting_to_int(void) {
  CHECK(fx_to_int(fx_from_double(2.75)) == 2);
  CHECK(fx_to_int(fx_from_double(-2.75)) == -2);
}

static void rounds_doubles_to_the_nearest_step(void) {
  CHECK(fx_from_double(0.5) == FX_ONE / 2);
  CHECK(fx_from_double(1.0 / 65536) == 1);
  CHECK(fx_from_double(0.4 / 65536) == 0);
  CHECK(fx_from_double(-0.6 / 65536) == -1);
  CHECK(fx_to_double(fx_from_double(-1.25)) == -1.25);
}

static void maps_nan_to_zero_and_infinity_to_the_ends(void) {
  double zero = 0.0;

  CHECK(fx_from_double(zero / zero) == 0);
  CHECK(fx_from_double(1.0 / zero) == FX_MAX);
  CHECK(fx_from_double(-1.0 / zero) == FX_MIN);
  CHECK(fx_from_double(1e12) == FX_MAX);
}

static void adds_and_subtracts(void) {
  CHECK(fx_add(fx_from_int(2), fx_from_int(3)) == fx_from_int(5));
  CHECK(fx_sub(fx_from_int(2), fx_from_int(3)) == fx_from_int(-1));
  CHECK(fx_add(fx_from_double(0.25), fx_from_double(-0.75)) ==
        fx_from_double(-0.5));
}

static void saturates_sums_instead_of_wrapping(void) {
  CHECK(fx_add(FX_MAX, 1) == FX_MAX);
  CHECK(fx_add(FX_MIN, -1) == FX_MIN);
  CHECK(fx_sub(FX_MIN, 1) == FX_MIN);
  CHECK(fx_sub(FX_MAX, -1) == FX_MAX);
  CHECK(fx_sub(0, FX_MIN) == FX_MAX);
}

static void multiplies_with_rounding(void) {
  CHECK(fx_mul(fx_from_int(6), fx_from_int(7)) == fx_from_int(42));
  CHECK(fx_mul(fx_from_double(-1.5), fx_from_double(2.0)) ==
        fx_from_int(-3));
  /* 1 * 0.5 steps is exactly half a step: ties round away from zero. */
  CHECK(fx_mul(1, FX_ONE / 2) == 1);
  CHECK(fx_mul(-1, FX_ONE / 2) == -1);
  CHECK(fx_mul(1, FX_ONE / 2 - 1) == 0);
}

static void saturates_products(void) {
  CHECK(fx_mul(fx_from_int(300), fx_from_int(300)) == FX_MAX);
  CHECK(fx_mul(fx_from_int(-300), fx_from_int(300)) == FX_MIN);
  CHECK(fx_mul(FX_MIN, FX_MIN) == FX_MAX);
}

static void divides_and_reports_range_errors(void) {
  fx_t quotient = 0;

  CHECK(fx_div(fx_from_int(1), fx_from_int(4), &quotient) == FX_OK);
  CHECK(quotient == FX_ONE / 4);
  CHECK(fx_div(fx_from_int(-7), fx_from_int(2), &quotient) == FX_OK);
  CHECK(quotient == fx_from_double(-3.5));
  CHECK(fx_div(fx_from_int(1), fx_from_int(3), &quotient) == FX_OK);
  CHECK(quotient == 21845);
  CHECK(fx_div(fx_from_int(2), fx_from_int(3), &quotient) == FX_OK);
  CHECK(quotient == 43691);
  CHECK(fx_div(fx_from_int(1000), 1, &quotient) == FX_ERANGE);
  CHECK(quotient == FX_MAX);
  CHECK(fx_div(FX_MIN, -FX_ONE, &quotient) == FX_ERANGE);
  CHECK(quotient == FX_MAX);
}

static void refuses_to_divide_by_zero(void) {
  fx_t quotient = 123;

  CHECK(fx_div(FX_ONE, 0, &quotient) == FX_EDOM);
  CHECK(quotient == 123);
}

static void takes_square_roots(void) {
  fx_t root = -1;

  CHECK(fx_sqrt(0, &root) == FX_OK && root == 0);
  CHECK(fx_sqrt(fx_from_int(16), &root) == FX_OK);
  CHECK(root == fx_from_int(4));
  CHECK(fx_sqrt(fx_from_double(2.25), &root) == FX_OK);
  CHECK(root == fx_from_double(1.5));
  CHECK(fx_sqrt(fx_from_int(2), &root) == FX_OK);
  CHECK(root == 92682); /* sqrt(2) * 65536 = 92681.9 */
  CHECK(fx_sqrt(FX_MAX, &root) == FX_OK);
  CHECK(root == 11863283); /* sqrt(32768) * 65536 = 11863283.2 */
  CHECK(fx_sqrt(-1, &root) == FX_EDOM);
}

static void squares_back_within_a_step(void) {
  int64_t step;

  /* Wide enough that the next value cannot overflow before the check. */
  for (step = 1; step < FX_MAX; step = step * 3 + 7) {
    fx_t value = (fx_t)step;
    fx_t root = 0;
    fx_t square;

    CHECK(fx_sqrt(value, &root) == FX_OK);
    square = fx_mul(root, root);
    /*
     * Half a step of error in the root moves its square by root / FX_ONE
     * steps, and the product rounds by another half.
     */
    CHECK(square - value <= root / FX_ONE + 2);
    CHECK(value - square <= root / FX_ONE + 2);
  }
}

int main(void) {
  RUN(converts_integers_both_ways);
  RUN(saturates_integers_out_of_range);
  RUN(truncates_toward_zero_when_converting_to_int);
  RUN(rounds_doubles_to_the_nearest_step);
  RUN(maps_nan_to_zero_and_infinity_to_the_ends);
  RUN(adds_and_subtracts);
  RUN(saturates_sums_instead_of_wrapping);
  RUN(multiplies_with_rounding);
  RUN(saturates_products);
  RUN(divides_and_reports_range_errors);
  RUN(refuses_to_divide_by_zero);
  RUN(takes_square_roots);
  RUN(squares_back_within_a_step);
  return runner_finish("arith");
}
