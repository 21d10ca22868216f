# src/rnn: the recurrent DARTS search network (language model) and its cell.
libdartnum_a_SOURCES += src/rnn/rnnnet.c src/rnn/rnn_genotype.c \
	include/dartboard/rnnnet.h include/dartboard/rnn_genotype.h
