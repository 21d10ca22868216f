#!/usr/bin/python3
"""make_kernel_fixtures: PyTorch reference outputs for every kernel of src/nn.

Run by hand (not by make check) with Debian's python3-torch:

    /usr/bin/python3 tests/reference/make_kernel_fixtures.py [--out tests/fixtures/kernels]

Each case is one small fixture file (format: fixture_io.py) holding the inputs,
the parameters, the forward output, an upstream gradient `gy` and the
gradients PyTorch computes for it, plus an int32 `spec` with the shape and
hyper-parameters the C test (tests/test_kernels_torch.c) needs. Everything is
float32, as the kernels are; the seed is fixed, so rerunning reproduces the
files bit for bit on the same PyTorch.
"""
import argparse
import collections
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_io import write_fixture  # noqa: E402

torch.manual_seed(2)
torch.set_num_threads(1)


def rnd(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).float()


def leaf(t):
    return t.clone().detach().requires_grad_(True)


def spec(*vals):
    return np.array(vals, dtype=np.int32)


def conv_case(c_in, c_out, k, stride, pad, dil, groups, n, h, w):
    x, wt = leaf(rnd(n, c_in, h, w)), leaf(rnd(c_out, c_in // groups, k, k, scale=0.5))
    y = F.conv2d(x, wt, None, stride, pad, dil, groups)
    gy = rnd(*y.shape)
    y.backward(gy)
    return collections.OrderedDict([
        ("spec", spec(c_in, c_out, k, stride, pad, dil, groups, n, h, w)),
        ("x", x), ("w", wt), ("y", y), ("gy", gy), ("gx", x.grad), ("gw", wt.grad)])


def pool_case(kind, stride, n, c, h, w):
    # distinct values (a shuffled grid) so the max of every window is unique
    vals = torch.randperm(n * c * h * w).float() * 0.01 - 3.0
    x = leaf(vals.reshape(n, c, h, w))
    if kind == "max":
        y = F.max_pool2d(x, 3, stride, 1)
    else:
        y = F.avg_pool2d(x, 3, stride, 1, count_include_pad=False)
    gy = rnd(*y.shape)
    y.backward(gy)
    return collections.OrderedDict([
        ("spec", spec(stride, n, c, h, w)), ("x", x), ("y", y), ("gy", gy), ("gx", x.grad)])


def gap_case(n, c, h, w):
    x = leaf(rnd(n, c, h, w))
    y = x.mean(dim=(2, 3))
    gy = rnd(*y.shape)
    y.backward(gy)
    return collections.OrderedDict([
        ("spec", spec(n, c, h, w)), ("x", x), ("y", y), ("gy", gy), ("gx", x.grad)])


def bn_case(affine, n, c, h, w):
    bn = torch.nn.BatchNorm2d(c, eps=1e-5, momentum=0.1, affine=affine)
    with torch.no_grad():
        bn.running_mean.copy_(rnd(c, scale=0.3))
        bn.running_var.copy_(rnd(c).abs() + 0.5)
        if affine:
            bn.weight.copy_(rnd(c, scale=0.5) + 1.0)
            bn.bias.copy_(rnd(c, scale=0.5))
    rm0, rv0 = bn.running_mean.clone(), bn.running_var.clone()
    x = leaf(rnd(n, c, h, w, scale=2.0) + 0.7)
    bn.train()
    y = bn(x)
    gy = rnd(*y.shape)
    y.backward(gy)
    xd = x.detach().double()
    mean = xd.mean(dim=(0, 2, 3))
    var = xd.var(dim=(0, 2, 3), unbiased=False)
    d = collections.OrderedDict([
        ("spec", spec(int(affine), n, c, h, w)), ("x", x), ("y", y), ("gy", gy), ("gx", x.grad),
        ("running_mean0", rm0), ("running_var0", rv0),
        ("running_mean1", bn.running_mean), ("running_var1", bn.running_var),
        ("save_mean", mean.float()), ("save_invstd", (1.0 / torch.sqrt(var + 1e-5)).float())])
    if affine:
        d["gamma"], d["beta"] = bn.weight, bn.bias
        d["ggamma"], d["gbeta"] = bn.weight.grad, bn.bias.grad
    bn.eval()
    with torch.no_grad():
        d["y_eval"] = bn(x)  # with the updated running statistics
    return d


def relu_case(n):
    x = leaf(rnd(n))
    y = F.relu(x)
    gy = rnd(n)
    y.backward(gy)
    return collections.OrderedDict([("x", x), ("y", y), ("gy", gy), ("gx", x.grad)])


def linear_case(n, i, o):
    x, wt, b = leaf(rnd(n, i)), leaf(rnd(o, i, scale=0.3)), leaf(rnd(o))
    y = F.linear(x, wt, b)
    gy = rnd(n, o)
    y.backward(gy)
    return collections.OrderedDict([
        ("spec", spec(n, i, o)), ("x", x), ("w", wt), ("b", b), ("y", y), ("gy", gy),
        ("gx", x.grad), ("gw", wt.grad), ("gb", b.grad)])


def xent_case(n, k):
    logits = leaf(rnd(n, k, scale=2.0))
    labels = torch.randint(0, k, (n,))
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    correct = (logits.detach().argmax(dim=1) == labels).sum()
    alphas = rnd(14, 8, scale=1e-3)
    return collections.OrderedDict([
        ("spec", spec(n, k)), ("logits", logits), ("labels", labels.int()),
        ("loss", loss.detach().reshape(1)), ("probs", F.softmax(logits.detach(), dim=1)),
        ("correct", correct.int().reshape(1)), ("glogits", logits.grad),
        ("alphas", alphas), ("alphas_softmax", F.softmax(alphas, dim=-1))])


def channel_case(n, c1, c2, h, w):
    # concat on channels (channel_copy), FactorizedReduce's shift and subsample
    a, b = leaf(rnd(n, c1, h, w)), leaf(rnd(n, c2, h, w))
    cat = torch.cat([a, b], dim=1)
    gcat = rnd(*cat.shape)
    cat.backward(gcat)
    x = leaf(rnd(n, c1, h, w))
    sh = x[:, :, 1:, 1:]
    gsh = rnd(*sh.shape)
    sh.backward(gsh)
    d = collections.OrderedDict([
        ("spec", spec(n, c1, c2, h, w)), ("a", a), ("b", b), ("cat", cat), ("gcat", gcat),
        ("ga", a.grad), ("gb", b.grad), ("x", x), ("shift", sh), ("gshift", gsh), ("gx", x.grad)])
    for off in (0, 1):
        z = leaf(x.detach())
        sub = z[:, :, off::2, off::2]
        gsub = rnd(*sub.shape)
        sub.backward(gsub)
        d["sub%d" % off], d["gsub%d" % off], d["gz%d" % off] = sub, gsub, z.grad
    return d


def cases():
    yield "conv_dense3x3", conv_case(3, 4, 3, 1, 1, 1, 1, 2, 7, 9)
    yield "conv_dense3x3_s2d2", conv_case(3, 5, 3, 2, 2, 2, 1, 2, 9, 8)
    yield "conv_pw", conv_case(5, 6, 1, 1, 0, 1, 1, 2, 5, 7)
    yield "conv_pw_s2", conv_case(4, 6, 1, 2, 0, 1, 1, 2, 7, 6)
    for k, d in ((3, 1), (5, 1), (3, 2), (5, 2)):
        pad = d * (k - 1) // 2
        for s in (1, 2):
            yield "conv_dw%dd%d_s%d" % (k, d, s), conv_case(3, 3, k, s, pad, d, 3, 2, 9, 11)
    yield "conv_dw3_c16", conv_case(16, 16, 3, 1, 1, 1, 16, 2, 8, 8)
    yield "conv_dw5d2_c16_s2", conv_case(16, 16, 5, 2, 4, 2, 16, 2, 10, 10)
    for kind in ("max", "avg"):
        for s in (1, 2):
            yield "pool_%s_s%d" % (kind, s), pool_case(kind, s, 2, 3, 7, 10)
    yield "pool_max_s2_even", pool_case("max", 2, 2, 2, 8, 8)
    yield "pool_avg_s2_even", pool_case("avg", 2, 2, 2, 8, 8)
    yield "pool_global", gap_case(3, 5, 4, 7)
    yield "bn_affine", bn_case(True, 4, 3, 5, 6)
    yield "bn_plain", bn_case(False, 3, 4, 7, 5)
    yield "relu", relu_case(101)
    yield "linear", linear_case(5, 12, 10)
    yield "xent", xent_case(9, 10)
    yield "channel", channel_case(2, 3, 2, 7, 6)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(here, "..", "fixtures", "kernels"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, tensors in cases():
        path = os.path.join(args.out, name + ".fix")
        write_fixture(path, tensors)
        print("%-28s %6d bytes" % (name, os.path.getsize(path)))


if __name__ == "__main__":
    main()
