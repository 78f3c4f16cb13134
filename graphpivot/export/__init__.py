"""Findings that leave graphpivot: STIX 2.1 bundles, MISP events, graph files (GraphML, CSV)."""
