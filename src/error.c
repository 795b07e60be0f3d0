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
