#!/bin/sh
# test_cli: the command line contract (docs/ARCHITECTURE.md, Command line).
# Usage errors exit 2 with "dartboard: ..." on stderr; --help, --version and
# presets answer on stdout; a headless run of the `test` preset writes exactly
# the run-directory files, with the right headers and row counts. The
# program's re-exec for its library settings, and a run's worker thread,
# keep OMP_PROC_BIND's places; threads bound to fewer CPUs are said.
set -u
: "${DARTBOARD:?}"
. "${top_srcdir:-.}/tests/test_lib.sh"
test_begin test_cli.dir

# run EXPECTED_STATUS ARGS...: output in $work/out, $work/err
run() {
    want=$1; shift
    "$DARTBOARD" "$@" >"$work/out" 2>"$work/err" </dev/null
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "# dartboard $*: exit $got, expected $want"; sed 's/^/#   /' "$work/err" | head -5
        return 1
    fi
}
err_has() { grep -q -- "$1" "$work/err" || { echo "# stderr lacks '$1':"; sed 's/^/#   /' "$work/err" | head -5; return 1; }; }
out_has() { grep -q -- "$1" "$work/out" || { echo "# stdout lacks '$1'"; return 1; }; }

check "--version prints the version" 'run 0 --version && out_has "^dartboard [0-9][0-9.]*$"'
# With OMP_PROC_BIND set, libgomp binds the first thread to one place as it
# loads; the re-exec that sets GOMP_SPINCOUNT must not narrow the new image's
# places to that one (every thread on CPU 0, half the speed).
# (nproc without the OpenMP variables, which it would honour: the CPUs allowed)
if [ "$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc 2>/dev/null || echo 1)" -ge 2 ]; then
    check "OMP_PROC_BIND: a run's worker keeps every place (no sharing said)" '(unset GOMP_SPINCOUNT OMP_WAIT_POLICY OMP_PLACES OMP_NUM_THREADS OMP_THREAD_LIMIT; OMP_PROC_BIND=true "$DARTBOARD" search --preset test --headless --steps 2 --threads 2 --out "$work/bound") >"$work/out" 2>&1 && grep -q "^step 2/" "$work/out" && ! grep -q "threads share" "$work/out"'
    check "OMP_PROC_BIND: the re-exec keeps every place" '(unset GOMP_SPINCOUNT OMP_WAIT_POLICY OMP_PLACES OMP_NUM_THREADS OMP_THREAD_LIMIT; OMP_PROC_BIND=true OMP_DISPLAY_ENV=true "$DARTBOARD" --version) >"$work/out" 2>"$work/err" && [ "$(grep -c "OMP_PLACES" "$work/err")" -eq 2 ] && [ "$(grep "OMP_PLACES" "$work/err" | sort -u | wc -l)" -eq 1 ] && grep -q "OMP_PLACES = .{[0-9]*},{" "$work/err"'
fi
if command -v taskset >/dev/null 2>&1; then
    check "2 threads bound to one CPU: the run says so" 'taskset -c 0 "$DARTBOARD" search --preset test --headless --steps 2 --threads 2 --out "$work/one_cpu" >"$work/out" 2>&1 && grep -q "2 threads share 1 CPU: the process is bound (under mpirun: --bind-to none)" "$work/out"'
fi
check "--help prints the full usage" 'run 0 --help && out_has "Usage:" && out_has "--resume DIR" && out_has "--set KEY=VALUE" && out_has "bench" && out_has "export" && out_has "presets" && out_has "Exit status"'
check "bench --help also prints the usage" 'run 0 bench --help && out_has "--order 0|1|2" && out_has "--kernels"'
check "presets lists demo and test" 'run 0 presets && out_has "demo" && out_has "test"'
check "unknown option: exit 2, named" 'run 2 --frobnicate && err_has "^dartboard: unknown option .--frobnicate."'
check "unknown command: exit 2" 'run 2 frobnicate && err_has "^dartboard: unknown command .frobnicate."'
check "option without its value: exit 2" 'run 2 --steps && err_has "^dartboard: --steps needs a value"'
check "bad --steps value: exit 2, expected form" 'run 2 --steps ten && err_has "expected an integer"'
check "bad --threads value: exit 2" 'run 2 --threads 0 && err_has "^dartboard: --threads"'
check "bad bench config: exit 2" 'run 2 bench --config D && err_has "expected A, B or C"'
check "bad bench order: exit 2" 'run 2 bench --order 3 && err_has "^dartboard: --order"'
check "bench --rnn: tiny recurrent search steps, one RESULT line with the reference's fields" \
    'run 0 bench --rnn --steps 5 --threads 1 --ntoken 40 --size 8 --batch 4 --bptt 6 && out_has "^BLAS kernels: " && [ "$(grep -c "^RESULT " "$work/out")" = 1 ] && out_has "^RESULT rnn-bench ntoken=40 emsize=8 nhid=8 batch=4 bptt=6 threads=1 order=1 weights=[0-9]* median_ms=[0-9.]* tokens_per_s=[0-9]* peak_rss_mib=[0-9]*$"'
