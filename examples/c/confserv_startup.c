/*
 * confserv_startup.c: a minimal Configuration Server start-up in C, the twin
 * of examples/confserv_startup.rs, through libconfpass (confpass.h) and
 * libpq.
 *
 * It switches core dumps off (confpass_disable_core_dumps), takes the
 * passwords to try from the start-up call
 * confpass_database_password_candidates (the current one, then, while a
 * rotation keeps it, the previous one), connects to the configured
 * PostgreSQL database with the first the database accepts, and runs
 * SELECT 1.
 *
 *     confserv_startup [-c FILE] [-s SECTION]
 *
 * FILE defaults to confserv.conf (confserv.cfg on Windows), SECTION, the
 * server section, to confserv. On success it prints
 *
 *     connected to <db> as <user> on <host>:<port> with the current password: SELECT 1 = 1
 *
 * (or "with the previous password") and exits 0; on failure it prints one
 * error line on standard error, naming what each password met, and exits 1
 * (2 for a usage error). The password is never printed: it goes from the
 * confpass_secret straight to libpq as the "password" connection parameter
 * of PQconnectdbParams, never through a connection string, and the list of
 * passwords is freed (which wipes them) as soon as a connection is made or
 * every password has failed.
 *
 * host (default localhost), port (default 5432), dbname and username come
 * from the database section that the server section's `server` option
 * names. libconfpass does not expose its INI reader, so read_target() below
 * reads those four non-secret options itself, with the INI rules the
 * library reads by, once the library has accepted the file.
 *
 * Build it, with libconfpass and libpq installed where pkg-config finds
 * them (confpass.pc, libpq.pc):
 *
 *     cc confserv_startup.c $(pkg-config --cflags --libs confpass libpq)
 *
 * It is C99 and compiles cleanly with -Wall -Wextra -pedantic -Werror;
 * capi/tests/c_example.rs builds it against the library cargo built and
 * runs it against a throw-away PostgreSQL server.
 *
 * Built with -DCONFSERV_STARTUP_NO_LIBPQ (where no libpq is at hand: the
 * Windows install test runs it under wine), it reads the passwords and the
 * database section the same way and stops short of connecting:
 *
 *     would connect to <db> as <user> on <host>:<port> with the current password (<n> bytes); built without libpq, not connecting
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <confpass.h>
#ifndef CONFSERV_STARTUP_NO_LIBPQ
#include <libpq-fe.h>
#endif

#define PROGRAM "confserv_startup"
#define USAGE "usage: confserv_startup [-c FILE] [-s SECTION]"

#ifdef _WIN32
#define DEFAULT_CONFIG_FILE "confserv.cfg"
#else
#define DEFAULT_CONFIG_FILE "confserv.conf"
#endif
#define DEFAULT_SERVER_SECTION "confserv"

/* The largest configuration file read: libconfpass's own limit, 16 MiB. */
#define MAX_CONFIG_SIZE (16L * 1024 * 1024)

/* A piece of text, not NUL-terminated. */
typedef struct {
    const char *p;
    size_t n;
} span;

/* Where the database is and who to connect as (everything but the password). */
typedef struct {
    char *host;
    char *dbname;
    char *user;
    unsigned port;
    char port_text[8];
} target;

/* Prints "confserv_startup: error: ", the message and a line end on stderr. */
static void error_line(const char *format, ...)
{
    va_list args;
    fputs(PROGRAM ": error: ", stderr);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
}

#ifndef CONFSERV_STARTUP_NO_LIBPQ
/* Prints text on one line: without its final line ends, and with "; " for
 * each line end inside it (a PostgreSQL error may carry DETAIL/HINT lines). */
static void print_one_line(FILE *out, const char *text)
{
    size_t n = strlen(text), i;
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        n--;
    for (i = 0; i < n; i++) {
        if (text[i] == '\n')
            fputs("; ", out);
        else if (text[i] != '\r')
            fputc(text[i], out);
    }
}
#endif

/* Reports a libconfpass failure and frees its error; returns exit code 1. */
static int confpass_failed(confpass_error *error)
{
    const char *message = confpass_error_message(error);
    error_line("%s", message ? message : "libconfpass failed and gave no error");
    confpass_error_free(error);
    return 1;
}

