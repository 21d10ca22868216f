# ui: files of this module
