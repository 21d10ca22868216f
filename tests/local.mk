# tests: files of this module
# What the tests share: C helpers beside tap.h, and the TAP-style shell tests' functions.
EXTRA_DIST += tests/helpers.h tests/test_lib.sh
