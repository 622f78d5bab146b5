#!/usr/bin/python3
"""PyTorch reference values for @mmx/losses, on ordinary and extreme logits.

Generates packages/losses/src/fixtures/losses-pytorch.json. Each case holds float32 logits [B, C],
int32 labels y [B], a permutation perm, a mixing weight lambda (and a per-example lambda_b [B]),
soft targets = lambda*onehot(y) + (1-lambda)*onehot(y[perm]), and for each loss its value and its
gradient with respect to the logits, computed by PyTorch in float64 ("f64") and in float32 ("f32"):
    bce          nn.BCELoss()(softmax(out, 1), targets)             (mean over all B*C elements)
    soft_ce      mean_b(-sum_c targets * log_softmax(out))
    nll          F.cross_entropy(out, y)
    mse          F.mse_loss(out, targets)                           (mean over all elements)
    mixed_ce     lambda*CE(out, y) + (1-lambda)*CE(out, y[perm])
    mixed_ce_per_example  mean_b(lambda_b*CE_b(out, y) + (1-lambda_b)*CE_b(out, y[perm]))
    mixed_bce_per_example mean_b(lambda_b*BCE_b(y) + (1-lambda_b)*BCE_b(y[perm])), BCE_b = the mean
                 over row b of nn.BCELoss(reduction="none")(softmax(out), onehot)
The extreme cases (logits of +-1e4, +-1e30, rows that saturate softmax in float32) are where a naive
log(1 - p) breaks; there the float32 PyTorch BCE can differ from float64 (1 - p rounds to 0 and the
log is clamped at -100) and @mmx/losses follows the float64 values.

Needs PyTorch (Debian: apt-get install -y python3-torch libopenblas0-pthread).
Regenerate from the repository root with:
    /usr/bin/python3 packages/losses/scripts/losses_reference.py
"""
import json
import os
import re
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "src", "fixtures", "losses-pytorch.json")


def cases():
    g = torch.Generator().manual_seed(7)
    yield "moderate", 3.0 * torch.randn(5, 4, generator=g), [0, 3, 1, 1, 2], [4, 2, 0, 1, 3], 0.35
    yield "extreme_1e4", torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [0.0, 0.0, -1e4], [1e4, 1e4 - 1, -1e4]]), [1, 1, 2, 0], [3, 2, 1, 0], 0.6
    yield "extreme_1e30", torch.tensor([[1e30, -1e30, 0.0], [-1e30, -1e30, -1e30], [3.0, -1e30, 1e30]]), [0, 2, 1], [2, 0, 1], 0.25
    # softmax rounds to 1 in float32 on the first class of each row; 1 - p is ~1e-13 and 1e-26.
    yield "saturating", torch.tensor([[30.0, 0.0, -30.0], [60.0, 0.0, 0.0], [20.0, 19.0, -5.0]]), [1, 0, 2], [1, 2, 0], 0.5


def arr(t):
    t = t.detach().reshape(-1)
    return [float(v) for v in t.tolist()]


def losses(out, y, perm, lam, lam_b, targets):
    n_cls = out.shape[1]
    onehot = F.one_hot(y, n_cls).to(out.dtype)

    def bce_rows(t):
        return nn.BCELoss(reduction="none")(F.softmax(out, 1), t).mean(1)

    return {
        "bce": nn.BCELoss()(F.softmax(out, 1), targets),
        "soft_ce": torch.mean(-torch.sum(targets * F.log_softmax(out, 1), 1)),
        "nll": F.cross_entropy(out, y),
        "mse": F.mse_loss(out, targets),
        "mixed_ce": lam * F.cross_entropy(out, y) + (1 - lam) * F.cross_entropy(out, y[perm]),
        "mixed_ce_per_example": torch.mean(lam_b * F.cross_entropy(out, y, reduction="none")
                                           + (1 - lam_b) * F.cross_entropy(out, y[perm], reduction="none")),
        "mixed_bce_per_example": torch.mean(lam_b * bce_rows(onehot) + (1 - lam_b) * bce_rows(onehot[perm])),
    }


def run(name, logits, y, perm, lam):
    logits = logits.to(torch.float32)
    b = logits.shape[0]
    lam_b = torch.linspace(0.1, 0.9, b).to(torch.float32)
    y_t, perm_t = torch.tensor(y), torch.tensor(perm)
    case = {"name": name, "logits": {"shape": list(logits.shape), "data": arr(logits)}, "y": y, "perm": perm,
            "lambda": lam, "lambda_b": arr(lam_b), "losses": {}}
    for dtype, key in ((torch.float64, "f64"), (torch.float32, "f32")):
        onehot = F.one_hot(y_t, logits.shape[1]).to(dtype)
        targets = lam * onehot + (1 - lam) * onehot[perm_t]
        if key == "f32":
            case["targets"] = arr(targets)
        names = list(losses(logits.to(dtype), y_t, perm_t, lam, lam_b.to(dtype), targets).keys())
        for loss_name in names:
            out = logits.clone().to(dtype).requires_grad_(True)
            value = losses(out, y_t, perm_t, lam, lam_b.to(dtype), targets)[loss_name]
            value.backward()
            entry = case["losses"].setdefault(loss_name, {})
            finite = bool(torch.isfinite(value)) and bool(torch.isfinite(out.grad).all())
            # mse squares the logits: 1e30 overflows float32 (inf) whatever the formula.
            entry[key] = {"value": float(value), "grad": arr(out.grad)} if finite else None
    return case


def dump_json(doc, path):
    """json with indent=1, but every list of numbers on one line (smaller, diff-friendly)."""
    text = json.dumps(doc, indent=1, allow_nan=False)
    text = re.sub(r"\[\s*([-+0-9.eE,\s]*?)\s*\]",
                  lambda m: "[" + re.sub(r",\s*", ", ", m.group(1)) + "]", text)
    with open(path, "w") as f:
        f.write(text + "\n")


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    doc = {
        "generator": "packages/losses/scripts/losses_reference.py",
        "regenerate": "/usr/bin/python3 packages/losses/scripts/losses_reference.py",
        "torch_version": torch.__version__,
        "notes": "logits are float32 values; targets = lambda*onehot(y) + (1-lambda)*onehot(y[perm]); "
                 "lambda_b = linspace(0.1, 0.9, B) for the per-example losses. Each loss has value and "
                 "grad (w.r.t. logits, flat row-major) computed in float64 (f64) and float32 (f32); null "
                 "where PyTorch's result is not finite (mse of 1e30 logits in float32).",
        "cases": [run(*c) for c in cases()],
    }
    dump_json(doc, out_path)
    for c in doc["cases"]:
        print(c["name"], {k: [e and e["value"] for e in (v["f64"], v["f32"])] for k, v in c["losses"].items()})


if __name__ == "__main__":
    main()
