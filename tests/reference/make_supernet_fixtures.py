#!/usr/bin/python3
"""make_supernet_fixtures: dump a tiny DARTS search network from the PyTorch
reference, darts_ref.py (not part of dartboard; see docs/ARCHITECTURE.md, The
PyTorch reference), for tests/test_supernet.c.

The network is small enough to keep the fixture small yet has every part of
the supernet: C=2, 3 layers (cell 0 normal, cells 1 and 2 reduction, so cell 2
preprocesses s0 with a FactorizedReduce and the reduction cells use the
stride-2 FactorizedReduce skip), 3x8x8 images, batch 6, 10 classes.

Weights are not stored: both sides generate them with weight_hash() (a
splitmix64 hash of the flat index, exact in float32), which halves the file.
The fixture holds the size of each parameter tensor, the alphas (N(0, 0.5), so ops are far from uniformly mixed),
the batch, the loss and logits, the flat weight gradient (PyTorch's
model.parameters() order), the alpha gradients, the BN running statistics
after one training-mode forward (buffers order: mean, var of each BN), the
evaluation-mode logits after it, and derive_genotype() of the alphas as
(op index, input) pairs.

Run by hand, with the directory of darts_ref.py in DARTS_REF_DIR or --ref-dir:
/usr/bin/python3 tests/reference/make_supernet_fixtures.py
[--ref-dir DIR] [--out tests/fixtures/supernet/tiny.fix]
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
    [("in_channels", 3), ("image_size", 8), ("classes", 10), ("init_channels", 2),
     ("layers", 3), ("nodes", 4), ("stem_multiplier", 3), ("batch", 6)])




def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_reference_argument(ap)
    ap.add_argument("--out", default=os.path.join(HERE, "../fixtures/supernet/tiny.fix"))
    args = ap.parse_args()
    darts_ref = import_reference(args.ref_dir)
    import torch
    import torch.nn.functional as F

    torch.manual_seed(0)
    s = SPEC
    model = darts_ref.SearchNetwork(C=s["init_channels"], num_classes=s["classes"],
                                    layers=s["layers"], in_ch=s["in_channels"],
                                    steps=s["nodes"], multiplier=s["nodes"],
                                    stem_multiplier=s["stem_multiplier"])
    params = list(model.parameters())
    count = load_hashed_weights(params)
    with torch.no_grad():
        model.alphas_normal.normal_(0, 0.5)
        model.alphas_reduce.normal_(0, 0.5)
    model.train()
    x = torch.randn(s["batch"], s["in_channels"], s["image_size"], s["image_size"])
    y = torch.randint(0, s["classes"], (s["batch"],))

    logits = model(x)
    loss = F.cross_entropy(logits, y)
    alphas = model.arch_parameters()
    grads = torch.autograd.grad(loss, params + alphas)
    wgrad = torch.cat([g.flatten() for g in grads[:len(params)]])
    agrad = torch.stack([grads[len(params)], grads[len(params) + 1]])
    running = torch.cat([b.flatten() for name, b in model.named_buffers()
                         if not name.endswith("num_batches_tracked")])
    model.eval()
    with torch.no_grad():
        eval_logits = model(x)

    geno = darts_ref.derive_genotype(F.softmax(model.alphas_normal, -1).detach(),
                                     F.softmax(model.alphas_reduce, -1).detach(),
                                     s["nodes"], s["nodes"])
    pairs = [[[darts_ref.PRIMITIVES.index(op), j] for op, j in cell]
             for cell in (geno.normal, geno.reduce)]

    out = collections.OrderedDict()
    out["spec"] = np.array(list(SPEC.values()), dtype=np.int32)
    out["weight_count"] = np.array([count], dtype=np.int32)
    out["weight_sizes"] = np.array([p.numel() for p in params], dtype=np.int32)
    flat = torch.cat([p.detach().reshape(-1) for p in params])  # the hashed weights
    out["weight_sum"] = np.array([flat.double().sum().item(), flat.double().pow(2).sum().item()])
    out["alphas"] = torch.stack([model.alphas_normal, model.alphas_reduce]).detach()
    out["x"] = x
    out["y"] = y.to(torch.int32)
    out["loss"] = loss.detach().reshape(1)
    out["logits"] = logits.detach()
    out["weight_grads"] = wgrad
    out["alpha_grads"] = agrad
    out["running"] = running
    out["eval_logits"] = eval_logits
    out["genotype"] = np.array(pairs, dtype=np.int32)
    write_fixture(args.out, out)
    print("%s: %d weights, %d running stats, loss %.6f, genotype %s"
          % (args.out, count, running.numel(), loss.item(), geno))


if __name__ == "__main__":
    main()
