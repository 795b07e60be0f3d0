#!/usr/bin/python3
"""One PyTorch measurement for make bench (scripts/bench.mjs runs it in a process of its own per model and
thread count): the model of an aelab spec built from torch.nn, trained as aelab's bench trains it (ReLU
inside, sigmoid output, binary cross-entropy, Adam lr 1e-3, float32, Glorot-uniform weights) on MNIST
minibatches, timed in steps/s after a warm-up.

    /usr/bin/python3 scripts/bench-torch.py --arch 1x28x28-conv16k3-pool2-... [--batch 128] [--seconds 1.5]
        [--threads 1]

Prints one JSON line: {"samples_per_s", "steps", "params", "threads", "torch", "blas"}; on a spec it cannot
build, {"error": ...} and exit status 1. Debian's python3-torch (the Makefile's BENCH_PKGS) is for
/usr/bin/python3, which a python3 earlier on PATH (pyenv) may not see: hence the shebang.

The spec tokens (include/aelab.h, src/layers/): a dense width "32", conv<C>k<K>[s<S>][v], convt<C>k<K>[s<S>]
(stride 2 'same' as Keras's Conv2DTranspose), pool<P>, up<F>; an optional ':activation' (relu, sigmoid,
linear) and a leading '*' (the code mark, which changes nothing here). Keras's 'same' shapes in torch.nn:
  conv, stride S:   out = ceil(in / S); pad_total = max((out - 1)·S + K − in, 0), split floor/ceil
                    (before/after); symmetric pads go to Conv2d, an odd total to a ZeroPad2d before it
  convt, stride S:  out = in·S = (in − 1)·S − 2p + K + op; p = ceil(max(K − S, 0) / 2), op = S − K + 2p
                    (K 3, S 2: p 1, op 1). Same shape and arithmetic as Keras's; the taps sit one pixel
                    over (TF pads 0 before and drops the last row, torch crops one from each side)
  pool P:           MaxPool2d(P, ceil_mode=True): 7 -> 4 as Keras's 'same'
  up F:             Upsample(scale_factor=F, mode='nearest')
The sigmoid of the last layer is folded into BCEWithLogitsLoss (one fused, stable kernel: what a PyTorch
user writes, and the same arithmetic as sigmoid then BCE).
"""
import argparse
import gzip
import json
import os
import re
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fail(msg):
    print(json.dumps({"error": msg}))
    sys.exit(1)


try:
    import torch
    from torch import nn
except ImportError as e:
    fail(f"python3-torch not installed ({e})")


def parse_input(tok):
    dims = [int(x) for x in tok.split("x")]
    if not dims or len(dims) > 3 or min(dims) < 1:
        fail(f"bad input shape '{tok}'")
    return [1] * (3 - len(dims)) + dims  # (C, H, W); 784 is 1x1x784


