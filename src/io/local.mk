# src/io: files of this module
# configuration and presets (data engineer)
libdartio_a_SOURCES += src/io/config.c include/dartboard/config.h

check_PROGRAMS += tests/test_config
TESTS += tests/test_config
tests_test_config_SOURCES = tests/test_config.c tests/tap.h
tests_test_config_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/fixtures/config/choice.yaml tests/fixtures/config/duplicate.yaml \
	tests/fixtures/config/empty.yaml tests/fixtures/config/good.yaml tests/fixtures/config/indent.yaml \
	tests/fixtures/config/int.yaml \
	tests/fixtures/config/list.yaml tests/fixtures/config/list_value.yaml \
	tests/fixtures/config/range.yaml tests/fixtures/config/scalar_section.yaml \
	tests/fixtures/config/section.yaml tests/fixtures/config/syntax.yaml \
	tests/fixtures/config/type.yaml tests/fixtures/config/typo.yaml
# hostile preset file names through a run, its resume and config.yaml as a preset
TESTS += tests/test_config_names.sh
EXTRA_DIST += tests/test_config_names.sh
# every numeric key at both ends of its range runs or is refused, never a crash
check_PROGRAMS += tests/config_extremes
tests_config_extremes_SOURCES = tests/config_extremes.c
tests_config_extremes_LDADD = $(CORE_LIBS)
TESTS += tests/test_config_extremes.sh
EXTRA_DIST += tests/test_config_extremes.sh
# an installed binary reads only the installed presets, the build tree's the source ones
TESTS += tests/test_config_presetdir.sh
EXTRA_DIST += tests/test_config_presetdir.sh
# end of configuration and presets

# the run directory: its files, the one atomic write path, checkpoints
# the text corpus of a recurrent search: --data, or the KJV corpus prepared once into a cache
libdartio_a_SOURCES += src/io/corpus_cache.c include/dartboard/corpus_cache.h
check_PROGRAMS += tests/test_corpus_kjv
TESTS += tests/test_corpus_kjv tests/test_corpus_cli.sh
tests_test_corpus_kjv_SOURCES = tests/test_corpus_kjv.c tests/tap.h tests/fixture.h
tests_test_corpus_kjv_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/test_corpus_cli.sh tests/fixtures/corpus/kjv.fix tests/fixtures/corpus/kjv.vocab
libdartio_a_SOURCES += src/io/atomic_file.c src/io/checkpoint.c src/io/rundir.c \
	include/dartboard/atomic_file.h include/dartboard/checkpoint.h include/dartboard/rundir.h
check_PROGRAMS += tests/test_checkpoint
TESTS += tests/test_checkpoint
tests_test_checkpoint_SOURCES = tests/test_checkpoint.c tests/tap.h
tests_test_checkpoint_LDADD = $(CORE_LIBS)
# end of checkpoints and atomic files

# --- exports (owner: exports): genotype files, cell diagrams, gnuplot figures,
# `dartboard export`
libdartio_a_SOURCES += src/io/genotype_io.c src/io/genotype_io_read.h \
	src/io/genotype_io_value.c src/io/genotype_io_python.c src/io/genotype_io_yaml.c \
	src/io/genotype_io_interpret.c src/io/genotype_io_interpret_rnn.c src/io/genotype_io_write.c \
	src/io/diagram.c src/io/plots.c src/io/export.c src/io/run_csv.c src/io/tool.c

check_PROGRAMS += tests/test_genotype_io tests/test_diagram tests/test_plots tests/test_tool \
	tests/test_run_csv tests/export_cli
TESTS += tests/test_genotype_io tests/test_diagram tests/test_plots tests/test_tool \
	tests/test_run_csv \
	tests/test_export.sh \
	tests/test_export_dot.sh tests/test_export_svg.sh tests/test_export_tikz.sh \
	tests/test_export_plots.sh tests/test_export_python.sh tests/test_resume_metrics.sh \
	tests/test_export_argv.sh
tests_test_genotype_io_SOURCES = tests/test_genotype_io.c tests/tap.h
tests_test_genotype_io_LDADD = $(CORE_LIBS)
tests_test_diagram_SOURCES = tests/test_diagram.c tests/tap.h
tests_test_diagram_LDADD = $(CORE_LIBS)
tests_test_plots_SOURCES = tests/test_plots.c tests/tap.h
tests_test_plots_LDADD = $(CORE_LIBS)
tests_test_tool_SOURCES = tests/test_tool.c tests/tap.h
tests_test_tool_LDADD = $(CORE_LIBS)
tests_test_run_csv_SOURCES = tests/test_run_csv.c tests/tap.h
tests_test_run_csv_LDADD = $(CORE_LIBS)
# `dartboard export` without the rest of the program, for the shell tests
tests_export_cli_SOURCES = tests/export_cli.c
tests_export_cli_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/test_export.sh tests/test_export_dot.sh tests/test_export_svg.sh \
	tests/test_export_tikz.sh tests/test_export_plots.sh tests/test_export_python.sh \
	tests/test_resume_metrics.sh tests/test_export_argv.sh \
	tests/export_lib.sh \
	tests/reference/make_export_fixtures.py \
	tests/fixtures/genotypes/official.py tests/fixtures/genotypes/official_range.txt \
	tests/fixtures/genotypes/nested.py tests/fixtures/genotypes/triples.py \
	tests/fixtures/genotypes/awnas.txt tests/fixtures/genotypes/darts_v2.yaml \
	tests/fixtures/genotypes/reordered_ops.json tests/fixtures/genotypes/autodl.py \
	tests/fixtures/genotypes/weighted.py \
	tests/fixtures/rundir/config.yaml tests/fixtures/rundir/metrics.csv \
	tests/fixtures/rundir/alphas.csv tests/fixtures/rundir/genotype.py \
	tests/fixtures/rundir/genotype.json
EXTRA_DIST += include/dartboard/genotype_io.h include/dartboard/export.h \
	include/dartboard/diagram.h include/dartboard/plots.h include/dartboard/run_csv.h \
	include/dartboard/tool.h
# recurrent genotypes: files, diagrams, `dartboard export`
check_PROGRAMS += tests/test_rnn_genotype_io
TESTS += tests/test_rnn_genotype_io tests/test_export_rnn.sh
tests_test_rnn_genotype_io_SOURCES = tests/test_rnn_genotype_io.c tests/tap.h
tests_test_rnn_genotype_io_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/test_export_rnn.sh \
	tests/fixtures/genotypes/rnn_official.py tests/fixtures/genotypes/rnn_multiline.py \
	tests/fixtures/genotypes/rnn_reordered_ops.json \
	tests/fixtures/genotypes/darts_v2_recurrent.dot
# --- end exports
