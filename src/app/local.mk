# src/app: the session (worker thread, snapshots, commands), the run directory,
# the command line and the headless front-end. main.c alone is not in the core
# library, so tests can drive a Session without the program around it.
libdartcore_a_SOURCES += src/app/session.c src/app/rundir.c src/app/cli.c src/app/cli.h \
	src/app/headless.c src/app/headless.h
