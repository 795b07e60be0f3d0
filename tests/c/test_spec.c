/* The model spec grammar (src/spec.c): random architectures print and parse back to every field (shapes,
 * widths, activations, code, loss, init), and print again to the same text; today's "784-32-784" and the
 * image inputs 28x28 / 1x28x28 read as they should; the hidden/code/output/loss arguments are defaults that
 * the spec's own keys and ':activation's override, and the loss follows the output; ae_arch_check infers
 * shapes and refuses inconsistent architectures; each kind of malformed spec is refused with AE_ERR_ARG and a
 * message saying what is wrong; and mutated specs are either refused with a message or read back the same. */
#include "aelab.h"
#include "check.h"

/* Every field, the inferred shapes and widths too; then the whole struct (both were zeroed first, so the
 * unused layer slots must be zero in both). */
static int same_arch(const ae_arch *a, const ae_arch *b) {
    if (a->n_layers != b->n_layers || a->code != b->code || a->loss != b->loss || a->init != b->init) return 0;
    if (memcmp(&a->input, &b->input, sizeof a->input)) return 0;
    for (int l = 0; l < a->n_layers; l++)
        if (a->layer[l].kind != b->layer[l].kind || a->layer[l].act != b->layer[l].act || a->layer[l].units != b->layer[l].units) return 0;
    for (int i = 0; i <= a->n_layers; i++)
        if (memcmp(&a->shape[i], &b->shape[i], sizeof a->shape[i]) || a->sizes[i] != b->sizes[i]) return 0;
    return !memcmp(a, b, sizeof *a);
}

/* A width: mostly small, sometimes up to the largest allowed. */
static int rand_width(ae_rng *r) {
    uint32_t k = ae_rng_below(r, 10);
    return 1 + (int)ae_rng_below(r, k < 7 ? 64 : k < 9 ? 4096 : AE_MAX_WIDTH);
}

/* conv<C>k<K>[s<S>][v] (transposed: convt) with random fields, if it fits shape s; then s becomes its output,
 * by Keras's formulas written out again here: conv same ceil(in / S), valid floor((in − K) / S) + 1 (in >= K);
 * convt same in·S, valid (in − 1)·S + K. */
static int rand_conv(ae_rng *r, int transposed, ae_layer *ly, ae_shape *s) {
    const int co = 1 + (int)ae_rng_below(r, 40), k = 1 + (int)ae_rng_below(r, 5), st = 1 + (int)ae_rng_below(r, 3), v = ae_rng_below(r, 3) == 0;
    int64_t h, w;
    if (transposed) {
        h = v ? (int64_t)(s->h - 1) * st + k : (int64_t)s->h * st;
        w = v ? (int64_t)(s->w - 1) * st + k : (int64_t)s->w * st;
    } else {
        if (v && (s->h < k || s->w < k)) return 0;
        h = v ? (s->h - k) / st + 1 : (s->h + st - 1) / st;
        w = v ? (s->w - k) / st + 1 : (s->w + st - 1) / st;
    }
    if ((int64_t)k * k * s->c > AE_MAX_WIDTH || h * w * co > AE_MAX_WIDTH) return 0;
    *ly = (ae_layer){.kind = transposed ? AE_LAYER_CONVT : AE_LAYER_CONV, .units = co, .kernel = k, .stride = st, .valid = v};
    *s = (ae_shape){co, (int)h, (int)w};
    return 1;
}

