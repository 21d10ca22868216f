#!/usr/bin/python3
"""make_corpus_fixtures: the fixtures of tests/test_corpus.c and tests/test_corpus_kjv.c.

  DARTS_REF_DIR=DIR /usr/bin/python3 tests/reference/make_corpus_fixtures.py   (or --ref-dir DIR)

Writes into tests/fixtures/corpus/:
- ptb/ptb.{train,valid,test}.txt and wiki/wiki.{train,valid,test}.tokens: small synthetic
  Penn Treebank and WikiText-2 style files (blank lines, \\r\\n and \\r line ends, Unicode
  spaces, a byte order mark, a last line without a newline), and ptb.fix / wiki.fix with
  their ids per split, ptb.vocab / wiki.vocab the words in id order, as the official DARTS
  rnn/data.py reads them (its Dictionary and tokenize(), written out below).
- bible_small.txt: a made-up output of `bible` (upper case, apostrophes, numbers, the two
  non-ASCII letters that lower to ASCII, blank lines, lines without a space, equal counts at
  the vocabulary cut); bibleV.{train,valid,test}.txt what the reference's --corpus writes
  from it with a vocabulary of V = 12 (most words <unk>) and V = 1000 (every word kept);
  bibleV.fix and bibleV.vocab the ids and words of its read_corpus.
- kjv.fix and kjv.vocab: the real corpus the reference's --corpus writes from the bible-kjv
  package (needs `bible`): per split the token count, the first and last 64 ids, an FNV-1a
  hash of the ids and of the file's bytes; the 10,000 words in id order.
"""
import argparse
import collections
import importlib.util
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_io import add_reference_argument, write_fixture  # noqa: E402

import numpy as np  # noqa: E402

SPLITS = ('train', 'valid', 'test')
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'fixtures', 'corpus')


