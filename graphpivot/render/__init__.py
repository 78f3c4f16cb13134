"""Pictures of results: self-contained HTML pages drawing a result graph (vendored cytoscape.js)."""
