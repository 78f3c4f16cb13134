"""Parsers of threat-intel files: STIX, MISP, IOC lists, CSV feeds, fingerprint tables, certificates."""
