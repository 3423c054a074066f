/*
 * api.c: the C API of confpass (confpass.h) as a C program sees it. It calls
 * every function of the header against configuration files that the real
 * `confpass` binary made (.ci/capi-test prepares them in a fixture
 * directory, the first argument; the library's version is the second), and
 * checks what the header promises: the password and its length, the
 * candidates of a rotation, the check's report, one failure of every error
 * category with its code, its message and the out-parameter left untouched,
 * NULL accepted everywhere the header says so, core dumps off, the version,
 * and the same calls from eight threads at once. .ci/capi-test runs it
 * under AddressSanitizer/UBSan and under valgrind, linked against the shared
 * and the static library, so a leak, a double free or a read out of bounds
 * anywhere on these paths fails it too.
 *
 * Output: one line per check, `ok N - name` or `not ok N - name` (with the
 * place of the failure on a `#` line after it), then
 * `# C API tests: P passed, F failed`; exit status 1 if any check failed.
 * The test never prints a password: only lengths, key ids and messages
 * (which never hold the password).
 *
 * Build: cc -std=c99 -Wall -Wextra -pedantic -Werror -I PREFIX/include
 *        api.c -L PREFIX/lib -lconfpass -pthread
 * Run:   ./api FIXTURE_DIR VERSION   (CONFPASS_C_TEST_ITERATIONS: calls per
 *        thread in the thread test, 25 by default)
 */

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "check.h"
#include "confpass.h"

/* ------------------------------------------------------------------------
 * The fixture: what .ci/capi-test writes, and the passwords it encrypts.
 * ---------------------------------------------------------------------- */

/* PASSWORD, NEW_PASSWORD and PLAIN_PASSWORD are in check.h. */

/* Fixture files, relative to the fixture directory:
 *   enc/confserv.conf        PASSWORD encrypted, dec.pem (0600) and enc.pem beside
 *   rotating/confserv.conf   NEW_PASSWORD, previous-password PASSWORD, same keys
 *   plain/confserv.conf      the sample, plain (encryption = false)
 *   corrupt/confserv.conf    enc/ with one base64 digit of the ciphertext changed
 *   foreign/confserv.conf    a value encrypted for another key, its kid edited
 *                            to name this dec.pem's key
 *   malformed/confserv.conf  enc/ with ciphertext that is not base64
 *   otherkid/confserv.conf   enc/ with the kid of another key
 *   badprevious/confserv.conf rotating/ with previous-password's ciphertext changed
 *   nokey/confserv.conf      enc/ without dec.pem (enc.pem only)
 *   openkey/confserv.conf    enc/ with dec.pem mode 0644
 *   loop.conf                a symbolic link to itself
 *   missing.conf             absent */

#define PATH_SIZE 4096

static char fixture[PATH_SIZE];

/* The fixture path of `rel`: one buffer per distinct `rel`, kept for the
 * whole run, so a path stays valid however many others are made after it.
 * The main thread makes every path before the threads start. */
static const char *fx(const char *rel)
{
    static struct {
        char rel[64];
        char path[PATH_SIZE];
    } paths[32];
    static size_t count;
    size_t i;
    int n;
    for (i = 0; i < count; i++) {
        if (strcmp(paths[i].rel, rel) == 0) {
            return paths[i].path;
        }
    }
    n = count < sizeof paths / sizeof *paths
            ? snprintf(paths[count].path, PATH_SIZE, "%s/%s", fixture, rel)
            : -1;
    if (n < 0 || n >= PATH_SIZE || strlen(rel) >= sizeof paths[0].rel) {
        fprintf(stderr, "api: fx(\"%s\"): too many or too long fixture paths\n", rel);
        exit(2);
    }
    snprintf(paths[count].rel, sizeof paths[0].rel, "%s", rel);
    return paths[count++].path;
}

/* ------------------------------------------------------------------------
 * The test framework is check.h's CHECK; and:
 * ---------------------------------------------------------------------- */

/* A note in the output, never a password. */
#define NOTE(...) (printf("# " __VA_ARGS__), putchar('\n'), fflush(stdout))

/* A non-NULL pointer value the library must never write over nor free: an
 * out-parameter is set to it before a failing call. */
static char sentinel_storage;
#define SENTINEL ((void *)&sentinel_storage)

/* Whether `text` is not NULL and holds `needle`. */
static int has(const char *text, const char *needle)
{
    return text != NULL && strstr(text, needle) != NULL;
}

