# src/nn: files of this module
