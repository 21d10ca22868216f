# ui: the ncurses front-end. Only this library is compiled with $(CURSES_CFLAGS);
# ui/curses.h is the one file that includes a curses header.
libdartui_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
libdartui_a_SOURCES += \
	ui/curses.h \
	ui/layout.c ui/layout.h \
	ui/glyphs.c ui/glyphs.h \
	ui/colors.c ui/colors.h \
	ui/draw.c ui/draw.h \
	ui/heatmap.c ui/heatmap.h \
	ui/curves.c ui/curves.h \
	ui/cellview.c ui/cellview.h \
	ui/statusbar.c ui/statusbar.h \
	ui/editor.c ui/editor.h \
	ui/help.c ui/help.h \
	ui/view.c ui/view.h \
	ui/history.c ui/history.h \
	ui/screen.c ui/screen.h \
	ui/plot.c ui/plot.h \
	ui/ui.c
# The public face (main.c includes it); listed so `make dist` ships it.
EXTRA_DIST += include/dartboard/ui.h

# Layout is pure: its test links the UI library without curses.
check_PROGRAMS += tests/test_ui_layout
TESTS += tests/test_ui_layout
tests_test_ui_layout_SOURCES = tests/test_ui_layout.c tests/tap.h
tests_test_ui_layout_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_test_ui_layout_LDADD = libdartui.a

# The pure pieces: labels, marks, ramp, glyphs, ranges, the editor's validation.
check_PROGRAMS += tests/test_ui_parts
TESTS += tests/test_ui_parts
tests_test_ui_parts_SOURCES = tests/test_ui_parts.c tests/tap.h
tests_test_ui_parts_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_test_ui_parts_CFLAGS = $(AM_CFLAGS) $(CURSES_CFLAGS)
tests_test_ui_parts_LDADD = libdartui.a $(CORE_LIBS) $(CURSES_LIBS)

# Fixture snapshots drawn headless, compared with golden text files per
# terminal type and locale (regenerate: see the head of the test).
check_PROGRAMS += tests/test_ui_render
TESTS += tests/test_ui_render
tests_test_ui_render_SOURCES = tests/test_ui_render.c tests/tap.h
tests_test_ui_render_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_test_ui_render_CFLAGS = $(AM_CFLAGS) $(CURSES_CFLAGS)
tests_test_ui_render_LDADD = libdartui.a $(CORE_LIBS) $(CURSES_LIBS)
EXTRA_DIST += tests/fixtures/ui

# ui_run on a real session, keys from a feeder thread; the same under TSan;
# the real program in tmux.
check_PROGRAMS += tests/test_ui_batch
TESTS += tests/test_ui_batch tests/test_ui_tsan.sh tests/test_tui.sh tests/test_tui_train.sh tests/test_tui_rnn.sh
tests_test_ui_batch_SOURCES = tests/test_ui_batch.c tests/tap.h
tests_test_ui_batch_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_test_ui_batch_LDADD = libdartui.a $(CORE_LIBS) $(CURSES_LIBS)
EXTRA_DIST += tests/test_ui_tsan.sh tests/test_tui.sh tests/test_tui_train.sh tests/tui_lib.sh tests/test_tui_rnn.sh

# The key table against the man page (and against itself).
check_PROGRAMS += tests/test_ui_keys
TESTS += tests/test_ui_keys
tests_test_ui_keys_SOURCES = tests/test_ui_keys.c tests/tap.h
tests_test_ui_keys_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_test_ui_keys_CFLAGS = $(AM_CFLAGS) $(CURSES_CFLAGS)
tests_test_ui_keys_LDADD = libdartui.a $(CURSES_LIBS) -lm

# The UI tests' scratch files (build tree only; kept when a test fails).
clean-local: clean-ui-tests
clean-ui-tests:
	-rm -rf test_ui_batch.run test_ui_batch.screen test_ui_tsan.dir tests/out
.PHONY: clean-ui-tests
