#!/usr/bin/python3
"""make_evalnet_fixtures: dump small DARTS evaluation networks from the PyTorch
reference, darts_eval_ref.py (not part of dartboard; see docs/ARCHITECTURE.md,
The PyTorch reference), for tests/test_evalnet.c.

Two networks, 1x28x28 images (so the auxiliary head after cell 3 sees a 7x7
map and pools with stride 2), C=4, 5 cells (reductions at 1 and 3, so cells 2
and 4 preprocess s0 with a FactorizedReduce), batch 4, 10 classes, the
auxiliary head on:
  v2.fix      DARTS_V2;
  allops.fix  a genotype with every op (a strided skip_connect, i.e. a
              FactorizedReduce op, both pools, both sep_convs and dil_convs)
              and a reduce concat of three states.

Weights are not stored: both sides generate them with weight_hash() (a
splitmix64 hash of the flat index, exact in float32). Each fixture holds the
spec, the genotype, the batch, the drop-path masks drawn by the training
forward (probability 0.3, in forward order: cell by cell, op by op, identity
ops skipped), the logits, auxiliary logits, both losses, the flat gradient of
loss + 0.4 * aux loss (model.parameters() order; of tensors over 2,000
weights every 61st entry, `kept` lists the indices, plus the squared norm of
the whole gradient), the BN running statistics
after that forward (mean, var of each BN in buffers order), and the weights
and running statistics after three more SGD steps on the same batch without
drop-path (lr 0.1, momentum 0.9, weight decay 3e-4, gradient clip 0.5, which
the gradients exceed).

Run by hand, with the directory of the reference in DARTS_REF_DIR or --ref-dir:
/usr/bin/python3 tests/reference/make_evalnet_fixtures.py [--ref-dir DIR]
[--out-dir tests/fixtures/train]
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

OPS = ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'sep_conv_5x5',
       'dil_conv_3x3', 'dil_conv_5x5']
SPEC = collections.OrderedDict(
    [("in_channels", 1), ("image_size", 28), ("classes", 10), ("init_channels", 4),
     ("layers", 5), ("stem_multiplier", 3), ("batch", 4)])
DROP_PATH, AUX_WEIGHT = 0.3, 0.4
LR, MOMENTUM, WEIGHT_DECAY, CLIP, SGD_STEPS = 0.1, 0.9, 3e-4, 0.5, 3



def make(ref, genotype, path, seed):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.manual_seed(seed)
    s = SPEC
    model = ref.EvalNetwork(genotype, s["init_channels"], s["classes"], s["layers"], True,
                            s["in_channels"], s["image_size"])
    params = list(model.parameters())
    count = load_hashed_weights(params)
    x = torch.randn(s["batch"], s["in_channels"], s["image_size"], s["image_size"])
    y = torch.randint(0, s["classes"], (s["batch"],))

    masks = []
    draw = ref.drop_path

    def recording_drop_path(h, p, gen):
        keep = 1.0 - p
        mask = torch.empty(h.size(0), 1, 1, 1).bernoulli_(keep, generator=gen)
        masks.append(mask.flatten())
        return h / keep * mask

    ref.drop_path = recording_drop_path
    model.train()
    model.drop_prob = DROP_PATH
    gen = torch.Generator().manual_seed(seed)
    logits, logits_aux = model(x, gen)
    ref.drop_path = draw
    loss = F.cross_entropy(logits, y)
    aux_loss = F.cross_entropy(logits_aux, y)
    grads = torch.autograd.grad(loss + AUX_WEIGHT * aux_loss, params)
    wgrad = torch.cat([g.flatten() for g in grads])

    def running_stats():
        return torch.cat([b.flatten() for name, b in model.named_buffers()
                          if not name.endswith("num_batches_tracked")]).detach().clone()

    running = running_stats()

    model.drop_prob = 0.0
    opt = torch.optim.SGD(model.parameters(), LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    for _ in range(SGD_STEPS):
        opt.zero_grad(set_to_none=True)
        lo, la = model(x, gen)
        (F.cross_entropy(lo, y) + AUX_WEIGHT * F.cross_entropy(la, y)).backward()
        nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        opt.step()
    after = torch.cat([p.detach().flatten() for p in model.parameters()])

    out = collections.OrderedDict()
    out["spec"] = np.array(list(s.values()), dtype=np.int32)
    out["weight_count"] = np.array([count], dtype=np.int32)
    aux_count = sum(p.numel() for n, p in model.named_parameters() if n.startswith("aux."))
    out["aux_count"] = np.array([aux_count], dtype=np.int32)
    for cell in ("normal", "reduce"):
        pairs = getattr(genotype, cell)
        out[cell + "_ops"] = np.array([OPS.index(op) for op, _ in pairs], dtype=np.int32)
        out[cell + "_inputs"] = np.array([j for _, j in pairs], dtype=np.int32)
        out[cell + "_concat"] = np.array(list(getattr(genotype, cell + "_concat")),
                                         dtype=np.int32)
    out["hparams"] = np.array([DROP_PATH, AUX_WEIGHT, LR, MOMENTUM, WEIGHT_DECAY, CLIP, SGD_STEPS])
    out["x"] = x
    out["y"] = y.to(torch.int32)
    out["masks"] = torch.stack(masks)
    out["logits"] = logits.detach()
    out["aux_logits"] = logits_aux.detach()
    out["loss"] = loss.detach().reshape(1)
    out["aux_loss"] = aux_loss.detach().reshape(1)
    # the auxiliary head's 2x2 convolution alone has 393,216 weights: of
    # tensors over 2,000 only every 61st entry is kept (and the squared norm
    # of the whole vector), so the file stays small
    keep = []
    off = 0
    for p in params:
        idx = np.arange(off, off + p.numel())
        keep.append(idx if p.numel() <= 2000 else idx[::61])
        off += p.numel()
    keep = np.concatenate(keep)
    out["kept"] = keep.astype(np.int32)
    out["weight_grads"] = wgrad[torch.from_numpy(keep)]
    out["grad_norm2"] = np.array([wgrad.double().pow(2).sum().item()])
    out["running"] = running
    out["weights_after"] = after[torch.from_numpy(keep)]
    out["after_norm2"] = np.array([after.double().pow(2).sum().item()])
    out["running_after"] = running_stats()
    write_fixture(path, out)
    print("%s: %d weights (%d aux), %d drop-path ops, loss %.6f aux %.6f"
          % (path, count, aux_count, len(masks), loss.item(), aux_loss.item()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_reference_argument(ap)
    ap.add_argument("--out-dir", default=os.path.join(HERE, "../fixtures/train"))
    args = ap.parse_args()
    import_reference(args.ref_dir)
    import darts_eval_ref as ref
    os.makedirs(args.out_dir, exist_ok=True)
    allops = ref.Genotype(
        normal=[('sep_conv_5x5', 0), ('dil_conv_5x5', 1), ('avg_pool_3x3', 0), ('skip_connect', 2),
                ('max_pool_3x3', 1), ('dil_conv_3x3', 2), ('sep_conv_3x3', 3), ('skip_connect', 0)],
        normal_concat=[2, 3, 4, 5],
        reduce=[('skip_connect', 0), ('avg_pool_3x3', 1), ('sep_conv_5x5', 1), ('dil_conv_5x5', 2),
                ('max_pool_3x3', 0), ('sep_conv_3x3', 3), ('dil_conv_3x3', 4), ('skip_connect', 2)],
        reduce_concat=[3, 4, 5])
    make(ref, ref.DARTS_V2, os.path.join(args.out_dir, "v2.fix"), 1)
    make(ref, allops, os.path.join(args.out_dir, "allops.fix"), 2)


if __name__ == "__main__":
    main()
