/* The training settings as text (src/train_cfg.c): random valid settings print and parse back to the same
 * bits, every key reaches its field and only it, opt=K takes K's defaults wherever it stands, and each kind
 * of bad spec is refused with a message naming the key and what it allows, leaving the settings as they were. */
#include "aelab.h"
#include "check.h"

/* Field by field, floats by their bits (the struct may have padding). */
static int same_cfg(const ae_train_cfg *a, const ae_train_cfg *b) {
    const float fa[] = {a->opt.lr, a->opt.momentum, a->opt.beta1, a->opt.beta2, a->opt.eps, a->opt.weight_decay, a->noise_level, a->diverge_factor, a->l1, a->lr_decay};
    const float fb[] = {b->opt.lr, b->opt.momentum, b->opt.beta1, b->opt.beta2, b->opt.eps, b->opt.weight_decay, b->noise_level, b->diverge_factor, b->l1, b->lr_decay};
    return a->batch == b->batch && a->opt.kind == b->opt.kind && a->seed == b->seed && a->noise == b->noise &&
           a->supervised == b->supervised && a->epochs == b->epochs && a->from == b->from && a->to == b->to && !memcmp(fa, fb, sizeof fa);
}

/* A float drawn from all bit patterns in [lo, hi] (hi < 0: any finite value of at least lo), so that
 * tiny, huge and subnormal values all turn up. */
static float rand_float(ae_rng *r, float lo, float hi) {
    for (;;) {
        uint32_t u = ae_rng_u32(r) & 0x7fffffffu;
        if (ae_rng_below(r, 4) == 0) u >>= ae_rng_below(r, 31); /* small exponents too */
        float x;
        memcpy(&x, &u, sizeof x);
        if (isfinite(x) && x >= lo && (hi < 0 || x <= hi)) return x;
    }
}

/* Refused with a message that contains want, and c untouched. */
static void refused(const char *spec, const char *want) {
    ae_train_cfg c = ae_train_default(), before;
    c.batch = 77; /* not the default: a refusal must not reset c either */
    before = c;
    ae_clear_error();
    int rc = ae_train_cfg_parse(&c, spec);
    CHECK(rc == AE_ERR_ARG, "'%s' was accepted", spec);
    CHECK(strstr(ae_last_error(), want) != NULL, "'%s': message '%s' lacks '%s'", spec, ae_last_error(), want);
    CHECK(same_cfg(&c, &before), "'%s' changed the settings though refused", spec);
}

