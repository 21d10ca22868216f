#!/usr/bin/python3
"""make_rnnsearch_fixtures: a few steps of the recurrent search loop with the
PyTorch reference's classes (darts_rnn_ref.py, not part of dartboard; see
docs/ARCHITECTURE.md, The PyTorch reference), for tests/test_rnnsearch_ref.c.

The reference's SearchModel at a small size (vocabulary 17, embedding =
hidden = 6, batch 3, bptt 6) with every dropout at 0, so no masks need to
agree; its search_step() (first order: the alpha step with Adam on a valid
window, then the weight step with the activation regularisation, the clip and
SGD) driven as train_search.py drives it and rnnsearch.c does: the window's
seq_len from dartboard's random generator (xoshiro256** seeded through
splitmix64 with run.seed ^ "rnnsearc", one uniform per step: bptt if below
0.95, else bptt // 2), the lr scaled by seq_len / bptt, the valid window at
i % (valid rows - 1), both hidden states carried.

The fixture holds the spec, the token streams, the initial weights (flat, in
weight_parameters() order) and alphas, then per step the seq_len, the train
and valid losses, and after the last step the weights, alphas and BN running
statistics.

Run by hand, with the directory of darts_rnn_ref.py in DARTS_REF_DIR or --ref-dir:
/usr/bin/python3 tests/reference/make_rnnsearch_fixtures.py [--ref-dir DIR]
"""
import argparse
import collections
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from fixture_io import add_reference_argument, import_reference, write_fixture  # noqa: E402

V, NHID, B, BPTT, STEPS, SEED = 17, 6, 3, 6, 5, 11
LR, WD, CLIP, BETA, ARCH_LR, ARCH_WD = 20.0, 5e-7, 0.25, 1e-3, 3e-3, 1e-3
M64 = (1 << 64) - 1


class Xoshiro:
    """dartboard's rng.c: splitmix64 seeding, xoshiro256**, rng_uniform."""

    def __init__(self, seed):
        self.s = []
        x = seed & M64
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M64
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            self.s.append(z ^ (z >> 31))

    def next(self):
        s = self.s
        rotl = lambda v, k: ((v << k) | (v >> (64 - k))) & M64  # noqa: E731
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def uniform(self):
        return np.float32(self.next() >> 40) * np.float32(1.0 / 16777216.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_reference_argument(ap)
    ap.add_argument("--out", default=os.path.join(HERE, "../fixtures/rnnsearch/steps.fix"))
    args = ap.parse_args()
    ref = import_reference(args.ref_dir, "darts_rnn_ref")
    import torch

    torch.manual_seed(1)
    train_ids = torch.randint(0, V, (B * 40,))
    valid_ids = torch.randint(0, V, (B * 9,))
    model = ref.SearchModel(V, NHID, NHID, dropout=0.0, dropouth=0.0, dropoutx=0.0, dropouti=0.0,
                            dropoute=0.0)
    with torch.no_grad():
        model.alpha.normal_(0, 1)
    params = model.weight_parameters()
    w0 = torch.cat([p.detach().flatten() for p in params]).clone()
    a0 = model.alpha.detach().clone()
    wopt = torch.optim.SGD(params, lr=LR, weight_decay=WD)
    aopt = torch.optim.Adam([model.alpha], lr=ARCH_LR, betas=(0.9, 0.999), weight_decay=ARCH_WD)
    train, valid = ref.batchify(train_ids, B), ref.batchify(valid_ids, B)
    rng = Xoshiro(SEED ^ 0x726E6E7365617263)
    gen = torch.Generator().manual_seed(0)
    h = hv = torch.zeros(B, NHID)
    a = argparse.Namespace(beta=BETA, clip=CLIP)
    i, seq_lens, losses, val_losses = 0, [], [], []
    for _ in range(STEPS):
        seq_len = BPTT if rng.uniform() < np.float32(0.95) else BPTT // 2
        wopt.param_groups[0]["lr"] = LR * seq_len / BPTT
        L = min(seq_len, train.size(0) - 1 - i)
        iv = i % (valid.size(0) - 1)
        Lv = min(BPTT, valid.size(0) - 1 - iv)
        x, y = train[i:i + L], train[i + 1:i + 1 + L]
        xv, yv = valid[iv:iv + Lv], valid[iv + 1:iv + 1 + Lv]
        with torch.no_grad():  # the valid loss as the alpha step sees it
            model.train()
            saved = (model.cell.bn.running_mean.clone(), model.cell.bn.running_var.clone())
            lv, _, _ = ref.lm_loss(model, xv, yv, hv, 0.0, gen)
            model.cell.bn.running_mean.copy_(saved[0])
            model.cell.bn.running_var.copy_(saved[1])
        loss, h, hv = ref.search_step(model, wopt, aopt, x, y, xv, yv, h, hv, a, gen)
        seq_lens.append(L)
        losses.append(loss)
        val_losses.append(lv.item())
        i += L
        assert i < train.size(0) - 2, "the fixture stays inside one epoch"
    out = collections.OrderedDict()
    out["spec"] = np.array([V, NHID, B, BPTT, STEPS, SEED], dtype=np.int32)
    out["train_ids"] = train_ids.numpy().astype(np.int32)
    out["valid_ids"] = valid_ids.numpy().astype(np.int32)
    out["weights0"] = w0
    out["alpha0"] = a0
    out["seq_len"] = np.array(seq_lens, dtype=np.int32)
    out["train_loss"] = np.array(losses, dtype=np.float64)
    out["val_loss"] = np.array(val_losses, dtype=np.float64)
    out["weights"] = torch.cat([p.detach().flatten() for p in params])
    out["alpha"] = model.alpha.detach()
    out["bn_mean"] = model.cell.bn.running_mean.detach()
    out["bn_var"] = model.cell.bn.running_var.detach()
    write_fixture(args.out, out)
    print("wrote %s: %d steps, seq_len %s, train losses %s" % (args.out, STEPS, seq_lens, losses))


if __name__ == "__main__":
    main()
