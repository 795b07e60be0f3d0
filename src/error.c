/* The last error message, per thread. Functions return a status code at the edges and leave a readable
 * message here; the CLI prints it and the wasm boundary turns it into a JS exception. */
#include "internal.h"
#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[512];

int ae_fail(int code, const char *fmt, ...) {
    /* format into a scratch buffer first: the arguments may include ae_last_error() itself */
    char tmp[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    memcpy(last_error, tmp, sizeof tmp);
    return code;
}

const char *ae_last_error(void) { return last_error[0] ? last_error : "no error"; }
void ae_clear_error(void) { last_error[0] = 0; }

const char *ae_fmt_bytes(uint64_t bytes, char *buf, size_t cap) {
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024.0 && u < 6) { v /= 1024.0; u++; }
    if (u == 0) snprintf(buf, cap, "%llu bytes", (unsigned long long)bytes);
    else snprintf(buf, cap, v < 10.0 && v != (double)(int)v ? "%.1f %s" : "%.0f %s", v, units[u]);
    return buf;
}
