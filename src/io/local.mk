# src/io: files of this module
# configuration and presets (data engineer)
libdartcore_a_SOURCES += src/io/config.c

check_PROGRAMS += tests/test_config
TESTS += tests/test_config
tests_test_config_SOURCES = tests/test_config.c tests/tap.h
tests_test_config_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/fixtures/config/choice.yaml tests/fixtures/config/duplicate.yaml \
	tests/fixtures/config/empty.yaml tests/fixtures/config/good.yaml tests/fixtures/config/int.yaml \
	tests/fixtures/config/list.yaml tests/fixtures/config/list_value.yaml \
	tests/fixtures/config/range.yaml tests/fixtures/config/scalar_section.yaml \
	tests/fixtures/config/section.yaml tests/fixtures/config/syntax.yaml \
	tests/fixtures/config/type.yaml tests/fixtures/config/typo.yaml
# end of configuration and presets

# checkpoints and atomic files (app engineer)
libdartcore_a_SOURCES += src/io/atomic_file.c src/io/checkpoint.c
check_PROGRAMS += tests/test_checkpoint
TESTS += tests/test_checkpoint
tests_test_checkpoint_SOURCES = tests/test_checkpoint.c tests/tap.h
tests_test_checkpoint_LDADD = $(CORE_LIBS)
# end of checkpoints and atomic files