/* Overwrites n bytes at p with zeros, through a volatile pointer so that the
 * compiler keeps the writes. */
static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n-- > 0)
        *v++ = 0;
}

/* A NUL-terminated copy of s, or NULL when memory is short. */
static char *copy_span(span s)
{
    char *c = malloc(s.n + 1);
    if (c) {
        memcpy(c, s.p, s.n);
        c[s.n] = '\0';
    }
    return c;
}

static span of_string(const char *s)
{
    span r;
    r.p = s;
    r.n = strlen(s);
    return r;
}

/* [p, end) without the spaces and tabs at either end. */
static span trimmed(const char *p, const char *end)
{
    span r;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    r.p = p;
    r.n = (size_t)(end - p);
    return r;
}

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Whether a and b are the same name, without regard to (ASCII) case, as
 * Configuration Server compares section and option names. */
static int same_name(span a, span b)
{
    size_t i;
    if (a.n != b.n)
        return 0;
    for (i = 0; i < a.n; i++)
        if (ascii_lower((unsigned char)a.p[i]) != ascii_lower((unsigned char)b.p[i]))
            return 0;
    return 1;
}

/*
 * How many times the option `option` is set in the section `section` of
 * text[0, size): 0, 1, or more. The first value goes to *value, and the
 * section's name as the file spells it to *spelled (when not NULL).
 *
 * The lines are read as libconfpass reads them: a line ends at "\n" (a "\r"
 * before it is dropped) and is trimmed of spaces and tabs; "[name]" starts a
 * section, a line starting with ";" or "#" is a comment, and any other line
 * is "name = value", split at its first "=", both sides trimmed. Names are
 * compared without regard to case.
 */
static int find_option(const char *text, size_t size, span section, const char *option,
                       span *value, span *spelled)
{
    const char *line = text, *end = text + size;
    int in_section = 0, count = 0;
    if (size >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        line += 3; /* a UTF-8 byte-order mark */
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *stop = nl ? nl : end;
        span t;
        if (stop > line && stop[-1] == '\r')
            stop--;
        t = trimmed(line, stop);
        if (t.n > 0 && t.p[0] == '[') {
            const char *close = memchr(t.p, ']', t.n);
            if (close) {
                span name = trimmed(t.p + 1, close);
                in_section = same_name(name, section);
                if (in_section && spelled)
                    *spelled = name;
            }
        } else if (in_section && t.n > 0 && t.p[0] != ';' && t.p[0] != '#') {
            const char *eq = memchr(t.p, '=', t.n);
            if (eq && same_name(trimmed(t.p, eq), of_string(option))) {
                if (count == 0)
                    *value = trimmed(eq + 1, t.p + t.n);
                count++;
            }
        }
        line = nl ? nl + 1 : end;
    }
    return count;
}

/* The whole file at path, NUL-terminated, in *text and its size in *size;
 * 0 after saying why not. */
static int read_file(const char *path, char **text, size_t *size)
{
    FILE *f = fopen(path, "rb");
    long length = -1;
    if (!f) {
        error_line("cannot read configuration file %s: %s", path, strerror(errno));
        return 0;
    }
    if (fseek(f, 0, SEEK_END) == 0)
        length = ftell(f);
    if (length < 0 || length > MAX_CONFIG_SIZE || fseek(f, 0, SEEK_SET) != 0) {
        error_line("cannot read configuration file %s: not a regular file of at most 16 MiB",
                   path);
        fclose(f);
        return 0;
    }
    *text = malloc((size_t)length + 1);
    if (!*text) {
        error_line("cannot read configuration file %s: out of memory", path);
        fclose(f);
        return 0;
    }
    *size = fread(*text, 1, (size_t)length, f);
    (*text)[*size] = '\0';
    if (ferror(f)) {
        error_line("cannot read configuration file %s: %s", path, strerror(errno));
        wipe(*text, *size);
        free(*text);
        fclose(f);
        return 0;
    }
    fclose(f);
    return 1;
}

/*
 * Reads host, port, dbname and username from the database section into *t;
 * 0 after saying what is wrong. These four non-secret options are all it
 * reads: the password only ever comes from libconfpass.
 */
