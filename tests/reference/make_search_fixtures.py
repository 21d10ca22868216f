#!/usr/bin/python3
"""Fixtures for tests/test_search_ref.c: the bilevel step of darts_ref.DartsSearch.

Run by hand with Debian's Python (torch 1.13), pointing at the directory of
the PyTorch reference darts_ref.py (not part of dartboard; see
docs/ARCHITECTURE.md, The PyTorch reference):
    DARTS_REF_DIR=DIR /usr/bin/python3 tests/reference/make_search_fixtures.py [-o FILE]
    /usr/bin/python3 tests/reference/make_search_fixtures.py --ref-dir DIR [-o FILE]
The output (tests/fixtures/search/search_ref.fix) is committed.

A tiny supernet (C=4, 3 cells: normal, reduce, reduce; 3x8x8 images, 10 classes,
batch 8) is computed in float64 so the fixture is the exact answer the float32
C code must approach.

Size: the network has ~73k weights, too many to store several times, so
  * the initial weights come from a formula both sides evaluate
    (w = center[t] + scale[t] * (2u - 1), u from splitmix64 of the flat index,
    24 bits; center/scale per tensor are stored), and
  * weights and BN running statistics after the steps are stored as per-tensor
    norms of their change plus every STRIDE-th flat entry.
Alphas, batches and alpha gradients are stored whole.

Tensors:
  hyper         float64 [lr, momentum, weight_decay, grad_clip, arch_lr, arch_wd,
                beta1, beta2, C, layers, in_ch, img, classes, batch, w_stride, r_stride]
  w_sizes, w_center, w_scale   per weight tensor, model.parameters() order
  r_sizes       per running-statistic buffer: mean then var of each BN, module order
  alphas        (2, 14, 8) normal then reduce, N(0, 0.5)
  xt, yt, xv, yv                the fixed train (weights) and val (alphas) batches
  loss_val0     L_val at the initial state (train-mode BN)
  grad1         first-order alpha gradient at the initial state
  grad2_m0      second-order alpha gradient at the initial state (no momentum yet), xi = lr
  grad2_m1      the same after one real order-1 step (momentum buffers non-zero)
  o{1,2}_alphas              alphas after 3 search steps of order 1 / 2
  o{1,2}_w_dnorm, o{1,2}_w_sample    per-tensor ||w - w0||, w[::w_stride] after 3 steps
  o{1,2}_r_dnorm, o{1,2}_r_sample    the same for the running statistics (init: mean 0, var 1)
  o{1,2}_losses              training loss of each of the 3 weight steps
  o{1,2}_genotype            the derived cell after the 3 steps: (2 cells, 8 edges, [op, input])
"""

import argparse
import os
import sys
from collections import OrderedDict

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

C, LAYERS, IN_CH, IMG, CLASSES, BATCH = 4, 3, 3, 8, 10, 8
LR, MOMENTUM, WD, CLIP = 0.1, 0.9, 3e-4, 1.0
ARCH_LR, ARCH_WD, BETA1, BETA2 = 0.01, 1e-3, 0.5, 0.999
STEPS = 3
W_STRIDE, R_STRIDE = 37, 7
INIT_SEED = 0x5EA2C4


def formula_uniform(n, seed):
    """2u - 1 in [-1, 1), u = top 24 bits of splitmix64(seed + (i + 1) * golden):
    the same as weights_formula() in tests/test_search_ref.c."""
    with np.errstate(over='ignore'):
        i = np.arange(1, n + 1, dtype=np.uint64)
        z = np.uint64(seed) + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(40)).astype(np.float64) / 16777216.0
    return (2.0 * u - 1.0).astype(np.float32)


