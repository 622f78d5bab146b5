#!/usr/bin/python3
"""The PyTorch peer as a persistent process the bench steps in its own rounds, beside mmx's steps.

Started once per workload, in the BLAS configuration the bench chose (its environment and
--threads), it builds pytorch_bench.py's model, loss and optimizer in each of the three modes
(plain, input, manifold) and then answers one command per line on stdin, one JSON line each on
stdout:

  (on start)      {"ready": {torch_version, threads, interop_threads, blas, blas_threads, blas_core,
                             env, sgemm_gflops, workload, batch}}
                  or {"skipped": "<why>"} and exit status 0 when `import torch` fails
  step MODE       {"mode": MODE, "ms": wall, "cpu_ms": cpu, "idle_ms": wall, "idle_cpu_ms": cpu}
  quit (or EOF)   {"peak_rss_mb": rss}, then exit
  anything else   {"error": "<what was wrong>"}; the process keeps serving

ms is perf_counter around the step (forward, loss, backward, update, and reading the loss back,
which waits for the step), taken here: the pipe's round trip is not in it. cpu_ms is this
process's CPU time over the step (every thread); idle_ms and idle_cpu_ms are the wall and CPU time
since the previous reply, while the bench ran its other implementations: BLAS or OpenMP workers
that spin after a call show up there, as CPU taken from the next implementation's step.

    OPENBLAS_CORETYPE=Zen /usr/bin/python3 bench/torch_stepper.py --workload mlp --threads 2
"""
import argparse
import json
import resource
import sys
import time

from pytorch_bench import MODES, WORKLOADS, BATCH, Trainer, runtime_info, torch  # noqa: E402


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def serve(trainers, lines):
    """Answers the commands in `lines` until `quit` or their end."""
    last, last_wall = time.process_time(), time.perf_counter()
    for line in lines:
        words = line.split()
        if words == ["quit"]:
            break
        if len(words) != 2 or words[0] != "step" or words[1] not in trainers:
            reply({"error": "unknown command %r; valid: step %s, quit" % (line.strip(), "|".join(MODES))})
            continue
        c0, w0 = time.process_time(), time.perf_counter()
        try:
            ms = trainers[words[1]].step()
        except RuntimeError as e:
            reply({"error": str(e)})
            continue
        c1 = time.process_time()
        reply({"mode": words[1], "ms": ms, "cpu_ms": (c1 - c0) * 1e3,
               "idle_ms": (w0 - last_wall) * 1e3, "idle_cpu_ms": (c0 - last) * 1e3})
        last, last_wall = time.process_time(), time.perf_counter()
    reply({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workload", required=True, choices=list(WORKLOADS))
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    args = ap.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    trainers = {mode: Trainer(args.workload, mode) for mode in MODES}
    reply({"ready": {
        **runtime_info(),
        "workload": args.workload,
        "batch": BATCH[args.workload],
    }})
    serve(trainers, sys.stdin)


if __name__ == "__main__":
    main()
