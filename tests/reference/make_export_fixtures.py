#!/usr/bin/python3
"""Writes the fixtures of the export tests (run by hand, outputs committed):

  tests/fixtures/rundir/        a small fake run directory in the formats of
                                docs/ARCHITECTURE.md, Run directory, whose last
                                alphas block derives (docs/ARCHITECTURE.md,
                                Method: deriving the cell) the published DARTS_V2 cell
  tests/fixtures/genotypes/reordered_ops.json
                                DARTS_V2 with alphas in pt.darts's op order
                                ('none' last), to test remapping by "ops"

Pure Python, deterministic: python3 tests/reference/make_export_fixtures.py
"""
import json
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, '..', 'fixtures')
OPS = ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect',
       'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5']
NODES = 4
NORMAL = [('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1),
          ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)]
REDUCE = [('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1),
          ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)]


def edges():
    for i in range(NODES):
        for j in range(2 + i):
            yield i, j


def softmax(v):
    m = max(v)
    e = [math.exp(x - m) for x in v]
    s = sum(e)
    return [x / s for x in e]


def final_logits(geno, rng):
    """Logits whose derived cell is geno: kept edges get a strong op (the
    first kept edge of a node the stronger), the others lean to none."""
    rows = []
    for i, j in edges():
        row = [rng.gauss(0, 0.05) for _ in OPS]
        kept = [(k, op) for k, (op, inp) in enumerate(geno[2 * i:2 * i + 2]) if inp == j]
        if kept:
            k, op = kept[0]
            row[OPS.index(op)] = 1.6 - 0.3 * k
        else:
            row[0] = 0.8
        rows.append(row)
    return rows


def derive(weights):
    """docs/ARCHITECTURE.md, Method: deriving the cell (as the PyTorch reference
    darts_ref.py does it): top-2 edges per node by the strongest non-none op."""
    out, start = [], 0
    for i in range(NODES):
        cand = []
        for j in range(2 + i):
            w = weights[start + j]
            best = max(range(1, len(OPS)), key=lambda k: w[k])
            cand.append((-w[best], j, OPS[best]))
        cand.sort(key=lambda c: c[0])
        out += [(op, j) for _, j, op in cand[:2]]
        start += 2 + i
    return out


def main():
    rng = random.Random(2)
    steps = [50, 100, 150, 200]
    final = {'normal': final_logits(NORMAL, rng), 'reduce': final_logits(REDUCE, rng)}
    start = {c: [[rng.gauss(0, 1e-3) for _ in OPS] for _ in range(14)] for c in final}
    blocks = []
    for b, step in enumerate(steps):
        t = (b + 1) / len(steps)
        blocks.append((step, {c: [softmax([(1 - t) * s + t * f for s, f in zip(sr, fr)])
                                  for sr, fr in zip(start[c], final[c])] for c in final}))
    last = blocks[-1][1]
    assert derive(last['normal']) == NORMAL and derive(last['reduce']) == REDUCE

    rundir = os.path.join(FIX, 'rundir')
    os.makedirs(rundir, exist_ok=True)
    with open(os.path.join(rundir, 'alphas.csv'), 'w') as f:
        f.write('step,cell,edge,op,weight\n')
        for step, w in blocks:
            for cell in ('normal', 'reduce'):
                for e, row in enumerate(w[cell]):
                    for o, x in enumerate(row):
                        f.write('%d,%s,%d,%s,%.6g\n' % (step, cell, e, OPS[o], x))
    with open(os.path.join(rundir, 'metrics.csv'), 'w') as f:
        f.write('step,epoch,lr,train_loss,train_acc,val_loss,val_acc,seconds\n')
        for k in range(8):
            step = 25 * (k + 1)
            tl = 2.3 * math.exp(-step / 150) + 0.3
            f.write('%d,%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.3f\n' % (
                step, step // 100, 0.025 - 0.0001 * step, tl, 100 - 40 * tl, tl + 0.08,
                96 - 40 * tl, 0.9 * step))
    with open(os.path.join(rundir, 'config.yaml'), 'w') as f:
        f.write('# effective configuration of a fake run (export test fixture)\n'
                'data:  { set: synthetic, dir: "", train_portion: 0.5, batch_size: 16, augment: false }\n'
                'model: { init_channels: 4, layers: 3, nodes: 4, stem_multiplier: 3 }\n'
                'optim: { lr: 0.025, lr_min: 0.001, momentum: 0.9, weight_decay: 3.0e-4, grad_clip: 5.0 }\n'
                'arch:  { order: 1, lr: 3.0e-4, weight_decay: 1.0e-3, beta1: 0.5, beta2: 0.999 }\n'
                'run:   { epochs: 2, seed: 2, threads: 1, report_every: 50, checkpoint_every: 200, eval_samples: 64 }\n')

    def pyline(geno):
        return '[' + ', '.join("('%s', %d)" % e for e in geno) + ']'
    with open(os.path.join(rundir, 'genotype.py'), 'w') as f:
        f.write('Genotype(normal=%s, normal_concat=range(2, 6), reduce=%s, reduce_concat=range(2, 6))\n'
                % (pyline(NORMAL), pyline(REDUCE)))
    doc = {'nodes': NODES, 'ops': OPS,
           'normal': [list(e) for e in NORMAL], 'normal_concat': [2, 3, 4, 5],
           'reduce': [list(e) for e in REDUCE], 'reduce_concat': [2, 3, 4, 5],
           'alphas': {c: [[float('%.6g' % x) for x in row] for row in last[c]] for c in last}}
    with open(os.path.join(rundir, 'genotype.json'), 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')

    order = OPS[1:] + OPS[:1]   # pt.darts: 'none' last
    doc['ops'] = order
    doc['alphas'] = {c: [[float('%.6g' % row[OPS.index(op)]) for op in order] for row in last[c]]
                     for c in last}
    with open(os.path.join(FIX, 'genotypes', 'reordered_ops.json'), 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
