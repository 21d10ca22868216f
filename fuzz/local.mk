# fuzz: libFuzzer harnesses of the parsers (presets and --set, genotypes,
# checkpoints, the run CSV files, the datasets, the command line, the text
# corpora's tokenizers, the viewers' messages).
#
#   make fuzz                     build them (clang, found by configure)
#   FUZZ_SECONDS=600 sh fuzz/run.sh fuzz/config.fuzz   fuzz one for ten minutes
#   fuzz/config.fuzz NEW fuzz/corpus/config    by hand (new inputs go to the first directory)
#
# The sources of the libraries below the UI are compiled again with clang and the fuzz
# flags (objects *.fuzzo beside the ordinary ones, archived in
# fuzz/libdart-fuzz.a), without OpenMP: one thread, reproducible runs; and
# without MPI (DARTBOARD_FUZZ_BUILD: src/app/dist.c as the one-process program).
# `make check` runs each harness for FUZZ_SECONDS (5) on its seeds
# (fuzz/run.sh), or skips them when configure found no clang with libFuzzer.
FUZZ_HARNESSES = fuzz/config.fuzz fuzz/genotype.fuzz fuzz/checkpoint.fuzz fuzz/run_csv.fuzz \
	fuzz/dataset.fuzz fuzz/cli.fuzz fuzz/tokenizer.fuzz fuzz/wire.fuzz
FUZZ_HINT = the fuzz harnesses need clang with libFuzzer (Debian: apt-get install clang \
	libclang-rt-14-dev), then ./configure again
# The objects of every library below the UI, as .fuzzo.
FUZZ_CORE_OBJECTS = $(libdartnum_a_OBJECTS:.o=.fuzzo) $(libdartio_a_OBJECTS:.o=.fuzzo) \
	$(libdartapp_a_OBJECTS:.o=.fuzzo)
FUZZ_CFLAGS = -std=gnu11 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all $(WARN_CFLAGS) -Wno-psabi $(DEFS) $(DEFAULT_INCLUDES) \
	$(AM_CPPFLAGS) $(CPPFLAGS) -DNN_ONE_BUILD -DDARTBOARD_FUZZ_BUILD -I$(top_srcdir)/src/app $(BLAS_CFLAGS) $(YAML_CFLAGS) $(ZLIB_CFLAGS)
FUZZ_LIBS = $(BLAS_LIBS) $(YAML_LIBS) $(ZLIB_LIBS) $(PTHREAD_LIBS) $(LIBS)

SUFFIXES = .fuzzo .fuzz
.c.fuzzo:
	@$(MKDIR_P) $(@D)
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<
.c.fuzz:
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< fuzz/libdart-fuzz.a \
	$(FUZZ_LIBS)

fuzz/libdart-fuzz.a: $(FUZZ_CORE_OBJECTS)
	$(AM_V_AR)$(MKDIR_P) $(@D) && rm -f $@ && $(AR) cr $@ $(FUZZ_CORE_OBJECTS) && $(RANLIB) $@
# Objects rebuilt when any header changes (no finer dependency tracking).
$(FUZZ_CORE_OBJECTS): $(top_srcdir)/include/dartboard/*.h $(top_srcdir)/src/*/*.h config.h
$(FUZZ_HARNESSES): fuzz/libdart-fuzz.a fuzz/fuzz.h

TEST_EXTENSIONS += .fuzz
FUZZ_LOG_COMPILER = $(SHELL) $(srcdir)/fuzz/run.sh
if HAVE_FUZZER
fuzz: $(FUZZ_HARNESSES)
TESTS += $(FUZZ_HARNESSES)
else
fuzz:
	@echo "make fuzz: $(FUZZ_HINT)" >&2; exit 1
TESTS += fuzz/no_fuzzer.sh
endif
.PHONY: fuzz
AM_TESTS_ENVIRONMENT += FUZZ_HINT='$(FUZZ_HINT)'; export FUZZ_HINT;

EXTRA_DIST += fuzz/fuzz.h fuzz/config.c fuzz/genotype.c fuzz/checkpoint.c fuzz/run_csv.c \
	fuzz/dataset.c fuzz/cli.c fuzz/tokenizer.c fuzz/wire.c fuzz/run.sh fuzz/no_fuzzer.sh \
	fuzz/make_corpus.sh fuzz/corpus

clean-local: clean-fuzz
clean-fuzz:
	-rm -f $(FUZZ_HARNESSES) fuzz/libdart-fuzz.a $(FUZZ_CORE_OBJECTS)
	-rm -rf fuzz/*.dir
.PHONY: clean-fuzz
