#!/usr/bin/python3
"""make_hessian_fixtures: the exact alpha Hessian of the tiny supernet of
tests/fixtures/supernet/tiny.fix, from the PyTorch reference darts_ref.py (not
part of dartboard; see docs/ARCHITECTURE.md, The PyTorch reference), for
tests/test_hessian.c.

The network, weights (weight_hash), alphas and batch are those of tiny.fix
(made by make_supernet_fixtures.py); the loss is the mean cross-entropy with
train-mode BN, as RobustDARTS's monitor and darts_ref.alpha_hessian_eigenvalue
take it. Products by double backward (autograd holds every ReLU mask and
max-pool argmax constant), in float64:
  probe         a fixed direction (224): weight_hash(i + 1000) per element
  hvp           H @ probe
  eigenvalues   of the whole 224 x 224 Hessian (symmetrised), ascending
  lambda_ref    darts_ref.alpha_hessian_eigenvalue(...) as --hessian runs it
                (20 products from randn, seed 0), and with 200 products

Run by hand, with the directory of darts_ref.py in DARTS_REF_DIR or --ref-dir:
/usr/bin/python3 tests/reference/make_hessian_fixtures.py
[--ref-dir DIR] [--out tests/fixtures/hessian/tiny_hessian.fix]

--config-c FILE [--full] instead writes the state of `darts_ref.py --train --dataset
fashion-mnist --C 8 --layers 5 --batch 32 --steps 10 --hessian --hessian-full`
after its 10 steps (spec, flat weights, alphas, the first 32 search-val
images and labels, its lambda_max both ways) for `tests/test_hessian FILE`,
the comparison of BENCHMARKS.md (1.6 MB: not part of the tree).
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
    read_fixture,
    weight_hash,
    write_fixture)


class AlphaLoss:
    """What alpha_hessian_eigenvalue needs of a DartsSearch: alphas and loss()."""

    def __init__(self, model):
        self.model = model
        self.alphas = [model.alphas_normal, model.alphas_reduce]

    def loss(self, x, y):
        import torch.nn.functional as F
        return F.cross_entropy(self.model(x), y)


def config_c(darts_ref, out, full):
    """darts_ref.run_train's first 10 steps, then its --hessian report."""
    import torch
    args = darts_ref.parse_args(["--train", "--dataset", "fashion-mnist", "--C", "8",
                                 "--layers", "5", "--batch", "32", "--steps", "10"])
    torch.set_num_threads(args.threads)
    model, search = darts_ref.build(args)
    train, val = darts_ref.search_split(darts_ref.load_fashion_mnist(args.data_dir))
    gen = torch.Generator().manual_seed(args.seed)
    sampler = darts_ref.EpochSampler(len(train), args.batch, gen)
    for step in range(args.steps):
        lr = darts_ref.cosine_lr(step, args.steps, args.lr, args.lr_min)
        xt, yt = train.batch(sampler.next())
        xv, yv = val.batch(darts_ref.random_batch(len(val), args.batch, gen))
        search.step(xt, yt, xv, yv, args.order, lr)
    xh, yh = val.batch(torch.arange(0, args.batch))
    lam, lam_full = darts_ref.alpha_hessian_eigenvalue(model, search, xh, yh, full=full)
    out_t = collections.OrderedDict()
    out_t["spec"] = np.array([1, 28, 10, 8, 5, 4, 3, 32], dtype=np.int32)
    out_t["weights"] = torch.cat([p.detach().flatten() for p in model.parameters()])
    out_t["alphas"] = torch.stack([model.alphas_normal, model.alphas_reduce]).detach()
    out_t["x"] = xh
    out_t["y"] = yh.to(torch.int32)
    out_t["lambda_ref"] = np.array([lam, lam if lam_full is None else lam_full])
    write_fixture(out, out_t)
    print("%s: after 10 steps lambda_max %.5f (power iteration)%s"
          % (out, lam, "" if lam_full is None else ", %.5f (full Hessian)" % lam_full))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_reference_argument(ap)
    ap.add_argument("--config-c", metavar="FILE", help="the config-C comparison state instead")
    ap.add_argument("--full", action="store_true",
                    help="(--config-c) also the whole Hessian's eigenvalue (slow)")
    ap.add_argument("--tiny", default=os.path.join(HERE, "../fixtures/supernet/tiny.fix"))
    ap.add_argument("--out", default=os.path.join(HERE, "../fixtures/hessian/tiny_hessian.fix"))
    args = ap.parse_args()
    darts_ref = import_reference(args.ref_dir)
    import torch

    if args.config_c:
        return config_c(darts_ref, args.config_c, args.full)
    torch.set_default_dtype(torch.float64)
    tiny = read_fixture(args.tiny)
    s = dict(zip(["in_channels", "image_size", "classes", "init_channels", "layers", "nodes",
                  "stem_multiplier", "batch"], [int(v) for v in tiny["spec"]]))
    model = darts_ref.SearchNetwork(C=s["init_channels"], num_classes=s["classes"],
                                    layers=s["layers"], in_ch=s["in_channels"],
                                    steps=s["nodes"], multiplier=s["nodes"],
                                    stem_multiplier=s["stem_multiplier"])
    params = list(model.parameters())
    count = load_hashed_weights(params)
    alphas = torch.tensor(tiny["alphas"].astype(np.float64))
    with torch.no_grad():
        model.alphas_normal.copy_(alphas[0])
        model.alphas_reduce.copy_(alphas[1])
    model.train()
    x = torch.tensor(tiny["x"].astype(np.float64))
    y = torch.tensor(tiny["y"].astype(np.int64))
    search = AlphaLoss(model)

    na = alphas.numel()
    probe = torch.tensor([weight_hash(i + 1000) for i in range(na)])
    g = torch.autograd.grad(search.loss(x, y), search.alphas, create_graph=True)
    gflat = torch.cat([t.flatten() for t in g])

    def hvp(v):
        return torch.cat([t.flatten() for t in
                          torch.autograd.grad(gflat @ v, search.alphas, retain_graph=True)])

    hv = hvp(probe)
    H = torch.stack([hvp(e) for e in torch.eye(na)])
    eig = torch.linalg.eigvalsh(0.5 * (H + H.T))
    lam20, lam_full = darts_ref.alpha_hessian_eigenvalue(model, search, x, y, full=True)
    lam200, _ = darts_ref.alpha_hessian_eigenvalue(model, search, x, y, iters=200)

    out = collections.OrderedDict()
    out["probe"] = probe.float()
    out["hvp"] = hv.detach().float()
    out["eigenvalues"] = eig.detach()
    out["lambda_ref"] = np.array([lam20, lam200])
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    write_fixture(args.out, out)
    print("%s: %d alphas, eigenvalues %.6f .. %.6f, power iteration %.6f (20) %.6f (200), "
          "full %.6f, asymmetry %.3g"
          % (args.out, na, eig[0].item(), eig[-1].item(), lam20, lam200, lam_full,
             (H - H.T).abs().max().item()))


if __name__ == "__main__":
    main()
