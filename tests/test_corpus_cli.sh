#!/bin/sh
# test_corpus_cli: `dartboard corpus` (man/dartboard.1.in, CORPUS).
# --data reads a PTB or WikiText-2 directory and prints each split; the KJV
# corpus is prepared once into the cache directory (--cache, else
# $XDG_CACHE_HOME/dartboard/kjv, else ~/.cache/dartboard/kjv) with a progress
# line, then read from it silently. A fake `bible` on PATH stands in for
# bible-kjv, so this runs without the package: a failing or missing bible, or
# bad data, is exit 1 naming the cause, and writes nothing.
set -u
: "${DARTBOARD:?}"
fix="${top_srcdir:-.}/tests/fixtures/corpus"
. "${top_srcdir:-.}/tests/test_lib.sh"
test_begin test_corpus_cli.dir
work=$(cd "$work" && pwd)

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
out_has() { grep -q -- "$1" "$work/out" || { echo "# stdout lacks '$1':"; sed 's/^/#   /' "$work/out" | head -8; return 1; }; }
no_files() { [ -z "$(find "$1" ! -type d 2>/dev/null)" ] || { echo "# files in $1:"; find "$1" | sed 's/^/#   /'; return 1; }; }

# A stand-in for bible-kjv's program: prints $FAKE_BIBLE_TEXT, or fails.
mkdir -p "$work/bin" "$work/nobin"
cat >"$work/bin/bible" <<'EOF'
#!/bin/sh
[ "$*" = "-f Gen1:1-Rev22:21" ] || { echo "fake bible: unexpected arguments: $*" >&2; exit 2; }
[ -n "${FAKE_BIBLE_FAIL:-}" ] && { echo "fake bible: no such book" >&2; exit 3; }
cat "$FAKE_BIBLE_TEXT"
EOF
chmod +x "$work/bin/bible"
FAKE_BIBLE_TEXT="$fix/bible_small.txt"; export FAKE_BIBLE_TEXT
fake_path="$work/bin:$PATH"

check "--data: a PTB directory, each split with its tokens and first words" \
    'run 0 corpus --data "$fix/ptb" && out_has "^vocabulary: 45 words" &&
     out_has "^train .* 32 tokens" && out_has "^valid .* 18 tokens" && out_has "^test .* 21 tokens" &&
     out_has "first: aer banknote berlitz calloway <eos> pierre"'
check "--data: a WikiText-2 directory" \
    'run 0 corpus --data="$fix/wiki" && out_has "^vocabulary: 43 words" && out_has "wiki.test.tokens"'
check "--data: UTF-8 words shown as they are, the byte order mark escaped" \
    'run 0 corpus --data "$fix/wiki" && out_has "first: \\\\xef\\\\xbb\\\\xbf = Valkyria" && out_has " Senjō no "'
check "--data: a missing directory is exit 1 naming it" \
    'run 1 corpus --data "$work/none" && err_has "^dartboard: $work/none: No such file" && err_has "ptb.train.txt"'
mkdir -p "$work/bad"
printf ' a b \n' >"$work/bad/ptb.train.txt"; printf ' a \0 b\n' >"$work/bad/ptb.valid.txt"
printf ' a \n' >"$work/bad/ptb.test.txt"
check "--data: a file that is not text is exit 1 naming file and line" \
    'run 1 corpus --data "$work/bad" && err_has "bad/ptb.valid.txt:1: a NUL byte"'
check "unknown corpus option: exit 2" \
    'run 2 corpus --frobnicate && err_has "^dartboard: unknown option .--frobnicate. for corpus"'
check "corpus --help prints the usage" 'run 0 corpus --help && out_has "dartboard corpus"'

check "KJV: prepared once into --cache with a progress line" \
    'PATH=$fake_path run 0 corpus --cache "$work/c/kjv" &&
     err_has "preparing the KJV corpus in $work/c/kjv" && err_has "KJV corpus ready" &&
     out_has "^vocabulary: 80 words" && out_has "first: in the beginning god created" &&
     [ -f "$work/c/kjv/kjv.train.txt" ] && [ -f "$work/c/kjv/kjv.valid.txt" ] && [ -f "$work/c/kjv/kjv.test.txt" ]'
cp "$work/out" "$work/first.out"
check "KJV: later runs read the cache silently, bible not needed" \
    'PATH="$work/nobin:$PATH" FAKE_BIBLE_FAIL=1 run 0 corpus --cache "$work/c/kjv" &&
     [ ! -s "$work/err" ] && cmp -s "$work/out" "$work/first.out"'
check "KJV: the cache files are those the reference writes" \
    'cmp "$work/c/kjv/kjv.train.txt" "$fix/bible1000.train.txt" && cmp "$work/c/kjv/kjv.test.txt" "$fix/bible1000.test.txt"'
check "KJV: default cache \$XDG_CACHE_HOME/dartboard/kjv" \
    'PATH=$fake_path XDG_CACHE_HOME="$work/xdg" run 0 corpus && [ -f "$work/xdg/dartboard/kjv/kjv.valid.txt" ]'
check "KJV: else ~/.cache/dartboard/kjv" \
    'env -u XDG_CACHE_HOME PATH="$fake_path" HOME="$work/home" "$DARTBOARD" corpus >/dev/null 2>&1 &&
     [ -f "$work/home/.cache/dartboard/kjv/kjv.test.txt" ]'
check "KJV: a failing bible is exit 1 with its message; nothing written" \
    'PATH=$fake_path FAKE_BIBLE_FAIL=1 run 1 corpus --cache "$work/f/kjv" &&
     err_has "cannot prepare the KJV corpus: bible failed (exit status 3): fake bible: no such book" &&
     [ ! -e "$work/f" ]'
check "KJV: bible not installed is exit 1 naming the package" \
    'PATH="$work/nobin" run 1 corpus --cache "$work/n/kjv" && err_has "install the Debian package bible-kjv" &&
     [ ! -e "$work/n" ]'
printf '' >"$work/empty.txt"
check "KJV: bible printing nothing is exit 1; nothing written" \
    'mkdir -p "$work/e" && PATH=$fake_path FAKE_BIBLE_TEXT="$work/empty.txt" run 1 corpus --cache "$work/e/kjv" &&
     err_has "no verses" && no_files "$work/e"'
rm "$work/c/kjv/kjv.valid.txt"
check "KJV: an incomplete cache is prepared again" \
    'PATH=$fake_path run 0 corpus --cache "$work/c/kjv" && err_has "preparing" && cmp -s "$work/out" "$work/first.out"'
printf 'x \377\n' >"$work/c/kjv/kjv.test.txt"
check "KJV: a damaged cache is exit 1 naming the file and the way out" \
    'PATH=$fake_path run 1 corpus --cache "$work/c/kjv" && err_has "kjv.test.txt:1: byte 0xff" && err_has "remove $work/c/kjv"'

test_end