/* Whether `text` is `len` lowercase hex digits. */
static int is_hex(const char *text, size_t len)
{
    size_t i;
    if (text == NULL || strlen(text) != len) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

/* Whether `a` and `b` are both strings and equal (NULL never is). */
static int same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Whether `text` ends with `suffix`. */
static int ends_with(const char *text, const char *suffix)
{
    size_t n, m;
    if (text == NULL) {
        return 0;
    }
    n = strlen(text);
    m = strlen(suffix);
    return n >= m && strcmp(text + n - m, suffix) == 0;
}

/* Whether `secret` holds exactly `expected`: the bytes, the length, the NUL
 * after them, and the C string view. */
static int secret_is(const confpass_secret *secret, const char *expected)
{
    const uint8_t *bytes = confpass_secret_bytes(secret);
    size_t len = confpass_secret_len(secret);
    const char *str = confpass_secret_str(secret);
    return bytes != NULL && len == strlen(expected) && memcmp(bytes, expected, len) == 0 &&
           bytes[len] == 0 && same(str, expected);
}

/* The key id (16 hex digits) that the first `kid:` of file `path` names,
 * copied to `out` (17 bytes); "" when there is none. */
static void kid_in_file(const char *path, char out[17])
{
    static char text[1 << 16];
    size_t n;
    const char *kid;
    FILE *f = fopen(path, "rb");
    out[0] = '\0';
    if (f == NULL) {
        return;
    }
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    kid = strstr(text, "kid:");
    if (kid != NULL && strlen(kid) >= 4 + 16) {
        memcpy(out, kid + 4, 16);
        out[16] = '\0';
    }
}

/* ------------------------------------------------------------------------
 * Success
 * ---------------------------------------------------------------------- */

static void test_database_password(void)
{
    const char *path = fx("enc/confserv.conf");
    confpass_secret *secret = NULL;
    confpass_error *err = SENTINEL;
    confpass_result rc;

    rc = confpass_database_password(path, "confserv", &secret, &err);
    CHECK(rc == CONFPASS_RESULT_OK, "database_password: enc/ returns OK");
    CHECK(err == SENTINEL, "database_password: success leaves *error_out untouched");
    if (CHECK(secret != NULL, "database_password: writes a secret")) {
        CHECK(confpass_secret_len(secret) == strlen(PASSWORD),
              "database_password: length %zu (the known password's)", confpass_secret_len(secret));
        CHECK(confpass_secret_bytes(secret) != NULL &&
                  memcmp(confpass_secret_bytes(secret), PASSWORD, strlen(PASSWORD)) == 0,
              "database_password: the bytes are the known password");
        CHECK(confpass_secret_bytes(secret)[strlen(PASSWORD)] == 0,
              "database_password: a NUL follows the bytes");
        CHECK(same(confpass_secret_str(secret), PASSWORD),
              "database_password: confpass_secret_str is the password as a C string");
        CHECK(confpass_secret_which(secret) == CONFPASS_WHICH_CURRENT,
              "database_password: the secret is CONFPASS_WHICH_CURRENT");
    }
    confpass_secret_free(secret);

    /* NULL server_section: the default, `confserv`. */
    secret = NULL;
    rc = confpass_database_password(path, NULL, &secret, NULL);
    CHECK(rc == CONFPASS_RESULT_OK && secret_is(secret, PASSWORD),
          "database_password: server_section NULL means [confserv]");
    confpass_secret_free(secret);

    /* A plain value comes back as it is. */
    secret = NULL;
    rc = confpass_database_password(fx("plain/confserv.conf"), NULL, &secret, NULL);
    CHECK(rc == CONFPASS_RESULT_OK && secret_is(secret, PLAIN_PASSWORD),
          "database_password: a plain value (encryption = false) is returned as it is (%zu bytes)",
          confpass_secret_len(secret));
    confpass_secret_free(secret);

    /* The rotating file: the current password, never the previous one. */
    secret = NULL;
    rc = confpass_database_password(fx("rotating/confserv.conf"), NULL, &secret, NULL);
    CHECK(rc == CONFPASS_RESULT_OK && secret_is(secret, NEW_PASSWORD) &&
              confpass_secret_which(secret) == CONFPASS_WHICH_CURRENT,
          "database_password: with a previous-password, the current one");
    confpass_secret_free(secret);

    /* config_path NULL: confserv.conf in the current directory. */
    {
        char cwd[PATH_SIZE];
        if (CHECK(getcwd(cwd, sizeof cwd) != NULL && chdir(fx("enc")) == 0,
                  "database_password: chdir to the fixture's enc/")) {
            secret = NULL;
            rc = confpass_database_password(NULL, NULL, &secret, NULL);
            CHECK(rc == CONFPASS_RESULT_OK && secret_is(secret, PASSWORD),
                  "database_password: config_path NULL means ./confserv.conf");
            confpass_secret_free(secret);
            CHECK(chdir(cwd) == 0, "database_password: chdir back");
        }
    }
}

static void test_candidates(void)
{
    confpass_candidates *list = NULL;
    confpass_error *err = SENTINEL;
    const confpass_secret *first, *second;
    confpass_result rc;

    /* Only `password`: one candidate. */
    rc = confpass_database_password_candidates(fx("enc/confserv.conf"), NULL, &list, &err);
    CHECK(rc == CONFPASS_RESULT_OK, "candidates: enc/ returns OK");
    CHECK(err == SENTINEL, "candidates: success leaves *error_out untouched");
    CHECK(confpass_candidates_len(list) == 1, "candidates: enc/ has 1 candidate (got %zu)",
          confpass_candidates_len(list));
    first = confpass_candidates_get(list, 0);
    CHECK(first != NULL && secret_is(first, PASSWORD) &&
              confpass_secret_which(first) == CONFPASS_WHICH_CURRENT,
          "candidates: enc/ [0] is the current password");
    CHECK(confpass_candidates_get(list, 1) == NULL, "candidates: enc/ [1] is NULL (out of range)");
    CHECK(confpass_candidates_get(list, (size_t)-1) == NULL, "candidates: [SIZE_MAX] is NULL");
    confpass_candidates_free(list);

    /* A rotation under way: current first, then previous. */
    list = NULL;
    rc = confpass_database_password_candidates(fx("rotating/confserv.conf"), "confserv", &list,
                                               NULL);
    CHECK(rc == CONFPASS_RESULT_OK, "candidates: rotating/ returns OK");
    CHECK(confpass_candidates_len(list) == 2, "candidates: rotating/ has 2 candidates (got %zu)",
          confpass_candidates_len(list));
    first = confpass_candidates_get(list, 0);
    second = confpass_candidates_get(list, 1);
    CHECK(first != NULL && confpass_secret_which(first) == CONFPASS_WHICH_CURRENT &&
              secret_is(first, NEW_PASSWORD),
          "candidates: rotating/ [0] is CURRENT and the new password (%zu bytes)",
          confpass_secret_len(first));
    CHECK(second != NULL && confpass_secret_which(second) == CONFPASS_WHICH_PREVIOUS &&
              secret_is(second, PASSWORD),
          "candidates: rotating/ [1] is PREVIOUS and the old password (%zu bytes)",
          confpass_secret_len(second));
    CHECK(confpass_candidates_get(list, 2) == NULL, "candidates: rotating/ [2] is NULL");
    confpass_candidates_free(list);

    /* A plain file: one candidate, the plain value. */
    list = NULL;
    rc = confpass_database_password_candidates(fx("plain/confserv.conf"), NULL, &list, NULL);
    CHECK(rc == CONFPASS_RESULT_OK && confpass_candidates_len(list) == 1 &&
              secret_is(confpass_candidates_get(list, 0), PLAIN_PASSWORD),
          "candidates: plain/ has the plain value as its one candidate");
    confpass_candidates_free(list);
}

/* Checks the report of a value that decrypts with the dec.pem beside its
 * file, whose `kid:` is `kid`. */
static void check_decryptable(const char *label, const confpass_value_report *value,
                              const char *kid)
{
    const char *key_id = confpass_value_key_id(value);
    CHECK(confpass_value_state(value) == CONFPASS_STATE_DECRYPTABLE, "check: %s is DECRYPTABLE",
          label);
    /* confpass.h says 64 hex digits, but a key id is 8 bytes of SHA-256,
     * 16 hex digits (README.md, `kid:9f86d081884c7d65`): the one in the
     * file. */
    CHECK(is_hex(key_id, 16), "check: %s key id is 16 hex digits (%s)", label,
          key_id ? key_id : "NULL");
    CHECK(same(key_id, kid), "check: %s key id is the file's kid", label);
    CHECK(ends_with(confpass_value_key_file(value), "dec.pem"),
          "check: %s key file ends in dec.pem (%s)", label,
          confpass_value_key_file(value) ? confpass_value_key_file(value) : "NULL");
    CHECK(same(confpass_value_key_file_id(value), key_id),
          "check: %s key file id is the value's key id", label);
    CHECK(confpass_value_reason(value) == NULL, "check: %s has no reason", label);
}

static void test_check(void)
{
    const char *path = fx("enc/confserv.conf");
    confpass_report *report = NULL;
    confpass_error *err = SENTINEL;
    const confpass_value_report *value;
    char kid[17], other_kid[17];
    confpass_result rc;

    kid_in_file(path, kid);
    CHECK(kid[0] != '\0', "check: enc/confserv.conf names a kid (%s)", kid);

    rc = confpass_check(path, NULL, &report, &err);
    CHECK(rc == CONFPASS_RESULT_OK && report != NULL, "check: enc/ returns a report");
    CHECK(err == SENTINEL, "check: success leaves *error_out untouched");
    CHECK(same(confpass_report_file(report), path),
          "check: report file is the path as given");
    CHECK(same(confpass_report_server_section(report), "confserv"),
          "check: report server section is confserv (server_section NULL)");
    CHECK(same(confpass_report_db_section(report), "dbserver"),
          "check: report db section is dbserver");
    value = confpass_report_current(report);
    CHECK(value != NULL, "check: enc/ has a current value report");
    check_decryptable("enc/ current", value, kid);
    CHECK(confpass_report_previous(report) == NULL, "check: enc/ has no previous value report");
    confpass_report_free(report);

    /* With previous-password: both reported, same key. */
    report = NULL;
    kid_in_file(fx("rotating/confserv.conf"), kid);
    rc = confpass_check(fx("rotating/confserv.conf"), "confserv", &report, NULL);
    CHECK(rc == CONFPASS_RESULT_OK && report != NULL, "check: rotating/ returns a report");
    check_decryptable("rotating/ current", confpass_report_current(report), kid);
    value = confpass_report_previous(report);
    CHECK(value != NULL, "check: rotating/ has a previous value report");
    check_decryptable("rotating/ previous", value, kid);
    confpass_report_free(report);

    /* Plain: PLAIN, no key. */
    report = NULL;
    rc = confpass_check(fx("plain/confserv.conf"), NULL, &report, NULL);
    CHECK(rc == CONFPASS_RESULT_OK, "check: plain/ returns a report");
    value = confpass_report_current(report);
    CHECK(confpass_value_state(value) == CONFPASS_STATE_PLAIN, "check: plain/ is PLAIN");
    CHECK(confpass_value_key_id(value) == NULL && confpass_value_key_file(value) == NULL &&
              confpass_value_key_file_id(value) == NULL && confpass_value_reason(value) == NULL,
          "check: plain/ has no key id, key file, key file id nor reason");
    confpass_report_free(report);

    /* Corrupt values are reports, not errors. */
    {
        static const char *const corrupt[] = {"corrupt", "malformed", "foreign"};
        size_t i;
        for (i = 0; i < sizeof corrupt / sizeof *corrupt; i++) {
            char rel[64];
            snprintf(rel, sizeof rel, "%s/confserv.conf", corrupt[i]);
            report = NULL;
            rc = confpass_check(fx(rel), NULL, &report, NULL);
            CHECK(rc == CONFPASS_RESULT_OK, "check: %s/ returns a report", corrupt[i]);
            value = confpass_report_current(report);
            CHECK(confpass_value_state(value) == CONFPASS_STATE_CORRUPT, "check: %s/ is CORRUPT",
                  corrupt[i]);
            CHECK(confpass_value_reason(value) != NULL && confpass_value_reason(value)[0] != '\0',
                  "check: %s/ gives a reason", corrupt[i]);
            NOTE("%s/ reason: %s", corrupt[i],
                 confpass_value_reason(value) ? confpass_value_reason(value) : "NULL");
            CHECK(confpass_value_key_id(value) == NULL, "check: %s/ has no key id", corrupt[i]);
            confpass_report_free(report);
        }
    }

    /* Encrypted for another key than dec.pem's: OTHER_KEY. */
    report = NULL;
    kid_in_file(fx("enc/confserv.conf"), kid);
    kid_in_file(fx("otherkid/confserv.conf"), other_kid);
    rc = confpass_check(fx("otherkid/confserv.conf"), NULL, &report, NULL);
    CHECK(rc == CONFPASS_RESULT_OK, "check: otherkid/ returns a report");
    value = confpass_report_current(report);
    CHECK(confpass_value_state(value) == CONFPASS_STATE_OTHER_KEY, "check: otherkid/ is OTHER_KEY");
    CHECK(same(confpass_value_key_id(value), other_kid),
          "check: otherkid/ key id is the value's kid");
    CHECK(same(confpass_value_key_file_id(value), kid),
          "check: otherkid/ key file id is dec.pem's");
    CHECK(ends_with(confpass_value_key_file(value), "dec.pem"),
          "check: otherkid/ key file ends in dec.pem");
    confpass_report_free(report);

    /* A previous-password that no longer decrypts: the current one is
     * fine, the previous one CORRUPT. */
    report = NULL;
    rc = confpass_check(fx("badprevious/confserv.conf"), NULL, &report, NULL);
    CHECK(rc == CONFPASS_RESULT_OK, "check: badprevious/ returns a report");
    CHECK(confpass_value_state(confpass_report_current(report)) == CONFPASS_STATE_DECRYPTABLE,
          "check: badprevious/ current is DECRYPTABLE");
    CHECK(confpass_value_state(confpass_report_previous(report)) == CONFPASS_STATE_CORRUPT &&
              confpass_value_reason(confpass_report_previous(report)) != NULL,
          "check: badprevious/ previous is CORRUPT, with a reason");
    confpass_report_free(report);
}

/* ------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------- */

/* Which calls a failure case makes. */
enum { CALL_PASSWORD = 1, CALL_CANDIDATES = 2, CALL_CHECK = 4, CALL_ALL = 7 };

static const char *result_name(confpass_result rc)
{
    switch (rc) {
    case CONFPASS_RESULT_OK: return "OK";
    case CONFPASS_RESULT_INTERNAL: return "INTERNAL";
    case CONFPASS_RESULT_USAGE: return "USAGE";
    case CONFPASS_RESULT_CONFIG: return "CONFIG";
    case CONFPASS_RESULT_KEY: return "KEY";
    case CONFPASS_RESULT_DECRYPT: return "DECRYPT";
    case CONFPASS_RESULT_IO: return "IO";
    case CONFPASS_RESULT_COMMITTED: return "COMMITTED";
    }
    return "(unknown)";
}

/* The checks every failure gets: the code, the error's category, a
 * message that names each of `needles` (NULL-terminated), and the
 * out-parameter `out` still the sentinel. */
static void check_failure(const char *label, const char *call, confpass_result rc,
                          const confpass_error *err, confpass_result want, const void *out,
                          const char *const *needles)
{
    const char *message = confpass_error_message(err);
    CHECK(rc == want, "%s: %s returns %s (got %s)", label, call, result_name(want),
          result_name(rc));
    CHECK(err != NULL && err != SENTINEL, "%s: %s writes an error", label, call);
    if (err == NULL || err == SENTINEL) {
        return;
    }
    CHECK(confpass_error_category(err) == want, "%s: %s error category is %s", label, call,
          result_name(want));
    CHECK(message != NULL && message[0] != '\0', "%s: %s message is not empty", label, call);
    CHECK(message != NULL && strchr(message, '\n') == NULL, "%s: %s message is one line", label,
          call);
    for (; *needles != NULL; needles++) {
        CHECK(has(message, *needles), "%s: %s message names \"%s\"", label, call, *needles);
    }
    CHECK(out == SENTINEL, "%s: %s leaves its out-parameter untouched", label, call);
    NOTE("%s: %s", call, message ? message : "NULL");
}

/* Runs the calls of `calls` on (path, section), each expected to fail
 * with `want` and a message naming each of `needles`. */
static void expect_failure(const char *label, const char *path, const char *section,
                           unsigned calls, confpass_result want, const char *const *needles)
{
    confpass_result rc;
    if (calls & CALL_PASSWORD) {
        confpass_secret *secret = SENTINEL;
        confpass_error *err = NULL;
        rc = confpass_database_password(path, section, &secret, &err);
        check_failure(label, "database_password", rc, err, want, secret, needles);
        if (secret != SENTINEL) {
            confpass_secret_free(secret);
        }
        confpass_error_free(err);
    }
    if (calls & CALL_CANDIDATES) {
        confpass_candidates *list = SENTINEL;
        confpass_error *err = NULL;
        rc = confpass_database_password_candidates(path, section, &list, &err);
        check_failure(label, "candidates", rc, err, want, list, needles);
        if (list != SENTINEL) {
            confpass_candidates_free(list);
        }
        confpass_error_free(err);
    }
    if (calls & CALL_CHECK) {
        confpass_report *report = SENTINEL;
        confpass_error *err = NULL;
        rc = confpass_check(path, section, &report, &err);
        check_failure(label, "check", rc, err, want, report, needles);
        if (report != SENTINEL) {
            confpass_report_free(report);
        }
        confpass_error_free(err);
    }
}

/* The list of needles a message must name. */
#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_errors(void)
{
    const char *enc = fx("enc/confserv.conf");
    confpass_error *err;
    confpass_result rc;
    char path[PATH_SIZE];

    /* USAGE: a NULL out-parameter, checked before anything is read. */
    err = NULL;
    rc = confpass_database_password(enc, NULL, NULL, &err);
    check_failure("usage: secret_out NULL", "database_password", rc, err, CONFPASS_RESULT_USAGE,
                  SENTINEL, NAMES("secret_out", "confpass_database_password"));
    confpass_error_free(err);
    err = NULL;
    rc = confpass_database_password_candidates(enc, NULL, NULL, &err);
    check_failure("usage: list_out NULL", "candidates", rc, err, CONFPASS_RESULT_USAGE, SENTINEL,
                  NAMES("list_out", "confpass_database_password_candidates"));
    confpass_error_free(err);
    err = NULL;
    rc = confpass_check(enc, NULL, NULL, &err);
    check_failure("usage: report_out NULL", "check", rc, err, CONFPASS_RESULT_USAGE, SENTINEL,
                  NAMES("report_out", "confpass_check"));
    confpass_error_free(err);

    /* USAGE: a path or a section that is not UTF-8. */
    expect_failure("usage: config_path not UTF-8", "\xff\xfe.conf", NULL, CALL_ALL,
                   CONFPASS_RESULT_USAGE, NAMES("config_path", "UTF-8"));
    expect_failure("usage: server_section not UTF-8", enc, "conf\xc3serv", CALL_ALL,
                   CONFPASS_RESULT_USAGE, NAMES("server_section", "UTF-8"));

    /* CONFIG: the file is missing, is a directory, lacks the section, or
     * holds a value that is not base64 (a malformed ENC[...] value is the
     * file's fault, not decryption's). */
    expect_failure("config: missing file", fx("missing.conf"), NULL, CALL_ALL,
                   CONFPASS_RESULT_CONFIG, NAMES(fx("missing.conf"), "does not exist"));
    snprintf(path, sizeof path, "%s", fx("enc"));
    expect_failure("config: a directory", path, NULL, CALL_ALL, CONFPASS_RESULT_CONFIG,
                   NAMES(path, "not a regular file"));
    expect_failure("config: missing server section", enc, "nosuch", CALL_ALL,
                   CONFPASS_RESULT_CONFIG, NAMES(enc, "[nosuch]"));
    snprintf(path, sizeof path, "%s", fx("malformed/confserv.conf"));
    expect_failure("config: malformed value", path, NULL, CALL_PASSWORD | CALL_CANDIDATES,
                   CONFPASS_RESULT_CONFIG, NAMES(path, "[dbserver]", "password"));

    /* KEY: dec.pem missing, readable by others (root or not: confpass
     * checks the mode bits itself), or another key than the value's. */
    snprintf(path, sizeof path, "%s", fx("nokey/dec.pem"));
    expect_failure("key: dec.pem missing", fx("nokey/confserv.conf"), NULL, CALL_ALL,
                   CONFPASS_RESULT_KEY, NAMES(path, "does not exist"));
    snprintf(path, sizeof path, "%s", fx("openkey/dec.pem"));
    expect_failure("key: dec.pem mode 0644", fx("openkey/confserv.conf"), NULL, CALL_ALL,
                   CONFPASS_RESULT_KEY, NAMES(path, "chmod 600"));
    {
        char kid[17];
        kid_in_file(fx("otherkid/confserv.conf"), kid);
        snprintf(path, sizeof path, "%s", fx("otherkid/dec.pem"));
        expect_failure("key: value for another key id", fx("otherkid/confserv.conf"), NULL,
                       CALL_PASSWORD | CALL_CANDIDATES, CONFPASS_RESULT_KEY, NAMES(path, kid));
    }

    /* DECRYPT: the value names dec.pem's key, but its ciphertext does not
     * decrypt with it (altered, or encrypted for another key whose kid was
     * edited). The check reports these as CORRUPT (test_check). */
    snprintf(path, sizeof path, "%s", fx("corrupt/confserv.conf"));
    expect_failure("decrypt: altered ciphertext", path, NULL, CALL_PASSWORD | CALL_CANDIDATES,
                   CONFPASS_RESULT_DECRYPT, NAMES(path, "[dbserver]", "dec.pem"));
    snprintf(path, sizeof path, "%s", fx("foreign/confserv.conf"));
    expect_failure("decrypt: another key's ciphertext", path, NULL,
                   CALL_PASSWORD | CALL_CANDIDATES, CONFPASS_RESULT_DECRYPT,
                   NAMES(path, "[dbserver]", "dec.pem"));
    /* A previous-password that does not decrypt fails the candidates call
     * (so a damaged file is found at the first start-up), not the
     * start-up call, which only needs `password`. */
    snprintf(path, sizeof path, "%s", fx("badprevious/confserv.conf"));
    expect_failure("decrypt: previous-password altered", path, NULL, CALL_CANDIDATES,
                   CONFPASS_RESULT_DECRYPT, NAMES(path, "previous-password"));
    {
        confpass_secret *secret = NULL;
        rc = confpass_database_password(path, NULL, &secret, NULL);
        CHECK(rc == CONFPASS_RESULT_OK && secret_is(secret, NEW_PASSWORD),
              "decrypt: badprevious/ database_password still returns the current password");
        confpass_secret_free(secret);
    }

    /* IO: the operating system fails the read. A directory is CONFIG
     * above (confpass looks at the file type first); a symbolic link loop
     * (ELOOP) and a path through a regular file (ENOTDIR) are refused by
     * the system itself. */
    {
        char os_error[32];
        snprintf(path, sizeof path, "%s", fx("loop.conf"));
        snprintf(os_error, sizeof os_error, "os error %d", ELOOP);
        expect_failure("io: symbolic link loop", path, NULL, CALL_ALL, CONFPASS_RESULT_IO,
                       NAMES(path, os_error));
        snprintf(path, sizeof path, "%s", fx("enc/confserv.conf/confserv.conf"));
        snprintf(os_error, sizeof os_error, "os error %d", ENOTDIR);
        expect_failure("io: a file used as a directory", path, NULL, CALL_ALL,
                       CONFPASS_RESULT_IO, NAMES(path, os_error));
    }

    /* INTERNAL is a panic caught at the C boundary, a bug: nothing a caller
     * does from outside produces one. COMMITTED belongs to writing runs;
     * every call of this API only reads, so none returns it. Neither can be
     * tested here (capi's Rust tests cover the panic boundary). */

    /* error_out NULL on a failing call: the same code, nothing written. */
    {
        confpass_secret *secret = SENTINEL;
        confpass_candidates *list = SENTINEL;
        confpass_report *report = SENTINEL;
        rc = confpass_database_password(fx("missing.conf"), NULL, &secret, NULL);
        CHECK(rc == CONFPASS_RESULT_CONFIG && secret == SENTINEL,
              "error_out NULL: database_password still returns CONFIG");
        rc = confpass_database_password_candidates(fx("nokey/confserv.conf"), NULL, &list, NULL);
        CHECK(rc == CONFPASS_RESULT_KEY && list == SENTINEL,
              "error_out NULL: candidates still returns KEY");
        rc = confpass_check(fx("loop.conf"), NULL, &report, NULL);
        CHECK(rc == CONFPASS_RESULT_IO && report == SENTINEL,
              "error_out NULL: check still returns IO");
        rc = confpass_database_password(enc, NULL, NULL, NULL);
        CHECK(rc == CONFPASS_RESULT_USAGE, "error_out NULL: secret_out NULL still returns USAGE");
        rc = confpass_database_password(fx("corrupt/confserv.conf"), NULL, &secret, NULL);
        CHECK(rc == CONFPASS_RESULT_DECRYPT && secret == SENTINEL,
              "error_out NULL: database_password still returns DECRYPT");
    }
}

/* ------------------------------------------------------------------------
 * NULL everywhere the header allows it
 * ---------------------------------------------------------------------- */

static void test_null(void)
{
    confpass_secret_free(NULL);
    confpass_candidates_free(NULL);
    confpass_report_free(NULL);
    confpass_error_free(NULL);
    CHECK(1, "null: every _free accepts NULL");

    CHECK(confpass_error_category(NULL) == CONFPASS_RESULT_OK, "null: error_category is OK");
    CHECK(confpass_error_message(NULL) == NULL, "null: error_message is NULL");

    CHECK(confpass_report_current(NULL) == NULL, "null: report_current is NULL");
    CHECK(confpass_report_previous(NULL) == NULL, "null: report_previous is NULL");
    CHECK(confpass_report_file(NULL) == NULL, "null: report_file is NULL");
    CHECK(confpass_report_server_section(NULL) == NULL, "null: report_server_section is NULL");
    CHECK(confpass_report_db_section(NULL) == NULL, "null: report_db_section is NULL");

    CHECK(confpass_value_state(NULL) == CONFPASS_STATE_CORRUPT, "null: value_state is CORRUPT");
    CHECK(confpass_value_key_id(NULL) == NULL, "null: value_key_id is NULL");
    CHECK(confpass_value_key_file(NULL) == NULL, "null: value_key_file is NULL");
    CHECK(confpass_value_key_file_id(NULL) == NULL, "null: value_key_file_id is NULL");
    CHECK(confpass_value_reason(NULL) == NULL, "null: value_reason is NULL");

    CHECK(confpass_secret_bytes(NULL) == NULL, "null: secret_bytes is NULL");
    CHECK(confpass_secret_len(NULL) == 0, "null: secret_len is 0");
    CHECK(confpass_secret_str(NULL) == NULL, "null: secret_str is NULL");
    CHECK(confpass_secret_which(NULL) == CONFPASS_WHICH_CURRENT,
          "null: secret_which is CURRENT");

    CHECK(confpass_candidates_len(NULL) == 0, "null: candidates_len is 0");
    CHECK(confpass_candidates_get(NULL, 0) == NULL, "null: candidates_get is NULL");
}

/* ------------------------------------------------------------------------
 * Core dumps, version
 * ---------------------------------------------------------------------- */

/* In a child process: switching core dumps off is process-wide (and on
 * Linux makes the process not dumpable, which could get in the way of
 * LeakSanitizer's ptrace at exit), so the test's own process keeps its
 * settings. The child reports through its exit status: bit 0 the call
 * failed, bit 1 RLIMIT_CORE is not 0, bit 2 the process is still dumpable,
 * bit 3 a second call failed. */
static void test_core_dumps(void)
{
    pid_t pid;
    int status = 0;

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        struct rlimit limit;
        int bits = 0;
        confpass_error *err = NULL;
        if (confpass_disable_core_dumps(&err) != CONFPASS_RESULT_OK || err != NULL) {
            bits |= 1;
        }
        confpass_error_free(err);
        if (getrlimit(RLIMIT_CORE, &limit) != 0 || limit.rlim_cur != 0 || limit.rlim_max != 0) {
            bits |= 2;
        }
#ifdef __linux__
        if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) {
            bits |= 4;
        }
#endif
        if (confpass_disable_core_dumps(NULL) != CONFPASS_RESULT_OK) {
            bits |= 8;
        }
        _exit(bits);
    }
    if (!CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status),
               "core dumps: the child ran")) {
        return;
    }
    status = WEXITSTATUS(status);
    CHECK((status & 1) == 0, "core dumps: confpass_disable_core_dumps returns OK, no error");
    CHECK((status & 2) == 0, "core dumps: RLIMIT_CORE is 0 (soft and hard) after");
