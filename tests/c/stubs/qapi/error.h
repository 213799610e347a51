/*
 * Test stand-in for QEMU's include/qapi/error.h: an Error holds its
 * message; error_setg() formats it (and checks the format, as QEMU's does).
 */
#ifndef QAPI_ERROR_H
#define QAPI_ERROR_H

#include <stdarg.h>
#include <stdio.h>

struct Error {
    char *msg;
};

static inline void __attribute__((format(printf, 2, 3)))
mtc_stub_error_setg(Error **errp, const char *fmt, ...)
{
    va_list ap;
    int len;
    Error *err;

    if (!errp) {
        return;
    }
    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    err = calloc(1, sizeof(*err));
    err->msg = malloc(len + 1);
    if (!err->msg) {
        abort();
    }
    va_start(ap, fmt);
    vsnprintf(err->msg, len + 1, fmt, ap);
    va_end(ap);
    *errp = err;
}

#define error_setg(errp, fmt, ...) mtc_stub_error_setg((errp), (fmt), ## __VA_ARGS__)

static inline const char *error_get_pretty(const Error *err)
{
    return err->msg;
}

static inline void error_free(Error *err)
{
    if (err) {
        free(err->msg);
        free(err);
    }
}

#endif
