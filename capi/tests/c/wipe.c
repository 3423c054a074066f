/*
 * wipe.c: a freed secret leaves no password behind. confpass_secret_free and
 * confpass_candidates_free zero the secret's buffer (the password's bytes
 * and the NUL after them) before they free it; this test sees that buffer
 * at that moment through a hook that only a build with the cargo feature
 * `test-hooks` exports (never a release, so confpass.h does not declare
 * it): the library calls it after the wipe and before the free. The hook
 * records, there and then, the buffer's address, its length and whether
 * every byte is zero; the test checks those records afterwards, so it never
 * reads freed memory (which AddressSanitizer and valgrind, under which
 * .ci/capi-test runs it, would report).
 *
 * Checked: the start-up call's secret (its length + 1 bytes, all zero, the
 * very buffer confpass_secret_bytes gave), both candidates of a rotation,
 * a plain value, and that the hook is not called while a secret is alive.
 *
 * Output as api.c: `ok N - name` / `not ok N - name` lines, then
 * `# wipe tests: P passed, F failed`; exit status 1 if any check failed.
 * Argument: the fixture directory of .ci/capi-test (enc/, rotating/, plain/).
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "confpass.h"

/* Exported by a test-hooks build only (capi/src/test_hooks.rs); NULL
 * clears it. */
void confpass_test_set_wipe_hook(void (*hook)(const uint8_t *bytes, size_t len));


/* ------------------------------------------------------------------------
 * The hook and what it saw. The calls under test are made from this one
 * thread, so plain statics are enough.
 * ---------------------------------------------------------------------- */

#define MAX_CALLS 8

struct wiped {
    const uint8_t *bytes; /* compared, never read after the call */
    size_t len;
    int all_zero;
};

static struct wiped calls[MAX_CALLS];
static size_t call_count;

static void hook(const uint8_t *bytes, size_t len)
{
    struct wiped *w;
    size_t i;
    if (call_count >= MAX_CALLS) {
        call_count++;
        return;
    }
    w = &calls[call_count++];
    w->bytes = bytes;
    w->len = len;
    w->all_zero = bytes != NULL;
    for (i = 0; bytes != NULL && i < len; i++) {
        if (bytes[i] != 0) {
            w->all_zero = 0;
        }
    }
}

static void reset(void)
{
    memset(calls, 0, sizeof calls);
    call_count = 0;
}

/* Whether `secret` holds `expected` (bytes, length, NUL). */
static int secret_is(const confpass_secret *secret, const char *expected)
{
    const uint8_t *bytes = confpass_secret_bytes(secret);
    size_t len = confpass_secret_len(secret);
    return bytes != NULL && len == strlen(expected) && memcmp(bytes, expected, len) == 0 &&
           bytes[len] == 0;
}

/* ------------------------------------------------------------------------ */

/* The start-up call's secret from `path`, holding `expected`, is wiped when
 * freed. */
static void test_secret(const char *label, const char *path, const char *expected)
{
    confpass_secret *secret = NULL;
    const uint8_t *buffer;
    size_t len;

    reset();
    if (!CHECK(confpass_database_password(path, NULL, &secret, NULL) == CONFPASS_RESULT_OK &&
                   secret_is(secret, expected),
               "%s: the secret holds the password", label)) {
        confpass_secret_free(secret);
        return;
    }
    buffer = confpass_secret_bytes(secret);
    len = confpass_secret_len(secret);
    CHECK(call_count == 0, "%s: no wipe while the secret is alive", label);
    /* Reading it again wipes nothing either. */
    CHECK(secret_is(secret, expected) && call_count == 0,
          "%s: the secret is intact after being read", label);

    confpass_secret_free(secret);
    CHECK(call_count == 1, "%s: confpass_secret_free calls the hook once (%zu)", label, call_count);
    CHECK(calls[0].bytes == buffer, "%s: the hook sees the secret's own buffer", label);
    CHECK(calls[0].len == len + 1, "%s: %zu bytes wiped = password length %zu + the NUL", label,
          calls[0].len, len);
    CHECK(calls[0].all_zero, "%s: every byte is zero before the free", label);
}

