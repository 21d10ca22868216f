# src/io: files of this module
