/* aelab: the command-line front end of the C core.
 *   aelab train   train an autoencoder (or, with --supervised, a classifier) and save it
 *   aelab eval    loss (and accuracy) of a saved model on an IDX image file
 *   aelab recon   PNG of images above their reconstructions (optionally corrupted first)
 *   aelab pretrain  autoencoders as pretraining for a classifier (greedy, end to end, or the baseline)
 *   aelab pca     PCA's test error (and a saved model's beside it, with principal angles)
 * Errors print the core's message and return a non-zero status; nothing here calls exit() mid-way. */
#include "aelab.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#define DATA_DIR_DEFAULT "data"

typedef struct { const char *name, *value; } opt_kv;
typedef struct { opt_kv kv[64]; int n; const char *bad; } opts;

/* --key value pairs (and bare --flag, value "1"); unknown keys are reported by the caller. */
static int parse_opts(int argc, char **argv, opts *o) {
    memset(o, 0, sizeof *o);
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) || o->n == 64) { o->bad = argv[i]; return -1; }
        const char *name = argv[i] + 2, *eq = strchr(name, '=');
        if (eq) {
            static char keys[64][64];
            int k = o->n++;
            snprintf(keys[k], sizeof keys[k], "%.*s", (int)(eq - name), name);
            o->kv[k] = (opt_kv){keys[k], eq + 1};
        } else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2)) {
            o->kv[o->n++] = (opt_kv){name, argv[++i]};
        } else {
            o->kv[o->n++] = (opt_kv){name, "1"};
        }
    }
    return 0;
}

static const char *get(const opts *o, const char *name, const char *def) {
    for (int i = o->n - 1; i >= 0; i--)
        if (!strcmp(o->kv[i].name, name)) return o->kv[i].value;
    return def;
}

static int check_known(const opts *o, const char *const *known) {
    for (int i = 0; i < o->n; i++) {
        int ok = 0;
        for (const char *const *k = known; *k; k++) ok |= !strcmp(*k, o->kv[i].name);
        if (!ok) { fprintf(stderr, "aelab: unknown option --%s (see --help)\n", o->kv[i].name); return -1; }
    }
    return 0;
}

static int get_int(const opts *o, const char *name, long def, long lo, long hi, long *out) {
    const char *s = get(o, name, NULL);
    if (!s) { *out = def; return 0; }
    char *e;
    long v = strtol(s, &e, 10);
    if (*e || e == s || v < lo || v > hi) { fprintf(stderr, "aelab: --%s must be a whole number from %ld to %ld, not '%s'\n", name, lo, hi, s); return -1; }
    *out = v;
    return 0;
}

