#!/usr/bin/python3
"""PyTorch reference values for the mixup(k, lambda) transform and the mixup losses.

Generates packages/mixup/src/fixtures/mlp-mixup-pytorch.json for a small MLP
    4 -> 8 -> 8 -> 3   (Linear, ReLU, Linear, ReLU, Linear)
with fixed seeded weights, a batch of 6 inputs x, integer labels y (3 classes), a fixed
permutation perm and lambda = 0.3. For each mixing boundary k:
    k = 0: the input x
    k = 1: the output of the first hidden ReLU
    k = 2: the output of the second hidden ReLU
the official manifold_mixup formula is applied at that boundary (gather semantics,
h'[i] = lambda*h[i] + (1-lambda)*h[perm[i]]):
    h' = lam*h + (1-lam)*h[perm]
    targets = lam*onehot(y) + (1-lam)*onehot(y)[perm]
and the rest of the network runs on h'. Three losses are recorded, each with the gradient
w.r.t. every weight and bias (and the input x):
    bce      nn.BCELoss()(softmax(out, dim=1), targets): mean over all B*C elements, the
             official code's training loss (PyTorch clamps each log at -100; not reached here)
    mixed_ce lam*CE(out, y) + (1-lam)*CE(out, y[perm])   (CE = nn.CrossEntropyLoss, mean)
    soft_ce  mean_i(-sum_c targets[i,c] * log_softmax(out)[i,c])
(mixed_ce and soft_ce are equal mathematically: the loss is linear in the targets.)
A "none" entry holds the same network without mixing (targets = onehot(y)).

x and the weights are float32 values (drawn with a fixed torch seed, then rounded to float32),
so a float32 implementation starts from exactly the same numbers; everything is computed in
float64. Each array is {shape, f64, f32}: flat row-major data, f64 = float64 result, f32 =
the same rounded to float32 (repr of the float32 value). Weights are given in PyTorch's
[out, in] layout ("weight") and transposed [in, out] ("kernel", y = x @ kernel + bias); the
gradients are given in the [out, in] layout only (the kernel gradient is their transpose).

Needs PyTorch (Debian: apt-get install -y python3-torch libopenblas0-pthread).
Regenerate from the repository root with:
    /usr/bin/python3 packages/mixup/scripts/mixup_reference.py
"""
import json
import os
import re
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "src", "fixtures", "mlp-mixup-pytorch.json")

SIZES = [4, 8, 8, 3]
BATCH = 6
LAM = 0.3
Y = [0, 2, 1, 1, 0, 2]
PERM = [2, 0, 5, 4, 1, 3]  # a derangement: every row is mixed with a different row
SEED = 30  # chosen so that every hidden unit is active for some, but not all, of the 6 inputs


def f32(t):
    return t.to(torch.float32).to(torch.float64)


def arr(t):
    t = t.detach().to(torch.float64).reshape(-1)
    return {
        "f64": [float(v) for v in t.tolist()],
        # float32 -> Python float is exact; json writes repr(float): full float32 precision.
        "f32": [float(v) for v in t.to(torch.float32).tolist()],
    }


def shaped(t):
    d = {"shape": list(t.shape)}
    d.update(arr(t))
    return d


def make_inputs():
    torch.manual_seed(SEED)
    linears = [nn.Linear(SIZES[i], SIZES[i + 1]) for i in range(len(SIZES) - 1)]
    # nn.Linear's default init (uniform +-1/sqrt(fan_in)) scaled by 2, then rounded to float32.
    weights = [f32(l.weight.detach() * 2.0) for l in linears]
    biases = [f32(l.bias.detach() * 2.0) for l in linears]
    x = f32(torch.randn(BATCH, SIZES[0]))
    return weights, biases, x


def forward(weights, biases, x, k, lam, perm):
    """Returns (out, h_at_k, h_mixed_at_k). k = None: no mixing."""
    h = x
    seen = mixed = None
    n = len(weights)
    for i in range(n):
        if k == i:
            seen = h
            h = lam * h + (1 - lam) * h[perm]
            mixed = h
        h = F.linear(h, weights[i], biases[i])
        if i < n - 1:
            h = F.relu(h)
    return h, seen, mixed


