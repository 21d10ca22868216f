# src/data: files of this module
