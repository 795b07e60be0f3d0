/* The training settings as one line of text, "batch=128 opt=sgd lr=0.05": what the wasm boundary takes
 * from JS (one string instead of a dozen positional scalars) and what the CLI's --train-spec takes. One
 * table names every field of ae_train_cfg with its type and allowed range, so the parser, the printer and
 * the error messages cannot disagree. */
#include "internal.h"
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { K_INT, K_U64, K_FLOAT, K_OPT, K_NOISE, K_BOOL } key_type;

/* Floats are accepted from lo to hi, either end excluded when open, and diverge_factor also at exactly 0. */
typedef struct {
    const char *key, *what;
    key_type type;
    size_t off;
    double lo, hi;
    int lo_open, hi_open;
} key_def;

#define F(field) offsetof(ae_train_cfg, field)
static const key_def keys[] = {
    {"batch", "batch size", K_INT, F(batch), 1, AE_MAX_BATCH, 0, 0},
    {"opt", "optimizer", K_OPT, F(opt.kind), 0, 0, 0, 0},
    {"lr", "learning rate", K_FLOAT, F(opt.lr), 0, FLT_MAX, 1, 0},
    {"momentum", "momentum", K_FLOAT, F(opt.momentum), 0, 1, 0, 0},
    {"beta1", "Adam's beta1", K_FLOAT, F(opt.beta1), 0, 1, 0, 1}, /* below 1: Adam divides by 1-β^t */
    {"beta2", "Adam's beta2", K_FLOAT, F(opt.beta2), 0, 1, 0, 1},
    {"eps", "Adam's epsilon", K_FLOAT, F(opt.eps), 0, FLT_MAX, 1, 0},
    {"weight_decay", "weight decay", K_FLOAT, F(opt.weight_decay), 0, FLT_MAX, 0, 0},
    {"seed", "seed", K_U64, F(seed), 0, 0, 0, 0},
    {"noise", "noise", K_NOISE, F(noise), 0, 0, 0, 0},
    {"noise_level", "noise level", K_FLOAT, F(noise_level), 0, 1, 0, 0},
    {"supervised", "supervised", K_BOOL, F(supervised), 0, 1, 0, 0},
    {"diverge_factor", "divergence factor", K_FLOAT, F(diverge_factor), 1, FLT_MAX, 0, 0},
    {"epochs", "number of epochs", K_INT, F(epochs), 0, 1000000, 0, 0},
    {"from", "first layer trained", K_INT, F(from), 0, AE_MAX_LAYERS - 1, 0, 0},
    {"to", "end of the layers trained", K_INT, F(to), 0, AE_MAX_LAYERS, 0, 0},
    {"l1", "code L1 penalty", K_FLOAT, F(l1), 0, FLT_MAX, 0, 0},
    {"lr_decay", "learning rate's decay per epoch", K_FLOAT, F(lr_decay), 0, 1, 1, 0},
};
#undef F
#define N_KEYS (int)(sizeof keys / sizeof keys[0])

static const char *sep = " \t\r\n,";

/* The allowed values of key k, for messages: "a whole number from 1 to 4096", "sgd or adam", ... */
static void range_str(const key_def *k, char *buf, size_t cap) {
    switch (k->type) {
    case K_INT: snprintf(buf, cap, "a whole number from %.0f to %.0f", k->lo, k->hi); break;
    case K_U64: snprintf(buf, cap, "a whole number from 0 to %llu", (unsigned long long)UINT64_MAX); break;
    case K_BOOL: snprintf(buf, cap, "0 or 1"); break;
    case K_OPT:
    case K_NOISE: {
        const int n = k->type == K_OPT ? AE_OPT_COUNT : AE_NOISE_COUNT;
        size_t used = 0;
        for (int i = 0; i < n && used < cap; i++)
            used += snprintf(buf + used, cap - used, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ",
                             k->type == K_OPT ? ae_opt_name((ae_opt)i) : ae_noise_name((ae_noise)i));
        break;
    }
    case K_FLOAT:
        if (!strcmp(k->key, "diverge_factor")) snprintf(buf, cap, "0 (off) or a number of at least 1");
        else if (k->hi == FLT_MAX) snprintf(buf, cap, "%s", k->lo_open ? "a positive number" : "a number of at least 0");
        else snprintf(buf, cap, "a number in %c%g, %g%c", k->lo_open ? '(' : '[', k->lo, k->hi, k->hi_open ? ')' : ']');
        break;
    }
}

/* Value text v (n bytes) of key k into the field of *c; AE_ERR_ARG with a message naming the key, the
 * value and the allowed range. */