def run_case(weights, biases, x, y, perm, k):
    lam = LAM if k is not None else 1.0
    onehot = F.one_hot(y, SIZES[-1]).to(torch.float64)
    targets = lam * onehot + (1 - lam) * onehot[perm]
    losses = {
        "bce": lambda out: nn.BCELoss()(F.softmax(out, dim=1), targets),
        "mixed_ce": lambda out: lam * F.cross_entropy(out, y) + (1 - lam) * F.cross_entropy(out, y[perm]),
        "soft_ce": lambda out: torch.mean(-torch.sum(targets * F.log_softmax(out, dim=1), dim=1)),
    }
    case = {"k": k, "lambda": lam, "targets": shaped(targets)}
    for name, fn in losses.items():
        ws = [w.clone().requires_grad_(True) for w in weights]
        bs = [b.clone().requires_grad_(True) for b in biases]
        xv = x.clone().requires_grad_(True)
        out, seen, mixed = forward(ws, bs, xv, k, lam, perm)
        loss = fn(out)
        loss.backward()
        if "out" not in case:
            case["out"] = shaped(out)
            case["softmax"] = shaped(F.softmax(out, dim=1))
            if k is not None:
                case["h"] = shaped(seen)
                case["h_mixed"] = shaped(mixed)
        case[name] = {
            "loss": arr(loss.reshape(1)),
            "grads": {
                # [out, in] like the weights; the kernel gradient is its transpose (left out
                # to keep the fixture small).
                "layers": [{"weight": shaped(w.grad), "bias": shaped(b.grad)} for w, b in zip(ws, bs)],
                "x": shaped(xv.grad),
            },
        }
    return case


def dump_json(doc, path):
    """json with indent=1, but every list of numbers on one line (smaller, diff-friendly)."""
    text = json.dumps(doc, indent=1)
    text = re.sub(r"\[\s*([-+0-9.eE,\s]*?)\s*\]",
                  lambda m: "[" + re.sub(r",\s*", ", ", m.group(1)) + "]", text)
    with open(path, "w") as f:
        f.write(text + "\n")


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    weights, biases, x = make_inputs()
    y = torch.tensor(Y)
    perm = torch.tensor(PERM)
    cases = [run_case(weights, biases, x, y, perm, k) for k in (0, 1, 2)]
    plain = run_case(weights, biases, x, y, perm, None)
    doc = {
        "generator": "packages/mixup/scripts/mixup_reference.py",
        "regenerate": "/usr/bin/python3 packages/mixup/scripts/mixup_reference.py",
        "torch_version": torch.__version__,
        "notes": "MLP 4-8-8-3 (Linear ReLU Linear ReLU Linear). Mixing at boundary k: "
                 "h'[i] = lambda*h[i] + (1-lambda)*h[perm[i]], k=0 input, k=1 after the first ReLU, "
                 "k=2 after the second ReLU; targets mixed the same way. bce = nn.BCELoss()(softmax(out), "
                 "targets) (mean over B*C); mixed_ce = lambda*CE(out,y) + (1-lambda)*CE(out,y[perm]); "
                 "soft_ce = mean(-sum(targets*log_softmax(out))). x and weights are float32 values; all "
                 "results computed in float64 (f64) and also given rounded to float32 (f32). weight is "
                 "PyTorch [out,in]; kernel = weight transposed [in,out]. Gradients are of the loss w.r.t. "
                 "each layer's weight ([out,in]; transpose for the kernel) and bias, and w.r.t. x.",
        "sizes": SIZES,
        "lambda": LAM,
        "num_classes": SIZES[-1],
        "x": shaped(x),
        "y": Y,
        "perm": PERM,
        "layers": [{"torch_name": str(2 * i), "weight": shaped(w), "kernel": shaped(w.t()), "bias": shaped(b)}
                   for i, (w, b) in enumerate(zip(weights, biases))],
        "cases": cases,
        "none": plain,
    }
    dump_json(doc, out_path)
    for c in cases + [plain]:
        print("k=%s  bce=%.9g  mixed_ce=%.9g  soft_ce=%.9g" % (
            c["k"], c["bce"]["loss"]["f64"][0], c["mixed_ce"]["loss"]["f64"][0], c["soft_ce"]["loss"]["f64"][0]))


if __name__ == "__main__":
    main()