/* A random valid architecture, built field by field (not from text) and checked. */
static void rand_arch(ae_rng *r, ae_arch *a) {
    memset(a, 0, sizeof *a);
    a->n_layers = 1 + (int)ae_rng_below(r, AE_MAX_LAYERS);
    switch (ae_rng_below(r, 3)) {
    case 0: a->input = (ae_shape){rand_width(r), 1, 1}; break;
    case 1: a->input = (ae_shape){1, 1 + (int)ae_rng_below(r, 64), 1 + (int)ae_rng_below(r, 64)}; break;
    default: a->input = (ae_shape){1 + (int)ae_rng_below(r, 16), 1 + (int)ae_rng_below(r, 32), 1 + (int)ae_rng_below(r, 32)}; break;
    }
    const int L = a->n_layers;
    ae_shape s = a->input; /* the shape so far, for the kinds that need one that fits */
    for (int l = 0; l < L; l++) {
        ae_layer *ly = &a->layer[l];
        const int64_t n = AE_SHAPE_SIZE(s);
        /* reshapes rarely: a mutated width below one mostly breaks the spec (the mutation sweep wants some to live) */
        const int k = (int)ae_rng_below(r, 20), f = 1 + (int)ae_rng_below(r, 3);
        if (k < 2) { /* pool<P>: 'same' rounding */
            *ly = (ae_layer){.kind = AE_LAYER_POOL, .size = 1 + (int)ae_rng_below(r, 4)};
            s = (ae_shape){s.c, (s.h + ly->size - 1) / ly->size, (s.w + ly->size - 1) / ly->size};
        } else if (k < 4 && n * f * f <= AE_MAX_WIDTH) { /* up<F> */
            *ly = (ae_layer){.kind = AE_LAYER_UP, .size = f};
            s = (ae_shape){s.c, s.h * f, s.w * f};
        } else if (k == 4) { /* CxHxW or HxW: the same values in another shape */
            const ae_shape to[4] = {{s.h, s.w, s.c}, {1, s.c * s.h, s.w}, {(int)n, 1, 1}, {1, 1, (int)n}};
            s = to[ae_rng_below(r, 4)];
            *ly = (ae_layer){.kind = AE_LAYER_RESHAPE, .shape = s};
        } else if (k >= 8 || !rand_conv(r, k < 6, ly, &s)) { /* dense; conv or convt (k 5..7) when one fits */
            *ly = (ae_layer){.kind = AE_LAYER_DENSE, .units = rand_width(r)};
            s = (ae_shape){ly->units, 1, 1};
        }
        ly->act = (ae_act)ae_rng_below(r, l == L - 1 ? AE_ACT_COUNT : AE_ACT_SOFTMAX);
    }
    const ae_act out = a->layer[L - 1].act;
    a->loss = out == AE_ACT_SOFTMAX ? AE_LOSS_SOFTMAX_CE : out == AE_ACT_SIGMOID && ae_rng_below(r, 2) ? AE_LOSS_BCE : AE_LOSS_MSE;
    a->init = (ae_init)ae_rng_below(r, AE_INIT_COUNT);
    if (ae_rng_below(r, 4) == 0 && L > 2) /* now and then the same interior activation everywhere: hidden= */
        for (int l = 1; l < L - 1; l++) a->layer[l].act = a->layer[0].act;
    a->code = L > 1;
    ae_arch_check(a); /* the sizes, for the default code */
    if (L > 1) {
        /* half the time the unmarked default, the narrowest interior layer (the first of equals) */
        if (ae_rng_below(r, 2)) {
            a->code = 1;
            for (int l = 2; l < L; l++)
                if (a->sizes[l] < a->sizes[a->code]) a->code = l;
        } else {
            a->code = 1 + (int)ae_rng_below(r, (uint32_t)L - 1);
        }
    }
    int rc = ae_arch_check(a);
    CHECK(rc == AE_OK, "a generated architecture is invalid: %s", ae_last_error());
}

/* Refused with AE_ERR_ARG and a message containing want. */
static void refused(const char *spec, const char *want) {
    ae_arch a;
    ae_clear_error();
    int rc = ae_arch_parse(&a, spec, NULL, NULL, NULL, NULL);
    CHECK(rc == AE_ERR_ARG && strstr(ae_last_error(), want), "'%.60s' (%zu chars): rc %d, message '%s', want '%s'", spec, strlen(spec), rc,
          ae_last_error(), want);
}

