#!/usr/bin/python3
"""make_rnn_train_fixtures: the language model of a derived recurrent cell
(the official rnn/model.py: RNNModel with DARTSCell for a given genotype) and
the official rnn/train.py update, written here in PyTorch following that code,
for tests/test_rnntrain.c.

The cell is DARTS_V2 (taken from the reference darts_rnn_ref.py, not part of
dartboard; see docs/ARCHITECTURE.md, The PyTorch reference) at a small size:
vocabulary 23, embedding = hidden = 6, batch 4, bptt 5. Every dropout is on,
the embedding's too (0.3), and TAR is large (beta 0.5) so its gradient shows.
Weights are not stored: both sides make them with weight_hash() (that of
make_supernet_fixtures.py) in model.parameters() order: encoder.weight (tied
decoder), rnns.0._W0, rnns.0._Ws.0..7, decoder.bias.

The fixture holds the spec, one forward/backward (words, targets, carried
hidden state, the five masks; loss, total, the flat gradient, the next hidden
state, the evaluation loss), then a run of train.py steps with those masks
fixed: windows of the lengths in `seq_lens` from a zero hidden state carried
between them, lr = LR * seq_len / BPTT, clip, SGD with weight decay for the
first SGD_STEPS, then torch.optim.ASGD(t0=0, lambd=0, weight_decay) as
train.py switches to it; the weights after the SGD steps, and the weights and
the average ax after every ASGD step.

/usr/bin/python3 tests/reference/make_rnn_train_fixtures.py [--ref-dir DIR]
[--out tests/fixtures/rnn/train.fix]
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
    [("ntoken", 23), ("ninp", 6), ("nhid", 6), ("batch", 4), ("bptt", 5)])
DROPOUT = collections.OrderedDict(
    [("output", 0.75), ("hidden", 0.25), ("cell_in", 0.75), ("input", 0.2), ("embedding", 0.3)])
BETA = 0.5
LR, WDECAY, CLIP = 20.0, 8e-7 * 1000, 0.25  # a larger decay than the paper's, so it shows
SEQ_LENS = [5, 3, 7, 4, 6, 5, 2, 5]
SGD_STEPS = 3


def build(torch, nn, F, act, genotype):
    class DARTSCell(nn.Module):
        """model.py's DARTSCell with a genotype: no BatchNorm; masks given."""

        def __init__(self, ninp, nhid):
            super().__init__()
            self.nhid = nhid
            self._W0 = nn.Parameter(torch.zeros(ninp + nhid, 2 * nhid))
            self._Ws = nn.ParameterList(
                [nn.Parameter(torch.zeros(nhid, 2 * nhid)) for _ in genotype.recurrent])

        def forward(self, inputs, hidden, x_mask, h_mask):
            hiddens = []
            for t in range(inputs.size(0)):
                hidden = self.cell(inputs[t], hidden, x_mask, h_mask)
                hiddens.append(hidden)
            return torch.stack(hiddens), hidden

        def cell(self, x, h_prev, x_mask, h_mask):
            if x_mask is not None:
                xh_prev = torch.cat([x * x_mask, h_prev * h_mask], dim=-1)
            else:
                xh_prev = torch.cat([x, h_prev], dim=-1)
            c0, h0 = torch.split(xh_prev.mm(self._W0), self.nhid, dim=-1)
            s0 = h_prev + c0.sigmoid() * (h0.tanh() - h_prev)
            states = [s0]
            for i, (name, pred) in enumerate(genotype.recurrent):
                s_prev = states[pred]
                ch = (s_prev * h_mask if h_mask is not None else s_prev).mm(self._Ws[i])
                c, h = torch.split(ch, self.nhid, dim=-1)
                states.append(s_prev + c.sigmoid() * (act(name)(h) - s_prev))
            return torch.mean(torch.stack([states[i] for i in genotype.concat], -1), -1)

    class RNNModel(nn.Module):
        def __init__(self, ntoken, ninp, nhid):
            super().__init__()
            self.encoder = nn.Embedding(ntoken, ninp)
            self.rnns = nn.ModuleList([DARTSCell(ninp, nhid)])
            self.decoder = nn.Linear(ninp, ntoken)
            self.decoder.weight = self.encoder.weight

        def forward(self, words, hidden, masks):
            """masks: None (evaluation) or (me, mi, mx, mh, mo) as model.py draws
            them: embedded_dropout's rows, lockdrop of the input, the cell's
            x_mask and h_mask, lockdrop of the output."""
            if masks is None:
                emb = self.encoder(words)
                raw, last = self.rnns[0](emb, hidden, None, None)
                out = raw
            else:
                me, mi, mx, mh, mo = masks
                emb = F.embedding(words, self.encoder.weight * me)
                raw, last = self.rnns[0](emb * mi, hidden, mx, mh)
                out = raw * mo
            logit = self.decoder(out.view(-1, out.size(2)))
            return F.log_softmax(logit, dim=-1), last, raw

    return RNNModel