def main():
    sys.path.insert(0, HERE)
    from fixture_io import add_reference_argument, import_reference, write_fixture
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_reference_argument(ap)
    ap.add_argument('-o', '--output',
                    default=os.path.join(HERE, '..', 'fixtures', 'search', 'search_ref.fix'))
    args = ap.parse_args()
    darts_ref = import_reference(args.ref_dir)
    import torch
    import torch.nn as nn

    torch.set_default_dtype(torch.float64)
    torch.manual_seed(7)
    gen = torch.Generator().manual_seed(11)

    proto = darts_ref.SearchNetwork(C, CLASSES, LAYERS, IN_CH)
    params = list(proto.parameters())
    sizes, centers, scales = [], [], []
    for mod in proto.modules():
        for name, p in mod.named_parameters(recurse=False):
            if isinstance(mod, nn.BatchNorm2d):
                center, scale = (1.0, 0.1) if name == 'weight' else (0.0, 0.1)
            elif isinstance(mod, nn.Linear):
                center, scale = 0.0, 1.0 / np.sqrt(mod.in_features)
            else:
                fan_in = p[0].numel()
                center, scale = 0.0, 1.0 / np.sqrt(fan_in)
            sizes.append(p.numel())
            centers.append(center)
            scales.append(scale)
    assert len(sizes) == len(params)
    n_w = sum(sizes)
    u = formula_uniform(n_w, INIT_SEED)
    center32 = np.array(centers, dtype=np.float32)
    scale32 = np.array(scales, dtype=np.float32)
    w0 = np.empty(n_w, dtype=np.float32)
    off = 0
    for t, n in enumerate(sizes):
        w0[off:off + n] = center32[t] + scale32[t] * u[off:off + n]
        off += n

    bns = [m for m in proto.modules() if isinstance(m, nn.BatchNorm2d)]
    r_sizes = []
    for bn in bns:
        r_sizes += [bn.num_features, bn.num_features]
    r0 = np.concatenate([np.concatenate([np.zeros(bn.num_features), np.ones(bn.num_features)])
                         for bn in bns])

    alphas = (0.5 * torch.randn(2, 14, 8, generator=gen)).float()
    xt = torch.randn(BATCH, IN_CH, IMG, IMG, generator=gen).float()
    xv = torch.randn(BATCH, IN_CH, IMG, IMG, generator=gen).float()
    yt = torch.randint(0, CLASSES, (BATCH,), generator=gen)
    yv = torch.randint(0, CLASSES, (BATCH,), generator=gen)

    def fresh():
        model = darts_ref.SearchNetwork(C, CLASSES, LAYERS, IN_CH)
        with torch.no_grad():
            off = 0
            for p in model.parameters():
                p.copy_(torch.from_numpy(w0[off:off + p.numel()].astype(np.float64)).view_as(p))
                off += p.numel()
            model.alphas_normal.copy_(alphas[0].double())
            model.alphas_reduce.copy_(alphas[1].double())
        model.train()
        search = darts_ref.DartsSearch(model, LR, MOMENTUM, WD, CLIP, ARCH_LR, ARCH_WD)
        for g in search.a_opt.param_groups:
            g['betas'] = (BETA1, BETA2)
        return model, search

    X = [t.double() for t in (xt, xv)]
    xt64, xv64 = X

    def flat_w(model):
        return torch.cat([p.detach().flatten() for p in model.parameters()]).numpy()

    def flat_r(model):
        return torch.cat([torch.cat([m.running_mean, m.running_var]) for m in model.modules()
                          if isinstance(m, nn.BatchNorm2d)]).numpy()

    def tensor_dnorms(now, start, sz):
        out, off = [], 0
        for n in sz:
            out.append(np.linalg.norm(now[off:off + n] - start[off:off + n]))
            off += n
        return np.array(out)

    fx = OrderedDict()
    fx['hyper'] = np.array([LR, MOMENTUM, WD, CLIP, ARCH_LR, ARCH_WD, BETA1, BETA2, C, LAYERS,
                            IN_CH, IMG, CLASSES, BATCH, W_STRIDE, R_STRIDE], dtype=np.float64)
    fx['w_sizes'] = np.array(sizes, dtype=np.int32)
    fx['w_center'] = center32
    fx['w_scale'] = scale32
    fx['r_sizes'] = np.array(r_sizes, dtype=np.int32)
    fx['alphas'] = alphas.numpy()
    fx['xt'] = xt.numpy()
    fx['yt'] = yt.int().numpy()
    fx['xv'] = xv.numpy()
    fx['yv'] = yv.int().numpy()

    model, search = fresh()
    with torch.no_grad():
        fx['loss_val0'] = np.array([search.loss(xv64, yv).item()])
    model, search = fresh()
    g1 = search.arch_grad_first_order(xv64, yv)
    fx['grad1'] = torch.stack(g1).float().numpy()

    model, search = fresh()
    gw = torch.autograd.grad(search.loss(xt64, yt), search.weights)
    gnorm = torch.cat([g.flatten() for g in gw]).norm().item()
    print('weight-gradient norm at the start: %.4f (clip %.2f: %s)'
          % (gnorm, CLIP, 'clips' if gnorm > CLIP else 'does NOT clip'))

    model, search = fresh()
    first = search.arch_grad_first_order(xv64, yv)  # not used; only to report the size of xi*h
    model, search = fresh()
    g2 = search.arch_grad_second_order(xt64, yt, xv64, yv, LR)
    fx['grad2_m0'] = torch.stack(g2).float().numpy()
    print('||grad2_m0 - grad1|| / ||grad1|| = %.3f'
          % ((torch.stack(g2) - torch.stack(first)).norm() / torch.stack(first).norm()).item())

    model, search = fresh()
    search.step(xt64, yt, xv64, yv, 1, LR)
    g2 = search.arch_grad_second_order(xt64, yt, xv64, yv, LR)
    fx['grad2_m1'] = torch.stack(g2).float().numpy()

    for order in (1, 2):
        model, search = fresh()
        losses = []
        for _ in range(STEPS):
            loss, _ = search.step(xt64, yt, xv64, yv, order, LR)
            losses.append(loss.item())
        w, r = flat_w(model), flat_r(model)
        fx['o%d_alphas' % order] = torch.stack([model.alphas_normal.detach(),
                                                model.alphas_reduce.detach()]).float().numpy()
        fx['o%d_w_dnorm' % order] = tensor_dnorms(w, w0.astype(np.float64), sizes)
        fx['o%d_w_sample' % order] = w[::W_STRIDE].astype(np.float32)
        fx['o%d_r_dnorm' % order] = tensor_dnorms(r, r0, r_sizes)
        fx['o%d_r_sample' % order] = r[::R_STRIDE].astype(np.float32)
        fx['o%d_losses' % order] = np.array(losses)
        g = model.genotype()
        fx['o%d_genotype' % order] = np.array(
            [[[darts_ref.PRIMITIVES.index(op), j] for op, j in cell] for cell in (g.normal, g.reduce)],
            dtype=np.int32)
        print('order %d: losses %s' % (order, ' '.join('%.5f' % x for x in losses)))

    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    write_fixture(args.output, fx)
    print('wrote %s (%d weights, %d running statistics, %d bytes)'
          % (args.output, n_w, len(r0), os.path.getsize(args.output)))


if __name__ == '__main__':
    main()
