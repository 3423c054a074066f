/*
 * check.h: what api.c and wipe.c share: the passwords of the fixture that
 * .ci/capi-test makes, and a minimal test framework (CHECK counts and
 * prints, nothing else). Static definitions: each test program includes it
 * once.
 */

#ifndef CONFPASS_TEST_CHECK_H
#define CONFPASS_TEST_CHECK_H

#include <stdarg.h>
#include <stdio.h>

/* `password` of enc/ (and `previous-password` of rotating/): non-ASCII and
 * with a space, so that the bytes are checked, not just ASCII text. */
static const char PASSWORD[] = "db-P\xc3\xa4" "ssword 1";
/* `password` of rotating/, made by `confpass -p --keep-previous`. */
static const char NEW_PASSWORD[] = "rotated-Pass-2";
/* The plain `password` of testdata/sample/confserv.conf (plain/). */
static const char PLAIN_PASSWORD[] = "S3cret!pass";

static unsigned tests_passed, tests_failed;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int check_at(int ok, const char *file, int line, const char *name, ...)
{
    va_list ap;
    printf("%s %u - ", ok ? "ok" : "not ok", tests_passed + tests_failed + 1);
    va_start(ap, name);
    vprintf(name, ap);
    va_end(ap);
    putchar('\n');
    if (ok) {
        tests_passed++;
    } else {
        tests_failed++;
        printf("#   failed at %s:%d\n", file, line);
    }
    fflush(stdout);
    return ok;
}

/* CHECK(condition, "name", printf arguments...): one numbered check, from
 * the main thread only (the counters are not atomic). Returns the result,
 * so that a check can guard the ones that depend on it. */
#define CHECK(cond, ...) check_at((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)

#endif