# (OpenBLAS builds on CPUs with AVX2: where the program has a stronger set to name)
if grep -q '^#define HAVE_OPENBLAS 1' "${top_builddir:-.}/config.h" 2>/dev/null &&
    grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo; then
    check "bench with OPENBLAS_CORETYPE weaker than the CPU: kept, and the stronger set named" \
        'OPENBLAS_CORETYPE=Prescott "$DARTBOARD" bench --rnn --steps 5 --threads 1 --ntoken 40 --size 8 --batch 4 --bptt 6 >"$work/out" 2>&1 && out_has "^BLAS kernels: Prescott$" && out_has "^note: OPENBLAS_CORETYPE set BLAS kernels Prescott; this CPU runs \(SkylakeX\|Haswell\)'"'"'s (unset it)$"'
    check "  ... and a run says so too, once" \
        '(OPENBLAS_CORETYPE=Prescott "$DARTBOARD" search --preset test --headless --steps 2 --threads 1 --out "$work/weak") >"$work/out" 2>&1 && [ "$(grep -c "OPENBLAS_CORETYPE set BLAS kernels Prescott; this CPU runs \(SkylakeX\|Haswell\)'"'"'s (unset it)" "$work/out")" = 1 ]'
fi
check "bench --rnn --train: a recurrent cell's training steps" \
    'run 0 bench --rnn --train --steps 5 --threads 1 --ntoken 40 --size 8 --batch 4 --bptt 6 && [ "$(grep -c "^RESULT " "$work/out")" = 1 ] && out_has "^RESULT rnn-train ntoken=40 size=8 batch=4 bptt=6 threads=1 params=[0-9]* median_ms=[0-9.]* tokens_per_s=[0-9]* peak_rss_mib=[0-9]*$"'
# a searched cell with every kind of op, in a file named with a space and a quote
cat > "$work/my cell's.py" <<'EOF'
Genotype(normal=[('sep_conv_5x5', 1), ('skip_connect', 0), ('sep_conv_3x3', 0), ('dil_conv_5x5', 1), ('avg_pool_3x3', 0), ('dil_conv_3x3', 1), ('max_pool_3x3', 2), ('sep_conv_3x3', 3)], normal_concat=range(2, 6), reduce=[('sep_conv_5x5', 1), ('max_pool_3x3', 0), ('dil_conv_5x5', 1), ('skip_connect', 2), ('sep_conv_3x3', 0), ('dil_conv_3x3', 3), ('avg_pool_3x3', 1), ('skip_connect', 0)], reduce_concat=range(2, 6))
EOF
check "bench --train --genotype FILE: that cell's training steps, the file one word of the RESULT line" \
    'run 0 bench --train --genotype "$work/my cell'"'"'s.py" --steps 5 --threads 1 --batch 2 && out_has "^RESULT train-bench genotype=[^ ]*my_cell_s.py in_ch=1 img=28 C=16 layers=8 batch=2 threads=1 params=[0-9]* median_ms="'
check "bench --train --genotype of a missing file: exit 2, named" \
    'run 2 bench --train --genotype "$work/nosuch.py" && err_has "nosuch.py: no such file"'
