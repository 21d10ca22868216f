#!/bin/sh
# The exported genotype is usable from Python as DARTS code bases use it:
# genotype.py evaluates with DARTS's namedtuple to the same cell that
# json.load and yaml.safe_load (PyYAML, when installed) read from the other
# two files, and the JSON/YAML alphas sum to 1 per edge. Python is only the
# consumer here; dartboard never evaluates the files itself.
. "${top_srcdir:-.}/tests/export_lib.sh"
PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "SKIP: python3 not installed"; exit 77; }
cd "$WORK" || exit 99
check "export py, json, yaml" $EXPORT run --format py,json,yaml
check "Python agrees with all three files" "$PY" - run <<'PYEOF'
import json, sys
from collections import namedtuple
Genotype = namedtuple('Genotype', 'normal normal_concat reduce reduce_concat')
run = sys.argv[1]
g = eval(open(run + '/genotype.py').read(), {'Genotype': Genotype, 'range': range})
doc = json.load(open(run + '/genotype.json'))
def cell(edges):
    return [(op, i) for op, i in edges]
assert g.normal == cell(doc['normal']) and g.reduce == cell(doc['reduce']), 'py != json'
assert list(g.normal_concat) == doc['normal_concat'] == [2, 3, 4, 5]
assert len(doc['ops']) == 8 and doc['ops'][0] == 'none'
for c in ('normal', 'reduce'):
    rows = doc['alphas'][c]
    assert len(rows) == 14 and all(abs(sum(r) - 1) < 1e-4 for r in rows), c
try:
    import yaml
except ImportError:
    print('PyYAML missing: YAML not cross-checked')
else:
    y = yaml.safe_load(open(run + '/genotype.yaml'))
    assert cell(y['normal']) == g.normal and cell(y['reduce']) == g.reduce, 'py != yaml'
    assert y['ops'] == doc['ops'] and y['alphas'] == doc['alphas'], 'yaml != json'
PYEOF
finish