#ifdef __linux__
    CHECK((status & 4) == 0, "core dumps: the process is not dumpable after");
#endif
    CHECK((status & 8) == 0, "core dumps: a second call returns OK");
}

static void test_version(const char *expected)
{
    const char *version = confpass_version();
    CHECK(same(version, expected), "version: \"%s\" (expected \"%s\")",
          version ? version : "NULL", expected);
    CHECK(confpass_version() == version, "version: a static string (same pointer twice)");
    const char *backend = confpass_crypto_backend();
    CHECK(backend != NULL && strstr(backend, ", FIPS mode ") != NULL,
          "crypto backend: \"%s\" names the backend and FIPS mode", backend ? backend : "NULL");
    CHECK(confpass_crypto_backend() == backend, "crypto backend: a static string");
}

/* ------------------------------------------------------------------------
 * Threads
 * ---------------------------------------------------------------------- */

#define THREADS 8

struct thread_work {
    const char *path;              /* rotating/confserv.conf */
    const confpass_report *shared; /* one report, read by every thread */
    const char *file, *server_section, *db_section, *kid; /* what it says */
    pthread_barrier_t *start;
    unsigned iterations;
    unsigned calls, failures; /* this thread's own counts */
};

/* One thread: `iterations` times the three calls on the same file, every
 * result checked, and the shared report read each time. */