cat > "$work/rnn.py" <<'EOF'
Genotype(recurrent=[('sigmoid', 0), ('relu', 1), ('relu', 1), ('identity', 1), ('tanh', 2), ('sigmoid', 5), ('tanh', 3), ('relu', 5)], concat=range(1, 9))
EOF
check "bench --train --genotype of a recurrent cell: exit 2, why" \
    'run 2 bench --train --genotype "$work/rnn.py" && err_has "recurrent cell, but bench --train times CNN cells"'
check "bench --set: a search step with a remedy key, named in the header" \
    'run 0 bench --steps 5 --threads 1 --batch 4 --set remedy.darts_minus_beta=1 && out_has "^with --set remedy.darts_minus_beta=1$" && out_has "^RESULT bench config=C order=1 threads=1 batch=4 params=404018 "'
check "bench --set of an unknown key: exit 2, the key named" 'run 2 bench --steps 5 --set nosuch.key=1 && err_has "nosuch.key"'
check "bench --set with --rnn: exit 2" 'run 2 bench --rnn --set optim.lr=1 && err_has "search step bench"'
check "--bptt without --rnn: exit 2" 'run 2 bench --bptt 5 && err_has "options of bench --rnn"'
check "presets takes no arguments" 'run 2 presets extra && err_has "no arguments"'
check "missing preset: exit 2, named" 'run 2 --headless --preset no-such-preset && err_has "^dartboard: .*no-such-preset"'
check "typo in a --set key: exit 2 with a suggestion" 'run 2 --headless --preset test --set optim.lx=0.1 && err_has "optim.lx" && err_has "optim.lr"'
check "out-of-range --set value: exit 2" 'run 2 --headless --preset test --set optim.momentum=7 && err_has "optim.momentum"'
check "--set without =: exit 2" 'run 2 --headless --preset test --set optim.lr && err_has "^dartboard: "'
check "--resume with --preset: exit 2" 'run 2 --resume x --preset test && err_has "config.yaml"'
check "--resume of a directory without a run: exit 2, names config.yaml" 'run 2 --headless --resume "$work/nothing-here" && err_has "nothing-here/config.yaml"'

# A headless run: exactly the run-directory files, right headers, one row per step.
rd=$work/run
steps=5
if run 0 --headless --preset test --out "$rd" --steps $steps --threads 1 --set run.report_every=1; then
    pass "headless run of the test preset exits 0"
else
    fail "headless run of the test preset exits 0"
fi
check "run directory holds exactly the seven files, and the outcome for dartboard ls" '[ "$(cd "$rd" && ls | sort | tr "\n" " ")" = "alphas.csv checkpoint.bin config.yaml genotype.json genotype.py metrics.csv monitors.csv outcome " ]'
check "no temporary files left" '[ -z "$(find "$work" -name "*.tmp")" ]'
check "metrics.csv header" '[ "$(head -n 1 "$rd/metrics.csv")" = "step,epoch,lr,train_loss,train_acc,val_loss,val_acc,seconds" ]'
check "metrics.csv: one row per report (report_every=1)" '[ "$(tail -n +2 "$rd/metrics.csv" | cut -d, -f1 | tr "\n" " ")" = "1 2 3 4 5 " ]'
check "metrics.csv rows have 8 numeric fields" '[ -z "$(tail -n +2 "$rd/metrics.csv" | grep -Ev "^[0-9]+,[0-9]+(,-?[0-9.e+-]+){6}$")" ]'
check "alphas.csv header" '[ "$(head -n 1 "$rd/alphas.csv")" = "step,cell,edge,op,weight" ]'
nodes=$(sed -n 's/^ *nodes: *\([0-9]*\).*/\1/p' "$rd/config.yaml" | head -n 1)
edges=$(( ${nodes:-4} * (${nodes:-4} + 3) / 2 ))
check "alphas.csv: one block (2 cells x $edges edges x 8 ops) per report" '[ "$(tail -n +2 "$rd/alphas.csv" | wc -l)" -eq $(( steps * 2 * edges * 8 )) ]'
check "alphas.csv ops and cells" '[ -z "$(tail -n +2 "$rd/alphas.csv" | grep -Ev "^[0-9]+,(normal|reduce),[0-9]+,(none|max_pool_3x3|avg_pool_3x3|skip_connect|sep_conv_3x3|sep_conv_5x5|dil_conv_3x3|dil_conv_5x5),[0-9.]+$")" ]'
check "alphas of every edge sum to 1" 'tail -n +2 "$rd/alphas.csv" | awk -F, "{ s[\$1\",\"\$2\",\"\$3] += \$5 } END { for (k in s) if (s[k] < 0.9999 || s[k] > 1.0001) bad = 1; exit bad }"'
pair="\('(max_pool_3x3|avg_pool_3x3|skip_connect|sep_conv_3x3|sep_conv_5x5|dil_conv_3x3|dil_conv_5x5)', [0-9]+\)"
list="\[$pair(, $pair)*\]"
check "genotype.py is the official DARTS Genotype line" 'grep -Eqx "Genotype\(normal=$list, normal_concat=range\(2, $((nodes + 2))\), reduce=$list, reduce_concat=range\(2, $((nodes + 2))\)\)" "$rd/genotype.py"'
check "genotype.py has two edges per node" '[ "$(grep -o "(.[a-z_0-9]*., [0-9]*)" "$rd/genotype.py" | wc -l)" -eq $((4 * nodes)) ]'
if command -v python3 >/dev/null 2>&1; then
    check "genotype.json parses" 'python3 -c "import json, sys; g = json.load(open(sys.argv[1])); assert \"normal\" in g and \"reduce\" in g" "$rd/genotype.json"'