int main(void) {
    char buf[AE_TRAIN_CFG_STR_CAP], buf2[AE_TRAIN_CFG_STR_CAP];
    ae_train_cfg c, d;

    /* the defaults, from an empty spec or only separators */
    const ae_train_cfg def = ae_train_default();
    CHECK(ae_train_cfg_parse(&c, "") == AE_OK && same_cfg(&c, &def), "an empty spec is the defaults");
    CHECK(ae_train_cfg_parse(&c, " , \t,") == AE_OK && same_cfg(&c, &def), "separators alone are the defaults");
    CHECK(ae_train_cfg_parse(&c, NULL) == AE_OK && same_cfg(&c, &def), "NULL is the defaults");
    CHECK(def.noise_level == 0.3f, "default noise level 0.3 (the CLI's and the page's), got %g", def.noise_level);
    CHECK(ae_train_cfg_str(&def, buf, sizeof buf) != NULL, "the defaults print");
    CHECK(!strcmp(buf, "batch=256 opt=adam lr=0.001 momentum=0.9 beta1=0.9 beta2=0.999 eps=1e-07 weight_decay=0 seed=1 noise=none "
                       "noise_level=0.3 supervised=0 diverge_factor=100 epochs=0 from=0 to=0 l1=0 lr_decay=1"),
          "the defaults print as '%s'", buf);

    /* random valid settings: print, parse, the same bits, and printing again gives the same text */
    ae_rng r;
    ae_rng_seed(&r, 42, 0);
    for (int i = 0; i < 20000; i++) {
        ae_train_cfg a = ae_train_default();
        a.batch = 1 + (int)ae_rng_below(&r, AE_MAX_BATCH);
        a.opt.kind = (ae_opt)ae_rng_below(&r, AE_OPT_COUNT);
        a.opt.lr = rand_float(&r, 1e-45f, -1);
        a.opt.momentum = rand_float(&r, 0, 1);
        a.opt.beta1 = rand_float(&r, 0, 0.99999994f);
        a.opt.beta2 = rand_float(&r, 0, 0.99999994f);
        a.opt.eps = rand_float(&r, 1e-45f, -1);
        a.opt.weight_decay = rand_float(&r, 0, -1);
        a.seed = (uint64_t)ae_rng_u32(&r) << 32 | ae_rng_u32(&r);
        if (i == 0) a.seed = UINT64_MAX;
        a.noise = (ae_noise)ae_rng_below(&r, AE_NOISE_COUNT);
        a.noise_level = rand_float(&r, 0, 1);
        a.supervised = (int)ae_rng_below(&r, 2);
        a.diverge_factor = ae_rng_below(&r, 4) ? rand_float(&r, 1, -1) : 0.0f;
        a.epochs = (int)ae_rng_below(&r, 1000001);
        a.from = (int)ae_rng_below(&r, AE_MAX_LAYERS);
        a.to = (int)ae_rng_below(&r, AE_MAX_LAYERS + 1);
        a.l1 = rand_float(&r, 0, -1);
        a.lr_decay = ae_rng_below(&r, 4) ? rand_float(&r, 1e-45f, 1) : 1.0f;
        int ok = ae_train_cfg_str(&a, buf, sizeof buf) != NULL;
        CHECK(ok, "config %d does not print", i);
        ok = ok && ae_train_cfg_parse(&c, buf) == AE_OK;
        CHECK(ok, "'%s' does not parse back: %s", buf, ae_last_error());
        CHECK(!ok || same_cfg(&a, &c), "'%s' parses back to other bits", buf);
        CHECK(!ok || (ae_train_cfg_str(&c, buf2, sizeof buf2) && !strcmp(buf, buf2)), "'%s' prints again as '%s'", buf, buf2);
        if (check_fail > 20) break;
    }

    /* every key reaches its field, and only its field */
    struct { const char *spec; ae_train_cfg want; } one[18];
    for (int k = 0; k < 18; k++) one[k].want = def;
    one[0].spec = "batch=17", one[0].want.batch = 17;
    one[1].spec = "opt=sgd", one[1].want.opt = ae_optim_default(AE_OPT_SGD);
    one[2].spec = "lr=0.25", one[2].want.opt.lr = 0.25f;
    one[3].spec = "momentum=0.5", one[3].want.opt.momentum = 0.5f;
    one[4].spec = "beta1=0.8", one[4].want.opt.beta1 = 0.8f;
    one[5].spec = "beta2=0.99", one[5].want.opt.beta2 = 0.99f;
    one[6].spec = "eps=1e-8", one[6].want.opt.eps = 1e-8f;
    one[7].spec = "weight_decay=0.0001", one[7].want.opt.weight_decay = 1e-4f;
    one[8].spec = "seed=12345678901234", one[8].want.seed = 12345678901234ULL;
    one[9].spec = "noise=salt_pepper", one[9].want.noise = AE_NOISE_SALT_PEPPER;
    one[10].spec = "noise_level=0.75", one[10].want.noise_level = 0.75f;
    one[11].spec = "supervised=1", one[11].want.supervised = 1;
    one[12].spec = "diverge_factor=0", one[12].want.diverge_factor = 0.0f;
    one[13].spec = "epochs=7", one[13].want.epochs = 7;
    one[14].spec = "from=2", one[14].want.from = 2;
    one[15].spec = "to=3", one[15].want.to = 3;
    one[16].spec = "l1=0.0001", one[16].want.l1 = 1e-4f;
    one[17].spec = "lr_decay=0.95", one[17].want.lr_decay = 0.95f;
    for (int k = 0; k < 18; k++)
        CHECK(ae_train_cfg_parse(&c, one[k].spec) == AE_OK && same_cfg(&c, &one[k].want), "'%s' did not set just its field: %s", one[k].spec,
              ae_last_error());
    CHECK(one[1].want.opt.lr == 0.01f, "SGD's default lr is 0.01");

    /* opt=K takes K's defaults wherever it stands; keys given override them; commas and tabs separate */
    CHECK(ae_train_cfg_parse(&c, "lr=0.5 opt=sgd") == AE_OK && c.opt.kind == AE_OPT_SGD && c.opt.lr == 0.5f, "lr before opt is kept");
    CHECK(ae_train_cfg_parse(&d, "opt=sgd,lr=0.5") == AE_OK && same_cfg(&c, &d), "the order of opt and lr does not matter");
    CHECK(ae_train_cfg_parse(&c, "batch=3,\tlr=2e-3  seed=9,noise=mask") == AE_OK && c.batch == 3 && c.opt.lr == 2e-3f && c.seed == 9 &&
              c.noise == AE_NOISE_MASK, "mixed separators: %s", ae_last_error());

    /* printing into a buffer too small says so */
    CHECK(ae_train_cfg_str(&def, buf, 20) == NULL, "a 20-byte buffer cannot hold the spec");

    /* each kind of bad spec */
    refused("batch", "not key=value");
    refused("=3", "unknown key ''");
    refused("bacth=3", "unknown key 'bacth'");
    refused("Batch=3", "unknown key 'Batch'");
    refused("lr=0.1 lr=0.2", "lr is given twice");
    refused("opt=sgd opt=sgd", "opt is given twice");
    refused("batch=", "batch size must be a whole number from 1 to 4096, not '' (key batch)");
    refused("batch=0", "batch size must be a whole number from 1 to 4096, not '0' (key batch)");
    refused("batch=4097", "from 1 to 4096");
    refused("batch=2.5", "batch size must be a whole number");
    refused("batch=99999999999999999999", "batch size must be");
    refused("opt=rmsprop", "unknown optimizer 'rmsprop': sgd or adam (key opt)");
    refused("lr=0", "learning rate must be a positive number, not '0' (key lr)");
    refused("lr=-1", "learning rate");
    refused("lr=1e-60", "learning rate must be"); /* 0 as a float */
    refused("lr=1e39", "learning rate must be"); /* infinite as a float */
    refused("lr=nan", "learning rate must be");
    refused("lr=inf", "learning rate must be");
    refused("lr=0.1x", "not '0.1x'");
    refused("momentum=1.5", "momentum must be a number in [0, 1], not '1.5' (key momentum)");
    refused("beta1=1", "Adam's beta1 must be a number in [0, 1), not '1' (key beta1)");
    refused("beta2=-0.1", "Adam's beta2 must be a number in [0, 1), not '-0.1' (key beta2)");
    refused("eps=0", "Adam's epsilon must be a positive number, not '0' (key eps)");
    refused("weight_decay=-1", "weight decay must be a number of at least 0, not '-1' (key weight_decay)");
    refused("seed=-1", "seed must be a whole number from 0 to 18446744073709551615, not '-1' (key seed)");
    refused("seed=18446744073709551616", "seed must be");
    refused("seed=1e3", "seed must be");
    refused("noise=blur", "unknown noise 'blur': none, gaussian, mask or salt_pepper (key noise)");
    refused("noise_level=1.5", "noise level must be a number in [0, 1], not '1.5' (key noise_level)");
    refused("supervised=2", "supervised must be 0 or 1, not '2' (key supervised)");
    refused("supervised=yes", "must be 0 or 1");
    refused("diverge_factor=0.5", "divergence factor must be 0 (off) or a number of at least 1, not '0.5' (key diverge_factor)");
    refused("batch=8 opt=sgd lr=0.1 momentum=2", "momentum");
    refused("epochs=-1", "number of epochs must be a whole number from 0 to 1000000, not '-1' (key epochs)");
    refused("epochs=1000001", "number of epochs must be");
    refused("epochs=1.5", "number of epochs must be");
    refused("from=16", "first layer trained must be a whole number from 0 to 15, not '16' (key from)");
    refused("from=-1", "first layer trained must be");
    refused("to=17", "end of the layers trained must be a whole number from 0 to 16, not '17' (key to)");
    refused("to=1 to=2", "to is given twice");
    refused("lr_decay=0", "learning rate's decay per epoch must be a number in (0, 1], not '0' (key lr_decay)");
    refused("lr_decay=1.01", "learning rate's decay per epoch must be");
    refused("l1=-1", "code L1 penalty must be a number of at least 0");
    return check_report("test_train_cfg");
}
