# src/io: files of this module
# checkpoints and atomic files (app)
libdartcore_a_SOURCES += src/io/atomic_file.c src/io/checkpoint.c
