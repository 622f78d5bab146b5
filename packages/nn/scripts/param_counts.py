#!/usr/bin/python3
"""Reference parameter counts and shapes for the @mmx/nn models, from PyTorch.

Generates packages/nn/src/fixtures/param-counts.json: for each model, the number of
trainable parameters, every trainable parameter's shape under PyTorch's state_dict
naming (e.g. "layer1.0.conv1.weight": [64, 64, 3, 3], conv weights as [out, in, kh, kw],
Linear weights as [out, in]), the BatchNorm running-statistics buffers (not trainable,
counted separately), and the per-example shapes (NCHW without N) of the mixing
boundaries k = 0, 1, 2, ... that the official code uses.

Models (written here from the architecture descriptions; the residual nets follow
vikasverma1077/manifold_mixup supervised/models/preresnet.py and wide_resnet.py, see
"official_notes" in the JSON):
  mlp                    Linear 784-512-512-10 with ReLU between.
  small_cnn              Conv(1,32,3,p1) ReLU MaxPool2 Conv(32,64,3,p1) ReLU MaxPool2
                         Flatten Linear(3136,128) ReLU Linear(128,10), input 1x28x28.
  spiral_net             Linear(2,128) ReLU Linear(128,128) ReLU Linear(128,2) [linear
                         2-unit bottleneck] Linear(2,128) ReLU Linear(128,128) ReLU
                         Linear(128,2).
  preactresnet18/34      as the official preresnet.py (NO final BatchNorm/ReLU there).
  preactresnet18/34_final_bn
                         the same plus a final BatchNorm2d(512) + ReLU before the average
                         pool (the usual He et al. 2016 pre-activation tail; NOT in the
                         official manifold_mixup file).
  wrn28_10               as the official wide_resnet.py (conv biases on, no dropout).

Needs PyTorch (Debian: apt-get install -y python3-torch libopenblas0-pthread).
Regenerate from the repository root with:
    /usr/bin/python3 packages/nn/scripts/param_counts.py
(optionally pass an output path; default packages/nn/src/fixtures/param-counts.json).
"""
import json
import os
import re
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "src", "fixtures", "param-counts.json")


# --------------------------------------------------------------------------- small models

def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def small_cnn(classes=10):
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, classes))


def spiral_net(classes=2, width=128, bottleneck=2):
    return nn.Sequential(
        nn.Linear(2, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
        nn.Linear(width, bottleneck),
        nn.Linear(bottleneck, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
        nn.Linear(width, classes))


# --------------------------------------------------------------------------- PreActResNet

class PreActBlock(nn.Module):
    """Pre-activation basic block as in the official preresnet.py: convs without bias,
    a 1x1 conv (no bias) shortcut when the stride or width changes, and that projection
    shortcut is applied to the PRE-ACTIVATED input relu(bn1(x)); the identity shortcut
    is the raw x."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
        self.has_proj = stride != 1 or cin != cout
        if self.has_proj:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False))

    def forward(self, x):
        a = F.relu(self.bn1(x))
        skip = self.shortcut(a) if self.has_proj else x
        h = self.conv2(F.relu(self.bn2(self.conv1(a))))
        return h + skip


class PreActResNet(nn.Module):
    def __init__(self, blocks, classes=10, width=64, final_bn=False):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, stride=1, padding=1, bias=False)
        cin = width
        for i, n in enumerate(blocks):
            cout = width * 2 ** i
            stage = []
            for j in range(n):
                stage.append(PreActBlock(cin, cout, (1 if i == 0 else 2) if j == 0 else 1))
                cin = cout
            setattr(self, "layer%d" % (i + 1), nn.Sequential(*stage))
        self.final_bn = final_bn
        if final_bn:
            self.bn = nn.BatchNorm2d(cin)
        self.linear = nn.Linear(cin, classes)

    def boundaries(self, x):
        """Activations at the official mixing points k = 0..3 (input, after layer1..3)."""
        hs = [x]
        h = self.layer1(self.conv1(x))
        hs.append(h)
        h = self.layer2(h)
        hs.append(h)
        h = self.layer3(h)
        hs.append(h)
        return hs

    def forward(self, x):
        h = self.layer4(self.layer3(self.layer2(self.layer1(self.conv1(x)))))
        if self.final_bn:
            h = F.relu(self.bn(h))
        h = F.avg_pool2d(h, 4).flatten(1)
        return self.linear(h)


# --------------------------------------------------------------------------- WideResNet

class WideBasic(nn.Module):
    """Official wide_basic: bn1-relu-conv1(3x3, stride 1, bias) -> bn2-relu-conv2(3x3,
    stride, bias); shortcut = 1x1 conv WITH bias on the RAW x when stride != 1 or the
    width changes, identity otherwise. No dropout (removed in the official file)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=True)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=stride, padding=1, bias=True)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=True))

    def forward(self, x):
        h = self.conv1(F.relu(self.bn1(x)))
        h = self.conv2(F.relu(self.bn2(h)))
        return h + self.shortcut(x)


