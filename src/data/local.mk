# src/data: datasets (Fashion-MNIST, CIFAR-10, synthetic), augmentation, epoch sampler
libdartnum_a_SOURCES += src/data/dataset.c src/data/sampler.c include/dartboard/data.h
# the text corpora of the recurrent search: PTB, WikiText-2, the KJV verses; BPTT batches
libdartnum_a_SOURCES += src/data/corpus.c include/dartboard/corpus.h

check_PROGRAMS += tests/test_data
TESTS += tests/test_data
tests_test_data_SOURCES = tests/test_data.c tests/tap.h
tests_test_data_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/fixtures/data/make_fixtures.py \
	tests/fixtures/data/fmnist-good/train-images-idx3-ubyte.gz \
	tests/fixtures/data/fmnist-good/train-labels-idx1-ubyte.gz \
	tests/fixtures/data/fmnist-good/t10k-images-idx3-ubyte.gz \
	tests/fixtures/data/fmnist-good/t10k-labels-idx1-ubyte.gz \
	tests/fixtures/data/fmnist-truncated/train-images-idx3-ubyte.gz \
	tests/fixtures/data/fmnist-truncated/train-labels-idx1-ubyte.gz \
	tests/fixtures/data/fmnist-magic/train-images-idx3-ubyte.gz \
	tests/fixtures/data/fmnist-magic/train-labels-idx1-ubyte.gz \
	tests/fixtures/data/fmnist-label/train-images-idx3-ubyte.gz \
	tests/fixtures/data/fmnist-label/train-labels-idx1-ubyte.gz \
	tests/fixtures/data/fmnist-dims/train-images-idx3-ubyte.gz \
	tests/fixtures/data/fmnist-dims/train-labels-idx1-ubyte.gz \
	tests/fixtures/data/fmnist-count/train-images-idx3-ubyte.gz \
	tests/fixtures/data/fmnist-count/train-labels-idx1-ubyte.gz \
	tests/fixtures/data/fmnist-gzcut/train-images-idx3-ubyte.gz \
	tests/fixtures/data/fmnist-gzcut/train-labels-idx1-ubyte.gz \
	tests/fixtures/data/fmnist-gzcrc/train-images-idx3-ubyte.gz \
	tests/fixtures/data/fmnist-gzcrc/train-labels-idx1-ubyte.gz \
	tests/fixtures/data/cifar-good/data_batch_1.bin tests/fixtures/data/cifar-good/data_batch_2.bin \
	tests/fixtures/data/cifar-good/data_batch_3.bin tests/fixtures/data/cifar-good/data_batch_4.bin \
	tests/fixtures/data/cifar-good/data_batch_5.bin tests/fixtures/data/cifar-good/test_batch.bin \
	tests/fixtures/data/cifar-size/data_batch_1.bin tests/fixtures/data/cifar-label/test_batch.bin
# the text corpora: official data.py and reference --corpus fixtures, refusals, BPTT windows
check_PROGRAMS += tests/test_corpus
TESTS += tests/test_corpus
tests_test_corpus_SOURCES = tests/test_corpus.c tests/tap.h tests/fixture.h
tests_test_corpus_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/reference/make_corpus_fixtures.py \
	tests/fixtures/corpus/ptb/ptb.train.txt tests/fixtures/corpus/ptb/ptb.valid.txt \
	tests/fixtures/corpus/ptb/ptb.test.txt tests/fixtures/corpus/ptb.fix \
	tests/fixtures/corpus/ptb.vocab \
	tests/fixtures/corpus/wiki/wiki.train.tokens tests/fixtures/corpus/wiki/wiki.valid.tokens \
	tests/fixtures/corpus/wiki/wiki.test.tokens tests/fixtures/corpus/wiki.fix \
	tests/fixtures/corpus/wiki.vocab tests/fixtures/corpus/bible_small.txt \
	tests/fixtures/corpus/bible12.fix tests/fixtures/corpus/bible12.vocab \
	tests/fixtures/corpus/bible12.train.txt tests/fixtures/corpus/bible12.valid.txt \
	tests/fixtures/corpus/bible12.test.txt \
	tests/fixtures/corpus/bible1000.fix tests/fixtures/corpus/bible1000.vocab \
	tests/fixtures/corpus/bible1000.train.txt tests/fixtures/corpus/bible1000.valid.txt \
	tests/fixtures/corpus/bible1000.test.txt