static int read_target(const char *config, const char *section, target *t)
{
    static const char *const names[4] = {"host", "port", "dbname", "username"};
    span values[4] = {{NULL, 0}, {NULL, 0}, {NULL, 0}, {NULL, 0}};
    span server = {NULL, 0}, db = {NULL, 0};
    char *text;
    size_t size;
    int i, ok = 1;

    if (!read_file(config, &text, &size))
        return 0;
    /* The library has checked that the server section and its `server`
     * option are there once each; not finding them here is an ASCII-only
     * name comparison missing a non-ASCII name. */
    if (find_option(text, size, of_string(section), "server", &server, NULL) != 1 ||
        server.n == 0) {
        error_line("configuration file %s: cannot find the `server` option of section [%s]",
                   config, section);
        ok = 0;
    }
    db = server;
    for (i = 0; ok && i < 4; i++) {
        int count = find_option(text, size, server, names[i], &values[i], &db);
        if (count > 1) {
            error_line("configuration file %s: [%.*s] sets `%s` more than once: keep one",
                       config, (int)db.n, db.p, names[i]);
            ok = 0;
        } else if (count == 0 || values[i].n == 0) {
            values[i].p = NULL; /* absent, or empty: the default */
            values[i].n = 0;
        }
    }
    for (i = 2; ok && i < 4; i++) {
        if (!values[i].p) {
            error_line("configuration file %s has no `%s` in section [%.*s]: add it", config,
                       names[i], (int)db.n, db.p);
            ok = 0;
        }
    }
    t->port = 5432;
    if (ok && values[1].p) {
        unsigned long port = 0;
        size_t k;
        for (k = 0; k < values[1].n && port <= 65535; k++) {
            char c = values[1].p[k];
            port = c >= '0' && c <= '9' ? port * 10 + (unsigned long)(c - '0') : 65536;
        }
        if (port > 65535) {
            error_line("configuration file %s: [%.*s] port `%.*s` is not a port number", config,
                       (int)db.n, db.p, (int)values[1].n, values[1].p);
            ok = 0;
        }
        t->port = (unsigned)port;
    }
    if (ok) {
        sprintf(t->port_text, "%u", t->port);
        t->host = values[0].p ? copy_span(values[0]) : copy_span(of_string("localhost"));
        t->dbname = copy_span(values[2]);
        t->user = copy_span(values[3]);
        if (!t->host || !t->dbname || !t->user) {
            error_line("out of memory");
            ok = 0;
        }
    }
    /* The file may hold the password in plain text (encryption = false). */
    wipe(text, size);
    free(text);
    return ok;
}

static void print_where(FILE *out, const target *t)
{
    fprintf(out, "%s as %s on %s:%u", t->dbname, t->user, t->host, t->port);
}

#ifndef CONFSERV_STARTUP_NO_LIBPQ
/* One connection with password; the caller checks PQstatus and calls
 * PQfinish. The password goes to libpq as a parameter of its own. */
static PGconn *connect_with(const target *t, const char *password)
{
    const char *const keywords[] = {"host",     "port",            "dbname",           "user",
                                    "password", "connect_timeout", "application_name", NULL};
    const char *const values[] = {t->host,  t->port_text, t->dbname, t->user,
                                  password, "5",          PROGRAM,   NULL};
    /* expand_dbname = 0: dbname is a name, never read as a connection string. */
    return PQconnectdbParams(keywords, values, 0);
}
#endif

#ifndef CONFSERV_STARTUP_NO_LIBPQ
/*
 * Tries each password of list in order, runs SELECT 1 on the first
 * connection, and prints the outcome. Frees list (wiping every password)
 * as soon as a connection is made or every password has failed. which and
 * failures have room for n entries. Returns the exit code.
 */