static int get_float(const opts *o, const char *name, double def, double lo, double hi, double *out) {
    const char *s = get(o, name, NULL);
    if (!s) { *out = def; return 0; }
    char *e;
    double v = strtod(s, &e);
    if (*e || e == s || !(v >= lo && v <= hi)) { fprintf(stderr, "aelab: --%s must be a number from %g to %g, not '%s'\n", name, lo, hi, s); return -1; }
    *out = v;
    return 0;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int fail(void) {
    fprintf(stderr, "aelab: %s\n", ae_last_error());
    return 1;
}

static void data_path(char *buf, size_t cap, const char *file) {
    const char *dir = getenv("AELAB_DATA");
    snprintf(buf, cap, "%s/%s", dir && *dir ? dir : DATA_DIR_DEFAULT, file);
}

static int load_set(ae_dataset *d, const char *images, const char *labels) {
    if (ae_idx_images_file(d, images)) return -1;
    if (labels && ae_idx_labels_file(d, labels)) { ae_dataset_free(d); return -1; }
    return 0;
}

/* "100x100" or "100" (square) into rows, cols. */
static int parse_size(const char *s, int *rows, int *cols) {
    char *end;
    long r = strtol(s, &end, 10), c = r;
    if (*end == 'x' || *end == 'X') c = strtol(end + 1, &end, 10);
    if (*end || r < 1 || c < 1 || r > AE_MAX_WIDTH || c > AE_MAX_WIDTH || r * c > AE_MAX_WIDTH) {
        fprintf(stderr, "aelab: --size is ROWSxCOLS or one number for a square, at most %d pixels in all, not '%s'\n", AE_MAX_WIDTH, s);
        return -1;
    }
    *rows = (int)r;
    *cols = (int)c;
    return 0;
}

static int is_picture_name(const char *name) {
    static const char *const ext[] = {".png", ".jpg", ".jpeg", NULL};
    const char *dot = strrchr(name, '.');
    if (!dot || name[0] == '.') return 0;
    for (int i = 0; ext[i]; i++)
        if (!strcasecmp(dot, ext[i])) return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* --pictures: paths separated by commas, each a picture file or a folder whose picture files (by extension)
 * are taken in name order. All become items of rows×cols; the last seventh (at most 10,000, at least 1) is
 * the test set, as the page does with a user's files. A file that cannot be read is left out and named on
 * stderr with its reason, as the page leaves it out and names it; fewer than 2 readable ones train nothing. */
static int load_pictures(ae_dataset *train, ae_dataset *test, const char *list, int rows, int cols) {
    char **paths = NULL, *copy = strdup(list);
    int n = 0, cap = 0, rc = -1;
    if (!copy) { fprintf(stderr, "aelab: out of memory\n"); return -1; }
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
        struct stat sb;
        if (stat(tok, &sb)) { fprintf(stderr, "aelab: --pictures: cannot open '%s'\n", tok); goto out; }
        DIR *dir = S_ISDIR(sb.st_mode) ? opendir(tok) : NULL;
        const int first = n;
        if (S_ISDIR(sb.st_mode) && !dir) { fprintf(stderr, "aelab: --pictures: cannot read the folder '%s'\n", tok); goto out; }
        for (struct dirent *e = NULL;;) {
            char path[4096];
            if (dir) {
                if (!(e = readdir(dir))) break;
                if (!is_picture_name(e->d_name)) continue;
                snprintf(path, sizeof path, "%s/%s", tok, e->d_name);
            } else {
                snprintf(path, sizeof path, "%s", tok);
            }
            if (n == cap) {
                char **grown = realloc(paths, (size_t)(cap = cap ? 2 * cap : 64) * sizeof *grown);
                if (!grown) { fprintf(stderr, "aelab: out of memory\n"); if (dir) closedir(dir); goto out; }
                paths = grown;
            }
            if (!(paths[n] = strdup(path))) { fprintf(stderr, "aelab: out of memory\n"); if (dir) closedir(dir); goto out; }
            n++;
            if (!dir) break;
        }
        if (dir) {
            closedir(dir);
            qsort(paths + first, (size_t)(n - first), sizeof *paths, cmp_str);
        }
    }
    if (n < 2) { fprintf(stderr, "aelab: --pictures found %d picture%s in '%s'; at least 2 are needed (one to train on, one to test)\n", n, n == 1 ? "" : "s", list); goto out; }
    if (ae_dataset_pixels(train, n, rows, cols)) { fail(); goto out; }
    int k = 0; /* readable so far: item k is the next one's */
    for (int i = 0; i < n; i++) {
        uint8_t *buf = NULL;
        size_t len = 0;
        const int io = ae_read_file(paths[i], &buf, &len, (size_t)1 << 28);
        const int r = io ? io : ae_dataset_set_image(train, k, buf, len);
        free(buf);
        if (r == AE_ERR_NOMEM) { fprintf(stderr, "aelab: picture %s: %s\n", paths[i], ae_last_error()); ae_dataset_free(train); goto out; }
        if (io) fprintf(stderr, "aelab: left out: %s\n", ae_last_error()); /* the reading error names the file */
        else if (r) fprintf(stderr, "aelab: left out %s: %s\n", paths[i], ae_last_error());
        else k++;
    }
    if (k < 2) {
        fprintf(stderr, "aelab: --pictures: %d of the %d pictures could be read; at least 2 are needed (one to train on, one to test)\n", k, n);
        ae_dataset_free(train);
        goto out;
    }
    if (k < n) {
        fprintf(stderr, "aelab: --pictures: %d of %d pictures left out, named above\n", n - k, n);
        train->n = k; /* the unfilled items at the end go */
    }
    const int seventh = (k + 3) / 7, held = seventh < 1 ? 1 : seventh > 10000 ? 10000 : seventh;
    if (ae_dataset_split(train, k - held, test)) { fail(); ae_dataset_free(train); goto out; }
    rc = 0;
out:
    for (int i = 0; i < n; i++) free(paths[i]);
    free(paths);
    free(copy);
    return rc;
}

static int write_recon_png(ae_model *m, const ae_dataset *d, int n, ae_noise noise, float level, uint64_t seed, const char *path) {
    const int dim = ae_dataset_dim(d), out = m->arch.sizes[m->arch.n_layers];
    if (n > d->n) n = d->n;
    if (out != dim) { fprintf(stderr, "aelab: this model's output is not an image of the input's size\n"); return -1; }
    int rows = noise ? 3 : 2;
    float *tiles = malloc((size_t)rows * n * dim * sizeof(float));
    if (!tiles) { fprintf(stderr, "aelab: out of memory\n"); return -1; }
    float *clean = tiles, *noisy = tiles + (size_t)n * dim, *rec = tiles + (size_t)(rows - 1) * n * dim;
    ae_dataset_batch(d, NULL, 0, n, clean);
    memcpy(noisy, clean, (size_t)n * dim * sizeof(float));
    ae_rng r;
    ae_rng_seed(&r, seed, 7);
    ae_corrupt(noise, level, &r, noisy, (size_t)n * dim);
    int rc = ae_model_map_rows(m, 0, m->arch.n_layers, noisy, n, rec);
    uint8_t *png = NULL;
    size_t len = 0;
    if (!rc) rc = ae_png_grid(tiles, rows * n, d->rows, d->cols, n, 2, &png, &len);
    if (!rc) rc = ae_write_file(path, png, len);
    free(png);
    free(tiles);
    if (rc) { fail(); return -1; }
    return 0;
}

static const char *train_help =
    "usage: aelab train [options]\n"
    "Trains an autoencoder on MNIST (or your IDX files) and reports the test loss after every epoch.\n\n"
    "Model\n"
    "  --arch SPEC         the model spec: layer widths from input to output, the narrowest interior one the code\n"
    "                      or the one marked with * (784-32-784, 784-*1000-784); a layer may name its activation\n"
    "                      (784-32:linear-784) and keys may follow (\"784-32-784 hidden=tanh loss=mse\"); the\n"
    "                      input may be an image, 28x28 or 1x28x28. docs/architecture.md has the grammar\n"
    "  --hidden ACT        hidden activation: linear, sigmoid, tanh, relu, leaky_relu (relu)\n"
    "  --code ACT          activation of the code layer (same as --hidden)\n"
    "  --output ACT        output activation (sigmoid; softmax with --supervised)\n"
    "  --loss L            bce, mse, softmax_ce (by the output: sigmoid bce, softmax softmax_ce, others mse)\n"
    "  --init I            glorot_uniform, glorot_normal, he_uniform, he_normal (glorot_uniform)\n"
    "  --output-bias B     mean: start the output bias at the data's mean pixel (sigmoid or linear outputs);\n"
    "                      zero: start at 0 (mean where the output allows it)\n"
    "  --init-model F      start from a saved model (its architecture and weights; the optimizer starts afresh)\n"
    "                      instead of a new one: the options above are then not given (a classifier's file\n"
    "                      trains on with --supervised)\n"
    "Training\n"
    "  --opt O             adam or sgd (adam)\n"
    "  --lr X              learning rate (adam 1e-3, sgd 0.01)\n"
    "  --lr-decay X        the rate is multiplied by X after every epoch: lr·X^epoch (1: constant); with\n"
    "                      --init-model it starts again from lr\n"
    "  --momentum X        SGD momentum (0.9)\n"
    "  --weight-decay X    L2 coefficient on weights (0)\n"
    "  --l1 X              a sparse code: X times the mean over the batch of the code's sum of |values| is\n"
    "                      added to the loss (Keras's activity_regularizer l1; 0)\n"
    "  --batch N           minibatch size (256)\n"
    "  --epochs N          passes over the training set (5)\n"
    "  --max-steps N       stop after N minibatches (0: no limit)\n"
    "  --seed N            one seed gives the same run natively, in Node and in the browser (1)\n"
    "  --noise K           corrupt every batch afresh (denoising): none, gaussian, mask, salt_pepper\n"
    "  --noise-level X     standard deviation (gaussian) or probability (mask, salt_pepper) (0.3)\n"
    "  --supervised        train on the labels (a classifier) instead of reconstructing the input\n"
    "  --diverge-factor X  stop when a batch loss exceeds X times the first one (at least that of an output that\n"
    "                      knows nothing), with the model as it was before; 0: only when not finite (100)\n"
    "  --train-spec S      all training settings at once, as the page and the wasm build pass them: key=value\n"
    "                      separated by spaces or commas, keys batch opt lr momentum beta1 beta2 eps weight_decay\n"
    "                      seed noise noise_level supervised diverge_factor epochs from to l1 lr_decay (\"opt=sgd\n"
    "                      lr=0.05 batch=128\"); the flags above then replace the fields they name\n"
    "Data (defaults: MNIST under $AELAB_DATA or ./data, gzip or plain IDX)\n"
    "  --train-images F  --train-labels F  --test-images F  --test-labels F\n"
    "  --train-limit N     use only the first N training images\n"
    "  --size RxC          read the images at R×C pixels (\"100x100\", or \"100\" for a square), drawn from the stored\n"
    "                      ones as each batch is made: MNIST at 100x100 for a 10000-20-10000 model\n"
    "  --pictures P        your own pictures instead: a folder (its .png .jpg .jpeg files, in name\n"
    "                      order) or picture files, comma-separated; grey, centre-cropped and resized to --size\n"
    "                      (100x100); the last seventh is the test set; an unreadable one is left out and named\n"
    "  --targets F         IDX images the output should match, row for row with the training images, instead of\n"
    "                      the input (no test loss is reported then)\n"
    "Output\n"
    "  --out F.safetensors trained model   --png F.png reconstructions   --filters F.png first-layer weights\n"
    "  --quiet             no progress bar\n"
    "  --threads N         threads for each step; the result is the same for any N (default: the cores, at most 8)\n";

static int load_model_file(ae_model *m, const char *path, int max_batch);

static int cmd_train(int argc, char **argv) {
    static const char *const known[] = {"init-model", "arch", "hidden", "code", "output", "loss", "init", "opt", "lr", "momentum", "weight-decay",
                                        "batch", "epochs", "max-steps", "seed", "noise", "noise-level", "supervised", "train-images",
                                        "train-labels", "test-images", "test-labels", "train-limit", "targets", "out", "png", "filters", "quiet", "output-bias",
                                        "threads", "diverge-factor", "train-spec", "l1", "lr-decay", "pictures", "size", "help", NULL};
    opts o;
    if (parse_opts(argc, argv, &o)) { fprintf(stderr, "aelab train: unexpected argument '%s' (see --help)\n", o.bad); return 2; }
    if (get(&o, "help", NULL)) { fputs(train_help, stdout); return 0; }
    if (check_known(&o, known)) return 2;
    /* --train-spec first, then each training flag given replaces its one field */
    ae_train_cfg cfg = ae_train_default();
    if (get(&o, "train-spec", NULL) && ae_train_cfg_parse(&cfg, get(&o, "train-spec", NULL))) {
        fprintf(stderr, "aelab: --train-spec: %s\n", ae_last_error());
        return 2;
    }
    int supervised = get(&o, "supervised", NULL) != NULL || cfg.supervised;
    ae_arch arch;
    if (ae_arch_parse(&arch, get(&o, "arch", supervised ? "784-128-10" : "784-32-784"), get(&o, "hidden", "relu"), get(&o, "code", NULL),
                      get(&o, "output", supervised ? "softmax" : "sigmoid"), get(&o, "loss", NULL)))
        return fail();
    if (get(&o, "init", NULL) && ae_init_parse(get(&o, "init", NULL), &arch.init)) {
        fprintf(stderr, "aelab: unknown --init '%s'\n", get(&o, "init", NULL));
        return 2;
    }
    ae_opt kind = cfg.opt.kind;
    if (get(&o, "opt", NULL) && ae_opt_parse(get(&o, "opt", NULL), &kind)) { fprintf(stderr, "aelab: --opt is adam or sgd\n"); return 2; }
    /* --opt naming another optimizer than the spec's starts from that optimizer's defaults */
    ae_optim_cfg def = kind == cfg.opt.kind ? cfg.opt : ae_optim_default(kind);
    long batch, epochs, max_steps, seed, limit;
    double lr, mom, wd, level, factor, l1, decay;
    if (get_int(&o, "batch", cfg.batch, 1, AE_MAX_BATCH, &batch) || get_int(&o, "epochs", cfg.epochs ? cfg.epochs : 5, 0, 100000, &epochs) ||
        get_int(&o, "max-steps", 0, 0, 1L << 40, &max_steps) || get_int(&o, "seed", 0, 0, 4294967295L, &seed) ||
        get_int(&o, "train-limit", 0, 0, 1L << 30, &limit) || get_float(&o, "lr", def.lr, 1e-12, 10, &lr) ||
        get_float(&o, "momentum", def.momentum, 0, 0.999999, &mom) || get_float(&o, "weight-decay", def.weight_decay, 0, 1, &wd) ||
        get_float(&o, "noise-level", cfg.noise_level, 0, 1, &level) || get_float(&o, "diverge-factor", cfg.diverge_factor, 0, 1e30, &factor) ||
        get_float(&o, "l1", cfg.l1, 0, 1e6, &l1) || get_float(&o, "lr-decay", cfg.lr_decay, 1e-6, 1, &decay))
        return 2;
    cfg.l1 = (float)l1;
    cfg.lr_decay = (float)decay;
    if (factor > 0 && factor < 1) { fprintf(stderr, "aelab: --diverge-factor is 0 (off) or at least 1\n"); return 2; }
    long cores = sysconf(_SC_NPROCESSORS_ONLN), threads;
    if (get_int(&o, "threads", cores < 1 ? 1 : cores > 8 ? 8 : cores, 1, AE_MAX_THREADS, &threads)) return 2;
    if (ae_set_threads((int)threads)) return fail();
    cfg.batch = (int)batch;
    cfg.opt = def;
    cfg.opt.lr = (float)lr;
    cfg.opt.momentum = (float)mom;
    cfg.opt.weight_decay = (float)wd;
    if (get(&o, "seed", NULL)) cfg.seed = (uint64_t)seed;
    cfg.supervised = supervised;
    cfg.noise_level = (float)level;
    cfg.diverge_factor = (float)factor;
    const char *ob = get(&o, "output-bias", NULL);
    if (ob && strcmp(ob, "mean") && strcmp(ob, "zero")) { fprintf(stderr, "aelab: --output-bias is mean or zero\n"); return 2; }
    /* the data mean by default where it applies (an autoencoder with a sigmoid or linear output); asked for
     * explicitly elsewhere, it is an error */
    const ae_act out_act = arch.layer[arch.n_layers - 1].act;
    const ae_layer_kind out_kind = arch.layer[arch.n_layers - 1].kind; /* a bias per output channel: dense, conv, convt */
    const int mean_bias = ob ? !strcmp(ob, "mean")
                             : !supervised && (out_act == AE_ACT_SIGMOID || out_act == AE_ACT_IDENTITY) &&
                                   (out_kind == AE_LAYER_DENSE || out_kind == AE_LAYER_CONV || out_kind == AE_LAYER_CONVT);
    if (get(&o, "noise", NULL) && ae_noise_parse(get(&o, "noise", NULL), &cfg.noise)) {
        fprintf(stderr, "aelab: --noise is none, gaussian, mask or salt_pepper\n");
        return 2;
    }
    char p1[1024], p2[1024], p3[1024], p4[1024];
    data_path(p1, sizeof p1, "train-images-idx3-ubyte.gz");
    data_path(p2, sizeof p2, "train-labels-idx1-ubyte.gz");
    data_path(p3, sizeof p3, "t10k-images-idx3-ubyte.gz");
    data_path(p4, sizeof p4, "t10k-labels-idx1-ubyte.gz");
    const char *tri = get(&o, "train-images", p1), *trl = get(&o, "train-labels", supervised ? p2 : NULL);
    const char *tei = get(&o, "test-images", get(&o, "train-images", NULL) ? NULL : p3);
    const char *tel = get(&o, "test-labels", (supervised && tei == p3) ? p4 : NULL);
    ae_dataset train, test = {0}, targets = {0};
    int size_r = 0, size_c = 0;
    if (get(&o, "size", NULL) && parse_size(get(&o, "size", NULL), &size_r, &size_c)) return 2;
    if (get(&o, "pictures", NULL)) {
        static const char *const idx_opts[] = {"train-images", "train-labels", "test-images", "test-labels", "targets", "supervised", NULL};
        for (int i = 0; idx_opts[i]; i++)
            if (get(&o, idx_opts[i], NULL)) { fprintf(stderr, "aelab: --pictures are the data, unlabelled; --%s cannot go with them\n", idx_opts[i]); return 2; }
        if (load_pictures(&train, &test, get(&o, "pictures", NULL), size_r ? size_r : 100, size_r ? size_c : 100)) return 1;
        tei = NULL;
    } else {
        if (load_set(&train, tri, trl)) return fail();
        if (size_r && ae_dataset_draw_at(&train, size_r, size_c)) { ae_dataset_free(&train); return fail(); }
    }
    if (limit && limit < train.n) train.n = (int)limit;
    /* target images row for row (the loss compares the output with them instead of the input); a test set
     * has no targets to go with it, so none is evaluated then */
    if (get(&o, "targets", NULL)) {
        if (load_set(&targets, get(&o, "targets", NULL), NULL) || (size_r && ae_dataset_draw_at(&targets, size_r, size_c))) {
            ae_dataset_free(&train); ae_dataset_free(&targets);
            return fail();
        }
        if (limit && limit < targets.n) targets.n = (int)limit;
        tei = NULL;
    }
    if (tei && (load_set(&test, tei, tel) || (size_r && ae_dataset_draw_at(&test, size_r, size_c)))) {
        ae_dataset_free(&train); ae_dataset_free(&targets); ae_dataset_free(&test);
        return fail();
    }
    ae_model m;
    ae_job *job = NULL;
    int rc = 1;
    cfg.epochs = (int)epochs;
    char spec[AE_TRAIN_CFG_STR_CAP], model_spec[AE_SPEC_CAP], sizes[256];
    if (get(&o, "init-model", NULL)) {
        static const char *const model_opts[] = {"arch", "hidden", "code", "output", "loss", "init", "output-bias", NULL};
        for (int i = 0; model_opts[i]; i++)
            if (get(&o, model_opts[i], NULL)) {
                fprintf(stderr, "aelab: --init-model takes the model from its file; --%s cannot change it\n", model_opts[i]);
                goto out_data;
            }
        int r = load_model_file(&m, get(&o, "init-model", NULL), cfg.batch);
        if (r == -1) fail();
        if (r) goto out_data;
        arch = m.arch;
    } else {
        if (ae_model_init(&m, &arch, cfg.batch, cfg.seed)) { fail(); goto out_data; }
        if (mean_bias && ae_model_init_output_bias(&m, &train)) { fail(); goto out_model; }
    }
    /* the run is a "train" job, as in the page: the settings go in as one spec */
    if (ae_job_create(&job, "train", &m, &train, ae_dataset_loaded(&targets) ? &targets : NULL, ae_dataset_loaded(&test) ? &test : NULL,
                      ae_train_cfg_str(&cfg, spec, sizeof spec))) {
        fail();
        goto out_model;
    }
    /* the spec as the engine reads it back, then the shapes when the spec does not show them */
    ae_arch_spec(&arch, model_spec, sizeof model_spec);
    ae_arch_sizes_str(&arch, sizes, sizeof sizes);
    const int shapes_shown = !strncmp(model_spec, sizes, strlen(sizes));
    printf("model %s%s%s%s  loss %s  params %zu\n", model_spec, shapes_shown ? "" : "  (", shapes_shown ? "" : sizes, shapes_shown ? "" : ")",
           ae_loss_name(arch.loss), m.n_params);
    char decay_note[48] = "";
    if (cfg.lr_decay != 1.0f) snprintf(decay_note, sizeof decay_note, " (x%g per epoch)", (double)cfg.lr_decay);
    printf("train %d images of %dx%d  batch %d  %s lr %g%s  seed %llu%s%s\n", train.n, train.rows, train.cols, cfg.batch, ae_opt_name(cfg.opt.kind), lr,
           decay_note, (unsigned long long)cfg.seed, cfg.noise ? "  noise " : "", cfg.noise ? ae_noise_name(cfg.noise) : "");
    fflush(stdout);
    ae_job_state st;
    ae_job_state_get(job, &st);
    const int spe = st.steps_per_epoch, tty = isatty(2) && !get(&o, "quiet", NULL);
    const double t0 = now();
    int diverged = 0;
    while (epochs > 0 && !st.done && !(max_steps && st.step >= max_steps)) {
        const int e = st.epoch;
        double te = now(), sum = 0.0;
        long samples = 0;
        int steps = 0;
        do {
            int step_rc = ae_job_step(job, 1, &st);
            if (step_rc == AE_ERR_DIVERGED) { diverged = 1; break; } /* the model is back at its last sound state */
            if (step_rc) { fail(); goto out_job; }
            sum += st.loss_sum;
            samples += st.samples;
            steps++;
            if (tty && (steps % 10 == 1 || st.epoch_ended)) {
                double el = now() - te;
                int bar = (int)(30.0 * steps / spe);
                fprintf(stderr, "\repoch %d/%ld [%.*s%*s] step %d/%d  loss %.4f  %.0f samples/s ", e + 1, epochs, bar,
                        "==============================", 30 - bar, "", steps, spe, st.loss, el > 0 ? samples / el : 0.0);
            }
        } while (!st.epoch_ended && !(max_steps && st.step >= max_steps));
        if (tty) fprintf(stderr, "\r%*s\r", 100, "");
        if (diverged) { fail(); break; }
        if (!steps) break;
        double el = now() - te;
        printf("epoch %d/%ld  train_loss %.5f", e + 1, epochs, sum / steps);
        if (ae_dataset_loaded(&test)) {
            /* the job evaluated the test set at the epoch's end; a run cut short by --max-steps is evaluated here */
            double tl = st.test_loss, acc = st.test_acc;
            int correct = 0;
            if (!st.epoch_ended) {
                if (ae_evaluate(&m, &test, supervised, &tl, &correct)) { fail(); goto out_job; }
                acc = (double)correct / test.n;
            }
            printf("  test_loss %.5f", tl);
            if (supervised) printf("  test_acc %.4f", acc);
            if (st.epoch_ended && !isnan(st.test_noisy_loss)) printf("  noisy_test_loss %.5f", st.test_noisy_loss);
        }
        printf("  %.1f s  %.0f samples/s\n", el, samples / el);
        fflush(stdout);
    }
    printf("done in %.1f s\n", now() - t0);
    rc = 0;
    if (get(&o, "out", NULL)) {
        uint8_t *buf;
        size_t len;
        if (ae_model_save_mem(&m, &buf, &len) || ae_write_file(get(&o, "out", NULL), buf, len)) rc = fail();
        else printf("saved %s%s\n", get(&o, "out", NULL), diverged ? " (its last state before the divergence)" : "");
        if (!rc) free(buf);
    }
    if (!rc && get(&o, "png", NULL) && !supervised)
        rc = write_recon_png(&m, test.pixels ? &test : &train, 16, cfg.noise, cfg.noise_level, cfg.seed, get(&o, "png", NULL)) ? 1 : 0;
    if (!rc && get(&o, "filters", NULL)) {
        uint8_t *png;
        size_t len;
        /* dense filters are images the data's size; a conv layer's K×K kernels are drawn about 24 px wide */
        const int k = arch.layer[0].kind == AE_LAYER_CONV ? arch.layer[0].kernel : 0, scale = k ? (24 + k / 2) / k : 2;
        if (ae_png_filters(&m, train.rows, train.cols, 16, scale, &png, &len) || ae_write_file(get(&o, "filters", NULL), png, len)) rc = fail();
        else free(png);
    }
    if (diverged) rc = 1;
out_job:
    ae_job_free(job);
out_model:
    ae_model_free(&m);
out_data:
    ae_dataset_free(&train);
    ae_dataset_free(&test);
    ae_dataset_free(&targets);
    return rc;
}

static int load_model_file(ae_model *m, const char *path, int max_batch) {
    uint8_t *buf;
    size_t len;
    if (ae_read_file(path, &buf, &len, (size_t)1 << 31)) return -1;
    int rc = ae_model_load_mem(m, buf, len, max_batch);
    free(buf);
    if (rc) {
        fprintf(stderr, "aelab: %s: %s\n", path, ae_last_error());
        return -2;
    }
    return 0;
}

/* d's items through the model ROWS at a time: fn(ctx, x, y, b) with the rows x (b, dim) and the model's output
 * for them, y (b, out) (or, with code set, the code layer's values (b, code width)). These helpers print
 * what went wrong and return 1. */
enum { ROWS = 1000 };
typedef void (*rows_fn)(void *ctx, const float *x, const float *y, int b);
static int map_set(ae_model *m, const ae_dataset *d, int code, rows_fn fn, void *ctx) {
    const int dim = ae_dataset_dim(d), w = m->arch.sizes[code ? m->arch.code : m->arch.n_layers];
    if (dim != m->arch.sizes[0]) { fprintf(stderr, "aelab: the images have %d pixels but the model takes %d\n", dim, m->arch.sizes[0]); return 1; }
    float *x = malloc(sizeof(float) * ROWS * dim), *y = malloc(sizeof(float) * ROWS * w);
    int rc = 0;
    if (!x || !y) { fprintf(stderr, "aelab: out of memory\n"); rc = 1; }
    for (int first = 0; !rc && first < d->n; first += ROWS) {
        const int b = d->n - first < ROWS ? d->n - first : ROWS;
        ae_dataset_batch(d, NULL, first, b, x);
        if (code ? ae_model_encode(m, x, b, y) : ae_model_map_rows(m, 0, m->arch.n_layers, x, b, y)) rc = fail();
        else fn(ctx, x, y, b);
    }
    free(x);
    free(y);
    return rc;
}

typedef struct { double sum; size_t n; int width; } rows_sum;
static void add_code(void *ctx, const float *x, const float *y, int b) {
    rows_sum *s = ctx;
    for (size_t i = 0; i < (size_t)b * s->width; i++) s->sum += y[i];
    s->n += (size_t)b * s->width;
}
static void add_sq_error(void *ctx, const float *x, const float *y, int b) {
    rows_sum *s = ctx;
    for (size_t i = 0; i < (size_t)b * s->width; i++) s->sum += ((double)y[i] - x[i]) * ((double)y[i] - x[i]);
    s->n += (size_t)b;
}

/* The mean of the code layer's values over d's items and the code's units (Keras's encoded_imgs.mean(): how
 * active a sparse code is). */
static int code_mean(ae_model *m, const ae_dataset *d, double *out) {
    rows_sum s = {0, 0, m->arch.sizes[m->arch.code]};
    if (!m->arch.code) { fprintf(stderr, "aelab: this model has no code layer\n"); return 1; }
    int rc = map_set(m, d, 1, add_code, &s);
    *out = s.n ? s.sum / s.n : 0.0;
    return rc;
}

/* Σ over the pixels of (output − input)², averaged over d's items: the squared error per image of the PCA
 * literature (Hinton & Salakhutdinov 2006), whatever loss the model trained with. */
static int sq_error(ae_model *m, const ae_dataset *d, double *out) {
    rows_sum s = {0, 0, ae_dataset_dim(d)};
    if (m->arch.sizes[m->arch.n_layers] != s.width) {
        fprintf(stderr, "aelab: the model's output has %d values, the images %d pixels\n", m->arch.sizes[m->arch.n_layers], s.width);
        return 1;
    }
    int rc = map_set(m, d, 0, add_sq_error, &s);
    *out = s.n ? s.sum / s.n : 0.0;
    return rc;
}

static const char *eval_help =
    "usage: aelab eval --model M.safetensors [--images F] [--labels L] [--supervised] [--noise K --noise-level X --seed N]\n"
    "                  [--size RxC]\n"
    "Mean loss of the model over the images (default: the MNIST test set); with labels and --supervised,\n"
    "a classifier's accuracy too. With --noise, the inputs are corrupted and compared with the clean images: the\n"
    "corruption a training run with --seed N reports as noisy_test_loss (seed 1 by default).\n"
    "An autoencoder's code_mean is the mean of its code layer's values over the clean images and the code's units\n"
    "(how active the code is: a sparse code's is lower). --size RxC reads the images at that size, as\n"
    "aelab train --size does (MNIST at 100x100 for a 10000-20-10000 model).\n";

static int cmd_eval(int argc, char **argv) {
    static const char *const known[] = {"model", "images", "labels", "supervised", "noise", "noise-level", "seed", "size", "help", NULL};
    opts o;
    if (parse_opts(argc, argv, &o)) { fprintf(stderr, "aelab eval: unexpected argument '%s'\n", o.bad); return 2; }
    if (get(&o, "help", NULL)) { fputs(eval_help, stdout); return 0; }
    if (check_known(&o, known)) return 2;
    if (!get(&o, "model", NULL)) { fprintf(stderr, "aelab eval: --model is required\n%s", eval_help); return 2; }
    int supervised = get(&o, "supervised", NULL) != NULL;
    long seed;
    double level;
    if (get_int(&o, "seed", 1, 0, 4294967295L, &seed) || get_float(&o, "noise-level", 0.3, 0, 1, &level)) return 2;
    ae_noise noise = AE_NOISE_NONE;
    if (get(&o, "noise", NULL) && ae_noise_parse(get(&o, "noise", NULL), &noise)) { fprintf(stderr, "aelab: --noise is none, gaussian, mask or salt_pepper\n"); return 2; }
    if (!noise && (get(&o, "noise-level", NULL) || get(&o, "seed", NULL))) { fprintf(stderr, "aelab eval: --noise-level and --seed go with --noise\n"); return 2; }
    char p3[1024], p4[1024];
    data_path(p3, sizeof p3, "t10k-images-idx3-ubyte.gz");
    data_path(p4, sizeof p4, "t10k-labels-idx1-ubyte.gz");
    ae_model m;
    int r = load_model_file(&m, get(&o, "model", NULL), 256);
    if (r == -1) return fail();
    if (r) return 1;
    ae_dataset d;
    const char *imgs = get(&o, "images", p3);
    int size_r = 0, size_c = 0;
    if (get(&o, "size", NULL) && parse_size(get(&o, "size", NULL), &size_r, &size_c)) { ae_model_free(&m); return 2; }
    if (load_set(&d, imgs, get(&o, "labels", (supervised && imgs == p3) ? p4 : NULL))) { ae_model_free(&m); return fail(); }
    if (size_r && ae_dataset_draw_at(&d, size_r, size_c)) { ae_dataset_free(&d); ae_model_free(&m); return fail(); }
    double loss;
    int correct, rc = 0;
    if (ae_evaluate_noisy(&m, &d, supervised, noise, (float)level, ae_test_noise_seed((uint64_t)seed), &loss, &correct)) rc = fail();
    else {
        if (noise) printf("images %d corrupted by %s %g (seed %ld)  loss %s  %.6f\n", d.n, ae_noise_name(noise), level, seed, ae_loss_name(m.arch.loss), loss);
        else printf("images %d  loss %s  %.6f\n", d.n, ae_loss_name(m.arch.loss), loss);
        if (supervised) printf("accuracy %.4f (%d/%d)\n", (double)correct / d.n, correct, d.n);
        double cm;
        if (!supervised && m.arch.code) {
            if (code_mean(&m, &d, &cm)) rc = 1;
            else printf("code_mean %.6f  (%d units)\n", cm, m.arch.sizes[m.arch.code]);
        }
    }
    ae_dataset_free(&d);
    ae_model_free(&m);
    return rc;
}

static const char *pca_help =
    "usage: aelab pca [--k 2,10,32] [--model M.safetensors] [--train-images F] [--test-images F] [--train-limit N]\n"
    "Principal component analysis, the linear baseline: fitted on the training images (default: MNIST's 60,000) in\n"
    "double precision, it prints for each K the test images' squared error through K components, per image\n"
    "(pca_test_sse: summed over the pixels, pixels in [0,1]) and per pixel (pca_test_mse), beside the training\n"
    "images' (the sum of the dropped eigenvalues) and the share of the variance kept.\n"
    "  --k K[,K...]        numbers of components (2,10,32; with --model, its code width)\n"
    "  --model F           a saved autoencoder whose code is one of the K wide: its own test squared error\n"
    "                      (model_test_sse, model_test_mse) and its ratio to PCA's; when its last layer is dense and\n"
    "                      linear from the K-wide code (a linear autoencoder 784-K:linear-784:linear), also the K\n"
    "                      cosines of the principal angles between the span of that layer's weight columns (where\n"
    "                      its reconstructions lie, up to the bias) and PCA's top K components: 1 is the same subspace\n"
    "  --train-images F  --test-images F  (MNIST under $AELAB_DATA or ./data)   --train-limit N  the first N only\n";

static int parse_k_list(const char *s, int *k, int cap) {
    int n = 0;
    for (const char *p = s;;) {
        char *e;
        long v = strtol(p, &e, 10);
        if (e == p || v < 1 || v > AE_PCA_MAX_DIM || n == cap || (*e && *e != ',')) {
            fprintf(stderr, "aelab pca: --k is up to %d numbers of components from 1 to %d separated by commas (2,10,32), not '%s'\n", cap, AE_PCA_MAX_DIM, s);
            return -1;
        }
        k[n++] = (int)v;
        if (!*e) return n;
        p = e + 1;
    }
}

static int cmd_pca(int argc, char **argv) {
    static const char *const known[] = {"k", "model", "train-images", "test-images", "train-limit", "help", NULL};
    opts o;
    if (parse_opts(argc, argv, &o)) { fprintf(stderr, "aelab pca: unexpected argument '%s' (see --help)\n", o.bad); return 2; }
    if (get(&o, "help", NULL)) { fputs(pca_help, stdout); return 0; }
    if (check_known(&o, known)) return 2;
    long limit;
    if (get_int(&o, "train-limit", 0, 0, 1L << 30, &limit)) return 2;
    ae_model m = {0};
    const int with_model = get(&o, "model", NULL) != NULL;
    if (with_model) {
        int r = load_model_file(&m, get(&o, "model", NULL), 256);
        if (r == -1) return fail();
        if (r) return 1;
        if (!m.arch.code) { fprintf(stderr, "aelab pca: the model has no code layer to compare with PCA's components\n"); ae_model_free(&m); return 2; }
    }
    int ks[16], nk, kmax = 0, code_w = with_model ? m.arch.sizes[m.arch.code] : 0;
    char def[16];
    snprintf(def, sizeof def, "%d", code_w);
    if ((nk = parse_k_list(get(&o, "k", with_model ? def : "2,10,32"), ks, 16)) < 0) { ae_model_free(&m); return 2; }
    int has_code_w = 0;
    for (int i = 0; i < nk; i++) {
        if (ks[i] > kmax) kmax = ks[i];
        has_code_w |= ks[i] == code_w;
    }
    if (with_model && !has_code_w) {
        fprintf(stderr, "aelab pca: the model's code is %d wide; --k must include %d\n", code_w, code_w);
        ae_model_free(&m);
        return 2;
    }
    char p1[1024], p3[1024];
    data_path(p1, sizeof p1, "train-images-idx3-ubyte.gz");
    data_path(p3, sizeof p3, "t10k-images-idx3-ubyte.gz");
    ae_dataset train, test = {0};
    ae_pca pca = {0};
    double *cosv = NULL, *wa = NULL, *wb = NULL;
    int rc = 1;
    if (load_set(&train, get(&o, "train-images", p1), NULL)) { ae_model_free(&m); return fail(); }
    if (limit && limit < train.n) train.n = (int)limit;
    if (load_set(&test, get(&o, "test-images", p3), NULL)) { fail(); goto out; }
    const double t0 = now();
    if (ae_pca_fit(&pca, &train, kmax)) { fail(); goto out; }
    const int dim = pca.dim;
    printf("pca fitted on %d training images of %dx%d in %.1f s; test %d images\n", train.n, train.rows, train.cols, now() - t0, test.n);
    double model_sse = NAN;
    if (with_model && sq_error(&m, &test, &model_sse)) goto out;
    for (int i = 0; i < nk; i++) {
        const int k = ks[i];
        double te, dropped = 0, kept = 0;
        if (ae_pca_error(&pca, &test, k, &te)) { fail(); goto out; }
        for (int j = 0; j < dim; j++) *(j < k ? &kept : &dropped) += pca.eigval[j];
        printf("k %d  pca_test_sse %.4f  pca_test_mse %.6f  pca_train_sse %.4f  variance_kept %.4f\n", k, te, te / dim, dropped,
               pca.total_var > 0 ? kept / pca.total_var : 1.0);
        if (!with_model || k != code_w) continue;
        printf("k %d  model_test_sse %.4f  model_test_mse %.6f  ratio_to_pca %.4f\n", k, model_sse, model_sse / dim, model_sse / te);
        /* the decoder's last layer from the code: dense, linear, K inputs; its weights (dim, K) row-major are
         * the K columns its outputs are combinations of */
        const int L = m.arch.n_layers;
        const ae_layer *last = &m.arch.layer[L - 1];
        if (last->kind != AE_LAYER_DENSE || last->act != AE_ACT_IDENTITY || m.arch.sizes[L - 1] != k || m.arch.code != L - 1) {
            printf("k %d  (no principal angles: the model's output is not a linear layer on its %d-wide code)\n", k, k);
            continue;
        }
        free(cosv); /* a K listed twice */
        free(wa);
        free(wb);
        cosv = malloc(sizeof(double) * k);
        wa = malloc(sizeof(double) * dim * k);
        wb = malloc(sizeof(double) * dim * k);
        if (!cosv || !wa || !wb) { fprintf(stderr, "aelab: out of memory\n"); goto out; }
        const float *W = ae_model_weight(&m, L - 1);
        for (int r = 0; r < dim; r++)
            for (int j = 0; j < k; j++) {
                wa[(size_t)r * k + j] = W[(size_t)r * k + j];
                wb[(size_t)r * k + j] = pca.basis[(size_t)r * pca.k + j];
            }
        if (ae_subspace_cosines(wa, wb, dim, k, cosv)) { fail(); goto out; }
        printf("k %d  cosines", k);
        for (int j = 0; j < k; j++) printf(" %.6f", cosv[j]);
        printf("\nk %d  min_cosine %.6f\n", k, cosv[k - 1]);
    }
    rc = 0;
out:
    free(cosv);
    free(wa);
    free(wb);
    ae_pca_free(&pca);
    ae_dataset_free(&train);
    ae_dataset_free(&test);
    ae_model_free(&m);
    return rc;
}

static const char *recon_help =
    "usage: aelab recon --model M.safetensors --out F.png [--images F] [--n 16] [--noise K --noise-level X] [--seed N]\n"
    "                   [--size RxC]\n"
    "Writes a PNG: the first n images (default: MNIST test set), their corrupted versions when --noise is given,\n"
    "and the model's reconstructions, one row each.\n";

static int cmd_recon(int argc, char **argv) {
    static const char *const known[] = {"model", "images", "out", "n", "noise", "noise-level", "seed", "size", "help", NULL};
    opts o;
    if (parse_opts(argc, argv, &o)) { fprintf(stderr, "aelab recon: unexpected argument '%s'\n", o.bad); return 2; }
    if (get(&o, "help", NULL)) { fputs(recon_help, stdout); return 0; }
    if (check_known(&o, known)) return 2;
    if (!get(&o, "model", NULL) || !get(&o, "out", NULL)) { fprintf(stderr, "aelab recon: --model and --out are required\n%s", recon_help); return 2; }
    long n, seed;
    double level;
    if (get_int(&o, "n", 16, 1, 256, &n) || get_int(&o, "seed", 1, 0, 4294967295L, &seed) || get_float(&o, "noise-level", 0.3, 0, 1, &level)) return 2;
    ae_noise noise = AE_NOISE_NONE;
    if (get(&o, "noise", NULL) && ae_noise_parse(get(&o, "noise", NULL), &noise)) { fprintf(stderr, "aelab: --noise is none, gaussian, mask or salt_pepper\n"); return 2; }
    char p3[1024];
    data_path(p3, sizeof p3, "t10k-images-idx3-ubyte.gz");
    ae_model m;
    int r = load_model_file(&m, get(&o, "model", NULL), 256);
    if (r == -1) return fail();
    if (r) return 1;
    ae_dataset d;
    int size_r = 0, size_c = 0;
    if (get(&o, "size", NULL) && parse_size(get(&o, "size", NULL), &size_r, &size_c)) { ae_model_free(&m); return 2; }
    if (load_set(&d, get(&o, "images", p3), NULL)) { ae_model_free(&m); return fail(); }
    if (size_r && ae_dataset_draw_at(&d, size_r, size_c)) { ae_dataset_free(&d); ae_model_free(&m); return fail(); }
    int rc = 0;
    if (ae_dataset_dim(&d) != m.arch.sizes[0]) { fprintf(stderr, "aelab: the images have %d pixels but the model takes %d\n", ae_dataset_dim(&d), m.arch.sizes[0]); rc = 1; }
    else if (write_recon_png(&m, &d, (int)n, noise, (float)level, (uint64_t)seed, get(&o, "out", NULL))) rc = 1;
    else printf("wrote %s\n", get(&o, "out", NULL));
    ae_dataset_free(&d);
    ae_model_free(&m);
    return rc;
}

static const char *bench_help =
    "usage: aelab bench [--arch 784-32-784] [--hidden relu] [--batch 256] [--seconds 2] [--threads 1]\n"
    "       aelab bench --peak [--seconds 2] [--threads 1]\n"
    "       aelab bench --round-trip\n"
    "Trains on MNIST (sigmoid output, BCE, Adam) for about --seconds after a warm-up and prints one JSON line:\n"
    "samples/s and GFLOP/s. With --peak, the SIMD multiply-add peak of one core instead (with --threads N, of\n"
    "N threads together: at most N times one core's). With --round-trip, the nanoseconds for a cache line to go\n"
    "from one core to another and back, the median and the fastest of 21 batches (tens under one L3 cache;\n"
    "hundreds when the cores are on different chiplets, which slows every parallel step). Used by make bench.\n"
    "With --profile, where a step's time goes instead: each layer's forward and backward pass (milliseconds per\n"
    "step, GFLOP/s) and the rest (the batch's pixels, the loss, the optimizer), against the one-core peak.\n";

static int cmd_bench(int argc, char **argv) {
    static const char *const known[] = {"arch", "hidden", "batch", "seconds", "peak", "profile", "threads", "round-trip", "help", NULL};
    opts o;
    if (parse_opts(argc, argv, &o)) { fprintf(stderr, "aelab bench: unexpected argument '%s'\n", o.bad); return 2; }
    if (get(&o, "help", NULL)) { fputs(bench_help, stdout); return 0; }
    if (check_known(&o, known)) return 2;
    double secs;
    long batch;
    long threads;
    if (get_float(&o, "seconds", 2, 0.05, 600, &secs) || get_int(&o, "batch", 256, 1, AE_MAX_BATCH, &batch) ||
        get_int(&o, "threads", 1, 1, AE_MAX_THREADS, &threads))
        return 2;
    if (ae_set_threads((int)threads)) return fail();
    if (get(&o, "round-trip", NULL)) {
        for (const char *const *k = known; *k; k++)
            if (strcmp(*k, "round-trip") && get(&o, *k, NULL)) {
                fprintf(stderr, "aelab bench: --round-trip takes no other option (--%s)\n", *k);
                return 2;
            }
        /* 21 batches of 2,000: a few ms under one cache, tens across chiplets */
        double fastest;
        const double ns = ae_peak_round_trip_ns(21, 2000, &fastest);
        if (ns < 0) { fprintf(stderr, "aelab bench: --round-trip needs a build with threads and a second thread to start\n"); return 1; }
        printf("{\"round_trip_ns\": %.1f, \"fastest_ns\": %.1f}\n", ns, fastest);
        return 0;
    }
    if (get(&o, "peak", NULL)) {
        /* the same calls on any thread count (on one, the tasks run in turn on the caller): AE_PEAK_TASKS runs of
         * 20,000 iterations, 1.9 MFLOP or about 40 µs each, so a loop's last task idles a thread for at most a
         * few percent of it */
        double flops = 0, total = 0, sink = 0, t0 = now();
        while (now() - t0 < 0.2) sink += ae_peak_run_threads(20000, AE_PEAK_TASKS, &flops); /* warm-up */
        t0 = now();
        while (now() - t0 < secs) {
            sink += ae_peak_run_threads(20000, AE_PEAK_TASKS, &flops);
            total += flops;
        }
        printf("{\"peak_gflops\": %.3f, \"threads\": %ld, \"checksum\": %.3g}\n", total / (now() - t0) / 1e9, threads, sink);
        return 0;
    }
    ae_arch arch;
    if (ae_arch_parse(&arch, get(&o, "arch", "784-32-784"), get(&o, "hidden", "relu"), NULL, "sigmoid", "bce")) return fail();
    char p1[1024];
    data_path(p1, sizeof p1, "train-images-idx3-ubyte.gz");
    ae_dataset d;
    if (load_set(&d, p1, NULL)) return fail();
    ae_model m;
    ae_trainer t;
    ae_train_cfg cfg = ae_train_default();
    cfg.batch = (int)batch;
    int rc = 1;
    if (ae_model_init(&m, &arch, cfg.batch, 1)) { fail(); goto out; }
    if (ae_model_init_output_bias(&m, &d) || ae_trainer_init(&t, &m, &d, &cfg)) { fail(); ae_model_free(&m); goto out; }
    double loss, t0 = now();
    while (now() - t0 < 0.25 * secs) if (ae_trainer_step(&t, &loss)) break; /* warm-up */
    long steps = 0;
    const int L = arch.n_layers, profile = get(&o, "profile", NULL) != NULL;
    double prof[2 * AE_MAX_LAYERS] = {0};
    if (profile) m.prof = prof;
    t0 = now();
    while (now() - t0 < secs) { if (ae_trainer_step(&t, &loss)) { fail(); break; } steps++; }
    double el = now() - t0, sps = steps * (double)cfg.batch / el;
    m.prof = NULL;
    if (!profile) {
        printf("{\"samples_per_s\": %.1f, \"gflops\": %.3f, \"steps\": %ld}\n", sps, sps * ae_model_train_flops(&m) / 1e9, steps);
    } else if (steps > 0) {
        /* per step: ms of each pass, and its GFLOP/s = flops per sample × batch / seconds per step */
        double done = 0, total = 0, sink = 0, tp = now();
        while (now() - tp < 0.5) { sink += ae_peak_run(1000000, &done); total += done; }
        const double peak = total / (now() - tp) / 1e9, step_ms = 1e3 * el / steps;
        char spec[AE_SPEC_CAP];
        ae_arch_spec(&arch, spec, sizeof spec);
        printf("profile of %s, batch %ld, %ld thread(s): %.2f ms a step, %.0f samples/s, %.2f GFLOP/s; one core's peak %.1f GFLOP/s (checksum %.3g)\n",
               spec, batch, threads, step_ms, sps, sps * ae_model_train_flops(&m) / 1e9, peak, sink);
        printf("%-5s %-8s %-10s %12s %9s %12s %9s %7s\n", "layer", "kind", "output", "forward ms", "GFLOP/s", "backward ms", "GFLOP/s", "share");
        double layers = 0;
        for (int l = 0; l < L; l++) {
            const double f = 1e3 * prof[2 * l] / steps, b = 1e3 * prof[2 * l + 1] / steps;
            const double ff = ae_model_layer_flops(&m, l, 0) * batch, fb = ae_model_layer_flops(&m, l, 1) * batch;
            char shape[48];
            snprintf(shape, sizeof shape, "%dx%dx%d", arch.shape[l + 1].c, arch.shape[l + 1].h, arch.shape[l + 1].w);
            printf("%-5d %-8s %-10s %12.3f %9.2f %12.3f %9.2f %6.1f%%\n", l, ae_layer_kind_name(arch.layer[l].kind), shape, f, ff > 0 ? ff / f / 1e6 : 0.0, b,
                   fb > 0 ? fb / b / 1e6 : 0.0, 100.0 * (f + b) / step_ms);
            layers += f + b;
        }
        printf("%-5s %-8s %-10s %12.3f %9s %12s %9s %6.1f%%\n", "rest", "", "", step_ms - layers, "", "", "", 100.0 * (step_ms - layers) / step_ms);
        printf("(rest: the batch's pixels to floats, the loss and its gradient, zeroing the gradients, the optimizer step)\n");
    }
    rc = 0;
    ae_trainer_free(&t);
    ae_model_free(&m);
out:
    ae_dataset_free(&d);
    return rc;
}

static const char *pretrain_help =
    "usage: aelab pretrain [options]\n"
    "Autoencoders as the initialisation of a classifier: pretraining, then the top layer on the labels with the\n"
    "encoder frozen, then every layer on the labels; test loss and accuracy after every epoch and phase.\n"
    "  --arch A            the classifier, dense, ending in softmax (784-500-500-500-10)\n"
    "  --hidden ACT        hidden activation where --arch names none (relu; sigmoid in the historical setting)\n"
    "  --recipe R          greedy (one shallow autoencoder per layer), e2e (one deep autoencoder), none (the\n"
    "                      random-init baseline), or several separated by commas, run one after another and\n"
    "                      compared at the end (greedy)\n"
    "  --pre-epochs N      epochs of each pretraining phase (1)   --top-epochs N  the top layer alone (1)\n"
    "  --fine-epochs N     every layer (1)\n"
    "  --labels-per-class N  the supervised phases see only N labelled images of each class (0: all)\n"
    "  --noise K --noise-level X  corrupt the pretraining inputs afresh every batch (stacked denoising)\n"
    "  --opt O --lr X --pre-lr X --momentum X --batch N --seed N  (adam 1e-3, pre-lr: lr; batch 128)\n"
    "  --lr-decay X        the supervised phases' rate is multiplied by X after each of their epochs (1:\n"
    "                      constant), from --lr again in each phase (the baseline's one phase decays\n"
    "                      throughout); pretraining keeps its rate\n"
    "  --weight-decay X    L2 coefficient on the weights in every phase (0)\n"
    "  --historical        sigmoid units and plain SGD, as in the 2006-2010 papers: lr 0.5, pre-lr 5 (the loss is\n"
    "                      a mean over pixels, so SGD on an autoencoder needs a rate that much larger)\n"
    "  --out-dir D         save the classifier after every phase as D/<recipe>/phase-P.safetensors\n"
    "  --resume            with --out-dir: start after the last phase saved there (the same bits as a run\n"
    "                      that never stopped); the settings must be the ones the run started with\n"
    "  --train-limit N  --threads N  --quiet  and the data options of 'aelab train' (other training images than\n"
    "                      MNIST's get a test set only with --test-images and --test-labels)\n";

/* the last phase saved in dir with every phase before it saved too (phase-0 .. phase-P.safetensors), or -1 */
static int last_saved_phase(const char *dir, int n_phases) {
    int p = -1;
    for (; p + 1 < n_phases; p++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/phase-%d.safetensors", dir, p + 1);
        if (access(path, R_OK) != 0) break;
    }
    return p;
}

/* a fresh run in dir: the phase files of an earlier run there go, so that a later --resume cannot take them */
static void remove_phases(const char *dir) {
    for (int p = 0; p < AE_MAX_LAYERS + 2; p++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/phase-%d.safetensors", dir, p);
        remove(path);
    }
}

/* the model to path, written whole or not at all: a stop mid-write leaves the previous phase's files only */
static int save_model_atomic(ae_model *m, const char *path) {
    char tmp[1300];
    uint8_t *buf;
    size_t len;
    snprintf(tmp, sizeof tmp, "%s.part", path);
    if (ae_model_save_mem(m, &buf, &len)) return fail();
    int rc = ae_write_file(tmp, buf, len);
    free(buf);
    if (rc) return fail();
    if (rename(tmp, path)) { fprintf(stderr, "aelab: cannot rename %s to %s\n", tmp, path); return 1; }
    return 0;
}

/* dir/settings.txt holds the run's model and settings: a resumed run must match them */
static int check_settings(const char *dir, const char *text, int resume) {
    char path[1200], old[4096] = "";
    snprintf(path, sizeof path, "%s/settings.txt", dir);
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(old, 1, sizeof old - 1, f);
        old[n] = 0;
        fclose(f);
    }
    if (resume && f && strcmp(old, text)) {
        fprintf(stderr, "aelab: %s was written by a run with other settings:\n  %s  this run:\n  %s", path, old, text);
        return -1;
    }
    if (!resume || !f) {
        f = fopen(path, "w");
        if (!f || fputs(text, f) < 0 || fclose(f)) { fprintf(stderr, "aelab: cannot write %s\n", path); return -1; }
    }
    return 0;
}