/* Both candidates of a rotation are wiped when the list is freed. */
static void test_candidates(const char *path)
{
    confpass_candidates *list = NULL;
    const confpass_secret *current, *previous;
    const uint8_t *buffers[2];
    size_t lens[2], i;

    reset();
    if (!CHECK(confpass_database_password_candidates(path, NULL, &list, NULL) ==
                       CONFPASS_RESULT_OK &&
                   confpass_candidates_len(list) == 2,
               "candidates: rotating/ gives two")) {
        confpass_candidates_free(list);
        return;
    }
    current = confpass_candidates_get(list, 0);
    previous = confpass_candidates_get(list, 1);
    CHECK(secret_is(current, NEW_PASSWORD) && secret_is(previous, PASSWORD),
          "candidates: current then previous");
    buffers[0] = confpass_secret_bytes(current);
    buffers[1] = confpass_secret_bytes(previous);
    lens[0] = confpass_secret_len(current);
    lens[1] = confpass_secret_len(previous);
    CHECK(call_count == 0, "candidates: no wipe while the list is alive");

    confpass_candidates_free(list);
    CHECK(call_count == 2, "candidates: confpass_candidates_free wipes 2 secrets (%zu)",
          call_count);
    for (i = 0; i < 2 && i < call_count; i++) {
        /* Matched by address: the order of the wipes is the library's. */
        size_t k = calls[i].bytes == buffers[0] ? 0 : calls[i].bytes == buffers[1] ? 1 : 2;
        if (!CHECK(k < 2, "candidates: wipe %zu is of one of the two buffers", i)) {
            continue;
        }
        CHECK(calls[i].len == lens[k] + 1, "candidates: %s: %zu bytes wiped = %zu + the NUL",
              k == 0 ? "current" : "previous", calls[i].len, lens[k]);
        CHECK(calls[i].all_zero, "candidates: %s: every byte is zero before the free",
              k == 0 ? "current" : "previous");
    }
    CHECK(call_count == 2 && calls[0].bytes != calls[1].bytes,
          "candidates: the two wipes are of two buffers");
}

/* Calls that make no secret wipe nothing. */
static void test_no_secret(const char *fixture)
{
    char path[4096];
    confpass_report *report = NULL;
    confpass_secret *secret = NULL;
    confpass_error *err = NULL;

    reset();
    snprintf(path, sizeof path, "%s/rotating/confserv.conf", fixture);
    CHECK(confpass_check(path, NULL, &report, NULL) == CONFPASS_RESULT_OK,
          "no secret: confpass_check returns a report");
    confpass_report_free(report);
    snprintf(path, sizeof path, "%s/missing.conf", fixture);
    CHECK(confpass_database_password(path, NULL, &secret, &err) == CONFPASS_RESULT_CONFIG &&
              secret == NULL,
          "no secret: a failing call returns no secret");
    confpass_error_free(err);
    confpass_secret_free(NULL);
    confpass_candidates_free(NULL);
    CHECK(call_count == 0, "no secret: the check, a failure and freeing NULL wipe nothing (%zu)",
          call_count);
}

int main(int argc, char **argv)
{
    char path[4096];

    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    confpass_test_set_wipe_hook(hook);

    snprintf(path, sizeof path, "%s/enc/confserv.conf", argv[1]);
    test_secret("encrypted", path, PASSWORD);
    snprintf(path, sizeof path, "%s/plain/confserv.conf", argv[1]);
    test_secret("plain", path, PLAIN_PASSWORD);
    snprintf(path, sizeof path, "%s/rotating/confserv.conf", argv[1]);
    test_candidates(path);
    test_no_secret(argv[1]);

    /* Cleared, the hook is no longer called. */
    confpass_test_set_wipe_hook(NULL);
    reset();
    {
        confpass_secret *secret = NULL;
        snprintf(path, sizeof path, "%s/enc/confserv.conf", argv[1]);
        confpass_database_password(path, NULL, &secret, NULL);
        confpass_secret_free(secret);
    }
    CHECK(call_count == 0, "cleared: no call after confpass_test_set_wipe_hook(NULL)");

    printf("# wipe tests: %u passed, %u failed\n", tests_passed, tests_failed);
    return tests_failed == 0 ? 0 : 1;
}