fi
check "config.yaml reloads as a preset" 'run 0 --headless --preset "$rd/config.yaml" --out "$work/run2" --steps 1 --threads 1'
check "headless output: a progress line per report and the genotype" '[ "$("$DARTBOARD" --headless --resume "$rd" --steps 7 --threads 1 | tee "$work/out" | grep -c "^step ")" -eq 2 ] && out_has "Genotype(normal="'
check "a resumed run is announced under its preset's name" 'out_has "^dartboard: test, run directory "'
check "stdout not a terminal: headless without --headless" 'run 0 --preset test --out "$work/piped" --steps 2 --threads 1 && out_has "^step 2/2 " && out_has "Genotype("'
# Steps per epoch: full batches of the weight half of the synthetic set.
key() { sed -n "s/^ *$1: *\([0-9.]*\).*/\1/p" "$rd/config.yaml" | head -n 1; }
spe=$(awk -v n="$(key synthetic_size)" -v p="$(key train_portion)" -v b="$(key batch_size)" \
    'BEGIN { print int(int(n * p) / b) }')
check "--epochs 1 stops at the end of the first epoch (step $spe)" 'run 0 --preset test --out "$work/epoch" --epochs 1 --threads 1 && [ "$(tail -n 1 "$work/epoch/metrics.csv" | cut -d, -f1,2)" = "$spe,0" ]'
check "--steps beyond the schedule ends with the schedule" 'run 0 --preset test --out "$work/long" --steps 100000 --threads 1 --set run.epochs=1 && [ "$(tail -n 1 "$work/long/metrics.csv" | cut -d, -f1)" = "$spe" ]'
check "a --set on resume is logged in changes.log and kept in config.yaml" 'run 0 --resume "$work/run2" --steps 2 --threads 1 --set optim.momentum=0.8 && [ "$(cat "$work/run2/changes.log")" = "step 1: optim.momentum 0.9 -> 0.8" ] && grep -q "^ *momentum: 0.8 " "$work/run2/config.yaml"'
sum=$(cksum <"$work/run2/config.yaml")
check "a resume refuses a --set of a key that shapes the network, by name, and writes nothing" 'run 2 --resume "$work/run2" --steps 3 --threads 1 --set remedy.pc_k=4 && err_has "remedy.pc_k=4: the run in .*run2 was made with remedy.pc_k=0" && [ "$(cksum <"$work/run2/config.yaml")" = "$sum" ] && [ "$(tail -n 1 "$work/run2/metrics.csv" | cut -d, -f1)" = 2 ]'
check "... and of a model or data key" 'run 2 --resume "$work/run2" --threads 1 --set model.init_channels=6 && err_has "model.init_channels=6: the run" && run 2 --resume "$work/run2" --threads 1 --set data.train_images=64 && err_has "data.train_images=64"'
check "a run directory is never overwritten without --resume" 'run 2 --headless --preset test --out "$rd" --steps 1 && err_has "already holds a run"'

test_end