def import_rnn_reference(ref_dir):
    """darts_rnn_ref from ref_dir, or exit saying what to pass."""
    if not ref_dir:
        sys.exit('the PyTorch reference darts_rnn_ref.py is not part of dartboard: '
                 'pass --ref-dir DIR or set DARTS_REF_DIR to the directory that holds it')
    path = os.path.join(ref_dir, 'darts_rnn_ref.py')
    if not os.path.exists(path):
        sys.exit('%s: no darts_rnn_ref.py there (expected the directory of the PyTorch reference)'
                 % ref_dir)
    spec = importlib.util.spec_from_file_location('darts_rnn_ref', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def official_corpus(paths):
    """The official DARTS rnn/data.py: Dictionary in order of first appearance over
    train, valid, test; each line split on whitespace plus '<eos>'."""
    word2idx, idx2word, ids = {}, [], []
    for path in paths:
        toks = []
        with open(path, 'r', encoding='utf-8') as f:
            for line in f:
                for w in line.split() + ['<eos>']:
                    if w not in word2idx:
                        word2idx[w] = len(idx2word)
                        idx2word.append(w)
                    toks.append(word2idx[w])
        ids.append(toks)
    return idx2word, ids


def fnv1a32(data):
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xffffffff
    return h


def as_int32(u32):
    return np.array([u32], dtype=np.uint32).view(np.int32)


def write_bytes(path, data):
    with open(path, 'wb') as f:
        f.write(data)


def write_vocab(path, words):
    write_bytes(path, ''.join(w + '\n' for w in words).encode('utf-8'))


def split_tensors(ids):
    return collections.OrderedDict((s, np.array(t, dtype=np.int64)) for s, t in zip(SPLITS, ids))


PTB = {
    'train': b" aer banknote berlitz calloway \n pierre <unk> N years old will join the board"
             b" \n\n the board will join N <unk> \n   \n mr. <unk> is chairman of <unk> n.v. \n",
    'valid': b" consumers may want to move their telephones a little closer to the tv set \n"
             b" the board \n",
    'test': b" no it was n't black monday \n but while the new york stock exchange did n't fall"
            b" \n the board",  # no newline at the end
}

WIKI = {
    # a byte order mark (a character of the first word for Python's utf-8 codec), headings,
    # blank lines, \r\n and a lone \r, Unicode spaces (no-break, ideographic, line
    # separator, \x1c, vertical tab, NEL) and words with non-ASCII letters
    'train': (u'\ufeff = Valkyria Chronicles III = \n \n Senj\u014d no Valkyria 3 : '
              u'<unk> Chronicles \r\n caf\u00e9\u00a0au\u3000lait @-@ 1 @,@ 000\r'
              u' split\u2028here and\x1cthere\x0bor\x85not \n\n = = Gameplay = = \n').encode('utf-8'),
    'valid': u' = Homarus gammarus = \n \n Homarus gammarus , known as the European lobster \n'
             .encode('utf-8'),
    'test': u' = Robert Boulter = \n \n Robert Boulter is an English film , television and '
            u'theatre actor \u2014 caf\u00e9 \n'.encode('utf-8'),
}

BIBLE_SMALL = (
    'Ge1:1 In the beginning God created the heaven and the earth.\n'
    'Ge1:2 And the LORD\'s word; the Lord\'s house, O\'er the 12 tribes and 1,000 men.\n'
    'Ge1:3 And God said, Let there be light: and there was light.\n'
    'Ge1:4 Rock\'n\'roll isn\'t ABC\'S or \'quoted\' words\' end 3rd 42nd.\n'
    'Ge1:5 The \u212aelvin sign and \u0130stanbul lower to ASCII; \u00c9cole does not.\n'
    '\n'
    'NoSpaceHere\n'
    'Ge1:8 and the evening and the morning were the second day\r\n'
    'Ge1:9 Beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi\n'
    'Ge1:10 mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega\n'
) * 3 + 'Re22:21 The grace of our Lord Jesus Christ be with you all. Amen.'


def make_synthetic():
    for name, files, ext in (('ptb', PTB, 'ptb.%s.txt'), ('wiki', WIKI, 'wiki.%s.tokens')):
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        paths = [os.path.join(d, ext % s) for s in SPLITS]
        for s, p in zip(SPLITS, paths):
            write_bytes(p, files[s])
        words, ids = official_corpus(paths)
        write_fixture(os.path.join(OUT, name + '.fix'), split_tensors(ids))
        write_vocab(os.path.join(OUT, name + '.vocab'), words)
        print('%s: vocabulary %d, %s tokens' % (name, len(words), [len(t) for t in ids]))


def with_bible_output(ref, text, fn):
    """Runs fn with the reference's `bible` call answering `text`."""
    real = ref.subprocess.run

    def fake(argv, **kw):
        assert argv == ['bible', '-f', 'Gen1:1-Rev22:21'], argv
        return subprocess.CompletedProcess(argv, 0, stdout=text, stderr='')
    ref.subprocess.run = fake
    try:
        return fn()
    finally:
        ref.subprocess.run = real


def make_bible_small(ref, name, vocab_size):
    write_bytes(os.path.join(OUT, 'bible_small.txt'), BIBLE_SMALL.encode('utf-8'))
    with tempfile.TemporaryDirectory() as tmp:
        with_bible_output(ref, BIBLE_SMALL, lambda: ref.write_kjv(tmp, vocab_size=vocab_size))
        vocab, ids = ref.read_corpus(tmp, 'kjv')
        for s in SPLITS:
            with open(os.path.join(tmp, 'kjv.%s.txt' % s), 'rb') as f:
                write_bytes(os.path.join(OUT, '%s.%s.txt' % (name, s)), f.read())
    words = sorted(vocab, key=vocab.get)
    write_fixture(os.path.join(OUT, name + '.fix'), split_tensors([ids[s] for s in SPLITS]))
    write_vocab(os.path.join(OUT, name + '.vocab'), words)
    print('%s: vocabulary %d, %s tokens' % (name, len(words), [len(ids[s]) for s in SPLITS]))


def make_kjv(ref):
    with tempfile.TemporaryDirectory() as tmp:
        ref.write_kjv(tmp)
        vocab, ids = ref.read_corpus(tmp, 'kjv')
        t = collections.OrderedDict()
        t['tokens'] = np.array([len(ids[s]) for s in SPLITS], dtype=np.int64)
        for s in SPLITS:
            a = ids[s].numpy().astype('<i4')
            with open(os.path.join(tmp, 'kjv.%s.txt' % s), 'rb') as f:
                text = f.read()
            t[s + '_first'] = a[:64]
            t[s + '_last'] = a[-64:]
            t[s + '_ids_fnv'] = as_int32(fnv1a32(a.tobytes()))
            t[s + '_file_fnv'] = as_int32(fnv1a32(text))
    words = sorted(vocab, key=vocab.get)
    write_fixture(os.path.join(OUT, 'kjv.fix'), t)
    write_vocab(os.path.join(OUT, 'kjv.vocab'), words)
    print('kjv: vocabulary %d, %s tokens' % (len(words), list(t['tokens'])))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    add_reference_argument(ap)
    args = ap.parse_args()
    ref = import_rnn_reference(args.ref_dir)
    os.makedirs(OUT, exist_ok=True)
    make_synthetic()
    make_bible_small(ref, 'bible12', 12)
    make_bible_small(ref, 'bible1000', 1000)
    make_kjv(ref)


if __name__ == '__main__':
    main()
