# bench: files of this module