def lm_loss(F, model, words, targets, hidden, masks, beta):
    log_prob, last, raw = model(words, hidden, masks)
    loss = F.nll_loss(log_prob, targets.reshape(-1))
    total = loss + beta * (raw[1:] - raw[:-1]).pow(2).mean()
    return loss, total, last


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_reference_argument(ap)
    ap.add_argument("--out", default=os.path.join(HERE, "../fixtures/rnn/train.fix"))
    args = ap.parse_args()
    ref = import_reference(args.ref_dir, "darts_rnn_ref")
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.manual_seed(0)
    s, d = SPEC, DROPOUT
    V, ninp, nhid, B, T = s["ntoken"], s["ninp"], s["nhid"], s["batch"], s["bptt"]
    genotype = ref.DARTS_V2
    model = build(torch, nn, F, ref.act, genotype)(V, ninp, nhid)
    params = list(model.parameters())
    count = load_hashed_weights(params)
    keep = {k: 1 - v for k, v in d.items()}
    masks = (torch.empty(V, 1).bernoulli_(keep["embedding"]) / keep["embedding"],
             torch.empty(1, B, ninp).bernoulli_(keep["input"]) / keep["input"],
             torch.empty(B, ninp).bernoulli_(keep["cell_in"]) / keep["cell_in"],
             torch.empty(B, nhid).bernoulli_(keep["hidden"]) / keep["hidden"],
             torch.empty(1, B, nhid).bernoulli_(keep["output"]) / keep["output"])
    words = torch.randint(0, V, (T, B))
    targets = torch.randint(0, V, (T, B))
    h0 = 0.5 * torch.randn(B, nhid)

    model.train()
    loss, total, last = lm_loss(F, model, words, targets, h0, masks, BETA)
    total.backward()
    grad = torch.cat([p.grad.flatten() for p in params])
    with torch.no_grad():
        eval_loss, _, eval_last = lm_loss(F, model, words, targets, h0, None, 0.0)

    # train.py's loop on fixed windows and masks
    steps_words = [torch.randint(0, V, (L, B)) for L in SEQ_LENS]
    steps_targets = [torch.randint(0, V, (L, B)) for L in SEQ_LENS]
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, weight_decay=WDECAY)
    hidden = torch.zeros(B, nhid)
    after_sgd, asgd_w, asgd_ax, step_loss = None, [], [], []
    for k, L in enumerate(SEQ_LENS):
        if k == SGD_STEPS:
            after_sgd = torch.cat([p.detach().flatten() for p in params]).clone()
            optimizer = torch.optim.ASGD(model.parameters(), lr=LR, t0=0, lambd=0.,
                                         weight_decay=WDECAY)
        lr2 = optimizer.param_groups[0]['lr']
        optimizer.param_groups[0]['lr'] = lr2 * L / T
        hidden = hidden.detach()
        optimizer.zero_grad()
        raw_loss, tot, hidden = lm_loss(F, model, steps_words[k], steps_targets[k], hidden, masks,
                                        BETA)
        tot.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        optimizer.step()
        optimizer.param_groups[0]['lr'] = lr2
        step_loss.append(raw_loss.item())
        if k >= SGD_STEPS:
            asgd_w.append(torch.cat([p.detach().flatten() for p in params]).clone())
            asgd_ax.append(torch.cat([optimizer.state[p]['ax'].flatten() for p in params]))

    out = collections.OrderedDict()
    out["spec"] = np.array(list(SPEC.values()), dtype=np.int32)
    out["dropout"] = np.array(list(DROPOUT.values()), dtype=np.float32)
    out["beta"] = np.array([BETA], dtype=np.float32)
    out["optim"] = np.array([LR, WDECAY, CLIP], dtype=np.float64)
    out["genotype"] = np.array([[ref.PRIMITIVES.index(op), j] for op, j in genotype.recurrent],
                               dtype=np.int32)
    out["weight_count"] = np.array([count], dtype=np.int32)
    out["words"] = words.to(torch.int32)
    out["targets"] = targets.to(torch.int32)
    out["h0"] = h0
    out["mask_embed"] = masks[0].reshape(V)
    out["mask_in"] = masks[1].reshape(B, ninp)
    out["mask_x"] = masks[2]
    out["mask_h"] = masks[3]
    out["mask_out"] = masks[4].reshape(B, nhid)
    out["loss"] = np.array([loss.item(), total.item()], dtype=np.float64)
    out["grad"] = grad
    out["h_next"] = last.detach()
    out["eval_loss"] = np.array([eval_loss.item()], dtype=np.float64)
    out["eval_h_next"] = eval_last
    out["seq_lens"] = np.array(SEQ_LENS, dtype=np.int32)
    out["sgd_steps"] = np.array([SGD_STEPS], dtype=np.int32)
    for k in range(len(SEQ_LENS)):
        out["step%d_words" % k] = steps_words[k].to(torch.int32)
        out["step%d_targets" % k] = steps_targets[k].to(torch.int32)
    out["step_loss"] = np.array(step_loss, dtype=np.float64)
    out["after_sgd"] = after_sgd
    out["asgd_weights"] = torch.stack(asgd_w)
    out["asgd_average"] = torch.stack(asgd_ax)
    write_fixture(args.out, out)
    print("%s: %d weights, loss %.6f, total %.6f, eval loss %.6f, %d steps"
          % (args.out, count, loss.item(), total.item(), eval_loss.item(), len(SEQ_LENS)))


if __name__ == "__main__":
    main()
