# src/search: files of this module