/* Parses to acts (one letter per layer: l linear, s sigmoid, t tanh, r relu, k leaky_relu, m softmax), code and loss. */
static void reads_as(const char *spec, const char *hidden, const char *code, const char *output, const char *loss, const char *acts,
                     int want_code, ae_loss want_loss) {
    ae_arch a;
    int rc = ae_arch_parse(&a, spec, hidden, code, output, loss);
    CHECK(rc == AE_OK, "'%s': %s", spec, ae_last_error());
    if (rc) return;
    char got[AE_MAX_LAYERS + 1];
    for (int l = 0; l < a.n_layers; l++) got[l] = "lstrkm"[a.layer[l].act];
    got[a.n_layers] = 0;
    CHECK(!strcmp(got, acts) && a.code == want_code && a.loss == want_loss, "'%s' (args %s/%s/%s/%s): activations %s code %d loss %s; want %s %d %s",
          spec, hidden ? hidden : "-", code ? code : "-", output ? output : "-", loss ? loss : "-", got, a.code, ae_loss_name(a.loss), acts,
          want_code, ae_loss_name(want_loss));
}

/* Hand-built architectures that ae_arch_check must refuse. */
static void check_refuses(const ae_arch *base, void (*edit)(ae_arch *), const char *want) {
    ae_arch a = *base;
    edit(&a);
    int rc = ae_arch_check(&a);
    CHECK(rc == AE_ERR_ARG && strstr(ae_last_error(), want), "ae_arch_check: rc %d '%s', want '%s'", rc, ae_last_error(), want);
}
static void no_layers(ae_arch *a) { a->n_layers = 0; }
static void too_many(ae_arch *a) { a->n_layers = AE_MAX_LAYERS + 1; }
static void zero_channels(ae_arch *a) { a->input.c = 0; }
static void huge_input(ae_arch *a) { a->input = (ae_shape){2, 1024, 513}; }
static void zero_units(ae_arch *a) { a->layer[1].units = 0; }
static void wide_units(ae_arch *a) { a->layer[1].units = AE_MAX_WIDTH + 1; }
static void bad_kind(ae_arch *a) { a->layer[0].kind = AE_LAYER_COUNT; }
static void bad_act(ae_arch *a) { a->layer[0].act = AE_ACT_COUNT; }
static void inner_softmax(ae_arch *a) { a->layer[0].act = AE_ACT_SOFTMAX; }
static void code_at_output(ae_arch *a) { a->code = a->n_layers; }
static void code_at_input(ae_arch *a) { a->code = 0; }
static void bce_linear(ae_arch *a) { a->layer[a->n_layers - 1].act = AE_ACT_IDENTITY; }
static void ce_sigmoid(ae_arch *a) { a->loss = AE_LOSS_SOFTMAX_CE; }
static void mse_softmax(ae_arch *a) { a->layer[a->n_layers - 1].act = AE_ACT_SOFTMAX; a->loss = AE_LOSS_MSE; }
static void bad_loss(ae_arch *a) { a->loss = AE_LOSS_COUNT; }
static void bad_init(ae_arch *a) { a->init = AE_INIT_COUNT; }

