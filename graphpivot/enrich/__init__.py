"""Batch enrichment jobs: services (DNS, RDAP, TLS) as loaders, run safely on a schedule.

``base`` holds what an enricher is and what it returns, ``selection`` picks the
targets from the graph, ``runner`` runs the lookups (concurrency, retries,
rate limit, resume) and writes their records through the one ingest path, and
``joblog`` reports progress for people and schedulers.
"""
