# src/app: files of this module
