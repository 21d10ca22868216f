# tests: files of this module
# What the tests share: C helpers beside tap.h, and the TAP-style shell tests' functions.
EXTRA_DIST += tests/helpers.h tests/test_lib.sh

# Layout: .clang-format is the style of every C file.
TESTS += tests/test_format.sh
EXTRA_DIST += tests/test_format.sh
FORMAT_FIND = cd $(srcdir) && find include src ui bench tests fuzz -name '*.[ch]'
format:
	$(FORMAT_FIND) -exec clang-format -i {} +
format-check:
	@top_srcdir=$(srcdir) $(SHELL) $(srcdir)/tests/test_format.sh
.PHONY: format format-check
