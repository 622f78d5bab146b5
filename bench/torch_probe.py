#!/usr/bin/python3
"""Probe PyTorch's float32 matmul under the BLAS configuration of this process's environment.

The bench runs this once per candidate configuration (OPENBLAS_CORETYPE, thread counts), each in a
fresh process because OpenBLAS reads its environment when it loads, and keeps the fastest one whose
products are right. Older OpenBLAS builds can pick kernels a new CPU runs wrongly, so speed alone
is not enough: every probe checks sampled entries of several products (square, tall, and with a
transposed operand, as a training step's matmuls are) against sums computed in float64 by Python.

Output: one JSON object on stdout,
  {core, threads, blas_threads, sgemm_gflops, correct, max_rel_err, checked}
core is OpenBLAS's own name for the kernels it chose (null if the BLAS is not OpenBLAS).
If `import torch` fails the output is {"skipped": "<reason>"} and the exit status 0.

    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 bench/torch_probe.py --threads 2
"""
import argparse
import ctypes
import json
import math
import os
import random
import statistics
import sys
import time

try:
    import torch
except Exception as e:  # ImportError, or a broken install
    print(json.dumps({"skipped": "import torch failed: %s: %s" % (type(e).__name__, e)}))
    sys.exit(0)

# A product is accepted when every sampled entry is within this fraction of sum_k |a_ik b_kj| of the
# float64 reference: float32 accumulation over k terms errs by about k * 2^-24 of that sum at most.
REL_TOLERANCE = 1e-4


def openblas():
    """OpenBLAS's kernel name and thread count, read from the library torch loaded (None, None otherwise)."""
    torch.mm(torch.ones(2, 2), torch.ones(2, 2))
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "/" in line and "openblas" in line.lower()}
    except OSError:
        return None, None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode(), lib.openblas_get_num_threads()
        except (OSError, AttributeError):
            continue
    return None, None


def worst_error(a, b, samples, rng):
    """The largest relative error over sampled entries of a @ b, against float64 sums in Python."""
    c = torch.mm(a, b)
    rows, inner = a.shape
    cols = b.shape[1]
    worst = 0.0
    for _ in range(samples):
        i, j = rng.randrange(rows), rng.randrange(cols)
        terms = [float(a[i, k]) * float(b[k, j]) for k in range(inner)]
        exact = math.fsum(terms)
        scale = math.fsum(abs(t) for t in terms) or 1.0
        worst = max(worst, abs(float(c[i, j]) - exact) / scale)
    return worst


def check_products(rng):
    shapes = [(1024, 1024, 1024), (257, 300, 129), (128, 784, 512), (512, 128, 784)]
    worst = 0.0
    checked = []
    for m, k, n in shapes:
        a = torch.randn(m, k)
        b = torch.randn(k, n)
        worst = max(worst, worst_error(a, b, 24, rng))
        # A transposed operand takes other kernels (a training step's gradients use both kinds).
        bt = torch.randn(n, k)
        worst = max(worst, worst_error(a, bt.t(), 24, rng))
        at = torch.randn(k, m)
        worst = max(worst, worst_error(at.t(), b, 24, rng))
        checked.append("%dx%dx%d" % (m, k, n))
    return worst, checked


def sgemm_gflops(n=1024, reps=9):
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    for _ in range(3):
        torch.mm(a, b)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - t0)
    return 2.0 * n ** 3 / statistics.median(times) / 1e9


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    args = ap.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    core, blas_threads = openblas()
    worst, checked = check_products(random.Random(0))
    print(json.dumps({
        "core": core,
        "threads": torch.get_num_threads(),
        "blas_threads": blas_threads,
        "sgemm_gflops": sgemm_gflops(),
        "correct": worst <= REL_TOLERANCE,
        "max_rel_err": worst,
        "checked": checked,
    }))


if __name__ == "__main__":
    main()