static int set_value(ae_train_cfg *c, const key_def *k, const char *v, size_t n) {
    char text[128], range[128];
    if (n >= sizeof text) n = sizeof text - 1; /* longer than any valid value: refused below as it stands */
    memcpy(text, v, n);
    text[n] = 0;
    char *cp = (char *)c + k->off, *e = NULL;
    int ok = n > 0 && n < sizeof text - 1;
    if (ok) switch (k->type) {
        case K_INT: {
            errno = 0;
            long x = strtol(text, &e, 10);
            ok = !*e && !errno && x >= k->lo && x <= k->hi;
            if (ok) *(int *)(void *)cp = (int)x;
            break;
        }
        case K_U64: {
            errno = 0;
            unsigned long long x = text[0] >= '0' && text[0] <= '9' ? strtoull(text, &e, 10) : 0;
            ok = e && !*e && !errno;
            if (ok) *(uint64_t *)(void *)cp = (uint64_t)x;
            break;
        }
        case K_BOOL:
            ok = !strcmp(text, "0") || !strcmp(text, "1");
            if (ok) *(int *)(void *)cp = text[0] == '1';
            break;
        case K_OPT: {
            ae_opt o;
            ok = ae_opt_parse(text, &o) == AE_OK;
            if (ok) *(ae_opt *)(void *)cp = o;
            else { range_str(k, range, sizeof range); return ae_fail(AE_ERR_ARG, "unknown optimizer '%s': %s (key %s)", text, range, k->key); }
            break;
        }
        case K_NOISE: {
            ae_noise z;
            ok = ae_noise_parse(text, &z) == AE_OK;
            if (ok) *(ae_noise *)(void *)cp = z;
            else { range_str(k, range, sizeof range); return ae_fail(AE_ERR_ARG, "unknown noise '%s': %s (key %s)", text, range, k->key); }
            break;
        }
        case K_FLOAT: {
            /* strtod then a cast, as JS's number becomes a wasm f32: the same float for the same text */
            const float x = (float)strtod(text, &e);
            const int zero_ok = !strcmp(k->key, "diverge_factor") && x == 0.0f;
            ok = !*e && isfinite(x) && (zero_ok || ((k->lo_open ? x > k->lo : x >= k->lo) && (k->hi_open ? x < k->hi : x <= k->hi)));
            if (ok) *(float *)(void *)cp = x;
            break;
        }
        }
    if (ok) return AE_OK;
    range_str(k, range, sizeof range);
    /* the description first: the page shows it as a sentence ("Learning rate must be ...") */
    return ae_fail(AE_ERR_ARG, "%s must be %s, not '%.*s' (key %s)", k->what, range, (int)(n > 40 ? 40 : n), text, k->key);
}

int ae_train_cfg_parse(ae_train_cfg *c, const char *spec) {
    if (!c) return ae_fail(AE_ERR_ARG, "no training settings to fill");
    if (!spec) spec = "";
    /* Pass 1 finds each key once and checks its value; pass 2 applies them on top of the defaults, the
     * optimizer first so that "lr=0.5 opt=sgd" and "opt=sgd lr=0.5" mean the same. */
    const char *val[N_KEYS] = {0};
    size_t len[N_KEYS] = {0};
    ae_train_cfg tmp = ae_train_default();
    for (const char *p = spec + strspn(spec, sep); *p; p += strspn(p, sep)) {
        const size_t n = strcspn(p, sep);
        const char *eq = memchr(p, '=', n);
        if (!eq) return ae_fail(AE_ERR_ARG, "'%.*s' in the training settings is not key=value", (int)(n > 40 ? 40 : n), p);
        const size_t kn = (size_t)(eq - p);
        int k = 0;
        while (k < N_KEYS && !(strlen(keys[k].key) == kn && !strncmp(keys[k].key, p, kn))) k++;
        if (k == N_KEYS) {
            char list[256];
            size_t used = 0;
            for (int i = 0; i < N_KEYS && used < sizeof list; i++) used += snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", keys[i].key);
            return ae_fail(AE_ERR_ARG, "unknown key '%.*s' in the training settings (%s)", (int)(kn > 40 ? 40 : kn), p, list);
        }
        if (val[k]) return ae_fail(AE_ERR_ARG, "%s is given twice in the training settings", keys[k].key);
        val[k] = eq + 1;
        len[k] = n - kn - 1;
        int rc = set_value(&tmp, &keys[k], val[k], len[k]); /* checks the value; applied again below */
        if (rc) return rc;
        p += n;
    }
    if (val[1]) tmp.opt = ae_optim_default(tmp.opt.kind); /* keys[1] is opt: its defaults, then the keys given */
    for (int k = 0; k < N_KEYS; k++)
        if (val[k]) set_value(&tmp, &keys[k], val[k], len[k]);
    *c = tmp;
    return AE_OK;
}

/* The shortest of %.6g..%.9g that reads back as the same float (%.9g always does). */
static void float_str(float x, char *buf, size_t cap) {
    for (int prec = 6; prec <= 9; prec++) {
        snprintf(buf, cap, "%.*g", prec, (double)x);
        if ((float)strtod(buf, NULL) == x && signbit((float)strtod(buf, NULL)) == signbit(x)) return;
    }
}

char *ae_train_cfg_str(const ae_train_cfg *c, char *buf, size_t cap) {
    if (!buf || cap == 0) return NULL;
    size_t used = 0;
    buf[0] = 0;
    for (int k = 0; k < N_KEYS; k++) {
        const char *cp = (const char *)c + keys[k].off;
        char v[48];
        switch (keys[k].type) {
        case K_INT:
        case K_BOOL: snprintf(v, sizeof v, "%d", *(const int *)(const void *)cp); break;
        case K_U64: snprintf(v, sizeof v, "%llu", (unsigned long long)*(const uint64_t *)(const void *)cp); break;
        case K_OPT: snprintf(v, sizeof v, "%s", ae_opt_name(*(const ae_opt *)(const void *)cp)); break;
        case K_NOISE: snprintf(v, sizeof v, "%s", ae_noise_name(*(const ae_noise *)(const void *)cp)); break;
        case K_FLOAT: float_str(*(const float *)(const void *)cp, v, sizeof v); break;
        }
        int w = snprintf(buf + used, cap - used, "%s%s=%s", k ? " " : "", keys[k].key, v);
        if (w < 0 || (size_t)w >= cap - used) return NULL; /* too small: buf holds a truncated string */
        used += (size_t)w;
    }
    return buf;
}