def build(spec):
    """nn.Sequential for the spec, and its input shape (C, H, W)."""
    toks = spec.split()[0].split("-")  # keys after a space (loss=, init=) are aelab's defaults here
    shape = parse_input(toks[0])
    c, h, w = shape
    layers, flat, acts = [], False, []
    for i, raw in enumerate(toks[1:]):
        last = i == len(toks) - 2
        tok, _, act = raw.lstrip("*").partition(":")
        act = act or ("sigmoid" if last else "relu")
        if act not in ("relu", "sigmoid", "linear"):
            fail(f"activation '{act}' not supported here")
        if flat and not re.fullmatch(r"\d+", tok):
            fail(f"layer '{raw}' after a dense one: not supported by this runner")
        if re.fullmatch(r"\d+", tok):
            if not flat:
                layers.append(nn.Flatten())
                flat, c = True, c * h * w
            layers.append(nn.Linear(c, int(tok)))
            c, h, w = int(tok), 1, 1
        elif m := re.fullmatch(r"conv(\d+)k(\d+)(?:s(\d+))?(v?)", tok):
            co, k, s, valid = int(m[1]), int(m[2]), int(m[3] or 1), m[4] == "v"
            if valid:
                pb = pa = 0
                ho, wo = (h - k) // s + 1, (w - k) // s + 1
            else:
                ho, wo = -(-h // s), -(-w // s)
                pt = max((ho - 1) * s + k - h, 0)  # the same k and s on both axes; square inputs here
                pb, pa = pt // 2, pt - pt // 2
            if pb != pa:
                layers.append(nn.ZeroPad2d((pb, pa, pb, pa)))
                pb = 0
            layers.append(nn.Conv2d(c, co, k, stride=s, padding=pb))
            c, h, w = co, ho, wo
        elif m := re.fullmatch(r"convt(\d+)k(\d+)(?:s(\d+))?", tok):
            co, k, s = int(m[1]), int(m[2]), int(m[3] or 1)
            p = -(-max(k - s, 0) // 2)
            layers.append(nn.ConvTranspose2d(c, co, k, stride=s, padding=p, output_padding=s - k + 2 * p))
            c, h, w = co, h * s, w * s
        elif m := re.fullmatch(r"pool(\d+)", tok):
            p = int(m[1])
            layers.append(nn.MaxPool2d(p, stride=p, ceil_mode=True))
            h, w = -(-h // p), -(-w // p)
            act = "linear"
        elif m := re.fullmatch(r"up(\d+)", tok):
            f = int(m[1])
            layers.append(nn.Upsample(scale_factor=f, mode="nearest"))
            h, w = h * f, w * f
            act = "linear"
        else:
            fail(f"layer '{raw}' not supported by this runner")
        if act == "relu":
            layers.append(nn.ReLU())
        elif act == "sigmoid" and not last:
            layers.append(nn.Sigmoid())
        acts.append(act)
    if acts[-1] != "sigmoid":
        fail("the last layer must be sigmoid (BCE)")
    for mod in layers:
        if isinstance(mod, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(mod.weight)
            nn.init.zeros_(mod.bias)
    return nn.Sequential(*layers), shape


def blas():
    """The BLAS library this process loaded (dense layers run on it; convolutions on oneDNN)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {l.split()[-1] for l in f if re.search(r"blas|blis|mkl_rt", l)}
        return ", ".join(sorted(os.path.realpath(x) for x in libs)) or "none"
    except OSError:
        return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="784-32-784")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--seconds", type=float, default=1.5)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model, (c, h, w) = build(a.arch)

    with gzip.open(os.path.join(ROOT, "data/train-images-idx3-ubyte.gz"), "rb") as f:
        img = f.read()
    n_batches = 8  # minibatches prepared up front and cycled: the data pipeline is not what is measured
    need = 16 + n_batches * a.batch * 784
    if len(img) < need or c * h * w != 784:
        fail("the runner trains on MNIST: the input must have 784 values")
    pix = torch.frombuffer(bytearray(img[16:need]), dtype=torch.uint8).float().div_(255)
    shape = (a.batch, 784) if isinstance(model[0], nn.Flatten) and (c, h) == (1, 1) else (a.batch, c, h, w)
    batches = [pix[b * a.batch * 784:(b + 1) * a.batch * 784].reshape(shape).contiguous() for b in range(n_batches)]

    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    step = 0

    def train_step():
        nonlocal step
        x = batches[step % n_batches]
        step += 1
        opt.zero_grad(set_to_none=True)
        out = model(x)
        loss = loss_fn(out.reshape(x.shape), x)
        loss.backward()
        opt.step()

    # warm-up: at least two steps and a quarter of the time (oneDNN picks and caches its kernels)
    t0, i = time.perf_counter(), 0
    while i < 2 or time.perf_counter() - t0 < 0.25 * a.seconds:
        train_step()
        i += 1
    steps, t0 = 0, time.perf_counter()
    while steps < 2 or time.perf_counter() - t0 < a.seconds:
        train_step()
        steps += 1
    sps = steps * a.batch / (time.perf_counter() - t0)
    print(json.dumps({"samples_per_s": round(sps, 1), "steps": steps,
                      "params": sum(p.numel() for p in model.parameters()), "threads": torch.get_num_threads(),
                      "torch": torch.__version__, "blas": blas()}))


try:
    main()
except Exception as e:  # a model torch refuses or memory it cannot have: the message as JSON for bench.mjs
    fail(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
