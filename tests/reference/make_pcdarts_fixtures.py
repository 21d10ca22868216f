#!/usr/bin/python3
"""make_pcdarts_fixtures: PC-DARTS (Xu et al., ICLR 2020) on the PyTorch
reference's search network, for tests/test_pcdarts.c.

The reference, darts_ref.py (not part of dartboard; see docs/ARCHITECTURE.md,
The PyTorch reference), has no PC-DARTS; this script adds it the way the
official code (yuhuixu1993/PC-DARTS, model_search.py) does:

- MixedOp: the ops are built for C // K channels and see x[:, :C // K]; the
  rest, x[:, C // K:], bypasses them, through MaxPool2d(2, 2) when the ops'
  output is smaller (a strided edge); cat([ops, bypass]), then
  channel_shuffle(., K).
- Edge normalisation: node i sums weights2[e] * MixedOp_e over its incoming
  edges e, weights2 the softmax of the betas over those edges.

Two networks, each with the weights of weight_hash() (mirrored in C as
fixture_weight_hash) and alphas and betas N(0, 0.5):
  "k4": K = 4 with edge normalisation; "k2": K = 2 without. Shape: 3x8x8
images, 10 classes, C = 4, 3 layers (cell 0 normal, cells 1 and 2 reduction,
so every kind of edge and the 2x2 bypass pool appear), batch 4.
For each: the loss, logits, flat weight gradient (model.parameters() order),
alpha gradients, beta gradients (k4), the BN running statistics after the
forward, and derive() of the weights the official genotype() parses.

Parameter counts (model.parameters()) of the PC-DARTS network with K = 4 at
the `demo` preset's shape (1 input channel, C = 8, 5 layers) and the `test`
preset's (1 input channel, C = 4, 3 layers), 10 classes, 4 nodes.

Run by hand, with the directory of darts_ref.py in DARTS_REF_DIR or --ref-dir:
/usr/bin/python3 tests/reference/make_pcdarts_fixtures.py
[--ref-dir DIR] [--out tests/fixtures/pcdarts/pcdarts.fix]
"""
import argparse
import collections
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from fixture_io import (  # noqa: E402
    add_reference_argument,
    import_reference,
    load_hashed_weights,
    write_fixture)

SPEC = collections.OrderedDict(
    [("in_channels", 3), ("image_size", 8), ("classes", 10), ("init_channels", 4),
     ("layers", 3), ("nodes", 4), ("stem_multiplier", 3), ("batch", 4)])