static int connect_and_select(const target *t, confpass_candidates *list, size_t n,
                              const char **which, char **failures)
{
    PGconn *conn = NULL;
    size_t i, used = 0;
    int code = 1;

    for (i = 0; i < n && !conn; i++) {
        const confpass_secret *secret = confpass_candidates_get(list, i);
        const char *password = confpass_secret_str(secret);
        PGconn *c;
        which[i] = confpass_secret_which(secret) == CONFPASS_WHICH_PREVIOUS
                       ? "the previous password"
                       : "the current password";
        if (!password) {
            failures[i] = copy_span(
                of_string("the password holds a NUL byte, which libpq cannot take"));
            continue;
        }
        c = connect_with(t, password);
        if (PQstatus(c) == CONNECTION_OK) {
            conn = c;
            used = i;
        } else {
            failures[i] = copy_span(of_string(PQerrorMessage(c)));
            PQfinish(c);
        }
    }
    /* Every password wiped before anything else runs. */
    confpass_candidates_free(list);

    if (!conn) {
        fputs(PROGRAM ": error: cannot connect to ", stderr);
        print_where(stderr, t);
        for (i = 0; i < n; i++) {
            fprintf(stderr, "%s with %s: ", i > 0 ? ";" : "", which[i]);
            print_one_line(stderr, failures[i] ? failures[i] : "(out of memory)");
        }
        fputc('\n', stderr);
    } else {
        PGresult *result = PQexec(conn, "SELECT 1");
        if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1 &&
            PQnfields(result) == 1) {
            fputs("connected to ", stdout);
            print_where(stdout, t);
            printf(" with %s: SELECT 1 = %s\n", which[used], PQgetvalue(result, 0, 0));
            code = fflush(stdout) == 0 ? 0 : 1;
        } else {
            const char *why = PQresultErrorMessage(result);
            fputs(PROGRAM ": error: SELECT 1 failed on ", stderr);
            print_where(stderr, t);
            fputs(": ", stderr);
            print_one_line(stderr, why && *why ? why : PQerrorMessage(conn));
            fputc('\n', stderr);
        }
        PQclear(result);
        PQfinish(conn);
    }
    return code;
}
#else
/* Without libpq: says which password it would try first, by its length
 * only, frees list (wiping every password) and returns 0. */
static int connect_and_select(const target *t, confpass_candidates *list, size_t n,
                              const char **which, char **failures)
{
    const confpass_secret *first = confpass_candidates_get(list, 0);
    (void)n;
    (void)which;
    (void)failures;
    fputs("would connect to ", stdout);
    print_where(stdout, t);
    printf(" with %s (%lu bytes); built without libpq, not connecting\n",
           confpass_secret_which(first) == CONFPASS_WHICH_PREVIOUS ? "the previous password"
                                                                   : "the current password",
           (unsigned long)confpass_secret_len(first));
    confpass_candidates_free(list);
    return fflush(stdout) == 0 ? 0 : 1;
}
#endif

/* The start-up: core dumps off, passwords, configuration, connection,
 * SELECT 1. Returns the exit code. */
static int start(const char *config, const char *section)
{
    confpass_error *error = NULL;
    confpass_candidates *list = NULL;
    target t = {NULL, NULL, NULL, 0, ""};
    const char **which = NULL;
    char **failures = NULL;
    size_t n, i;
    int code = 1;

    if (confpass_disable_core_dumps(&error) != CONFPASS_RESULT_OK)
        return confpass_failed(error);
    if (confpass_database_password_candidates(config, section, &list, &error) !=
        CONFPASS_RESULT_OK)
        return confpass_failed(error);
    n = confpass_candidates_len(list);
    which = calloc(n + 1, sizeof *which);
    failures = calloc(n + 1, sizeof *failures);
    if (!which || !failures) {
        error_line("out of memory");
        confpass_candidates_free(list);
        goto done;
    }
    if (!read_target(config, section, &t)) {
        confpass_candidates_free(list);
        goto done;
    }
    code = connect_and_select(&t, list, n, which, failures);

done:
    for (i = 0; failures && i < n; i++)
        free(failures[i]);
    free(failures);
    free(which);
    free(t.host);
    free(t.dbname);
    free(t.user);
    return code;
}

int main(int argc, char **argv)
{
    const char *config = DEFAULT_CONFIG_FILE;
    const char *section = DEFAULT_SERVER_SECTION;
    int i;

    for (i = 1; i < argc; i++) {
        const char **slot;
        if (strcmp(argv[i], "-c") == 0) {
            slot = &config;
        } else if (strcmp(argv[i], "-s") == 0) {
            slot = &section;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            puts(USAGE);
            return 0;
        } else {
            error_line("unexpected argument `%s`\n" USAGE, argv[i]);
            return 2;
        }
        if (i + 1 >= argc) {
            error_line("%s needs a value\n" USAGE, argv[i]);
            return 2;
        }
        *slot = argv[++i];
    }
    return start(config, section);
}
