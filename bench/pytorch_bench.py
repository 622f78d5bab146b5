#!/usr/bin/python3
"""PyTorch CPU peer benchmark for mmx: time one full SGD training step.

`npm run bench` steps these models through torch_stepper.py, in the same rounds as mmx's steps; this
script's own timing loop (all of a workload's steps in one process, JSON at the end) serves the onnx
bench (`npm run bench:onnx`, bench/src/onnx/) and runs by hand.

A step is: sample (layer k, lambda ~ Beta(2,2), a random permutation of the batch) on the
host, forward with the mixing at boundary k, loss = nn.BCELoss()(softmax(out), targets)
against the one-hot targets mixed the same way (the official manifold_mixup loss, also used
for the plain baseline), optimizer.zero_grad(), backward, optimizer.step() with
torch.optim.SGD(lr 0.1, momentum 0.9, nesterov=True). Inputs are fixed random tensors made
once (no data loading is timed).

Workloads (model, input, batch):
  mlp       Linear 784-512-512-10 with ReLU, flattened 28x28 input, batch 128;
            boundaries {0: input, 1: after ReLU 1, 2: after ReLU 2}
  cnn       Conv(1,32,3,p1) ReLU MaxPool2 Conv(32,64,3,p1) ReLU MaxPool2 Flatten
            Linear(3136,128) ReLU Linear(128,10), 1x28x28, batch 128;
            boundaries {0: input, 1: after block-1 pool, 2: after block-2 pool}
  preact18  PreActResNet18 as the official manifold_mixup preresnet.py (no final BN), 3x32x32,
            batch 32, train-mode BatchNorm; boundaries {0: input, 1: after stage 1, 2: after
            stage 2}
Modes: plain (no mixing), input (k = 0), manifold (k uniform over the workload's boundaries). The
three modes' steps are interleaved (one of each per round, the first rotating), so that a changing
machine load falls on all of them alike. A step's time includes reading its loss back.

Output: one JSON object on stdout,
  {torch_version, threads, interop_threads, blas, blas_threads, blas_core, env, sgemm_gflops,
   cpu, batch, workloads: {mlp: {plain: {median_ms, min_ms, max_ms, steps, warmup}, input: ..., manifold: ...,
   paired: {"input/plain": r, "manifold/plain": r}}, ...}, peak_rss_mb}
paired: the median over rounds of a mode's step time over the plain step's in the same round.
sgemm_gflops: 1024x1024x1024 float32 matmul, median of 9 runs. blas_core is OpenBLAS's kernel
choice; env lists OPENBLAS_*/OMP_*/MKL_* variables (OPENBLAS_CORETYPE=Haswell, set in some
environments, keeps OpenBLAS on AVX2 kernels: about 3x lower sgemm on an AVX-512 CPU). If `import torch` fails the
output is {"skipped": "<reason>"} and the exit status 0.

Needs PyTorch (Debian: apt-get install -y python3-torch libopenblas0-pthread; without
OpenBLAS torch falls back to reference BLAS, about 30x slower). Run from the repository root:
    /usr/bin/python3 bench/pytorch_bench.py                      # all workloads, about 40 s on 2 cores
    /usr/bin/python3 bench/pytorch_bench.py --workload mlp --steps 50 --warmup 5 --threads 2
    /usr/bin/python3 bench/pytorch_bench.py --workload mlp,cnn
--steps/--warmup default per workload (mlp 50/10, cnn 30/5, preact18 10/2).
"""
import argparse
import ctypes
import json
import os
import platform
import random
import resource
import statistics
import sys
import time

DEFAULT_STEPS = {"mlp": (50, 10), "cnn": (30, 5), "preact18": (10, 2)}
BATCH = {"mlp": 128, "cnn": 128, "preact18": 32}


def skip(reason):
    print(json.dumps({"skipped": reason}))
    sys.exit(0)


try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except Exception as e:  # ImportError, or a broken install
    skip("import torch failed: %s: %s" % (type(e).__name__, e))

from torch_probe import sgemm_gflops  # noqa: E402  (beside this file; the same 1024^3 timer the bench probes with)


# --------------------------------------------------------------------------- models
# Each model is a list of stages; boundary k is the input of stage k (k = 0: the input).

class Staged(nn.Module):
    def __init__(self, stages, eligible):
        super().__init__()
        self.stages = nn.ModuleList(stages)
        self.eligible = eligible

    def forward(self, x, k=None, lam=1.0, perm=None):
        h = x
        for i, stage in enumerate(self.stages):
            if i == k:
                h = lam * h + (1 - lam) * h[perm]
            h = stage(h)
        return h


def make_mlp():
    return Staged([
        nn.Sequential(nn.Linear(784, 512), nn.ReLU()),
        nn.Sequential(nn.Linear(512, 512), nn.ReLU()),
        nn.Linear(512, 10),
    ], [0, 1, 2])


def make_cnn():
    return Staged([
        nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)),
        nn.Sequential(nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)),
        nn.Sequential(nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10)),
    ], [0, 1, 2])


class PreActBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Conv2d(cin, cout, 1, stride=stride, bias=False)

    def forward(self, x):
        a = F.relu(self.bn1(x))
        skip_ = self.proj(a) if self.proj is not None else x
        return self.conv2(F.relu(self.bn2(self.conv1(a)))) + skip_


def preact_stage(cin, cout, n, stride):
    return [PreActBlock(cin, cout, stride)] + [PreActBlock(cout, cout, 1) for _ in range(n - 1)]


class Head(nn.Module):
    def forward(self, h):
        return F.avg_pool2d(h, 4).flatten(1)


