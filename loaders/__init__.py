"""File parsers: each module turns one source format into model records (no network, no database)."""
