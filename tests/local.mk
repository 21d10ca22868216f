# tests: files of this module