typedef struct { char recipe[16]; double acc[2]; int have[2]; double secs; } pretrain_result;

/* One recipe's run. res gets the test accuracy after top_epochs supervised epochs (the top layer alone; the
 * baseline at the same budget) and at the end. */
static int run_pretrain(const char *recipe, const char *arch_spec, const char *hidden, const char *spec, uint64_t seed, int top_epochs,
                        const ae_dataset *train, const ae_dataset *test, const char *out_dir, int resume, int quiet, pretrain_result *res) {
    ae_arch arch;
    if (ae_arch_parse(&arch, arch_spec, hidden, NULL, "softmax", NULL)) return fail();
    char full[1024], dir[1100] = "";
    snprintf(full, sizeof full, "recipe=%s %s", recipe, spec);
    ae_model m;
    ae_job *job = NULL;
    int rc = 1, start = 0;
    if (ae_model_init(&m, &arch, AE_MAX_BATCH < 256 ? AE_MAX_BATCH : 256, seed)) return fail(); /* every recipe starts from these weights */
    if (out_dir) {
        snprintf(dir, sizeof dir, "%s/%s", out_dir, recipe);
        mkdir(out_dir, 0777);
        mkdir(dir, 0777);
        char text[4096], as[AE_SPEC_CAP];
        ae_arch_spec_full(&arch, as, sizeof as);
        snprintf(text, sizeof text, "model %s\nsettings %s\nimages %d test %d\n", as, full, train->n, test ? test->n : 0);
        if (check_settings(dir, text, resume)) goto out;
        if (!resume) remove_phases(dir);
    }
    /* the job from its first phase; a resumed run makes it again, starting after the last phase saved */
    if (ae_job_create(&job, "pretrain", &m, train, NULL, test, full)) { fail(); goto out; }
    ae_job_state st;
    ae_job_state_get(job, &st);
    const int n_phases = st.n_phases;
    if (resume && dir[0]) {
        const int last = last_saved_phase(dir, n_phases);
        if (last == n_phases - 1) { printf("%s: every phase is done (%s)\n", recipe, dir); rc = 0; goto out; }
        if (last >= 0) {
            char path[1200], s2[1100];
            snprintf(path, sizeof path, "%s/phase-%d.safetensors", dir, last);
            ae_job_free(job);
            job = NULL;
            ae_model_free(&m);
            int r = load_model_file(&m, path, 256);
            if (r) { if (r == -1) fail(); return 1; }
            start = last + 1;
            snprintf(s2, sizeof s2, "%s start=%d", full, start);
            printf("%s: resuming after phase %d from %s\n", recipe, last, path);
            if (ae_job_create(&job, "pretrain", &m, train, NULL, test, s2)) { fail(); goto out; }
        }
    }
    char as[AE_SPEC_CAP];
    ae_arch_spec(&arch, as, sizeof as);
    printf("%s: classifier %s  %zu params  %s\n", recipe, as, m.n_params, spec);
    ae_job_state_get(job, &st);
    const double t0 = now();
    int phase = -1, epochs = 0, epoch = 0; /* the phase under way, its epochs, those done */
    int sup = start ? -1 : 0;               /* supervised epochs done (unknown in a resumed run) */
    while (!st.done) {
        if (st.phase != phase) {
            char name[256];
            ae_job_phase_name(job, st.phase, name, sizeof name);
            phase = st.phase;
            epochs = st.epochs;
            epoch = 0;
            printf("phase %d/%d: %s (%d epochs of %d steps)\n", phase + 1, n_phases, name, st.epochs, st.steps_per_epoch);
            fflush(stdout);
        }
        const double te = now();
        double sum = 0;
        int steps = 0;
        do {
            if (ae_job_step(job, 1, &st)) { fail(); goto out; }
            sum += st.loss_sum;
            steps += st.steps_run;
            if (!quiet && isatty(2) && steps % 10 == 1)
                fprintf(stderr, "\r  step %d/%d  loss %.4f ", steps, st.steps_per_epoch, st.loss);
        } while (!st.epoch_ended);
        if (!quiet && isatty(2)) fprintf(stderr, "\r%*s\r", 60, "");
        printf("  epoch %d/%d  train_loss %.5f", ++epoch, epochs, steps ? sum / steps : 0.0);
        if (test) {
            printf("  test_loss %.5f", st.test_loss);
            if (!isnan(st.test_acc)) printf("  test_acc %.4f  test_error %.2f%%", st.test_acc, 100.0 * (1.0 - st.test_acc));
            if (!isnan(st.test_noisy_loss)) printf("  noisy_test_loss %.5f", st.test_noisy_loss);
        }
        printf("  %.1f s\n", now() - te);
        fflush(stdout);
        if (res && !isnan(st.test_acc) && sup >= 0 && ++sup == top_epochs) {
            res->acc[0] = st.test_acc;
            res->have[0] = 1;
        }
        if (res && st.done && !isnan(st.test_acc)) {
            res->acc[1] = st.test_acc;
            res->have[1] = 1;
        }
        if (st.phase_ended && dir[0]) {
            char path[1200];
            snprintf(path, sizeof path, "%s/phase-%d.safetensors", dir, st.done ? st.phase : st.phase - 1);
            if (save_model_atomic(&m, path)) goto out;
            printf("  saved %s\n", path);
        }
    }
    if (res) res->secs = now() - t0;
    printf("%s: done in %.1f s\n", recipe, now() - t0);
    rc = 0;
out:
    ae_job_free(job);
    ae_model_free(&m);
    return rc;
}