static void *thread_main(void *arg)
{
    struct thread_work *w = arg;
    unsigned i;
    pthread_barrier_wait(w->start);
    for (i = 0; i < w->iterations; i++) {
        confpass_secret *secret = NULL;
        confpass_candidates *list = NULL;
        confpass_report *report = NULL;
        const confpass_value_report *v;

        w->calls += 3;
        if (confpass_database_password(w->path, NULL, &secret, NULL) != CONFPASS_RESULT_OK ||
            !secret_is(secret, NEW_PASSWORD)) {
            w->failures++;
        }
        confpass_secret_free(secret);

        if (confpass_database_password_candidates(w->path, NULL, &list, NULL) !=
                CONFPASS_RESULT_OK ||
            confpass_candidates_len(list) != 2 ||
            !secret_is(confpass_candidates_get(list, 0), NEW_PASSWORD) ||
            !secret_is(confpass_candidates_get(list, 1), PASSWORD) ||
            confpass_secret_which(confpass_candidates_get(list, 1)) != CONFPASS_WHICH_PREVIOUS) {
            w->failures++;
        }
        confpass_candidates_free(list);

        if (confpass_check(w->path, NULL, &report, NULL) != CONFPASS_RESULT_OK ||
            confpass_value_state(confpass_report_current(report)) !=
                CONFPASS_STATE_DECRYPTABLE ||
            confpass_value_state(confpass_report_previous(report)) !=
                CONFPASS_STATE_DECRYPTABLE) {
            w->failures++;
        }
        confpass_report_free(report);

        /* The shared report, read while the other threads read it too. */
        v = confpass_report_current(w->shared);
        if (!same(confpass_report_file(w->shared), w->file) ||
            !same(confpass_report_server_section(w->shared), w->server_section) ||
            !same(confpass_report_db_section(w->shared), w->db_section) ||
            confpass_value_state(v) != CONFPASS_STATE_DECRYPTABLE ||
            !same(confpass_value_key_id(v), w->kid) ||
            !ends_with(confpass_value_key_file(v), "dec.pem") ||
            confpass_value_state(confpass_report_previous(w->shared)) !=
                CONFPASS_STATE_DECRYPTABLE) {
            w->failures++;
        }
    }
    return NULL;
}

