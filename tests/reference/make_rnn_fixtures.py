#!/usr/bin/python3
"""make_rnn_fixtures: dump a small recurrent DARTS search network from the
PyTorch reference, darts_rnn_ref.py (not part of dartboard; see
docs/ARCHITECTURE.md, The PyTorch reference), for tests/test_rnnnet.c.

The model is the reference's SearchModel at a small size (vocabulary 23,
embedding = hidden = 6, batch 4, 5 steps) with every dropout on, the embedding
dropout too (0.3, so whole vocabulary rows drop), and a large temporal
activation regularisation (beta 0.5) so its gradient shows.

Weights are not stored: both sides generate them with weight_hash() (the one of
make_supernet_fixtures.py), in the reference's weight_parameters() order:
encoder.weight (tied decoder), cell.W0, cell.Ws.0..7, decoder.bias. The fixture
holds the spec, alpha (N(0, 1), far from uniform), words, targets, the carried
hidden state, the five dropout masks exactly as the reference drew them
(replayed from the same generator state), then: loss and total (loss + TAR),
the flat weight gradient, the alpha gradient, the BN running mean and variance
after the forward, the next hidden state, the evaluation-mode loss after it; and
the derivation: random alpha sets with the reference's genotype() of each, and
the published DARTS_V1 and DARTS_V2 as (op index, predecessor) pairs.

Run by hand, with the directory of darts_rnn_ref.py in DARTS_REF_DIR or --ref-dir:
/usr/bin/python3 tests/reference/make_rnn_fixtures.py [--ref-dir DIR]
[--out tests/fixtures/rnn/small.fix]
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
DERIVATIONS = 16


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_reference_argument(ap)
    ap.add_argument("--out", default=os.path.join(HERE, "../fixtures/rnn/small.fix"))
    args = ap.parse_args()
    ref = import_reference(args.ref_dir, "darts_rnn_ref")
    import torch

    torch.manual_seed(0)
    s, d = SPEC, DROPOUT
    V, ninp, nhid, B, T = s["ntoken"], s["ninp"], s["nhid"], s["batch"], s["bptt"]
    model = ref.SearchModel(V, ninp, nhid, dropout=d["output"], dropouth=d["hidden"],
                            dropoutx=d["cell_in"], dropouti=d["input"], dropoute=d["embedding"])
    params = model.weight_parameters()
    count = load_hashed_weights(params)
    with torch.no_grad():
        model.alpha.normal_(0, 1)
    words = torch.randint(0, V, (T, B))
    targets = torch.randint(0, V, (T, B))
    h0 = 0.5 * torch.randn(B, nhid)

    gen = torch.Generator().manual_seed(7)
    state = gen.get_state()
    # The masks the forward draws, in its order (embedded_dropout, locked input,
    # the cell's mx and mh, locked output), replayed from the same state.
    keep = {k: 1 - v for k, v in d.items()}
    me = torch.empty(V, 1).bernoulli_(keep["embedding"], generator=gen) / keep["embedding"]
    mi = torch.empty(1, B, ninp).bernoulli_(keep["input"], generator=gen) / keep["input"]
    mx = torch.empty(B, ninp).bernoulli_(keep["cell_in"], generator=gen) / keep["cell_in"]
    mh = torch.empty(B, nhid).bernoulli_(keep["hidden"], generator=gen) / keep["hidden"]
    mo = torch.empty(1, B, nhid).bernoulli_(keep["output"], generator=gen) / keep["output"]
    gen.set_state(state)

    model.train()
    loss, total, last = ref.lm_loss(model, words, targets, h0, BETA, gen)
    total.backward()
    after = torch.empty(1).bernoulli_(0.5, generator=gen)  # the masks were all drawn:
    check = torch.Generator().set_state(state)
    for shape, k in (((V, 1), "embedding"), ((1, B, ninp), "input"), ((B, ninp), "cell_in"),
                     ((B, nhid), "hidden"), ((1, B, nhid), "output")):
        torch.empty(*shape).bernoulli_(keep[k], generator=check)
    assert torch.equal(after, torch.empty(1).bernoulli_(0.5, generator=check)), \
        "the forward drew a different number of random values than the replayed masks"
    wgrad = torch.cat([p.grad.flatten() for p in params])
    alpha, agrad = model.alpha.detach().clone(), model.alpha.grad.clone()
    running = torch.cat([model.cell.bn.running_mean, model.cell.bn.running_var])
    model.eval()
    with torch.no_grad():
        eval_loss, _, eval_last = ref.lm_loss(model, words, targets, h0, 0.0, None)

    probs_sets, genos = [], []
    for _ in range(DERIVATIONS):
        with torch.no_grad():
            model.alpha.normal_(0, 1)
        probs_sets.append(torch.softmax(model.alpha.detach(), -1))
        genos.append([[ref.PRIMITIVES.index(op), j] for op, j in model.genotype().recurrent])
    published = [[[ref.PRIMITIVES.index(op), j] for op, j in g.recurrent]
                 for g in (ref.DARTS_V1, ref.DARTS_V2)]

    out = collections.OrderedDict()
    out["spec"] = np.array(list(SPEC.values()), dtype=np.int32)
    out["dropout"] = np.array(list(DROPOUT.values()), dtype=np.float32)
    out["beta"] = np.array([BETA], dtype=np.float32)
    out["weight_count"] = np.array([count], dtype=np.int32)
    out["alpha"] = alpha
    out["words"] = words.to(torch.int32)
    out["targets"] = targets.to(torch.int32)
    out["h0"] = h0
    out["mask_embed"] = me.reshape(V)
    out["mask_in"] = mi.reshape(B, ninp)
    out["mask_x"] = mx
    out["mask_h"] = mh
    out["mask_out"] = mo.reshape(B, nhid)
    out["loss"] = np.array([loss.item(), total.item()], dtype=np.float64)
    out["weight_grads"] = wgrad
    out["alpha_grads"] = agrad
    out["running"] = running
    out["h_next"] = last.detach()
    out["eval_loss"] = np.array([eval_loss.item()], dtype=np.float64)
    out["eval_h_next"] = eval_last
    out["derive_probs"] = torch.stack(probs_sets)
    out["derive_genotypes"] = np.array(genos, dtype=np.int32)
    out["published"] = np.array(published, dtype=np.int32)
    write_fixture(args.out, out)
    print("%s: %d weights, loss %.6f, total %.6f, eval loss %.6f"
          % (args.out, count, loss.item(), total.item(), eval_loss.item()))



if __name__ == "__main__":
    main()