static int cmd_pretrain(int argc, char **argv) {
    static const char *const known[] = {"arch", "hidden", "recipe", "pre-epochs", "top-epochs", "fine-epochs", "labels-per-class", "noise",
                                        "noise-level", "opt", "lr", "pre-lr", "momentum", "batch", "seed", "historical", "out-dir", "resume", "lr-decay", "weight-decay",
                                        "train-images", "train-labels", "test-images", "test-labels", "train-limit", "threads", "quiet", "help", NULL};
    opts o;
    if (parse_opts(argc, argv, &o)) { fprintf(stderr, "aelab pretrain: unexpected argument '%s' (see --help)\n", o.bad); return 2; }
    if (get(&o, "help", NULL)) { fputs(pretrain_help, stdout); return 0; }
    if (check_known(&o, known)) return 2;
    const int hist = get(&o, "historical", NULL) != NULL;
    if (get(&o, "resume", NULL) && !get(&o, "out-dir", NULL)) { fprintf(stderr, "aelab: --resume needs --out-dir, where the phases were saved\n"); return 2; }
    long pre, top, fine, per, batch, seed, limit, threads;
    double lr, plr, mom, level, decay, wd;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (get_int(&o, "pre-epochs", 1, 1, 100000, &pre) || get_int(&o, "top-epochs", 1, 1, 100000, &top) ||
        get_int(&o, "fine-epochs", 1, 1, 100000, &fine) || get_int(&o, "labels-per-class", 0, 0, 1000000, &per) ||
        get_int(&o, "batch", 128, 1, AE_MAX_BATCH < 256 ? AE_MAX_BATCH : 256, &batch) || get_int(&o, "seed", 1, 0, 4294967295L, &seed) ||
        get_int(&o, "train-limit", 0, 0, 1L << 30, &limit) || get_int(&o, "threads", cores < 1 ? 1 : cores > 8 ? 8 : cores, 1, AE_MAX_THREADS, &threads) ||
        get_float(&o, "lr", hist ? 0.5 : 1e-3, 1e-12, 100, &lr) || get_float(&o, "pre-lr", hist ? 5 : 0, 0, 100, &plr) ||
        get_float(&o, "momentum", hist ? 0 : 0.9, 0, 0.999999, &mom) || get_float(&o, "noise-level", 0.25, 0, 1, &level) ||
        get_float(&o, "lr-decay", 1, 1e-6, 1, &decay) || get_float(&o, "weight-decay", 0, 0, 1, &wd))
        return 2;
    if (ae_set_threads((int)threads)) return fail();
    const char *opt = get(&o, "opt", hist ? "sgd" : "adam"), *noise = get(&o, "noise", "none");
    /* the job's settings: momentum only for SGD (Adam has none) */
    char spec[512], momentum[48] = "", extra[96] = ""; /* the decays only when set: logs of older runs stay comparable */
    if (!strcmp(opt, "sgd")) snprintf(momentum, sizeof momentum, " momentum=%.9g", mom);
    if (decay != 1 || wd != 0) snprintf(extra, sizeof extra, " lr_decay=%.9g weight_decay=%.9g", decay, wd);
    snprintf(spec, sizeof spec, "pre_epochs=%ld top_epochs=%ld fine_epochs=%ld labels_per_class=%ld opt=%s lr=%.9g pre_lr=%.9g%s batch=%ld seed=%ld "
             "noise=%s noise_level=%.9g%s", pre, top, fine, per, opt, lr, plr, momentum, batch, seed, noise, level, extra);
    char p1[1024], p2[1024], p3[1024], p4[1024];
    data_path(p1, sizeof p1, "train-images-idx3-ubyte.gz");
    data_path(p2, sizeof p2, "train-labels-idx1-ubyte.gz");
    data_path(p3, sizeof p3, "t10k-images-idx3-ubyte.gz");
    data_path(p4, sizeof p4, "t10k-labels-idx1-ubyte.gz");
    ae_dataset train, test = {0};
    if (load_set(&train, get(&o, "train-images", p1), get(&o, "train-labels", p2))) return fail();
    if (limit && limit < train.n) train.n = (int)limit;
    /* MNIST's test set goes with MNIST's training set; other training images get the test set named, or none */
    const char *tei = get(&o, "test-images", get(&o, "train-images", NULL) ? NULL : p3);
    if (tei && load_set(&test, tei, get(&o, "test-labels", tei == p3 ? p4 : NULL))) { ae_dataset_free(&train); return fail(); }
    pretrain_result res[8];
    memset(res, 0, sizeof res);
    int n = 0, rc = 0;
    char list[128];
    const char *names[8];
    snprintf(list, sizeof list, "%s", get(&o, "recipe", "greedy"));
    for (char *r = strtok(list, ","); r && !rc; r = strtok(NULL, ",")) {
        if (n == 8) { fprintf(stderr, "aelab: --recipe names at most 8 runs\n"); rc = 2; }
        else names[n++] = r;
    }
    if (!rc && n == 0) { fprintf(stderr, "aelab: --recipe names no recipe (greedy, e2e, none)\n"); rc = 2; }
    for (int i = 0; i < n && !rc; i++) {
        snprintf(res[i].recipe, sizeof res[i].recipe, "%s", names[i]);
        rc = run_pretrain(names[i], get(&o, "arch", "784-500-500-500-10"), get(&o, "hidden", hist ? "sigmoid" : "relu"), spec, (uint64_t)seed, (int)top,
                          &train, ae_dataset_loaded(&test) ? &test : NULL, get(&o, "out-dir", NULL), get(&o, "resume", NULL) != NULL,
                          get(&o, "quiet", NULL) != NULL, &res[i]);
    }
    if (!rc) {
        /* "-" where this run did not see it (a recipe resumed past it, or already done) */
        printf("\nrecipe    test error after the top layer   after fine-tuning   wall time\n");
        for (int i = 0; i < n; i++) {
            char a[32] = "-", b[32] = "-"; /* ASCII: %*s counts bytes */
            if (res[i].have[0]) snprintf(a, sizeof a, "%.2f%%", 100.0 * (1 - res[i].acc[0]));
            if (res[i].have[1]) snprintf(b, sizeof b, "%.2f%%", 100.0 * (1 - res[i].acc[1]));
            printf("%-9s %29s %19s %10.1f s\n", res[i].recipe, a, b, res[i].secs);
        }
    }
    ae_dataset_free(&train);
    ae_dataset_free(&test);
    return rc;
}