class WideResNet(nn.Module):
    def __init__(self, depth=28, k=10, classes=10):
        super().__init__()
        assert (depth - 4) % 6 == 0
        n = (depth - 4) // 6
        widths = [16, 16 * k, 32 * k, 64 * k]
        self.conv1 = nn.Conv2d(3, widths[0], 3, stride=1, padding=1, bias=True)
        cin = widths[0]
        for i in range(3):
            stage = []
            for j in range(n):
                stage.append(WideBasic(cin, widths[i + 1], (1 if i == 0 else 2) if j == 0 else 1))
                cin = widths[i + 1]
            setattr(self, "layer%d" % (i + 1), nn.Sequential(*stage))
        self.bn1 = nn.BatchNorm2d(cin, momentum=0.9)
        self.linear = nn.Linear(cin, classes)

    def boundaries(self, x):
        hs = [x]
        h = self.layer1(self.conv1(x))
        hs.append(h)
        h = self.layer2(h)
        hs.append(h)
        h = self.layer3(h)
        hs.append(h)
        return hs

    def forward(self, x):
        h = self.layer3(self.layer2(self.layer1(self.conv1(x))))
        h = F.relu(self.bn1(h))
        h = F.avg_pool2d(h, 8).flatten(1)
        return self.linear(h)


# --------------------------------------------------------------------------- summary

def summarize(model, example, boundary_fn, description):
    model.eval()
    params = {name: list(p.shape) for name, p in model.named_parameters() if p.requires_grad}
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    running = {}
    nbt = 0
    for name, b in model.named_buffers():
        if name.endswith("num_batches_tracked"):
            nbt += 1
        else:
            running[name] = list(b.shape)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        out = model(example)
        hs = boundary_fn(example)
    by_kind = {}
    for mod in model.modules():
        for pname, p in mod.named_parameters(recurse=False):
            kind = type(mod).__name__ + "." + pname
            by_kind[kind] = by_kind.get(kind, 0) + p.numel()
    return {
        "description": description,
        "trainable_params": trainable,
        "num_param_tensors": len(params),
        "trainable_by_kind": by_kind,
        "params": params,
        "batchnorm": {
            "layers": len(bns),
            "affine_params": sum(2 * m.num_features for m in bns),
            "momenta": sorted({m.momentum for m in bns}),
            "eps": sorted({m.eps for m in bns}),
            "running_stat_elements": sum(2 * m.num_features for m in bns),
            "num_batches_tracked_buffers": nbt,
            "running_stats": running,
        },
        "input_shape": list(example.shape[1:]),
        "output_shape": list(out.shape[1:]),
        "boundary_shapes": [list(h.shape[1:]) for h in hs],
    }


def seq_boundaries(model, after):
    """Outputs of a Sequential at k = 0 (input) and after the listed module indices."""
    def fn(x):
        hs = [x]
        h = x
        for i, m in enumerate(model):
            h = m(h)
            if i in after:
                hs.append(h)
        return hs
    return fn


OFFICIAL_NOTES = {
    "source": "github.com/vikasverma1077/manifold_mixup, supervised/models/preresnet.py and "
              "supervised/models/wide_resnet.py, supervised/main.py (commit 83547a71), read for this fixture",
    "preresnet.py": [
        "stem: Conv2d(3, 64, 3, stride=1, padding=1, bias=False); no BatchNorm/ReLU after the stem",
        "PreActBlock: bn1 -> relu -> conv1 (3x3, stride s, bias=False) -> bn2 -> relu -> conv2 (3x3, bias=False)",
        "shortcut: Sequential(Conv2d(in, out, 1, stride=s, bias=False)) only when stride != 1 or in != out "
        "(no BatchNorm in the shortcut); the projection is applied to relu(bn1(x)) (the pre-activated input), "
        "the identity shortcut to the raw x",
        "stages: widths 64, 128, 256, 512, first-block strides 1, 2, 2, 2; [2,2,2,2] (18) / [3,4,6,3] (34)",
        "tail: layer4 -> F.avg_pool2d(out, 4) -> view -> Linear(512, classes) with bias. There is NO final "
        "BatchNorm + ReLU in the official file (the *_final_bn entries add one for comparison: +1024 params, "
        "+1024 running-stat elements)",
        "mixing points: layer_mix 0 = input, 1 = after layer1, 2 = after layer2, 3 = after layer3; "
        "mixup_hidden draws random.randint(0, 2), i.e. k in {0, 1, 2}",
        "dropout argument is accepted and ignored",
    ],
    "wide_resnet.py": [
        "file header: dropout has been removed in this code",
        "stem conv3x3: Conv2d(3, 16, 3, padding=1, bias=True); no BatchNorm after the stem",
        "wide_basic: conv1 = act(bn1(x)) -> Conv2d(in, planes, 3, padding=1, bias=True) (stride 1); "
        "conv2 = act(bn2(.)) -> Conv2d(planes, planes, 3, stride=s, padding=1, bias=True)",
        "shortcut: Sequential(Conv2d(in, planes, 1, stride=s, bias=True)) when stride != 1 or in != planes, "
        "else empty Sequential (identity); applied to the RAW x (not pre-activated)",
        "widths [16, 160, 320, 640], n = (28-4)/6 = 4 blocks per stage, stage strides 1, 2, 2",
        "tail: bn1 = BatchNorm2d(640, momentum=0.9) -> ReLU -> F.avg_pool2d(out, 8) -> Linear(640, classes)",
        "conv_init (xavier_uniform gain sqrt(2), zero bias) is defined but never applied: PyTorch default init",
        "mixing points as PreActResNet (0 input, 1 after layer1, 2 after layer2, 3 after layer3)",
    ],
    "main.py": [
        "SGD(net.parameters(), lr, momentum=0.9, weight_decay=1e-4, nesterov=True): weight decay on ALL "
        "parameters, BatchNorm and biases included",
        "training loss for every mode: nn.BCELoss()(nn.Softmax(dim=1)(output), reweighted_target); "
        "test loss nn.CrossEntropyLoss()",
    ],
}


