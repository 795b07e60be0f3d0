#!/usr/bin/env bash
# The long runs behind docs/experiments.md (issue 10): convolutional autoencoders on all of MNIST against
# their published numbers. Each run trains natively with the CLI, prints the test loss after every epoch,
# and keeps its log and model in build/experiments/. Not part of `make test`: the keras.io run alone is
# about 28 million training samples.
#
#   scripts/experiments.sh keras [EPOCHS] [THREADS] [OPTIONS...]
#                                                     keras.io conv AE, Adam, BCE, batch 128 (published: 0.0622 after 50)
#   scripts/experiments.sh w3 [EPOCHS] [THREADS]      the Keras blog's conv AE, Adam, BCE, batch 128 (blog: about 0.094)
#   scripts/experiments.sh denoise [EPOCHS] [THREADS] keras.io's denoising run: the keras run's model trained on
#                                                     x + 0.4·N(0,1) clipped to [0,1] against clean x, fresh noise
#                                                     every batch (published: 0.0839 on noisy test inputs after 100)
#
# OPTIONS after THREADS go to `aelab train` as they are and name the run's files (for example
# `scripts/experiments.sh keras 50 1 --output-bias zero` writes build/experiments/keras-io--output-bias-zero.*).
#
# Run from the repository root after `make native data`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/experiments
mkdir -p "$out"
KERAS_IO='1x28x28-conv32k3-pool2-conv32k3-pool2-convt32k3s2-convt32k3s2-conv1k3'
W3='1x28x28-conv16k3-pool2-conv8k3-pool2-conv8k3-pool2-conv8k3-up2-conv8k3-up2-conv16k3v-up2-conv1k3'
extra=("${@:4}")
tag=$(printf '%s' "${extra[*]:+-${extra[*]}}" | tr -c 'A-Za-z0-9.=-' '-')
run() { # name epochs threads model-options...
    local name=$1$tag epochs=$2 threads=$3
    local log="$out/$name.log"
    shift 3
    set -- "$@" "${extra[@]}"
    echo "# $(date -u +%FT%TZ) $name: $* --epochs $epochs --threads $threads --batch 128 --opt adam --lr 1e-3 --seed 1" | tee "$log"
    local t0=$SECONDS
    ./build/aelab train "$@" --epochs "$epochs" --threads "$threads" --batch 128 --opt adam --lr 1e-3 --seed 1 --quiet \
        --out "$out/$name.safetensors" | tee -a "$log"
    echo "# wall time $((SECONDS - t0)) s" | tee -a "$log"
}
case "${1:-}" in
    keras) run keras-io "${2:-50}" "${3:-2}" --arch "$KERAS_IO" ;;
    w3) run w3 "${2:-50}" "${3:-2}" --arch "$W3" ;;
    denoise)
        [ -f "$out/keras-io.safetensors" ] || { echo "run 'scripts/experiments.sh keras' first: the denoising run starts from its model" >&2; exit 2; }
        run keras-io-denoise "${2:-100}" "${3:-2}" --init-model "$out/keras-io.safetensors" --noise gaussian --noise-level 0.4 ;;
    *) sed -n '2,15p' "$0"; exit 2 ;;
esac
