#!/usr/bin/python3
"""PyTorch optimizer trajectories for testing @mmx/optim.

Generates packages/optim/src/fixtures/sgd-pytorch.json: a parameter tree {w: [3,4], b: [4]}
and a fixed sequence of 5 gradient trees (float32, from torch.randn with a fixed seed),
then the parameters after each of 5 steps of
  torch.optim.SGD  {lr 0.1}, {lr 0.1, momentum 0.9}, {lr 0.1, momentum 0.9, nesterov},
                   {lr 0.1, momentum 0.9, nesterov, weight_decay 1e-4},
                   {lr 0.05, momentum 0.9, dampening 0.1}
  torch.optim.Adam {lr 1e-3}                      (betas (0.9, 0.999), eps 1e-8)
  torch.optim.AdamW {lr 1e-3, weight_decay 1e-2}  (betas (0.9, 0.999), eps 1e-8)
The gradients are written into p.grad directly (no loss), so each step sees exactly the
recorded gradient. Computation is float32 (PyTorch's default), as the TS side will be;
"steps" hold those float32 values (repr of each float32 as a Python float, exact), and
"steps_float64" the same run in float64, for judging tolerances.

Layout: {configs: [{optimizer, options, init: {w, b}, grads: [{w, b} x5],
steps: [{w, b} x5], steps_float64: [...]}]}, each array {shape, data} with data flat,
row-major.

PyTorch semantics worth knowing (torch 1.13):
  SGD: g = grad + wd*p; buf = g on the FIRST step (dampening is NOT applied then),
       buf = momentum*buf + (1-dampening)*g afterwards; nesterov: g = g + momentum*buf,
       else g = buf; p = p - lr*g.
  Adam: weight decay (if any) is added to the gradient (L2); AdamW decays p *= 1 - lr*wd
       before the Adam update; bias-corrected: p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).

Needs PyTorch (Debian: apt-get install -y python3-torch libopenblas0-pthread).
Regenerate from the repository root with:
    /usr/bin/python3 packages/optim/scripts/sgd_reference.py
"""
import json
import os
import re
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "src", "fixtures", "sgd-pytorch.json")
SHAPES = {"w": [3, 4], "b": [4]}
STEPS = 5

CONFIGS = [
    ("sgd", {"lr": 0.1, "momentum": 0.0}),
    ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-4}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1}),
    ("adam", {"lr": 1e-3}),
    ("adamw", {"lr": 1e-3, "weight_decay": 1e-2}),
]
OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}


def make_data():
    g = torch.Generator().manual_seed(1234)
    init = {k: torch.randn(*s, generator=g, dtype=torch.float32) for k, s in SHAPES.items()}
    grads = [{k: torch.randn(*s, generator=g, dtype=torch.float32) for k, s in SHAPES.items()}
             for _ in range(STEPS)]
    return init, grads


def arr(t):
    # float32 -> Python float is exact and json writes repr(float): full float32 precision.
    t = t.detach()
    return {"shape": list(t.shape), "data": [float(x) for x in t.reshape(-1).tolist()]}


def tree(d):
    return {k: arr(v) for k, v in d.items()}


def run(kind, options, init, grads, dtype):
    params = {k: v.clone().to(dtype).requires_grad_(True) for k, v in init.items()}
    opt = OPTIMIZERS[kind]([params["w"], params["b"]], **options)
    steps = []
    for gtree in grads:
        for k, p in params.items():
            p.grad = gtree[k].clone().to(dtype)
        opt.step()
        steps.append(tree(params))
    return steps


def effective_options(opt_cls, options):
    dummy = torch.zeros(1, requires_grad=True)
    return {k: (list(v) if isinstance(v, tuple) else v)
            for k, v in opt_cls([dummy], **options).defaults.items()
            if isinstance(v, (int, float, bool, tuple)) and v is not None}


def dump_json(doc, path):
    """json with indent=1, but every list of numbers on one line (smaller, diff-friendly)."""
    text = json.dumps(doc, indent=1)
    text = re.sub(r"\[\s*([-+0-9.eE,\s]*?)\s*\]",
                  lambda m: "[" + re.sub(r",\s*", ", ", m.group(1)) + "]", text)
    with open(path, "w") as f:
        f.write(text + "\n")


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    init, grads = make_data()
    configs = []
    for kind, options in CONFIGS:
        configs.append({
            "optimizer": kind,
            "torch_class": OPTIMIZERS[kind].__name__,
            "options": options,
            "effective_options": effective_options(OPTIMIZERS[kind], options),
            "init": tree(init),
            "grads": [tree(g) for g in grads],
            "steps": run(kind, options, init, grads, torch.float32),
            "steps_float64": run(kind, options, init, grads, torch.float64),
        })
    doc = {
        "generator": "packages/optim/scripts/sgd_reference.py",
        "regenerate": "/usr/bin/python3 packages/optim/scripts/sgd_reference.py",
        "torch_version": torch.__version__,
        "notes": "init and grads are float32 (torch.randn, Generator seed 1234: init w, b, then grads "
                 "step by step, w then b). steps[i] = params after step i+1, computed in float32; "
                 "steps_float64 = same run in float64 from the same (float32-valued) data. SGD applies "
                 "no dampening on the first momentum step (buf = grad).",
        "configs": configs,
    }
    dump_json(doc, out_path)
    for c in configs:
        print(c["optimizer"], c["options"], "w[0] after 5 steps:", c["steps"][-1]["w"]["data"][0])


if __name__ == "__main__":
    main()
