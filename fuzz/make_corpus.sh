#!/bin/sh
# make_corpus.sh: writes the seed inputs of fuzz/corpus/ from the test
# fixtures, in each harness's input layout (see the head of each harness and
# fuzz/fuzz.h). The inputs of fixed crashes (fuzz/corpus/*/crash-*) are kept.
# The checkpoint harness writes its real seeds itself at each run (run.sh).
set -eu
cd "$(dirname "$0")/.."
fix=tests/fixtures
c=fuzz/corpus
sep() { printf '\n--8<--\n'; }
mkdir -p $c/config $c/genotype $c/checkpoint $c/run_csv $c/dataset $c/cli $c/tokenizer

# config: a preset then --set lines (the fixtures and presets are seeds as they are)
{ cat $fix/config/good.yaml; sep; printf 'optim.lr=0.01\ndata.dir=some dir\nrun.seed=7\n'; } \
    >$c/config/seed-good-set
{ cat presets/test.yaml; sep; printf 'model.nodes=9\narch.order=2\noptim.lr_min=1\n'; } \
    >$c/config/seed-test-bad-set

# genotype: a run's files (the fixtures' dialects are seeds as they are)
cp $fix/rundir/genotype.py $c/genotype/seed-rundir.py
cp $fix/rundir/genotype.json $c/genotype/seed-rundir.json

# checkpoint: a container and a payload cut short after their magic
printf 'CDBCKPT\r\n\001\000\000\000' >$c/checkpoint/seed-header
printf 'SDBSEARCH\001\000\000\000' >$c/checkpoint/seed-state-header

# run_csv: 'm' or 'a', then the file
{ printf m; cat $fix/rundir/metrics.csv; } >$c/run_csv/seed-metrics
{ printf a; cat $fix/rundir/alphas.csv; } >$c/run_csv/seed-alphas

# dataset: the set digit, then the files (4/5: the harness gzips Fashion-MNIST)
fmnist() { # DIGIT DIR PREFIX
    printf %s "$1"
    gzip -dc "$fix/data/$2/$3-images-idx3-ubyte.gz" 2>/dev/null || true
    sep
    gzip -dc "$fix/data/$2/$3-labels-idx1-ubyte.gz" 2>/dev/null || true
}
fmnist 4 fmnist-good train >$c/dataset/seed-fmnist-train
fmnist 5 fmnist-good t10k >$c/dataset/seed-fmnist-test
for d in magic dims count label truncated; do
    fmnist 4 "fmnist-$d" train >"$c/dataset/seed-fmnist-$d"
done
{ printf 0; cat $fix/data/fmnist-gzcut/train-images-idx3-ubyte.gz; sep
  cat $fix/data/fmnist-gzcut/train-labels-idx1-ubyte.gz; } >$c/dataset/seed-fmnist-gzcut
{ printf 2; for i in 1 2 3 4; do cat "$fix/data/cifar-good/data_batch_$i.bin"; sep; done
  cat $fix/data/cifar-good/data_batch_5.bin; } >$c/dataset/seed-cifar-train
{ printf 3; cat $fix/data/cifar-good/test_batch.bin; } >$c/dataset/seed-cifar-test
{ printf 3; cat $fix/data/cifar-label/test_batch.bin; } >$c/dataset/seed-cifar-label
{ printf 2; cat $fix/data/cifar-size/data_batch_1.bin; } >$c/dataset/seed-cifar-size

# cli: the arguments, each ended by a NUL byte
args() { # NAME ARG...
    out=$c/cli/seed-$1
    shift
    : >"$out"
    for a in "$@"; do printf '%s\000' "$a" >>"$out"; done
}
args help --help
args version --version
args presets presets
args search search --preset test --steps 10 --threads 1 --set optim.lr=0.01 --seed 3
args resume --resume . --set run.epochs=3 --data data --headless
args preset-file --preset ./config.yaml --epochs=2 --ascii --no-color --out=run
args bench bench --config A --order 2 --steps 5 --threads 2 --batch 8 --kernels --profile
args export export run --format py -o out.py
args resume-preset --resume . --preset test
args bad-values --steps ten --threads=0 --set optim.lr
args corpus corpus --data data --cache=cache

# tokenizer: 0 then PTB-style text, or 1 then the output of bible (vocabulary 27)
{ printf 0; cat $fix/corpus/ptb/ptb.train.txt; } >$c/tokenizer/seed-ptb
{ printf 0; cat $fix/corpus/wiki/wiki.train.tokens; } >$c/tokenizer/seed-wiki
{ printf 1; cat $fix/corpus/bible_small.txt; } >$c/tokenizer/seed-bible

# wire: 'v' then what a viewer sends (the harness writes the real messages
# itself, with this build's layout); here something else that may knock
mkdir -p $c/wire
printf 'vGET / HTTP/1.0\r\n\r\n' >$c/wire/seed-http
