#!/bin/sh
# test_config_extremes: every numeric key at both ends of its documented range
# (listed by tests/config_extremes from the key table), one search step each
# on the `test` preset (train.* keys: one training step of DARTS_V2 on
# `train-test`). A value inside the range must run (exit 0) or be
# refused with a message that names the key (exit 1 or 2, e.g. a relation
# with another key); the excluded end of a half-open range must be refused
# (exit 2). Never a signal, never a hang.
#
# The runs are made cheap without changing the key under test: batches of 4,
# 4 evaluation images. Two maxima need more, because their cost is in the
# model or the data rather than in the step count:
#   model.init_channels=256 builds cells of 256, 512 and 1024 channels: 133M
#     weights at the test preset's 4 nodes (a 1 GB checkpoint and half a
#     minute per step); it runs with 1 node (2 edges per cell) on 4x4 images:
#     the same channel counts, 21M weights, a few seconds;
#   data.batch_size=1024 is larger than the test preset's synthetic training
#     set (384 images): besides checking that refusal, it runs on 2048
#     images of 4x4.
set -u
: "${top_builddir:?}" "${DARTBOARD:?}"
command -v timeout >/dev/null || { echo "timeout(1) is needed"; exit 99; }
. "${top_srcdir:-.}/tests/test_lib.sh"
test_begin test_config_extremes.dir
"$top_builddir/tests/config_extremes" >"$work/values" || exit 99
[ -s "$work/values" ] || exit 99

# The run a key is tried on: train.* keys shape `dartboard train` (the
# train-test preset, DARTS_V2), the rest a search.
command_for() {
    case "$1" in
    train.*) echo "train --genotype DARTS_V2 --preset train-test" ;;
    *) echo "search --preset test" ;;
    esac
}

# try EXPECT KEY VALUE [--set K=V ...]: one step with KEY=VALUE set last.
try() {
    expect=$1 key=$2 value=$3
    shift 3
    what="$key=$value${*:+ (with $*)}"
    rm -rf "$work/run"
    # shellcheck disable=SC2046 # the command's words
    timeout 120 "$DARTBOARD" $(command_for "$key") --headless --steps 1 --out "$work/run" \
        --set data.batch_size=4 --set run.eval_samples=4 "$@" --set "$key=$value" \
        >"$work/out" 2>"$work/err" </dev/null
    rc=$?
    why=$(head -n 3 "$work/err" | tr '\n' ' ')
    if [ "$rc" -eq 124 ]; then
        fail "$what: no answer within 120 s"
    elif [ "$rc" -ge 128 ]; then
        fail "$what: killed by signal $((rc - 128)): $why"
    elif [ "$expect" = refused ]; then
        if [ "$rc" -eq 2 ] && grep -qF -- "$key" "$work/err"; then
            pass "$what: refused, naming the key: $why"
        else
            fail "$what: exit $rc, expected 2 with a message naming $key: $why"
        fi
    elif [ "$rc" -eq 0 ]; then
        if [ -s "$work/run/checkpoint.bin" ]; then
            pass "$what: runs"
        else
            fail "$what: exit 0 without a checkpoint"
        fi
    elif [ "$rc" -le 2 ] && grep -qF -- "$key" "$work/err"; then
        pass "$what: refused (exit $rc), naming the key: $why"
    else
        fail "$what: exit $rc without naming $key: $why"
    fi
}

while read -r key value expect; do
    case "$key=$value" in
    model.init_channels=256)
        try "$expect" "$key" "$value" --set model.nodes=1 --set data.synthetic_image=4
        grep -q "^1," "$work/run/metrics.csv" 2>/dev/null ||
            fail "$key=$value must run a step (metrics.csv has no row for step 1)"
        ;;
    data.batch_size=1024)
        try "$expect" "$key" "$value"
        try "$expect" "$key" "$value" --set data.synthetic_size=2048 --set data.synthetic_image=4
        grep -q "^1," "$work/run/metrics.csv" 2>/dev/null ||
            fail "$key=$value must run a step (metrics.csv has no row for step 1)"
        ;;
    *)
        try "$expect" "$key" "$value"
        ;;
    esac
done <"$work/values"

[ "$n" -ge 50 ] || fail "only $n cases: the key table lists fewer numeric keys than expected"
test_end
