/*
 * api.cpp: the C API of confpass (confpass.h) from C++11, the way a C++
 * Configuration Server would hold it: every object the library makes is
 * owned by a std::unique_ptr whose deleter is the matching _free function,
 * so nothing is freed twice nor leaked, whatever path a function takes.
 * It checks the header compiles as C++ (extern "C", the enums), the
 * start-up call, one error of each of two categories (CONFIG and KEY),
 * the candidates of a rotation, the check's report, and a few calls from
 * std::thread at once. .ci/capi-test runs it under AddressSanitizer/UBSan
 * and valgrind against the shared and the static library; api.c covers
 * the rest of the API.
 *
 * Output as api.c: `ok N - name` / `not ok N - name` lines, then
 * `# C++ API tests: P passed, F failed`; exit status 1 if any failed.
 * The password is never printed. Argument: the fixture directory of
 * .ci/capi-test (api.c lists its files).
 */

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "confpass.h"

namespace {

// The passwords of the fixture (api.c says which file holds which).
const std::string PASSWORD = "db-P\xc3\xa4" "ssword 1";
const std::string NEW_PASSWORD = "rotated-Pass-2";

// ---------------------------------------------------------------------------
// Owning handles: the deleters are the header's _free functions.
// ---------------------------------------------------------------------------

struct SecretFree {
    void operator()(confpass_secret *p) const { confpass_secret_free(p); }
};
struct CandidatesFree {
    void operator()(confpass_candidates *p) const { confpass_candidates_free(p); }
};
struct ReportFree {
    void operator()(confpass_report *p) const { confpass_report_free(p); }
};
struct ErrorFree {
    void operator()(confpass_error *p) const { confpass_error_free(p); }
};

typedef std::unique_ptr<confpass_secret, SecretFree> Secret;
typedef std::unique_ptr<confpass_candidates, CandidatesFree> Candidates;
typedef std::unique_ptr<confpass_report, ReportFree> Report;
typedef std::unique_ptr<confpass_error, ErrorFree> Error;

// A call's outcome: its result code and, on failure, the error.
struct Outcome {
    confpass_result code;
    Error error;
};

// Each call wrapped once: the out-parameters go straight into handles.
Outcome database_password(const std::string &path, Secret &out)
{
    confpass_secret *secret = nullptr;
    confpass_error *error = nullptr;
    Outcome o;
    o.code = confpass_database_password(path.c_str(), nullptr, &secret, &error);
    out.reset(secret);
    o.error.reset(error);
    return o;
}

Outcome candidates(const std::string &path, Candidates &out)
{
    confpass_candidates *list = nullptr;
    confpass_error *error = nullptr;
    Outcome o;
    o.code = confpass_database_password_candidates(path.c_str(), nullptr, &list, &error);
    out.reset(list);
    o.error.reset(error);
    return o;
}

Outcome check(const std::string &path, const char *section, Report &out)
{
    confpass_report *report = nullptr;
    confpass_error *error = nullptr;
    Outcome o;
    o.code = confpass_check(path.c_str(), section, &report, &error);
    out.reset(report);
    o.error.reset(error);
    return o;
}

// The password a secret holds, compared without ever being printed.
bool holds(const confpass_secret *secret, const std::string &expected)
{
    const uint8_t *bytes = confpass_secret_bytes(secret);
    const size_t len = confpass_secret_len(secret);
    const char *str = confpass_secret_str(secret);
    return bytes != nullptr && len == expected.size() &&
           std::memcmp(bytes, expected.data(), len) == 0 && bytes[len] == 0 && str != nullptr &&
           expected == str;
}

std::string text(const char *s) { return s != nullptr ? s : "(NULL)"; }

// ---------------------------------------------------------------------------
// The checks' counter, as in api.c (main thread only).
// ---------------------------------------------------------------------------

unsigned tests_passed = 0, tests_failed = 0;

bool check_at(bool ok, int line, const std::string &name)
{
    std::printf("%s %u - %s\n", ok ? "ok" : "not ok", tests_passed + tests_failed + 1,
                name.c_str());
    if (ok) {
        ++tests_passed;
    } else {
        ++tests_failed;
        std::printf("#   failed at %s:%d\n", __FILE__, line);
    }
    std::fflush(stdout);
    return ok;
}

#define CHECK(cond, name) check_at((cond), __LINE__, (name))

// ---------------------------------------------------------------------------

void test_success(const std::string &fx)
{
    Secret secret;
    Outcome o = database_password(fx + "/enc/confserv.conf", secret);
    CHECK(o.code == CONFPASS_RESULT_OK && !o.error, "database_password: OK, no error");
    CHECK(secret && holds(secret.get(), PASSWORD),
          "database_password: the known password (" +
              std::to_string(confpass_secret_len(secret.get())) + " bytes)");
    CHECK(confpass_secret_which(secret.get()) == CONFPASS_WHICH_CURRENT,
          "database_password: CONFPASS_WHICH_CURRENT");
}

void test_errors(const std::string &fx)
{
    // CONFIG: the file does not exist.
    const std::string missing = fx + "/missing.conf";
    Secret secret;
    Outcome o = database_password(missing, secret);
    const std::string message = o.error ? text(confpass_error_message(o.error.get())) : "";
    CHECK(o.code == CONFPASS_RESULT_CONFIG, "config: missing file returns CONFIG");
    CHECK(o.error && confpass_error_category(o.error.get()) == CONFPASS_RESULT_CONFIG,
          "config: the error's category is CONFIG");
    CHECK(message.find(missing) != std::string::npos, "config: the message names the file");
    CHECK(!secret, "config: no secret");
    std::printf("# config: %s\n", message.c_str());

    // KEY: dec.pem is readable by others.
    Candidates list;
    o = candidates(fx + "/openkey/confserv.conf", list);
    const std::string key_message = o.error ? text(confpass_error_message(o.error.get())) : "";
    CHECK(o.code == CONFPASS_RESULT_KEY, "key: dec.pem mode 0644 returns KEY");
    CHECK(o.error && confpass_error_category(o.error.get()) == CONFPASS_RESULT_KEY,
          "key: the error's category is KEY");
    CHECK(key_message.find(fx + "/openkey/dec.pem") != std::string::npos &&
              key_message.find("chmod 600") != std::string::npos,
          "key: the message names dec.pem and says chmod 600");
    CHECK(!list, "key: no list");
    std::printf("# key: %s\n", key_message.c_str());
}

void test_candidates(const std::string &fx)
{
    Candidates list;
    Outcome o = candidates(fx + "/rotating/confserv.conf", list);
    CHECK(o.code == CONFPASS_RESULT_OK && list, "candidates: rotating/ returns a list");
    CHECK(confpass_candidates_len(list.get()) == 2, "candidates: 2 of them");
    const confpass_secret *current = confpass_candidates_get(list.get(), 0);
    const confpass_secret *previous = confpass_candidates_get(list.get(), 1);
    CHECK(holds(current, NEW_PASSWORD) &&
              confpass_secret_which(current) == CONFPASS_WHICH_CURRENT,
          "candidates: [0] is the current password");
    CHECK(holds(previous, PASSWORD) && confpass_secret_which(previous) == CONFPASS_WHICH_PREVIOUS,
          "candidates: [1] is the previous password");
    CHECK(confpass_candidates_get(list.get(), 2) == nullptr, "candidates: [2] is NULL");
}

void test_check(const std::string &fx)
{
    Report report;
    const std::string path = fx + "/rotating/confserv.conf";
    Outcome o = check(path, "confserv", report);
    CHECK(o.code == CONFPASS_RESULT_OK && report, "check: rotating/ returns a report");
    CHECK(text(confpass_report_file(report.get())) == path &&
              text(confpass_report_server_section(report.get())) == "confserv" &&
              text(confpass_report_db_section(report.get())) == "dbserver",
          "check: file, server section and db section");
    const confpass_value_report *current = confpass_report_current(report.get());
    const confpass_value_report *previous = confpass_report_previous(report.get());
    CHECK(confpass_value_state(current) == CONFPASS_STATE_DECRYPTABLE &&
              confpass_value_state(previous) == CONFPASS_STATE_DECRYPTABLE,
          "check: current and previous are DECRYPTABLE");
    const std::string key_id = text(confpass_value_key_id(current));
    CHECK(key_id.size() == 16 && key_id.find_first_not_of("0123456789abcdef") == std::string::npos,
          "check: key id " + key_id + " is 16 hex digits");

    Report plain;
    o = check(fx + "/plain/confserv.conf", nullptr, plain);
    CHECK(o.code == CONFPASS_RESULT_OK &&
              confpass_value_state(confpass_report_current(plain.get())) == CONFPASS_STATE_PLAIN &&
              confpass_value_key_id(confpass_report_current(plain.get())) == nullptr,
          "check: plain/ is PLAIN, without a key id");
}

// Four threads, each making the three calls a few times on the same file;
// each thread counts its own failures (the check counter is not shared).
void test_threads(const std::string &fx)
{
    const std::string path = fx + "/rotating/confserv.conf";
    const unsigned threads = 4;
    unsigned iterations = 3;
    std::vector<unsigned> failures(threads, 0);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&path, &failures, t, iterations]() {
            for (unsigned i = 0; i < iterations; ++i) {
                Secret secret;
                if (database_password(path, secret).code != CONFPASS_RESULT_OK ||
                    !holds(secret.get(), NEW_PASSWORD)) {
                    ++failures[t];
                }
                Candidates list;
                if (candidates(path, list).code != CONFPASS_RESULT_OK ||
                    confpass_candidates_len(list.get()) != 2 ||
                    !holds(confpass_candidates_get(list.get(), 1), PASSWORD)) {
                    ++failures[t];
                }
                Report report;
                if (check(path, nullptr, report).code != CONFPASS_RESULT_OK ||
                    confpass_value_state(confpass_report_current(report.get())) !=
                        CONFPASS_STATE_DECRYPTABLE) {
                    ++failures[t];
                }
            }
        });
    }
    for (std::thread &t : pool) {
        t.join();
    }
    unsigned total = 0;
    for (unsigned f : failures) {
        total += f;
    }
    CHECK(total == 0, "threads: " + std::to_string(threads) + " std::threads x " +
                          std::to_string(iterations) + " x 3 calls, every result right (" +
                          std::to_string(total) + " wrong)");
}

}  // namespace

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    const std::string fx = argv[1];
    test_success(fx);
    test_errors(fx);
    test_candidates(fx);
    test_check(fx);
    test_threads(fx);
    std::printf("# C++ API tests: %u passed, %u failed\n", tests_passed, tests_failed);
    return tests_failed == 0 ? 0 : 1;
}