static void test_threads(void)
{
    struct thread_work work[THREADS];
    pthread_t threads[THREADS];
    pthread_barrier_t start;
    confpass_report *shared = NULL;
    const char *env = getenv("CONFPASS_C_TEST_ITERATIONS");
    unsigned iterations = env != NULL && atoi(env) > 0 ? (unsigned)atoi(env) : 25;
    unsigned i, started = 0, calls = 0, failures = 0;
    char path[PATH_SIZE], kid[17];

    snprintf(path, sizeof path, "%s", fx("rotating/confserv.conf"));
    kid_in_file(path, kid);
    if (!CHECK(confpass_check(path, NULL, &shared, NULL) == CONFPASS_RESULT_OK,
               "threads: the shared report")) {
        return;
    }
    pthread_barrier_init(&start, NULL, THREADS);
    for (i = 0; i < THREADS; i++) {
        memset(&work[i], 0, sizeof work[i]);
        work[i].path = path;
        work[i].shared = shared;
        work[i].file = path;
        work[i].server_section = "confserv";
        work[i].db_section = "dbserver";
        work[i].kid = kid;
        work[i].start = &start;
        work[i].iterations = iterations;
    }
    for (i = 0; i < THREADS; i++) {
        if (pthread_create(&threads[i], NULL, thread_main, &work[i]) != 0) {
            break;
        }
        started++;
    }
    CHECK(started == THREADS, "threads: %u threads started", THREADS);
    if (started < THREADS) {
        /* The barrier waits for THREADS: without them all, the started ones
         * would wait for ever. */
        fprintf(stderr, "api: pthread_create failed: %s\n", strerror(errno));
        exit(1);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        calls += work[i].calls;
        failures += work[i].failures;
    }
    pthread_barrier_destroy(&start);
    confpass_report_free(shared);
    CHECK(calls == THREADS * iterations * 3, "threads: %u threads x %u iterations x 3 calls = %u",
          THREADS, iterations, calls);
    CHECK(failures == 0, "threads: every result right (%u wrong)", failures);
}

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s FIXTURE_DIR VERSION\n", argv[0]);
        return 2;
    }
    snprintf(fixture, sizeof fixture, "%s", argv[1]);

    test_version(argv[2]);
    test_database_password();
    test_candidates();
    test_check();
    test_errors();
    test_null();
    test_core_dumps();
    test_threads();

    printf("# C API tests: %u passed, %u failed\n", tests_passed, tests_failed);
    return tests_failed == 0 ? 0 : 1;
}
