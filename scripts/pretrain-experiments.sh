#!/usr/bin/env bash
# The experiments of docs/experiments.md on autoencoders as pretraining (issue 11), natively with
# `aelab pretrain`: each setting runs the greedy, end-to-end and random-init recipes from the same weights
# for several seeds, and the summary gives each recipe's test error (after the top layer alone and after
# fine-tuning) as mean ± standard deviation over the seeds. Logs go to build/experiments/pretrain-*.log.
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
#   ... NAME SEEDS THREADS --summary   the summary of NAME's last log again, without running anything.
#
# Run from the repository root after `make native data`. Not part of `make test`.
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
    *) sed -n '2,22p' "$0"; exit 2 ;;
esac
log="$out/pretrain-$name.log"
# the comparison tables (one per seed): recipe, error after the top layer, after fine-tuning, wall time
summary() {
    awk '/^recipe +test error/ {t = 1; next}
         t && ($1 == "greedy" || $1 == "e2e" || $1 == "none") && $2 ~ /%$/ && $3 ~ /%$/ {
           gsub("%", ""); n[$1]++; a[$1] += $2; a2[$1] += $2 * $2; b[$1] += $3; b2[$1] += $3 * $3; s[$1] += $4; next }
         {t = 0}
         function sd(x, x2, k) { v = k > 1 ? (x2 - x * x / k) / (k - 1) : 0; return sqrt(v > 0 ? v : 0) }
         END {
           printf "\n%-9s %6s %26s %26s %12s\n", "recipe", "seeds", "test error, top layer", "test error, fine-tuned", "mean time"
           for (r in n) printf "%-9s %6d %17.2f%% ± %.2f %17.2f%% ± %.2f %10.0f s\n", r, n[r], a[r] / n[r], sd(a[r], a2[r], n[r]), b[r] / n[r], sd(b[r], b2[r], n[r]), s[r] / n[r]
         }' "$1"
}
if [ "${4:-}" = "--summary" ]; then summary "$log"; exit 0; fi
echo "# $(date -u +%FT%TZ) aelab pretrain ${args[*]} --recipe greedy,e2e,none --threads $threads, seeds 1..$seeds" | tee "$log"
t0=$SECONDS
for seed in $(seq 1 "$seeds"); do
    ./build/aelab pretrain "${args[@]}" --recipe greedy,e2e,none --seed "$seed" --threads "$threads" --quiet | tee -a "$log"
done
echo "# wall time $((SECONDS - t0)) s" | tee -a "$log"
summary "$log" | tee -a "$log"