static const char *main_help =
    "aelab " AE_VERSION ": autoencoders in C (the same core runs in the browser as WebAssembly)\n"
    "usage: aelab <command> [options]\n"
    "  train   train an autoencoder or classifier on MNIST or IDX files\n"
    "  eval    loss and accuracy of a saved model\n"
    "  recon   PNG of inputs and reconstructions\n"
    "  pretrain  autoencoders as pretraining for a classifier, against the random-init baseline\n"
    "  pca     PCA's reconstruction error, and a saved model's beside it (principal angles for a linear one)\n"
    "  bench   training speed (samples/s, GFLOP/s) or the SIMD peak\n"
    "Run 'aelab <command> --help' for its options.\n";

int main(int argc, char **argv) {
#ifdef AE_NEEDS_AVX /* the library was compiled for AVX (the Makefile's NATIVE_ARCH); this file was not */
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx")) {
        fputs("aelab: this build uses AVX instructions, which this processor does not have: build it again on this machine "
              "(make), or for any x86-64 (make NATIVE_ARCH=)\n", stderr);
        return 1;
    }
#endif
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(main_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) { puts(AE_VERSION); return 0; }
    if (!strcmp(argv[1], "train")) return cmd_train(argc - 2, argv + 2);
    if (!strcmp(argv[1], "eval")) return cmd_eval(argc - 2, argv + 2);
    if (!strcmp(argv[1], "recon")) return cmd_recon(argc - 2, argv + 2);
    if (!strcmp(argv[1], "pretrain")) return cmd_pretrain(argc - 2, argv + 2);
    if (!strcmp(argv[1], "pca")) return cmd_pca(argc - 2, argv + 2);
    if (!strcmp(argv[1], "bench")) return cmd_bench(argc - 2, argv + 2);
    fprintf(stderr, "aelab: unknown command '%s'\n%s", argv[1], main_help);
    return 2;
}
