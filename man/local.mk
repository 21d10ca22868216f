# man: the man page is generated from the .in so it carries the version
# (owner: exports)
man_MANS += man/dartboard.1
EXTRA_DIST += man/dartboard.1.in
CLEANFILES += man/dartboard.1

man/dartboard.1: $(top_srcdir)/man/dartboard.1.in Makefile
	$(AM_V_GEN)$(MKDIR_P) man && \
	sed -e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g' \
	    -e 's|@PRESETDIR[@]|$(presetdir)|g' \
	    $(top_srcdir)/man/dartboard.1.in > $@.tmp && mv $@.tmp $@

TESTS += tests/test_export_man.sh
EXTRA_DIST += tests/test_export_man.sh