def build_classes(ref, torch, nn, F):
    """PC-DARTS's MixedOp, cell and network on top of the reference's."""

    def channel_shuffle(x, groups):
        n, c, h, w = x.shape
        return x.view(n, groups, c // groups, h, w).transpose(1, 2).contiguous().view(n, c, h, w)

    class PCMixedOp(nn.Module):
        def __init__(self, channels, stride, k):
            super().__init__()
            self.k = k
            self.mp = nn.MaxPool2d(2, 2)
            self.ops = nn.ModuleList(ref.make_op(name, channels // k, stride)
                                     for name in ref.PRIMITIVES)

        def forward(self, x, weights):
            c = x.shape[1] // self.k
            part, rest = x[:, :c], x[:, c:]
            out = None
            for w, op in zip(weights, self.ops):
                if isinstance(op, ref.Zero):
                    continue
                y = w * op(part)
                out = y if out is None else out + y
            if out.shape[2] != x.shape[2]:
                rest = self.mp(rest)
            return channel_shuffle(torch.cat([out, rest], dim=1), self.k)

    class PCCell(ref.SearchCell):
        def __init__(self, c_pp, c_p, c, reduction, reduction_prev, steps, multiplier, k):
            super().__init__(c_pp, c_p, c, reduction, reduction_prev, steps, multiplier)
            self.edges = nn.ModuleList()
            for i in range(steps):
                for j in range(2 + i):
                    self.edges.append(PCMixedOp(c, 2 if reduction and j < 2 else 1, k))

        def forward(self, s0, s1, weights, weights2=None):
            states = [self.pre0(s0), self.pre1(s1)]
            e = 0
            for _ in range(self.steps):
                node = None
                for h in states:
                    y = self.edges[e](h, weights[e])
                    if weights2 is not None:
                        y = weights2[e] * y
                    node = y if node is None else node + y
                    e += 1
                states.append(node)
            return torch.cat(states[-self.multiplier:], dim=1)

    class PCNetwork(ref.SearchNetwork):
        def __init__(self, k, edge_norm, C, num_classes, layers, in_ch, steps, multiplier,
                     stem_multiplier):
            super().__init__(C, num_classes, layers, in_ch, steps, multiplier, stem_multiplier)
            # The same cells, rebuilt with partial channels (cells in the same
            # order, so parameters() keeps the reference's order).
            c_pp, c_p, c = stem_multiplier * C, stem_multiplier * C, C
            reduction_prev = False
            for i in range(layers):
                reduction = i in (layers // 3, 2 * layers // 3)
                if reduction:
                    c *= 2
                self.cells[i] = PCCell(c_pp, c_p, c, reduction, reduction_prev, steps,
                                       multiplier, k)
                reduction_prev = reduction
                c_pp, c_p = c_p, multiplier * c
            n_edges = sum(2 + i for i in range(steps))
            self.edge_norm = edge_norm
            self.betas_normal = (1e-3 * torch.randn(n_edges)).requires_grad_()
            self.betas_reduce = (1e-3 * torch.randn(n_edges)).requires_grad_()

        def edge_weights(self, betas):
            """The official weights2: per node, the softmax of its edges' betas."""
            parts, start = [], 0
            for i in range(self.steps):
                parts.append(F.softmax(betas[start:start + 2 + i], dim=-1))
                start += 2 + i
            return torch.cat(parts)

        def forward(self, x):
            w_normal = F.softmax(self.alphas_normal, dim=-1)
            w_reduce = F.softmax(self.alphas_reduce, dim=-1)
            n_normal = self.edge_weights(self.betas_normal) if self.edge_norm else None
            n_reduce = self.edge_weights(self.betas_reduce) if self.edge_norm else None
            s0 = s1 = self.stem(x)
            for cell in self.cells:
                if cell.reduction:
                    s0, s1 = s1, cell(s0, s1, w_reduce, n_reduce)
                else:
                    s0, s1 = s1, cell(s0, s1, w_normal, n_normal)
            out = F.adaptive_avg_pool2d(s1, 1).flatten(1)
            return self.classifier(out)

        def parse_weights(self):
            """What the official genotype() ranks: softmax(alpha) times the
            edge's normalised beta."""
            w = []
            for alphas, betas in ((self.alphas_normal, self.betas_normal),
                                  (self.alphas_reduce, self.betas_reduce)):
                soft = F.softmax(alphas, dim=-1)
                if self.edge_norm:
                    soft = soft * self.edge_weights(betas)[:, None]
                w.append(soft.detach())
            return w

    return PCNetwork


def run_network(ref, torch, F, PCNetwork, k, edge_norm, out, prefix):
    s = SPEC
    model = PCNetwork(k, edge_norm, s["init_channels"], s["classes"], s["layers"],
                      s["in_channels"], s["nodes"], s["nodes"], s["stem_multiplier"])
    params = list(model.parameters())
    count = load_hashed_weights(params)
    with torch.no_grad():
        for a in (model.alphas_normal, model.alphas_reduce, model.betas_normal,
                  model.betas_reduce):
            a.normal_(0, 0.5)
    model.train()
    x = torch.randn(s["batch"], s["in_channels"], s["image_size"], s["image_size"])
    y = torch.randint(0, s["classes"], (s["batch"],))
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    arch = [model.alphas_normal, model.alphas_reduce, model.betas_normal, model.betas_reduce]
    grads = torch.autograd.grad(loss, params + arch, allow_unused=True)
    np_ = len(params)
    running = torch.cat([b.flatten() for name, b in model.named_buffers()
                         if not name.endswith("num_batches_tracked")])
    wn, wr = model.parse_weights()
    geno = ref.derive_genotype(wn, wr, s["nodes"], s["nodes"])
    pairs = [[[ref.PRIMITIVES.index(op), j] for op, j in cell]
             for cell in (geno.normal, geno.reduce)]

    out[prefix + "weight_count"] = np.array([count], dtype=np.int32)
    out[prefix + "alphas"] = torch.stack([model.alphas_normal, model.alphas_reduce]).detach()
    out[prefix + "betas"] = torch.stack([model.betas_normal, model.betas_reduce]).detach()
    out[prefix + "x"] = x
    out[prefix + "y"] = y.to(torch.int32)
    out[prefix + "loss"] = loss.detach().reshape(1)
    out[prefix + "logits"] = logits.detach()
    out[prefix + "weight_grads"] = torch.cat([g.flatten() for g in grads[:np_]])
    out[prefix + "alpha_grads"] = torch.stack([grads[np_], grads[np_ + 1]])
    if edge_norm:
        out[prefix + "beta_grads"] = torch.stack([grads[np_ + 2], grads[np_ + 3]])
    out[prefix + "running"] = running
    out[prefix + "genotype"] = np.array(pairs, dtype=np.int32)
    print("%s: K=%d edge_norm=%d, %d weights, loss %.6f, genotype %s"
          % (prefix, k, edge_norm, count, loss.item(), geno))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_reference_argument(ap)
    ap.add_argument("--out", default=os.path.join(HERE, "../fixtures/pcdarts/pcdarts.fix"))
    args = ap.parse_args()
    ref = import_reference(args.ref_dir)
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    PCNetwork = build_classes(ref, torch, nn, F)
    torch.manual_seed(0)
    out = collections.OrderedDict()
    out["spec"] = np.array(list(SPEC.values()), dtype=np.int32)
    run_network(ref, torch, F, PCNetwork, 4, True, out, "k4_")
    run_network(ref, torch, F, PCNetwork, 2, False, out, "k2_")
    # (in_channels, init_channels, layers) of the demo and test presets; K = 4
    counts = []
    for in_ch, c, layers in ((1, 8, 5), (1, 4, 3)):
        for k in (1, 4):
            model = PCNetwork(k, True, c, 10, layers, in_ch, 4, 4, 3)
            counts.append(sum(p.numel() for p in model.parameters()))
    out["preset_counts"] = np.array(counts, dtype=np.int32)
    print("demo: %d weights, %d with K=4; test: %d, %d with K=4" % tuple(counts))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    write_fixture(args.out, out)


if __name__ == "__main__":
    main()
