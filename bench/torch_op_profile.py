#!/usr/bin/python3
"""Where PyTorch's training step spends its time, part by part: the PyTorch side of
`npm run profile:onnx -w @mmx/bench -- --by category`.

Runs pytorch_bench.py's step (same model, loss, optimizer, batch) on ONE thread under torch.profiler
and sorts each top-level operator of the step into the categories of bench/src/onnx/op-categories.ts
(conv forward, conv input grad, conv filter grad, batch norm, pool forward/backward, relu
forward/backward, dense, loss/optimizer/other). Per category it prints the minimum and the median over
steps of the category's time in the step, its share of all profiled time, and that share of the
least CPU time a step took: on a loaded machine, which inflates wall times unevenly, the last is the
figure to compare with profile:onnx's.
PyTorch runs a conv's two gradients in one operator (ConvolutionBackward0); its time is split between
them in proportion to each gradient's time alone (aten.convolution_backward with one output, timed
on each conv layer's shapes, minimum of repetitions). Also prints the step's process CPU time (min,
median).

    OMP_NUM_THREADS=1 /usr/bin/python3 bench/torch_op_profile.py --workload cnn --mode plain --steps 20
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_bench import WORKLOADS, Trainer, torch  # noqa: E402

CATEGORIES = ["conv forward", "conv input grad", "conv filter grad", "batch norm", "pool forward",
              "pool backward", "relu forward", "relu backward", "dense", "layout",
              "loss, optimizer, other"]

TOP_LEVEL = {
    "aten::conv2d": "conv forward",
    "ConvolutionBackward0": "conv backward",
    "aten::batch_norm": "batch norm",
    "NativeBatchNormBackward0": "batch norm",
    "aten::max_pool2d": "pool forward",
    "aten::avg_pool2d": "pool forward",
    "MaxPool2DWithIndicesBackward0": "pool backward",
    "AvgPool2DBackward0": "pool backward",
    "aten::relu": "relu forward",
    "ReluBackward0": "relu backward",
    "aten::linear": "dense",
    "AddmmBackward0": "dense",
    "TBackward0": "dense",
}


def category(name):
    return TOP_LEVEL.get(name.replace("autograd::engine::evaluate_function: ", ""), "loss, optimizer, other")


def conv_grad_split(trainer, reps):
    """Seconds of PyTorch's input gradient and filter gradient (bias included) alone, summed over the
    model's convs at the step's shapes; each the minimum of `reps` timings by process CPU time."""
    shapes = []
    hooks = [m.register_forward_hook(lambda m, i, o: shapes.append((m, i[0].shape, o.shape)))
             for m in trainer.model.modules() if isinstance(m, torch.nn.Conv2d)]
    trainer.step()
    for h in hooks:
        h.remove()
    totals = {"conv input grad": 0.0, "conv filter grad": 0.0}
    for m, xs, ys in shapes:
        x, g = torch.randn(xs), torch.randn(ys)
        first = m is shapes[0][0]
        for cat, mask in (("conv input grad", [True, False, False]),
                          ("conv filter grad", [False, True, m.bias is not None])):
            if cat == "conv input grad" and first:
                continue  # the model's input needs no gradient
            best = float("inf")
            for _ in range(reps):
                t0 = time.process_time()
                torch.ops.aten.convolution_backward(g, x, m.weight.detach(), [m.out_channels] if m.bias is not None else None,
                                                    m.stride, m.padding, m.dilation, False, [0, 0], m.groups, mask)
                best = min(best, time.process_time() - t0)
            totals[cat] += best
    return totals


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workload", default="cnn", choices=list(WORKLOADS))
    ap.add_argument("--mode", default="plain", choices=["plain", "input", "manifold"])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    trainer = Trainer(args.workload, args.mode)
    for _ in range(args.warmup):
        trainer.step()
    split = conv_grad_split(trainer, 5)
    cpu, per_step = [], []
    for _ in range(args.steps):
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            t0 = time.process_time()
            trainer.step()
            cpu.append((time.process_time() - t0) * 1e3)
        sums = {}
        for e in prof.events():
            if e.cpu_parent is None:
                c = category(e.name)
                sums[c] = sums.get(c, 0.0) + e.cpu_time_total / 1e3
        per_step.append(sums)
    # Split each step's ConvolutionBackward0 time between the two gradients.
    share = split["conv input grad"] / max(split["conv input grad"] + split["conv filter grad"], 1e-12)
    for s in per_step:
        b = s.pop("conv backward", 0.0)
        s["conv input grad"] = b * share
        s["conv filter grad"] = b * (1 - share)
    print("%s %s, torch %s, %d thread(s), %d steps: step CPU time min %.2f ms, median %.2f ms"
          % (args.workload, args.mode, torch.__version__, torch.get_num_threads(), args.steps, min(cpu), statistics.median(cpu)))
    print("conv gradients alone (min of 5, CPU): input %.2f ms, filter %.2f ms"
          % (split["conv input grad"] * 1e3, split["conv filter grad"] * 1e3))
    print("| part of the step | profiled ms (min) | profiled ms (median) | share of profiled time | share x CPU min (ms) |\n|---|---|---|---|---|")
    total = sum(sum(s.values()) for s in per_step)
    for c in CATEGORIES:
        xs = [s.get(c, 0.0) for s in per_step]
        if all(x == 0 for x in xs):
            continue
        share = sum(xs) / total
        print("| %s | %.2f | %.2f | %.1f%% | %.2f |" % (c, min(xs), statistics.median(xs), 100 * share, share * min(cpu)))

if __name__ == "__main__":
    main()
