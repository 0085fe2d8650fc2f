#include <string.h>

#include "fixed.h"
#include "runner.h"

/* Formats into a static buffer so checks read as one line each. */
static const char *formatted(fx_t value, unsigned decimals) {
  static char buffer[32];

  if (fx_format(value, decimals, buffer, sizeof buffer) < 0) {
    return "<error>";
  }
  return buffer;
}

static void formats_with_the_requested_decimals(void) {
  CHECK(strcmp(formatted(fx_from_int(3), 2), "3.00") == 0);
  CHECK(strcmp(formatted(fx_from_double(-1.5), 1), "-1.5") == 0);
  CHECK(strcmp(formatted(fx_from_double(0.25), 0), "0") == 0);
  CHECK(strcmp(formatted(fx_from_double(2.5), 0), "3") == 0);
  CHECK(strcmp(formatted(1, 9), "0.000015259") == 0);
}

static void formats_the_ends_of_the_range(void) {
  CHECK(strcmp(formatted(FX_MIN, 3), "-32768.000") == 0);
  CHECK(strcmp(formatted(FX_MAX, 5), "32767.99998") == 0);
  CHECK(strcmp(formatted(FX_MAX, 4), "32768.0000") == 0);
}

static void never_formats_negative_zero(void) {
  CHECK(strcmp(formatted(-1, 2), "0.00") == 0);
  CHECK(strcmp(formatted(-FX_ONE / 2, 0), "-1") == 0);
}

static void reports_the_length_it_needs_like_snprintf(void) {
  char small[4];

  CHECK(fx_format(fx_from_double(-12.5), 2, small, sizeof small) == 6);
  CHECK(strcmp(small, "-12") == 0);
  CHECK(fx_format(0, 2, NULL, 0) == 4);
  CHECK(fx_format(0, FX_MAX_DECIMALS + 1, small, sizeof small) == -1);
}

static void parses_numbers(void) {
  fx_t value = 0;

  CHECK(fx_parse("42", &value) == FX_OK && value == fx_from_int(42));
  CHECK(fx_parse("-0.5", &value) == FX_OK && value == -FX_ONE / 2);
  CHECK(fx_parse("+.25", &value) == FX_OK && value == FX_ONE / 4);
  CHECK(fx_parse("7.", &value) == FX_OK && value == fx_from_int(7));
  CHECK(fx_parse("0.000015259", &value) == FX_OK && value == 1);
  CHECK(fx_parse("-32768", &value) == FX_OK && value == FX_MIN);
}

static void saturates_numbers_out_of_range(void) {
  fx_t value = 0;

  CHECK(fx_parse("32768", &value) == FX_ERANGE && value == FX_MAX);
  CHECK(fx_parse("-99999999999999999999", &value) == FX_ERANGE);
  CHECK(value == FX_MIN);
}

static void rejects_what_is_not_a_number(void) {
  const char *bad[] = {"", "-", ".", "1.2.3", " 1", "1 ", "1e3", "0x10",
                       "--1"};
  size_t i;

  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    fx_t value = 99;

    CHECK(fx_parse(bad[i], &value) == FX_EINVAL);
    CHECK(value == 99);
  }
}

static void round_trips_through_six_decimals(void) {
  uint32_t state = 12345;
  int i;

  /* Six decimals resolve finer than half a step, so nothing is lost. */
  for (i = 0; i < 10000; i++) {
    fx_t value;
    fx_t parsed = 0;

    state = state * 1664525u + 1013904223u;
    value = (fx_t)state;
    CHECK(fx_parse(formatted(value, 6), &parsed) == FX_OK);
    CHECK(parsed == value);
  }
}

int main(void) {
  RUN(formats_with_the_requested_decimals);
  RUN(formats_the_ends_of_the_range);
  RUN(never_formats_negative_zero);
  RUN(reports_the_length_it_needs_like_snprintf);
  RUN(parses_numbers);
  RUN(saturates_numbers_out_of_range);
  RUN(rejects_what_is_not_a_number);
  RUN(round_trips_through_six_decimals);
  return runner_finish("text");
}
