/* Float datasets beside the uint8 images: a batch hands back the very bits given (no /255), split, labels
 * and one-hot work on them, NaN/Inf and absurd sizes are refused with a message, the output bias starts at
 * their mean summed in double in item order, and an autoencoder and a classifier train on them (the loss
 * falls; the same seed twice, and on 2 threads, gives the same bits). */
#include "aelab.h"
#include "check.h"

#define N 600
#define DIM 4

static size_t put_labels(uint8_t *b, const uint8_t *labels, uint32_t n) {
    b[0] = 0; b[1] = 0; b[2] = 8; b[3] = 1;
    b[4] = (uint8_t)(n >> 24); b[5] = (uint8_t)(n >> 16); b[6] = (uint8_t)(n >> 8); b[7] = (uint8_t)n;
    memcpy(b + 8, labels, n);
    return 8 + (size_t)n;
}

static void expect_refused(const float *x, int n, int rows, int cols, int code, const char *needle) {
    ae_dataset d;
    int rc = ae_dataset_floats(&d, x, n, rows, cols);
    CHECK(rc == code && strstr(ae_last_error(), needle) && !d.values && d.n == 0, "%d×%d×%d: rc %d, '%s' (want '%s')", n, rows, cols, rc,
          ae_last_error(), needle);
    if (rc == AE_OK) ae_dataset_free(&d);
}

/* A fresh model (and trainer) on d; mean_bias starts the output bias at the data mean. */
static int setup(ae_model *m, ae_trainer *t, const ae_dataset *d, const char *sizes, const char *hidden, const char *output,
                 const char *loss, const ae_train_cfg *cfg, int mean_bias) {
    ae_arch a;
    int rc = ae_arch_parse(&a, sizes, hidden, NULL, output, loss);
    if (!rc) rc = ae_model_init(m, &a, cfg->batch, 3);
    if (!rc && mean_bias) rc = ae_model_init_output_bias(m, d);
    if (!rc) rc = ae_trainer_init(t, m, d, cfg);
    CHECK(rc == AE_OK, "setting up %s: %s", sizes, ae_last_error());
    return rc;
}

/* Train `steps` batches; the parameters afterwards go to params (n_params floats). */
static int train_copy(const ae_dataset *d, const char *sizes, const char *hidden, const char *output, const char *loss, int supervised,
                      int steps, float *params, size_t cap, double *before, double *after) {
    ae_model m;
    ae_trainer t;
    ae_train_cfg cfg = ae_train_default();
    cfg.batch = 50;
    cfg.opt.lr = 1e-2f;
    cfg.supervised = supervised;
    if (setup(&m, &t, d, sizes, hidden, output, loss, &cfg, !supervised)) return -1;
    int rc = ae_evaluate(&m, d, supervised, before, NULL);
    double l;
    for (int s = 0; s < steps && !rc; s++) rc = ae_trainer_step(&t, &l);
    if (!rc) rc = ae_evaluate(&m, d, supervised, after, NULL);
    CHECK(rc == AE_OK && m.n_params <= cap, "%s: %s", sizes, ae_last_error());
    if (m.n_params <= cap) memcpy(params, m.params, m.n_params * sizeof(float));
    ae_trainer_free(&t);
    ae_model_free(&m);
    return rc;
}

