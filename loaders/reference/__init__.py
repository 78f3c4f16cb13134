"""Parsers of the reference catalogues that control false positives: the noise list and the web-service catalogue."""
