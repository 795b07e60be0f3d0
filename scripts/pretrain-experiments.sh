#!/usr/bin/env bash
# The experiments of docs/experiments.md on autoencoders as pretraining (issue 11), natively with
# `aelab pretrain`: each setting runs the greedy, end-to-end and random-init recipes from the same weights
# for several seeds, and the summary gives each recipe's test error (after the top layer alone and after
# fine-tuning) as mean ± standard deviation over the seeds, and how far below the baseline's each pretrained
# recipe's mean error after fine-tuning is. Each seed logs to
# build/experiments/pretrain-NAME-seedS.log; a seed whose log already ends with its results table is not run
# again (delete the log to rerun it), so a long experiment stopped between seeds resumes where it stopped.
#
#   scripts/pretrain-experiments.sh all-labels [SEEDS=3] [THREADS=2]  784-1000-1000-1000-10, ReLU, Adam, every
#       label; the greedy run is a stacked denoising autoencoder (25% masking noise). Goal: <= 1.3% (Vincent
#       et al. 2010: SdA-3 1.28%).
#   scripts/pretrain-experiments.sh few-labels [SEEDS=3] [THREADS=2]  the same network on 100 labels per class;
#       goal: pretraining cuts the baseline's error by at least a quarter.
#   scripts/pretrain-experiments.sh historical [SEEDS=3] [THREADS=2]  sigmoid units and plain SGD, 100 labels
#       per class, as in the 2006-2010 papers; the gap between random init and pretrained, in either direction.
#   scripts/pretrain-experiments.sh page [SEEDS=3] [THREADS=2]  the page's default walkthrough (784-256-128-10,
#       modern, 100 labels per class; one epoch of pretraining each, 30 top-layer and 50 fine-tuning epochs)
#       on all 10,000 test images.
#   SEEDS is a count N (seeds 1..N) or a range A-B (seeds A..B); the summary covers the seeds named.
#   RECIPES=greedy (or another comma-separated subset of greedy,e2e,none) in the environment runs only those
#       recipes; their logs are then build/experiments/pretrain-NAME-seedS-RECIPES.log. --summary reads a
#       seed's finished log of the RECIPES given or, where there is none, the logs of those recipes run one at
#       a time when every one of them is finished (RECIPES=greedy, then RECIPES=none: RECIPES=greedy,none ...
#       --summary gives both and the cut; a seed with neither is named and left out), never a log of another
#       set of two or more. Runs without --summary look for the log of RECIPES only.
#   OPTIONS="--lr 1e-4 --pre-lr 1e-3" in the environment adds `aelab pretrain` options to the setting's (a later
#       one wins); the logs' names then end with them too (pretrain-NAME-seedS-lr-1e-4-pre-lr-1e-3.log).
#   ... NAME SEEDS THREADS --summary   the summary of those seeds' logs again, without running anything.
#   ... NAME SEEDS THREADS --wasm   an estimate of the wall time in wasm of the first seed's runs: the page's
#       build in Node (SIMD on one thread; the threads build with THREADS > 1), two epochs of every phase timed
#       and the whole run estimated from them (scripts/pretrain-wasm.mjs, after `make site`; on an idle
#       machine); its output goes to build/experiments/pretrain-NAME-wasm.log (with -2threads for THREADS 2,
#       then RECIPES' and OPTIONS' suffix).
#   ... NAME SEEDS THREADS --browser   the same estimate in headless Chromium: the page's build in a Worker of
#       a cross-origin isolated page, MNIST fetched as the page fetches it; build/experiments/pretrain-NAME-browser.log.
#
# Run from the repository root after `make native data` (--wasm and --browser: `make site`). Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/experiments
mkdir -p "$out"
name=${1:-}
seeds=${2:-3}
threads=${3:-2}
case "$name" in
    all-labels) args=(--arch 784-1000-1000-1000-10 --pre-epochs 10 --top-epochs 5 --fine-epochs 30 --noise mask --noise-level 0.25) ;;
    few-labels) args=(--arch 784-1000-1000-1000-10 --pre-epochs 10 --top-epochs 100 --fine-epochs 200 --labels-per-class 100 --noise mask --noise-level 0.25) ;;
    historical) args=(--historical --arch 784-1000-1000-1000-10 --pre-epochs 10 --top-epochs 100 --fine-epochs 200 --labels-per-class 100) ;;
    page) args=(--arch 784-256-128-10 --pre-epochs 1 --top-epochs 30 --fine-epochs 50 --labels-per-class 100) ;;
    *) sed -n '2,/^# Run from/p' "$0"; exit 2 ;;
esac
case "$seeds" in
    *-*) first=${seeds%-*}; last=${seeds#*-} ;;
    *) first=1; last=$seeds ;;
esac
if ! [[ "$first" =~ ^[0-9]+$ && "$last" =~ ^[0-9]+$ ]] || [ "$first" -lt 1 ] || [ "$last" -lt "$first" ]; then
    echo "SEEDS must be a count N or a range A-B of seeds from 1, not '$seeds'" >&2; exit 2
fi
if ! [[ "$threads" =~ ^[0-9]+$ ]] || [ "$threads" -lt 1 ]; then
    echo "THREADS must be a count of at least 1, not '$threads'" >&2; exit 2
