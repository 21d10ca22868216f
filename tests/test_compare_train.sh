#!/bin/sh
# test_compare_train: bench/compare_train.sh with a stand-in for the PyTorch
# reference (a shell script, run as PYTHON), so it needs no torch: the
# summary's median, fastest layout, ratio and memory shares from known
# numbers (a stand-in dartboard too); the arguments each program got; one
# round with the real dartboard, whose RESULT line the script must read;
# each round against itself; bad input refused with exit 2 and a message
# naming it.
set -u
: "${DARTBOARD:?}"
srcdir=${top_srcdir:-.}
. "$srcdir/tests/test_lib.sh"
test_begin test_compare_train.dir
script=$srcdir/bench/compare_train.sh

# The reference's stand-in: NHWC 330, 300, 360 ms and NCHW 400, 390, 420
# in turn, peak RSS 1000-1100 and 900-950 MiB; its arguments logged.
cat >"$work/ref.sh" <<'EOF'
echo "$*" >>"$REF_LOG"
case " $* " in *" --channels-last "*) l=nhwc ;; *) l=nchw ;; esac
n=$(($(cat "$REF_LOG.$l" 2>/dev/null || echo 0) + 1)); echo $n >"$REF_LOG.$l"
case $l$n in
nhwc1) m=330 r=1000 ;; nhwc2) m=300 r=1100 ;; nhwc3) m=360 r=1050 ;;
nchw1) m=400 r=900 ;; nchw2) m=390 r=950 ;; *) m=420 r=920 ;;
esac
[ -n "${REF_SILENT:-}" ] && exit 0
echo "some progress line"
echo "RESULT train-bench in_ch=1 img=28 layout=$l median_ms=$m.0 images_per_s=1 peak_rss_mib=$r"
EOF
# dartboard's stand-in: 100, 120, 110 ms, 200 MiB; its arguments logged
cat >"$work/dartboard" <<'EOF'
#!/bin/sh
echo "$*" >>"$DB_LOG"
n=$(($(cat "$DB_LOG.n" 2>/dev/null || echo 0) + 1)); echo $n >"$DB_LOG.n"
case $n in 1) m=100 ;; 2) m=120 ;; *) m=110 ;; esac
echo "RESULT train-bench genotype=DARTS_V2 threads=2 median_ms=$m.0 images_per_s=1 peak_rss_mib=200"
EOF
chmod +x "$work/dartboard"

# compare LOGDIR [VAR=VALUE...] -- [SHAPES ROUNDS THREADS]: the script with
# the stand-ins (the VAR=VALUE words, without spaces, on top), its output
# and messages in LOGDIR
compare() {
    d=$work/$1 && mkdir -p "$d" && shift
    vars=
    while [ $# -gt 0 ] && [ "$1" != -- ]; do vars="$vars $1" && shift; done
    shift
    # shellcheck disable=SC2086
    env REF_LOG="$d/ref.log" DB_LOG="$d/db.log" PYTHON=/bin/sh DARTS_EVAL_REF="$work/ref.sh" \
        DARTBOARD="$work/dartboard" $vars "$script" "$@" >"$d/out" 2>"$d/err"
}

check "three fashion rounds with the stand-ins run" 'compare a -- fashion 3 2'
check "the summary: median 110, the fastest layout's fastest run 300 (nhwc), 2.73x, RSS shares of that layout" \
    'grep -Eq "^fashion +110\.0 ms +300\.0 ms \(nhwc\) +2\.73x +200 MiB, 1000-1100 MiB \(18\.2-20\.0 %\)$" $work/a/out'
check "round by round: each round's faster reference run against that round's dartboard (330/100, 300/120, 360/110), their median" \
    'grep -Eq "^fashion +round by round, the reference.s faster layout against dartboard: 3\.30x, 2\.50x, 3\.27x; median 3\.27x$" $work/a/out'
check "every run's RESULT line, named" \
    '[ "$(grep -c "^dartboard shape=fashion RESULT train-bench" $work/a/out)" = 3 ] && [ "$(grep -c "^pytorch-nhwc shape=fashion RESULT" $work/a/out)" = 3 ] && [ "$(grep -c "^pytorch-nchw shape=fashion RESULT" $work/a/out)" = 3 ]'
check "dartboard got bench --train, the shape, genotype, steps and threads" \
    '[ "$(sort -u $work/a/db.log)" = "bench --train --shape fashion --genotype DARTS_V2 --steps 5 --threads 2" ]'
check "the reference got the fashion network, the genotype, steps and threads" \
    '[ "$(grep -c -- "--bench --genotype DARTS_V2 --in-ch 1 --img 28 --C 16 --layers 8 --batch 64 --steps 5 --threads 2" $work/a/ref.log)" = 6 ]'
check "--channels-last on the NHWC runs only" '[ "$(grep -c -- "--channels-last" $work/a/ref.log)" = 3 ]'
check "cifar, one layout, GENOTYPE and STEPS from the environment" \
    'compare b LAYOUTS=nchw GENOTYPE=DARTS_V1 STEPS=7 -- cifar 1 1 && grep -q -- "--bench --genotype DARTS_V1 --in-ch 3 --img 32 --C 36 --layers 20 --batch 96 --steps 7 --threads 1\$" $work/b/ref.log && ! grep -q "channels-last" $work/b/ref.log && grep -q "^bench --train --shape cifar --genotype DARTS_V1 --steps 7 --threads 1\$" $work/b/db.log && grep -Eq "^cifar +100\.0 ms +400\.0 ms \(nchw\) +4\.00x" $work/b/out'
check "one round with the real dartboard: its RESULT line read, the ratio against it" \
    'compare c DARTBOARD=$DARTBOARD LAYOUTS=nhwc -- fashion 1 1 && awk "/^dartboard shape=fashion RESULT train-bench .* median_ms=/ { sub(/.* median_ms=/, \"\"); sub(/ .*/, \"\"); ms = \$0 } /^fashion +[0-9]/ { got = \$0 } END { want = sprintf(\"%.2fx\", 330 / ms); exit !(ms + 0 > 0 && index(got, want)) }" $work/c/out'

refused() { # refused LOGDIR PATTERN: exit 2, PATTERN in the message
    [ $? = 2 ] && grep -q "$2" "$work/$1/err"
}
check "no reference named: refused, saying what to set" \
    'mkdir -p $work/e1 && env -u DARTS_EVAL_REF -u DARTS_REF_DIR "$script" fashion 1 2 >/dev/null 2>$work/e1/err; refused e1 "set DARTS_REF_DIR"'
check "a reference that is not there: refused, naming it" \
    'mkdir -p $work/e2 && DARTS_EVAL_REF=$work/nothing.py "$script" fashion 1 2 >/dev/null 2>$work/e2/err; refused e2 "nothing.py: no such file"'
check "an unknown shape: refused" 'compare e3 -- mnist 1 2; refused e3 "SHAPES: .mnist."'
check "zero rounds: refused" 'compare e4 -- fashion 0 2; refused e4 "ROUNDS: .0."'
check "too few steps: refused" 'compare e5 STEPS=3 -- fashion 1 2; refused e5 "STEPS: 3"'
check "a genotype the reference does not know by name: refused" 'compare e6 GENOTYPE=my.py -- fashion 1 2; refused e6 "GENOTYPE: .my.py."'
check "a run that prints no RESULT line: refused, naming it" \
    'compare e7 REF_SILENT=1 -- fashion 1 2; refused e7 "pytorch-nhwc on fashion printed no RESULT train-bench line"'

test_end
