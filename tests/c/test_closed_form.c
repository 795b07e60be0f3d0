/* Closed-form cases: hand-set weights give known outputs and losses; our exp/log against libm in double. */
#include "aelab.h"
#include "check.h"
#include "vecmath.h"

static int close_to(double a, double b, double tol) { return fabs(a - b) <= tol * fmax(1.0, fabs(b)); }

int main(void) {
    /* exp/log/sigmoid/tanh within ~1 ulp of the double-precision truth over a wide range */
    double worst_exp = 0, worst_log = 0, worst_sig = 0, worst_tanh = 0;
    for (int i = -200000; i <= 200000; i++) {
        float x = (float)i * 4.3e-4f; /* [-86, 86] */
        double e = exp((double)x);
        worst_exp = fmax(worst_exp, fabs(ae_expf(x) - e) / e);
        double s = 1.0 / (1.0 + exp(-(double)x));
        worst_sig = fmax(worst_sig, fabs(ae_sigmoidf(x) - s) / s);
        worst_tanh = fmax(worst_tanh, fabs(ae_tanhf(x) - tanh((double)x)) / fmax(fabs(tanh((double)x)), 1e-30));
        float y = ldexpf(1.0f + (float)(i + 200000) / 400001.0f, (i % 120));
        worst_log = fmax(worst_log, fabs(ae_logf(y) - log((double)y)) / fmax(fabs(log((double)y)), 1e-30));
    }
    CHECK(worst_exp < 1.2e-7, "ae_expf relative error %.3g", worst_exp);
    CHECK(worst_log < 1.2e-7, "ae_logf relative error %.3g", worst_log);
    CHECK(worst_sig < 2.5e-7, "ae_sigmoidf relative error %.3g", worst_sig);
    CHECK(worst_tanh < 5e-7, "ae_tanhf relative error %.3g", worst_tanh);
    CHECK(ae_expf(0) == 1.0f && ae_logf(1) == 0.0f, "exp(0)=%g log(1)=%g", ae_expf(0), ae_logf(1));
    CHECK(ae_expf(-200) == 0.0f && isinf(ae_expf(200)) && isnan(ae_logf(-1)), "exp/log limits");
    CHECK(ae_sigmoidf(-1000) == 0.0f && ae_sigmoidf(1000) == 1.0f, "sigmoid saturates without NaN");

    /* The four-lane exp and log (src/vecmath.h) against the double-precision truth, and lane independence:
     * a value's result does not depend on its lane or neighbours. */
    double worst_vexp = 0, worst_vlog = 0, ref_ulps = 0;
    int lanes_differ = 0;
    for (int i = 0; i <= 400000; i++) {
        float x = -(float)i * 2.175e-4f; /* [-87, 0] */
        v4f e = v4_exp_neg((v4f){x, -1.0f, x * 0.5f, 0.0f});
        v4f e2 = v4_exp_neg((v4f){0.0f, x, -3.0f, x});
        lanes_differ |= memcmp(&e[0], &e2[1], 4) | memcmp(&e[0], &e2[3], 4);
        worst_vexp = fmax(worst_vexp, fabs(e[0] - exp((double)x)) / exp((double)x));
        /* and against the plain-C reference ae_expf: at most 2 ulp apart */
        if (x > -87.0f) ref_ulps = fmax(ref_ulps, fabs((double)e[0] - ae_expf(x)) / (ldexp(1.0, ilogb(ae_expf(x)) - 23)));
        float y = ldexpf(1.0f + (float)i / 400001.0f, (i % 60) - 30);
        v4f l = v4_log(v4_splat(y));
        double truth = log((double)y);
        if (y != 1.0f) ref_ulps = fmax(ref_ulps, fabs((double)l[0] - ae_logf(y)) / ldexp(1.0, ilogb(ae_logf(y)) - 23));
        worst_vlog = fmax(worst_vlog, fabs(l[0] - truth) / fmax(fabs(truth), 1.0));
    }
    CHECK(worst_vexp < 2.5e-7, "v4_exp_neg relative error %.3g", worst_vexp);
    CHECK(worst_vlog < 2.5e-7, "v4_log error %.3g", worst_vlog);
    CHECK(!lanes_differ, "v4_exp_neg gives a value different bits in different lanes");
    CHECK(ref_ulps <= 2.0, "four-lane exp/log are %.2f ulp from the reference ae_expf/ae_logf", ref_ulps);
    CHECK(v4_exp_neg(v4_splat(-88.0f))[0] == 0.0f && v4_exp_neg(v4_splat(0.0f))[0] == 1.0f && v4_log(v4_splat(1.0f))[0] == 0.0f, "v4 exp/log at the ends");

    /* A linear 3-3-3 model with W = I, b = 0 reproduces its input; with b = 1 adds one. */
    ae_arch a;
    ae_model m;
    CHECK(ae_arch_parse(&a, "3-3-3", "linear", NULL, "linear", "mse") == AE_OK, "%s", ae_last_error());
    CHECK(ae_model_init(&m, &a, 2, 1) == AE_OK, "%s", ae_last_error());
    for (int l = 0; l < 2; l++) {
        float *W = ae_model_weight(&m, l);
        memset(W, 0, 9 * 4);
        for (int i = 0; i < 3; i++) W[i * 3 + i] = 1.0f;
        memset(ae_model_bias(&m, l), 0, 12);
    }
    float x[6] = {0.1f, -2, 3, 4, 5, -6};
    memcpy(ae_model_input(&m), x, sizeof x);
    ae_model_forward(&m, 2);
    CHECK(memcmp(ae_model_output(&m), x, sizeof x) == 0, "identity network does not reproduce its input");
    CHECK(ae_model_loss(&m, x, 2, 0) == 0.0, "MSE of a perfect reconstruction is %g", ae_model_loss(&m, x, 2, 0));
    float code[6], back[6];
    CHECK(ae_model_encode(&m, x, 2, code) == AE_OK && memcmp(code, x, sizeof x) == 0, "encode through identity");
    ae_model_bias(&m, 1)[0] = 1.0f;
    CHECK(ae_model_decode(&m, code, 2, back) == AE_OK && back[0] == x[0] + 1 && back[3] == x[3] + 1 && back[1] == x[1], "decode adds bias");
    /* MSE of an output off by 1 in 2 of 6 entries: 2/6 */
    CHECK(close_to(ae_model_loss(&m, x, 2, 0), 2.0 / 6.0, 1e-6), "MSE %g", ae_model_loss(&m, x, 2, 0));
    /* ae_model_map_rows: 5 rows through a model that holds 2 (chunks 2, 2, 1), every row x + (1, 0, 0) */
    float x5[15], y5[15], c5[15];
    for (int i = 0; i < 15; i++) x5[i] = (float)i - 7.5f;
    CHECK(ae_model_map_rows(&m, 0, 2, x5, 5, y5) == AE_OK, "map_rows: %s", ae_last_error());
    int rows_ok = 1;
    for (int i = 0; i < 15; i++) rows_ok &= y5[i] == x5[i] + (i % 3 == 0 ? 1.0f : 0.0f);
    CHECK(rows_ok, "map_rows over 5 rows in chunks of 2 gives x + bias in every row");
    CHECK(ae_model_map_rows(&m, 1, 1, x5, 5, c5) == AE_OK && !memcmp(c5, x5, sizeof x5), "an empty layer range copies");
    CHECK(ae_model_map_rows(&m, 0, 2, x5, 0, y5) == AE_OK, "no rows is nothing to do");
    CHECK(ae_model_map_rows(&m, 1, 3, x5, 5, y5) == AE_ERR_ARG && strstr(ae_last_error(), "[1, 3)"), "range past the end: %s", ae_last_error());
    CHECK(ae_model_map_rows(&m, 2, 1, x5, 5, y5) == AE_ERR_ARG, "reversed range");
    CHECK(ae_model_map_rows(&m, 0, 2, x5, -1, y5) == AE_ERR_ARG && strstr(ae_last_error(), "-1 rows"), "negative rows: %s", ae_last_error());
    ae_model_free(&m);

    /* BCE from logits: z = 0 gives log 2 for any target; z = ±30 with matching targets ≈ 0. */
    float z[4] = {0, 0, 30, -30}, y[4], t[4] = {1, 0, 1, 0};
    ae_act_forward(AE_ACT_SIGMOID, z, y, 4, 4);
    double bce = ae_loss_eval(AE_LOSS_BCE, AE_ACT_SIGMOID, z, y, t, NULL, 1, 4);
    CHECK(close_to(bce, (2 * log(2.0) + 2 * log1p(exp(-30.0))) / 4, 2e-7), "BCE %.9g", bce); /* float terms */
    float zbig[1] = {-100}, ybig[1], tbig[1] = {1};
    ae_act_forward(AE_ACT_SIGMOID, zbig, ybig, 1, 1);
    double b2 = ae_loss_eval(AE_LOSS_BCE, AE_ACT_SIGMOID, zbig, ybig, tbig, NULL, 1, 1);
    CHECK(close_to(b2, 100.0, 1e-9), "BCE at logit -100 with target 1 should be 100 (stable), got %g", b2);
    /* Softmax CE of equal logits over D classes: log D */
    float zs[5] = {2, 2, 2, 2, 2}, ys[5], ts[5] = {0, 0, 1, 0, 0};
    ae_act_forward(AE_ACT_SOFTMAX, zs, ys, 5, 5);
    CHECK(close_to(ae_loss_eval(AE_LOSS_SOFTMAX_CE, AE_ACT_SOFTMAX, zs, ys, ts, NULL, 1, 5), log(5.0), 1e-7), "softmax CE of uniform");
    CHECK(fabsf(ys[0] - 0.2f) < 1e-7f, "softmax of equal logits is uniform");
    /* Architecture parsing picks the narrowest interior layer as the code, or the marked one */
    CHECK(ae_arch_parse(&a, "784-128-64-32-64-128-784", "relu", NULL, "sigmoid", "bce") == AE_OK && a.code == 3 && a.n_layers == 6, "deep code");
    CHECK(ae_arch_parse(&a, "784-*1000-784", "relu", NULL, "sigmoid", "bce") == AE_OK && a.code == 1, "overcomplete");
    CHECK(ae_arch_parse(&a, "10000-20-10000", "relu", NULL, "sigmoid", "bce") == AE_OK && a.code == 1, "lecture");
    CHECK(ae_arch_parse(&a, "784-0-784", NULL, NULL, NULL, NULL) != AE_OK && strstr(ae_last_error(), "widths"), "zero width: %s", ae_last_error());
    CHECK(ae_arch_parse(&a, "784-32-", NULL, NULL, NULL, NULL) != AE_OK, "trailing dash");
    CHECK(ae_arch_parse(&a, "784-32-784", "relu", NULL, "linear", "bce") != AE_OK && strstr(ae_last_error(), "sigmoid"), "bce needs sigmoid: %s", ae_last_error());
    CHECK(ae_arch_parse(&a, "784-32-784", "bogus", NULL, NULL, NULL) != AE_OK && strstr(ae_last_error(), "bogus"), "unknown activation");
    CHECK(ae_model_init(&m, &a, 0, 1) != AE_OK, "batch 0 rejected");
    /* sizes are planned in 64 bits: models beyond what the build can hold are refused, saying how much they
     * would need (wasm: tests/node/errors.test.mjs) */
    CHECK(ae_arch_parse(&a, "784-65536-12288-784", "relu", NULL, "sigmoid", "bce") == AE_OK, "%s", ae_last_error());
    CHECK(ae_model_init(&m, &a, 256, 1) == AE_ERR_NOMEM && strstr(ae_last_error(), "would need 24 GiB") && strstr(ae_last_error(), "866398992 parameters"),
          "784-65536-12288-784: %s", ae_last_error());
    CHECK(ae_arch_parse(&a, "65536-65536-65536", "relu", NULL, "sigmoid", "bce") == AE_OK, "%s", ae_last_error());
    CHECK(ae_model_init(&m, &a, 1, 1) == AE_ERR_NOMEM && strstr(ae_last_error(), "would need 232 GiB") && strstr(ae_last_error(), "8590065664 parameters"),
          "65536-65536-65536: %s", ae_last_error());
    CHECK(!m.mem, "a refused model holds memory");
    return check_report("test_closed_form");
}