fi
if [ $# -gt 4 ]; then echo "at most 4 arguments (NAME SEEDS THREADS and --summary, --wasm or --browser), not $#" >&2; exit 2; fi
recipes=${RECIPES:-greedy,e2e,none}
if ! [[ "$recipes" =~ ^(greedy|e2e|none)(,(greedy|e2e|none))*$ ]] || [ "$(tr , '\n' <<< "$recipes" | sort | uniq -d)" ]; then
    echo "RECIPES must be a comma-separated list of greedy, e2e and none, each at most once, not '$recipes'" >&2; exit 2
fi
opttag=""
if [ -n "${OPTIONS:-}" ]; then
    if ! [[ "$OPTIONS" =~ ^[-\ A-Za-z0-9.]+$ ]]; then echo "OPTIONS may hold only letters, digits, '.', '-' and spaces, not '$OPTIONS'" >&2; exit 2; fi
    read -r -a more <<< "$OPTIONS"
    args+=("${more[@]}")
    tag="${OPTIONS//--/}"; tag="${tag#"${tag%%[! ]*}"}"; opttag="-${tag// /-}"
fi
# the logs' suffix for a set of recipes (all three: none), then OPTIONS'
suffixof() { local s=""; [ "$1" = greedy,e2e,none ] || s="-${1//,/-}"; echo "$s$opttag"; }
suffix=$(suffixof "$recipes")
logof() { echo "$out/pretrain-$name-seed$1$(suffixof "${2:-$recipes}").log"; }
logs=()
for seed in $(seq "$first" "$last"); do logs+=("$(logof "$seed")"); done
# the comparison tables (one per seed): recipe, error after the top layer, after fine-tuning, wall time
summary() {
    awk '/^recipe +test error/ {t = 1; next}
         t && ($1 == "greedy" || $1 == "e2e" || $1 == "none") && $2 ~ /%$/ && $3 ~ /%$/ {
           gsub("%", ""); n[$1]++; a[$1] += $2; a2[$1] += $2 * $2; b[$1] += $3; b2[$1] += $3 * $3; s[$1] += $4; next }
         {t = 0}
         function sd(x, x2, k) { v = k > 1 ? (x2 - x * x / k) / (k - 1) : 0; return sqrt(v > 0 ? v : 0) }
         END {
           printf "\n%-9s %6s %26s %26s %12s\n", "recipe", "seeds", "test error, top layer", "test error, fine-tuned", "mean time"
           split("greedy e2e none", order)
           for (i = 1; i <= 3; i++) if ((r = order[i]) in n)
             printf "%-9s %6d %17.2f%% ± %.2f %17.2f%% ± %.2f %10.0f s\n", r, n[r], a[r] / n[r], sd(a[r], a2[r], n[r]), b[r] / n[r], sd(b[r], b2[r], n[r]), s[r] / n[r]
           # the few-labels goal: by how much pretraining cuts the mean error of the baseline after fine-tuning
           if ("none" in n) for (i = 1; i <= 2; i++) if ((r = order[i]) in n) {
             c = 100 * (1 - (b[r] / n[r]) / (b["none"] / n["none"]))
             printf "%s: fine-tuned test error %.1f%% %s the baseline'"'"'s (means over the seeds)\n", r, c < 0 ? -c : c, c < 0 ? "above" : "below" }
         }' "$1"
}
# a finished seed's log ends with its table: the last recipe's line after the "recipe  test error" header
finished() { [ -f "$1" ] && awk -v r="${2:-${recipes##*,}}" '/^recipe +test error/ {t = 1; next} t && $1 == r && $3 ~ /%$/ {ok = 1} END {exit !ok}' "$1"; }
case "${4:-}" in
    "" | --summary | --wasm | --browser) ;;
    *) echo "the 4th argument is --summary, --wasm or --browser, not '$4'" >&2; exit 2 ;;
esac
if [ "${4:-}" = "--summary" ]; then
    # a seed's log of RECIPES, or else, when every one is finished, the logs of its recipes run one at a time
    # (RECIPES=greedy, then RECIPES=none, ... with the same OPTIONS)
    use=()
    for seed in $(seq "$first" "$last"); do
        f=$(logof "$seed")
        if finished "$f"; then use+=("$f"); continue; fi
        one=(); for r in ${recipes//,/ }; do g=$(logof "$seed" "$r"); finished "$g" "$r" && one+=("$g"); done
        if [ "${#one[@]}" -eq "$(tr , '\n' <<< "$recipes" | wc -l)" ]; then use+=("${one[@]}"); continue; fi
        echo "missing or unfinished: $f (and not every one of its recipes' own logs is finished)" >&2; use+=("$f")
    done
    { cat "${use[@]}" 2>/dev/null || true; } | summary /dev/stdin; exit 0
fi
if [ "${4:-}" = "--wasm" ] || [ "${4:-}" = "--browser" ]; then
    variant=simd; [ "$threads" -gt 1 ] && variant=threads
    where=(); [ "$4" = "--browser" ] && where=(--browser)
    # the log of the last finished estimate stays until a new one finishes
    tt=""; [ "$threads" -gt 1 ] && tt="-${threads}threads"
    log="$out/pretrain-$name-${4#--}$tt$suffix.log"
    node scripts/pretrain-wasm.mjs "${where[@]}" --variant "$variant" --threads "$threads" --seed "$first" --recipe "$recipes" "${args[@]}" | tee "$log.part"
    mv "$log.part" "$log"
    exit 0
fi
t0=$SECONDS
for seed in $(seq "$first" "$last"); do
    log=$(logof "$seed")
    if finished "$log"; then echo "# seed $seed: finished before, kept ($log; delete it to run again)"; continue; fi
    echo "# $(date -u +%FT%TZ) aelab pretrain ${args[*]} --recipe $recipes --seed $seed --threads $threads" | tee "$log"
    ./build/aelab pretrain "${args[@]}" --recipe "$recipes" --seed "$seed" --threads "$threads" --quiet | tee -a "$log"
done
echo "# wall time of the seeds run now: $((SECONDS - t0)) s"
cat "${logs[@]}" | summary /dev/stdin