def make_preact18(classes=10):
    return Staged([
        nn.Sequential(nn.Conv2d(3, 64, 3, padding=1, bias=False), *preact_stage(64, 64, 2, 1)),
        nn.Sequential(*preact_stage(64, 128, 2, 2)),
        nn.Sequential(*preact_stage(128, 256, 2, 2), *preact_stage(256, 512, 2, 2), Head(),
                      nn.Linear(512, classes)),
    ], [0, 1, 2])


WORKLOADS = {
    "mlp": (make_mlp, (784,)),
    "cnn": (make_cnn, (1, 28, 28)),
    "preact18": (make_preact18, (3, 32, 32)),
}


# --------------------------------------------------------------------------- timing

MODES = ("plain", "input", "manifold")


class Trainer:
    """One mode's model, optimizer and fixed batch; `step()` runs and times one training step."""

    def __init__(self, name, mode, seed=0):
        make, shape = WORKLOADS[name]
        torch.manual_seed(seed)
        self.name, self.mode = name, mode
        self.rng = np.random.default_rng(seed)
        self.pyrng = random.Random(seed)
        self.model = make()
        self.model.train()
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
        self.bce = nn.BCELoss()
        self.batch = BATCH[name]
        self.x = torch.randn(self.batch, *shape)
        self.y = torch.randint(0, 10, (self.batch,))

    def step(self):
        t0 = time.perf_counter()
        onehot = F.one_hot(self.y, 10).to(torch.float32)
        if self.mode == "plain":
            k, lam, perm = None, 1.0, None
            targets = onehot
        else:
            k = 0 if self.mode == "input" else self.pyrng.choice(self.model.eligible)
            lam = float(self.rng.beta(2.0, 2.0))
            perm = torch.randperm(self.batch)
            targets = lam * onehot + (1 - lam) * onehot[perm]
        out = self.model(self.x, k, lam, perm)
        loss = self.bce(F.softmax(out, dim=1), targets)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        value = loss.item()  # waits for the step, as mmx's step waits for its loss
        t1 = time.perf_counter()
        if not np.isfinite(value):
            raise RuntimeError("non-finite loss in %s/%s" % (self.name, self.mode))
        return (t1 - t0) * 1e3


def time_workload(name, steps, warmup):
    """The three modes' steps interleaved, one of each per round (the first mode rotating), so that a
    load that changes during the run falls on all of them alike; plus the median per-round ratios."""
    trainers = [Trainer(name, mode) for mode in MODES]
    for _ in range(warmup):
        for t in trainers:
            t.step()
    times = {mode: [] for mode in MODES}
    for i in range(steps):
        order = trainers[i % len(trainers):] + trainers[:i % len(trainers)]
        for t in order:
            times[t.mode].append(t.step())
    out = {mode: {"median_ms": statistics.median(ts), "min_ms": min(ts), "max_ms": max(ts),
                  "steps": steps, "warmup": warmup} for mode, ts in times.items()}
    out["paired"] = {"%s/plain" % m: statistics.median(a / b for a, b in zip(times[m], times["plain"]))
                     for m in ("input", "manifold")}
    return out


def blas_info():
    """The BLAS library actually loaded (torch's build info only says "generic" on Debian)."""
    torch.mm(torch.ones(2, 2), torch.ones(2, 2))
    libs = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if "/" in line else ""
                base = os.path.basename(path).lower()
                if path and ("blas" in base or "mkl" in base or "lapack" in base) and path not in libs:
                    libs.append(path)
    except OSError:
        pass
    threads = core = None
    for path in libs:
        if "openblas" in os.path.basename(path).lower():
            try:
                lib = ctypes.CDLL(path)
                threads = lib.openblas_get_num_threads()
                lib.openblas_get_corename.restype = ctypes.c_char_p
                core = lib.openblas_get_corename().decode()
            except (OSError, AttributeError):
                pass
    if not libs:
        cfg = torch.__config__.show()
        libs = [l.strip() for l in cfg.splitlines() if "BLAS" in l][:1]
    names = []
    for p in libs:
        p = os.path.realpath(p) if p.startswith("/") else p
        if p not in names:
            names.append(p)
    return ", ".join(names) or "unknown", threads, core


def environment():
    """The variables that set the BLAS's and OpenMP's kernels, threads and waiting (OPENBLAS_CORETYPE=Haswell,
    set in some environments, caps OpenBLAS at AVX2 kernels)."""
    return {k: v for k, v in sorted(os.environ.items()) if k.startswith(("OPENBLAS_", "OMP_", "MKL_", "GOTO", "KMP_"))}


def runtime_info():
    """torch's version and threads, the BLAS it loaded, the environment that configures them, and its sgemm rate."""
    blas, blas_threads, blas_core = blas_info()
    return {
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "blas": blas,
        "blas_threads": blas_threads,
        "blas_core": blas_core,
        "env": environment(),
        "sgemm_gflops": sgemm_gflops(),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workload", default="all",
                    help="all, or a comma-separated list of: " + ", ".join(WORKLOADS))
    ap.add_argument("--steps", type=int, default=None, help="timed steps per mode (default per workload)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed steps per mode (default per workload)")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    args = ap.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    names = list(WORKLOADS) if args.workload == "all" else args.workload.split(",")
    for name in names:
        if name not in WORKLOADS:
            ap.error("unknown workload %r; valid: all, %s" % (name, ", ".join(WORKLOADS)))
    result = {
        **runtime_info(),
        "cpu": {"machine": platform.machine(), "logical_cpus": os.cpu_count()},
        "batch": {},
        "workloads": {},
    }
    for name in names:
        steps, warmup = DEFAULT_STEPS[name]
        steps = args.steps if args.steps is not None else steps
        warmup = args.warmup if args.warmup is not None else warmup
        result["batch"][name] = BATCH[name]
        result["workloads"][name] = time_workload(name, steps, warmup)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
