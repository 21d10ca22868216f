# presets