int main(void) {
    /* points near a plane in 4-D, well outside [0,1] (codes are): x = z0·a + z1·b + 0.01·noise */
    static float x[N * DIM];
    static uint8_t labels[N], labfile[8 + N];
    ae_rng g;
    ae_rng_seed(&g, 11, 2);
    for (int i = 0; i < N; i++) {
        const float z0 = 3.0f * ae_rng_normal(&g), z1 = ae_rng_normal(&g);
        const float a[DIM] = {0.5f, -0.5f, 0.5f, 0.5f}, b[DIM] = {0.5f, 0.5f, -0.5f, 0.5f};
        for (int j = 0; j < DIM; j++) x[i * DIM + j] = z0 * a[j] + z1 * b[j] + 0.01f * ae_rng_normal(&g) + 2.0f;
        labels[i] = (uint8_t)((z0 > 0) + (z1 > 0)); /* 3 classes */
    }
    x[5] = -0.0f; x[6] = 1e-40f; x[7] = 3.4e38f; /* a signed zero, a subnormal, nearly FLT_MAX: kept as they are */

    ae_dataset d;
    CHECK(ae_dataset_floats(&d, x, N, 1, DIM) == AE_OK && d.n == N && d.rows == 1 && d.cols == DIM && d.values && !d.pixels &&
          ae_dataset_loaded(&d), "%s", ae_last_error());
    if (check_fail) return check_report("test_dataset");
    CHECK(d.values != x && d.values[7] == 3.4e38f, "the dataset holds a copy of the values");
    x[7] = d.values[7] = 1.0f; /* too large to train on */

    /* a batch is the input's bits, gathered by index or taken from a first row */
    float out[3 * DIM];
    uint32_t idx[3] = {1, N - 1, 0};
    ae_dataset_batch(&d, idx, 0, 3, out);
    CHECK(!memcmp(out, x + DIM, DIM * sizeof(float)) && !memcmp(out + DIM, x + (N - 1) * DIM, DIM * sizeof(float)) &&
          !memcmp(out + 2 * DIM, x, DIM * sizeof(float)), "gathered rows differ from the input's bits");
    ae_dataset_batch(&d, NULL, 1, 1, out);
    CHECK(!memcmp(out, x + DIM, DIM * sizeof(float)) && signbit(out[1]) && out[2] == 1e-40f, "row 1: %g %g %g", out[0], out[1], out[2]);

    /* labels and one-hot on float data */
    CHECK(ae_idx_labels_mem(&d, labfile, put_labels(labfile, labels, N - 1)) == AE_ERR_FORMAT &&
          strstr(ae_last_error(), "599 labels but the float dataset has 600 items"), "count mismatch: %s", ae_last_error());
    CHECK(ae_idx_labels_mem(&d, labfile, put_labels(labfile, labels, N)) == AE_OK && d.n_classes == 3 && d.labels[7] == labels[7],
          "labels on floats: %s", ae_last_error());
    float oh[3 * 3];
    ae_dataset_onehot(&d, idx, 0, 3, 3, oh);
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 3; k++) CHECK(oh[r * 3 + k] == (k == labels[idx[r]]), "one-hot row %d class %d", r, k);

    /* split: the tail's floats and labels are items keep..n, the head keeps the first keep */
    ae_dataset tail;
    CHECK(ae_dataset_split(&d, N - 100, &tail) == AE_OK && d.n == N - 100 && tail.n == 100 && tail.values && !tail.pixels &&
          tail.n_classes == 3 && tail.cols == DIM, "split: %s", ae_last_error());
    CHECK(!memcmp(tail.values, x + (N - 100) * DIM, 100 * DIM * sizeof(float)) && !memcmp(tail.labels, labels + N - 100, 100),
          "the tail's contents");
    ae_dataset_batch(&tail, NULL, 99, 1, out);
    CHECK(!memcmp(out, x + (N - 1) * DIM, DIM * sizeof(float)), "the tail's last row");
    ae_dataset_free(&tail);
    d.n = N; /* the head still holds every item */

    /* refused: non-finite values (named), counts below 1, too wide, too many */
    float bad[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    bad[6] = NAN;
    expect_refused(bad, 2, 2, 2, AE_ERR_ARG, "item 1, value 2 (counting from 0) is NaN");
    bad[6] = INFINITY;
    expect_refused(bad, 2, 1, 4, AE_ERR_ARG, "is +Inf");
    bad[6] = 6; bad[0] = -INFINITY;
    expect_refused(bad, 8, 1, 1, AE_ERR_ARG, "item 0, value 0 (counting from 0) is -Inf");
    bad[0] = 0;
    expect_refused(bad, 0, 1, 1, AE_ERR_ARG, "at least 1");
    expect_refused(bad, 1, 0, 8, AE_ERR_ARG, "at least 1");
    expect_refused(bad, 1, 8, -1, AE_ERR_ARG, "at least 1");
    expect_refused(NULL, 1, 1, 1, AE_ERR_ARG, "no values");
    expect_refused(bad, 1, 1 << 16, 1 << 16, AE_ERR_ARG, "values per item");
    expect_refused(bad, 1 << 30, 1, 1, AE_ERR_ARG, "at most 100000000");

    /* the output bias of a linear output is the mean of each column, summed in double in item order */
    {
        ae_model m;
        ae_arch a;
        CHECK(ae_arch_parse(&a, "4-2-4", "linear", NULL, "linear", "mse") == AE_OK && ae_model_init(&m, &a, 50, 1) == AE_OK, "%s", ae_last_error());
        CHECK(ae_model_init_output_bias(&m, &d) == AE_OK, "%s", ae_last_error());
        const float *b = ae_model_bias(&m, 1);
        for (int j = 0; j < DIM; j++) {
            double s = 0.0;
            for (int i = 0; i < N; i++) s += (double)x[i * DIM + j];
            CHECK(b[j] == (float)(s / N), "bias %d: %.9g, the mean is %.9g", j, b[j], s / N);
        }
        ae_model_free(&m);
    }

    /* an autoencoder (4-2-4, linear: the plane is exactly reachable) and a classifier learn on float data,
     * and the same seed gives the same bits again and on 2 threads */
    static float p1[4096], p2[4096];
    double before, after, b2, a2;
    CHECK(train_copy(&d, "4-2-4", "linear", "linear", "mse", 0, 600, p1, 4096, &before, &after) == AE_OK, "%s", ae_last_error());
    printf("float autoencoder 4-2-4: test MSE %.4g -> %.4g\n", before, after);
    CHECK(after < before / 20 && after < 0.05, "the autoencoder did not learn: %.4g -> %.4g", before, after);
    CHECK(train_copy(&d, "4-2-4", "linear", "linear", "mse", 0, 600, p2, 4096, &b2, &a2) == AE_OK && !memcmp(p1, p2, 22 * sizeof(float)) &&
          a2 == after, "a same-seed twin differs");
    if (ae_set_threads(2) == AE_OK) {
        CHECK(train_copy(&d, "4-2-4", "linear", "linear", "mse", 0, 600, p2, 4096, &b2, &a2) == AE_OK &&
              !memcmp(p1, p2, 22 * sizeof(float)) && a2 == after, "2 threads differ from 1");
        ae_set_threads(1);
    }
    int correct = 0;
    CHECK(train_copy(&d, "4-16-3", "relu", "softmax", "softmax_ce", 1, 600, p1, 4096, &before, &after) == AE_OK, "%s", ae_last_error());
    {
        ae_model m;
        ae_arch a;
        CHECK(ae_arch_parse(&a, "4-16-3", "relu", NULL, "softmax", "softmax_ce") == AE_OK && ae_model_init(&m, &a, 50, 3) == AE_OK, "%s", ae_last_error());
        memcpy(m.params, p1, m.n_params * sizeof(float));
        CHECK(ae_evaluate(&m, &d, 1, &a2, &correct) == AE_OK && a2 == after, "%s", ae_last_error());
        ae_model_free(&m);
    }
    printf("float classifier 4-16-3: cross-entropy %.4g -> %.4g, %d of %d right\n", before, after, correct, N);
    CHECK(after < before / 3 && correct > N * 9 / 10, "the classifier did not learn: %.4g -> %.4g, %d right", before, after, correct);

    ae_dataset_free(&d);
    CHECK(!d.values && !d.labels && d.n == 0, "free clears the dataset");
    /* the data-mean output bias of a convolutional output is one value per channel, over every position;
     * a last layer with no bias is refused, not written past */
    {
        float xs[2 * 12];
        for (int i = 0; i < 24; i++) xs[i] = (float)((i * 7) % 10) / 10.0f;
        ae_dataset fd = {0};
        ae_arch a;
        ae_model m;
        CHECK(ae_dataset_floats(&fd, xs, 2, 1, 12) == AE_OK, "%s", ae_last_error());
        CHECK(ae_arch_parse(&a, "3x2x2-conv4k3-conv3k1:linear", NULL, NULL, NULL, NULL) == AE_OK, "%s", ae_last_error());
        CHECK(ae_model_init(&m, &a, 4, 1) == AE_OK && ae_model_init_output_bias(&m, &fd) == AE_OK, "%s", ae_last_error());
        for (int c = 0; c < 3; c++) {
            double sum = 0.0;
            for (int i = 0; i < 2; i++)
                for (int p = 0; p < 4; p++) sum += (double)xs[i * 12 + p * 3 + c];
            CHECK(ae_model_bias(&m, 1)[c] == (float)(sum / 8.0), "conv output bias %d: %g, mean %g", c, ae_model_bias(&m, 1)[c], sum / 8.0);
        }
        ae_model_free(&m);
        CHECK(ae_arch_parse(&a, "3x2x2-12-3x2x2", NULL, NULL, NULL, NULL) == AE_OK && ae_model_init(&m, &a, 4, 1) == AE_OK, "%s", ae_last_error());
        CHECK(ae_model_init_output_bias(&m, &fd) == AE_ERR_ARG && strstr(ae_last_error(), "ends with a reshape layer"), "reshape output: %s",
              ae_last_error());
        ae_model_free(&m);
        ae_dataset_free(&fd);
    }
    return check_report("test_dataset");
}
