/*
 * A tiny test runner. CHECK does not use <assert.h> on purpose: release
 * builds define NDEBUG, which would turn every assert into nothing.
 *
 *   static void adds(void) { CHECK(fx_add(1, 2) == 3); }
 *   int main(void) { RUN(adds); return runner_finish("arith"); }
 */
#ifndef RUNNER_H
#define RUNNER_H

#include <stdio.h>

static int runner_passed;
static int runner_failed;
static int runner_current_failed;

static void runner_fail(const char *file, int line, const char *condition) {
  printf("    %s:%d: CHECK(%s) failed\n", file, line, condition);
  runner_current_failed = 1;
}

static void runner_run(const char *name, void (*test)(void)) {
  runner_current_failed = 0;
  test();
  if (runner_current_failed) {
    runner_failed++;
    printf("FAIL %s\n", name);
  } else {
    runner_passed++;
    printf("ok   %s\n", name);
  }
  fflush(stdout);
}

/* Prints the summary line that the pipeline parses; returns the status. */
static int runner_finish(const char *suite) {
  printf("%s: %d passed, %d failed\n", suite, runner_passed, runner_failed);
  return runner_failed == 0 ? 0 : 1;
}

/* Stops the current test at its first failed check. */
#define CHECK(condition)                                                    \
  do {                                                                      \
    if (!(condition)) {                                                     \
      runner_fail(__FILE__, __LINE__, #condition);                          \
      return;                                                               \
    }                                                                       \
  } while (0)

#define RUN(test) runner_run(#test, test)

#endif /* RUNNER_H */