int main(void) {
    ae_arch a, b;
    char buf[AE_SPEC_CAP], buf2[AE_SPEC_CAP];

    /* today's spec, unchanged: relu inside, sigmoid out, BCE, the code at the narrowest layer */
    CHECK(ae_arch_parse(&a, "784-32-784", NULL, NULL, NULL, NULL) == AE_OK, "%s", ae_last_error());
    CHECK(a.n_layers == 2 && a.sizes[0] == 784 && a.sizes[1] == 32 && a.sizes[2] == 784 && a.code == 1 && a.layer[0].act == AE_ACT_RELU &&
              a.layer[1].act == AE_ACT_SIGMOID && a.loss == AE_LOSS_BCE && a.init == AE_INIT_GLOROT_UNIFORM && a.layer[0].kind == AE_LAYER_DENSE,
          "784-32-784 reads wrong");
    CHECK(ae_arch_spec(&a, buf, sizeof buf) && !strcmp(buf, "784-32-784"), "784-32-784 prints as '%s'", buf);
    CHECK(!strcmp(ae_arch_sizes_str(&a, buf, sizeof buf), "784-32-784"), "sizes '%s'", buf);
    CHECK(ae_arch_parse(&a, "784-256-64-256-784", NULL, NULL, NULL, NULL) == AE_OK && ae_arch_spec(&a, buf, sizeof buf) &&
              !strcmp(buf, "784-256-64-256-784") && a.code == 2, "a deep default prints as '%s'", buf);
    /* separators: spaces or commas, before the keys and around them */
    CHECK(ae_arch_parse(&a, "  784-32-784,loss=mse ,  init=he_normal", NULL, NULL, NULL, NULL) == AE_OK && a.loss == AE_LOSS_MSE &&
              a.init == AE_INIT_HE_NORMAL && ae_arch_spec(&a, buf, sizeof buf) && !strcmp(buf, "784-32-784 loss=mse init=he_normal"),
          "separators: '%s' %s", buf, ae_last_error());

    /* image inputs: 28x28 is 1x28x28, 784 values, and prints as 28x28; channels stay */
    for (int k = 0; k < 2; k++) {
        CHECK(ae_arch_parse(&a, k ? "1x28x28-32-784" : "28x28-32-784", NULL, NULL, NULL, NULL) == AE_OK, "%s", ae_last_error());
        CHECK(a.input.c == 1 && a.input.h == 28 && a.input.w == 28 && a.shape[0].c == 1 && a.shape[0].h == 28 && a.shape[0].w == 28 &&
                  a.sizes[0] == 784 && a.shape[1].c == 32 && a.shape[1].h == 1 && a.sizes[2] == 784,
              "%s: input %dx%dx%d, sizes[0] %d", k ? "1x28x28" : "28x28", a.input.c, a.input.h, a.input.w, a.sizes[0]);
        CHECK(ae_arch_spec(&a, buf, sizeof buf) && !strcmp(buf, "28x28-32-784"), "prints as '%s'", buf);
    }
    CHECK(ae_arch_parse(&a, "3x32x32-64-3072", NULL, NULL, NULL, NULL) == AE_OK && a.input.c == 3 && a.input.h == 32 && a.input.w == 32 &&
              a.sizes[0] == 3072 && !strcmp(ae_arch_sizes_str(&a, buf, sizeof buf), "3x32x32-64-3072"),
          "3x32x32: '%s' %s", buf, ae_last_error());
    CHECK(ae_arch_parse(&a, "1024x1024-1", NULL, NULL, NULL, NULL) == AE_OK && a.sizes[0] == AE_MAX_WIDTH, "the largest input: %s", ae_last_error());

    /* hand-built: ae_arch_check infers the shapes (a dense layer flattens its input) */
    memset(&a, 0, sizeof a);
    a.n_layers = 3;
    a.input = (ae_shape){3, 4, 5};
    a.layer[0] = (ae_layer){.kind = AE_LAYER_DENSE, .act = AE_ACT_TANH, .units = 7};
    a.layer[1] = (ae_layer){.kind = AE_LAYER_DENSE, .act = AE_ACT_RELU, .units = 2};
    a.layer[2] = (ae_layer){.kind = AE_LAYER_DENSE, .act = AE_ACT_SIGMOID, .units = 60};
    a.code = 2;
    a.loss = AE_LOSS_BCE;
    CHECK(ae_arch_check(&a) == AE_OK, "%s", ae_last_error());
    CHECK(a.sizes[0] == 60 && a.sizes[1] == 7 && a.sizes[2] == 2 && a.sizes[3] == 60 && a.shape[1].c == 7 && a.shape[1].h == 1 &&
              a.shape[1].w == 1 && a.shape[3].c == 60,
          "inferred sizes %d-%d-%d-%d", a.sizes[0], a.sizes[1], a.sizes[2], a.sizes[3]);
    CHECK(ae_arch_spec(&a, buf, sizeof buf) && !strcmp(buf, "3x4x5-7:tanh-2-60"), "prints as '%s'", buf);
    const ae_arch good = a;
    check_refuses(&good, no_layers, "1 to 16 layers, got 0");
    check_refuses(&good, too_many, "1 to 16 layers, got 17");
    check_refuses(&good, zero_channels, "the input is 0×4×5");
    check_refuses(&good, huge_input, "at most 1048576 values");
    check_refuses(&good, zero_units, "width must be 1 to 1048576, not 0");
    check_refuses(&good, wide_units, "not 1048577");
    check_refuses(&good, bad_kind, "unknown kind");
    check_refuses(&good, bad_act, "unknown activation");
    check_refuses(&good, inner_softmax, "softmax is only allowed on the output layer");
    check_refuses(&good, code_at_output, "interior layers 1..2");
    check_refuses(&good, code_at_input, "interior layers 1..2");
    check_refuses(&good, bce_linear, "binary cross-entropy needs a sigmoid output");
    check_refuses(&good, ce_sigmoid, "softmax cross-entropy needs a softmax output");
    check_refuses(&good, mse_softmax, "a softmax output goes with the softmax_ce loss");
    check_refuses(&good, bad_loss, "unknown loss");
    check_refuses(&good, bad_init, "unknown initialisation");

    /* defaults: the arguments fill what the spec leaves unsaid (code as hidden when NULL) ... */
    reads_as("784-64-32-64-784", NULL, NULL, NULL, NULL, "rrrs", 2, AE_LOSS_BCE);
    reads_as("784-64-32-64-784", "tanh", NULL, NULL, NULL, "ttts", 2, AE_LOSS_BCE);
    reads_as("784-64-32-64-784", "tanh", "linear", "sigmoid", NULL, "tlts", 2, AE_LOSS_BCE);
    reads_as("784-64-32-64-784", "tanh", "linear", "sigmoid", "mse", "tlts", 2, AE_LOSS_MSE);
    reads_as("784-64-*128-64-784", "tanh", "linear", NULL, NULL, "tlts", 2, AE_LOSS_BCE);
    reads_as("784-64-32-64-32-784", NULL, "linear", NULL, NULL, "rlrrs", 2, AE_LOSS_BCE); /* the first of the narrowest */
    CHECK(ae_arch_parse(&a, "784-64-32-64-*32-784", NULL, NULL, NULL, NULL) == AE_OK && a.code == 4 && ae_arch_spec(&a, buf, sizeof buf) &&
              !strcmp(buf, "784-64-32-64-*32-784"), "a marked second narrowest layer: code %d, '%s'", a.code, buf);
    /* ... the spec's keys win over them, and a layer's own ':activation' over both */
    reads_as("784-64-32-64-784 hidden=relu code=sigmoid output=linear", "tanh", "linear", "sigmoid", NULL, "rsrl", 2, AE_LOSS_MSE);
    reads_as("784-64-32-64-784 loss=mse", NULL, NULL, NULL, "bce", "rrrs", 2, AE_LOSS_MSE);
    reads_as("784-64:sigmoid-32-64-784:tanh hidden=leaky_relu", "tanh", NULL, "sigmoid", NULL, "skkt", 2, AE_LOSS_MSE);
    reads_as("784-64-32:relu-64-784 code=tanh", NULL, NULL, NULL, NULL, "rrrs", 2, AE_LOSS_BCE);
    /* the loss follows the output: sigmoid BCE, softmax softmax CE, anything else MSE */
    reads_as("784-256-10:softmax", NULL, NULL, NULL, NULL, "rm", 1, AE_LOSS_SOFTMAX_CE);
    reads_as("784-256-10 output=softmax", NULL, NULL, NULL, NULL, "rm", 1, AE_LOSS_SOFTMAX_CE);
    reads_as("784-256-10", NULL, NULL, "softmax", NULL, "rm", 1, AE_LOSS_SOFTMAX_CE);
    reads_as("784-32-784:linear", NULL, NULL, NULL, NULL, "rl", 1, AE_LOSS_MSE);
    reads_as("784-32-784 output=tanh", NULL, NULL, NULL, NULL, "rt", 1, AE_LOSS_MSE);
    reads_as("784-32-784", NULL, NULL, "linear", NULL, "rl", 1, AE_LOSS_MSE);
    reads_as("2-3", NULL, NULL, NULL, NULL, "s", 0, AE_LOSS_BCE); /* one layer: no code */
    /* a loss argument that does not fit the spec's output is refused, not silently replaced */
    CHECK(ae_arch_parse(&a, "784-32-784:linear", NULL, NULL, NULL, "bce") == AE_ERR_ARG && strstr(ae_last_error(), "needs a sigmoid output"),
          "bce with a linear output: %s", ae_last_error());
    CHECK(ae_arch_parse(&a, "784-32-784", "bogus", NULL, NULL, NULL) == AE_ERR_ARG && strstr(ae_last_error(), "unknown activation 'bogus'"),
          "a bad hidden argument: %s", ae_last_error());

    /* random architectures: print, parse back to every field, print again to the same text */
    ae_rng r;
    ae_rng_seed(&r, 2024, 9);
    int printed_star = 0, printed_hidden = 0, printed_image = 0, printed_kinds = 0;
    int printed_conv = 0; /* with a conv and a convt, one of them strided and one 'valid' */
    for (int i = 0; i < 3000 && check_fail < 20; i++) {
        rand_arch(&r, &a);
        const char *s = ae_arch_spec(&a, buf, sizeof buf);
        CHECK(s != NULL, "architecture %d does not print", i);
        if (!s) continue;
        int rc = ae_arch_parse(&b, buf, NULL, NULL, NULL, NULL);
        CHECK(rc == AE_OK, "'%s' does not parse: %s", buf, ae_last_error());
        CHECK(rc || same_arch(&a, &b), "'%s' parses back to another architecture (code %d -> %d, loss %s -> %s)", buf, a.code, b.code,
              ae_loss_name(a.loss), ae_loss_name(b.loss));
        CHECK(rc || (ae_arch_spec(&b, buf2, sizeof buf2) && !strcmp(buf, buf2)), "'%s' prints again as '%s'", buf, buf2);
        printed_star += strchr(buf, '*') != NULL;
        printed_hidden += strstr(buf, "hidden=") != NULL;
        int reshape = 0; /* a layer token "-12x..." */
        for (const char *q = strchr(buf, '-'); q; q = strchr(q + 1, '-'))
            reshape |= q[1] >= '0' && q[1] <= '9' && q[1 + strspn(q + 1, "0123456789")] == 'x';
        printed_kinds += strstr(buf, "-pool") && strstr(buf, "-up") && reshape;
        printed_image += strchr(buf, 'x') && strchr(buf, 'x') < strchr(buf, '-') ? 1 : 0;
        int conv = 0, convt = 0, strided = 0, valid = 0;
        for (const char *q = strstr(buf, "-conv"); q; q = strstr(q + 1, "-conv")) {
            const size_t n = strcspn(q + 1, "-: ");
            conv |= q[5] >= '0' && q[5] <= '9';
            convt |= q[5] == 't';
            strided |= memchr(q + 1, 's', n) != NULL;
            valid |= q[n] == 'v';
        }
        printed_conv += conv && convt && strided && valid;
    }
    printf("random specs with a conv and a convt, a stride and a valid: %d\n", printed_conv);
    CHECK(printed_conv > 100, "the sweep printed %d specs with a conv and a convt, a stride and a 'valid'", printed_conv);
    CHECK(printed_star > 300 && printed_hidden > 100 && printed_image > 1000 && printed_kinds > 100,
          "the sweep printed %d marked codes, %d hidden=, %d image inputs, %d with pool, up and a reshape", printed_star, printed_hidden,
          printed_image, printed_kinds);

    /* the longest spec there is fits AE_SPEC_CAP; a buffer one byte short of a spec gives NULL */
    memset(&a, 0, sizeof a);
    a.n_layers = AE_MAX_LAYERS;
    a.input = (ae_shape){AE_MAX_WIDTH, 1, 1};
    for (int l = 0; l < AE_MAX_LAYERS; l++) a.layer[l] = (ae_layer){.kind = AE_LAYER_DENSE, .act = l == 0 ? AE_ACT_LEAKY_RELU : AE_ACT_TANH, .units = AE_MAX_WIDTH};
    a.layer[AE_MAX_LAYERS - 1].act = AE_ACT_SOFTMAX;
    a.code = AE_MAX_LAYERS - 1;
    a.loss = AE_LOSS_SOFTMAX_CE;
    a.init = AE_INIT_GLOROT_NORMAL;
    CHECK(ae_arch_check(&a) == AE_OK && ae_arch_spec(&a, buf, sizeof buf), "the longest spec does not print: %s", ae_last_error());
    const size_t n = strlen(buf);
    CHECK(ae_arch_parse(&b, buf, NULL, NULL, NULL, NULL) == AE_OK && same_arch(&a, &b), "'%s' does not read back", buf);
    CHECK(ae_arch_spec(&a, buf2, n + 1) && !strcmp(buf, buf2) && ae_arch_spec(&a, buf2, n) == NULL, "a buffer of %zu bytes: not NULL", n);

    /* malformed specs, each refused with a message saying what is wrong */
    refused("", "empty architecture");
    refused("  , ", "empty architecture");
    refused("784", "at least an input and an output");
    refused("784-", "an empty item");
    refused("-784-32", "an empty item");
    refused("784--32", "an empty item");
    refused("784-0-784", "layer widths must be 1 to 1048576, not 0");
    refused("784-x-784", "unknown layer 'x'");
    refused("784-32:bogus-784", "unknown activation 'bogus'");
    refused("784-32:-784", "give an activation after ':'");
    refused("784-*784", "must be an interior layer, not the output");
    refused("*784-32-784", "the code ('*') must be an interior layer");
    refused("784-*32-*16-784", "only one layer can be marked");
    refused("784-**32-784", "unknown layer '*32'");
    refused("784-32:softmax-784", "softmax is only allowed on the output layer");
    refused("784-32-784 hidden=softmax", "softmax is only allowed on the output layer");
    refused("784-32-784 loss=bce loss=mse", "gives loss= twice");
    refused("784-32-784 foo=1", "'foo=1' in the model spec");
    refused("784-32-784 loss", "'loss' in the model spec");
    refused("784-32-784 loss=", "loss= needs a value");
    refused("784-32-784 loss=bogus", "unknown loss 'bogus'");
    refused("784-32-784 init=bogus", "unknown init 'bogus'");
    refused("784-32-784 hidden=bogus", "unknown activation 'bogus'");
    refused("784-32-784 output=bogus", "unknown output activation 'bogus'");
    refused("784-32-784 code=bogus", "unknown code activation 'bogus'");
    refused("784-32-784:softmax loss=bce", "binary cross-entropy needs a sigmoid output");
    refused("784-32-784:softmax loss=mse", "a softmax output goes with the softmax_ce loss");
    refused("784-32-784:linear loss=softmax_ce", "softmax cross-entropy needs a softmax output");
    refused("1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16-17-18", "more than 16 layers");
    refused("784-1048577-784", "layer widths must be 1 to 1048576, not 1048577");
    refused("784-99999999999999999999999-784", "layer widths must be 1 to 1048576");
    refused("1048577-32", "the input '1048577' must be");
    refused("1024x1025-32", "at most 1048576 values in all");
    refused("0x28-32", "the input '0x28' must be");
    refused("28x0-32", "the input '28x0' must be");
    refused("28x28x28x28-32", "the input '28x28x28x28' must be");
    refused("28x-32", "the input '28x' must be");
    refused("x28-32", "the input 'x28' must be");
    refused("28X28-32", "the input '28X28' must be");
    refused("784:relu-32", "the input '784:relu' must be");
    refused("784-32x32-784", "layer 1 (reshape): cannot reshape 784×1×1 (784 values) to 1×32×32 (1024 values)");
    refused("784-28xx28-784", "'28xx28': a reshape is");
    refused("784-pool2x-784", "'pool2x': max pooling is pool<P>");
    refused("784-up-784", "'up': upsampling is up<F>");
    refused("784-+32-784", "unknown layer '+32'");
    refused("784-3 2-784", "'2-784' in the model spec");
    refused("784-32-784\t", "unknown layer"); /* a tab is not a separator */
    refused("784-3\xc3\xa9" "2-784", "unknown layer");
    refused("784-32-784 hidden=t\xc3\xa9", "unknown activation");
    refused("\xff\xfe", "the input");
    refused("78\x80" "4-32", "the input");
    {
        char *longs = malloc(5001);
        memset(longs, '7', 5000);
        longs[0] = '1'; /* digits only: refused for its length alone */
        longs[5000] = 0;
        refused(longs, "longer than 4096 characters");
        for (int i = 1; i < 5000; i += 2) longs[i] = '-';
        refused(longs, "longer than 4096 characters");
        free(longs);
    }
    CHECK(ae_arch_parse(&a, NULL, NULL, NULL, NULL, NULL) == AE_ERR_ARG && strstr(ae_last_error(), "no model spec"), "NULL: %s", ae_last_error());

    /* mutated specs: each is refused with a message, or reads back to itself through its print */
    static const char alphabet[] = "0123456789-x*:, =abcdefghijklmnopqrstuvwxyz_\xc3\xff";
    int accepted = 0, total = 0;
    for (int i = 0; i < 20000 && check_fail < 20; i++) {
        rand_arch(&r, &a);
        if (!ae_arch_spec(&a, buf, sizeof buf)) continue;
        size_t len = strlen(buf);
        for (int k = 1 + (int)ae_rng_below(&r, 3); k > 0 && len > 0; k--) {
            size_t at = ae_rng_below(&r, (uint32_t)len);
            char c = alphabet[ae_rng_below(&r, sizeof alphabet - 1)];
            switch (ae_rng_below(&r, 3)) {
            case 0: buf[at] = c; break;                                           /* replace */
            case 1: memmove(buf + at, buf + at + 1, len - at); len--; break;      /* delete */
            default:                                                              /* insert */
                if (len + 2 < sizeof buf) { memmove(buf + at + 1, buf + at, len - at + 1); buf[at] = c; len++; }
            }
        }
        ae_clear_error();
        int rc = ae_arch_parse(&a, buf, NULL, NULL, NULL, NULL);
        total++;
        if (rc) {
            CHECK(rc == AE_ERR_ARG && strcmp(ae_last_error(), "no error") && ae_last_error()[0], "'%s': rc %d without a message", buf, rc);
            continue;
        }
        accepted++;
        CHECK(ae_arch_check(&a) == AE_OK, "'%s' was accepted but is invalid: %s", buf, ae_last_error());
        CHECK(ae_arch_spec(&a, buf2, sizeof buf2) && ae_arch_parse(&b, buf2, NULL, NULL, NULL, NULL) == AE_OK && same_arch(&a, &b),
              "'%s' prints as '%s', which does not read back to it", buf, buf2);
    }
    printf("mutated specs: %d of %d accepted\n", accepted, total);
    /* both sides well sampled; few live, since a changed width below a reshape (or in it) no longer fits */
    CHECK(accepted > total / 40 && accepted < total - total / 20, "mutated specs: %d of %d accepted", accepted, total);
    return check_report("test_spec");
}