def dump_json(doc, path):
    """json with indent=1, but every list of numbers on one line (smaller, diff-friendly)."""
    text = json.dumps(doc, indent=1)
    text = re.sub(r"\[\s*([-+0-9.eE,\s]*?)\s*\]",
                  lambda m: "[" + re.sub(r",\s*", ", ", m.group(1)) + "]", text)
    with open(path, "w") as f:
        f.write(text + "\n")


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    torch.manual_seed(0)
    models = {}

    m = mlp([784, 512, 512, 10])
    models["mlp"] = summarize(m, torch.zeros(2, 784), seq_boundaries(m, {1, 3}),
                              "mlp([784,512,512,10]): Linear, ReLU, Linear, ReLU, Linear; boundaries: "
                              "input, after first ReLU, after second ReLU")
    m = small_cnn()
    models["small_cnn"] = summarize(m, torch.zeros(2, 1, 28, 28), seq_boundaries(m, {2, 5}),
                                    "Conv2d(1,32,3,p1) ReLU MaxPool2d(2) Conv2d(32,64,3,p1) ReLU MaxPool2d(2) "
                                    "Flatten Linear(3136,128) ReLU Linear(128,10); boundaries: input, after "
                                    "block1 pool, after block2 pool")
    m = spiral_net(2)
    models["spiral_net"] = summarize(m, torch.zeros(2, 2), seq_boundaries(m, {1, 3, 4, 6, 8}),
                                     "Linear(2,128) ReLU Linear(128,128) ReLU Linear(128,2) [linear bottleneck] "
                                     "Linear(2,128) ReLU Linear(128,128) ReLU Linear(128,2); boundaries: input, "
                                     "after each ReLU and after the bottleneck")
    img = torch.zeros(2, 3, 32, 32)
    for name, blocks in (("preactresnet18", [2, 2, 2, 2]), ("preactresnet34", [3, 4, 6, 3])):
        m = PreActResNet(blocks)
        models[name] = summarize(m, img, m.boundaries,
                                 "official preresnet.py PreActResNet(PreActBlock, %s, 64, 10); boundaries "
                                 "k=0..3: input, after layer1, layer2, layer3" % blocks)
        m = PreActResNet(blocks, final_bn=True)
        models[name + "_final_bn"] = summarize(m, img, m.boundaries,
                                               "%s plus a final BatchNorm2d(512)+ReLU before avg_pool "
                                               "(not in the official file)" % name)
    m = WideResNet(28, 10, 10)
    models["wrn28_10"] = summarize(m, img, m.boundaries,
                                   "official wide_resnet.py Wide_ResNet(depth=28, widen_factor=10, 10 classes); "
                                   "boundaries k=0..3: input, after layer1, layer2, layer3")

    doc = {
        "generator": "packages/nn/scripts/param_counts.py",
        "regenerate": "/usr/bin/python3 packages/nn/scripts/param_counts.py",
        "torch_version": torch.__version__,
        "conventions": "PyTorch names and layouts: conv weight [out, in, kh, kw], Linear weight [out, in]; "
                       "trainable_params excludes BatchNorm running_mean/running_var/num_batches_tracked, "
                       "which are under batchnorm (running_stat_elements = mean + var elements); "
                       "boundary_shapes are per example (no batch axis), NCHW",
        "official_notes": OFFICIAL_NOTES,
        "models": models,
    }
    dump_json(doc, out_path)
    for name, s in models.items():
        print("%-24s %12d trainable  %8d bn running  boundaries %s" % (
            name, s["trainable_params"], s["batchnorm"]["running_stat_elements"], s["boundary_shapes"]))


if __name__ == "__main__":
    main()
