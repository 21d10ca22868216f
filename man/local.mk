# man: the man page is generated from the .in so it carries the version
