"""Which legitimate web service operates a domain or URL.

The catalogue (``graphpivot/data/webservices.csv``, loaded by ``graphpivot load
webservices`` and ``graphpivot db init``) lives in the graph as WebService nodes
that carry the names they match: ``domains`` (a domain and every name under it)
and ``url_prefixes`` (``host/path`` prefixes, for services such as webhooks that
share a host with the rest of a site). :class:`WebServiceIndex` answers "which
service?" with the most specific entry, so ``raw.githubusercontent.com`` can be
its own service while ``x.pages.dev`` falls to ``pages.dev``.

Links stay true for domains loaded later because the ingest path asks the index
about every Domain and URL it writes (:class:`graphpivot.ingest.Ingestor`);
:func:`link_existing` back-fills the graph after the catalogue itself changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from graphpivot.model import Edge
from graphpivot.store.base import GraphStore

CATALOGUE_SOURCE = "webservices"
_CHILDREN = (
    "MATCH (c:Domain)-[:SUBDOMAIN_OF]->(p:Domain) WHERE p.key IN $keys "
    "RETURN c.key AS key"
)
_EXACT = "MATCH (d:Domain) WHERE d.key IN $keys RETURN d.key AS key"
_URLS = "MATCH (u:URL) WHERE u.host = $host OR u.host ENDS WITH $suffix RETURN u.key AS key"
_LOOKUP_CHUNK = 1000


def _parents(name: str) -> Iterator[str]:
    """``a.b.c`` then ``b.c`` then ``c``: the name and each suffix, most specific first."""
    labels = name.split(".")
    for i in range(len(labels)):
        yield ".".join(labels[i:])


@dataclass
class WebServiceIndex:
    """Domain and URL-prefix lookups for the catalogue's services."""

    domains: dict[str, str] = field(default_factory=dict)  # domain -> slug
    prefixes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # host -> [(path prefix, slug)]

    def __bool__(self) -> bool:
        return bool(self.domains or self.prefixes)

    def add(self, slug: str, domains: Iterable[str] = (), url_prefixes: Iterable[str] = ()) -> None:
        """Register a service's domains and ``host/path`` prefixes."""
        for domain in domains:
            self.domains[domain] = slug
        for prefix in url_prefixes:
            host, _, path = prefix.partition("/")
            self.prefixes.setdefault(host, []).append(("/" + path, slug))
            self.prefixes[host].sort(key=lambda item: -len(item[0]))

    def match_domain(self, name: str) -> str | None:
        """Slug of the service whose domain is ``name`` or its closest parent."""
        for candidate in _parents(name):
            slug = self.domains.get(candidate)
            if slug is not None:
                return slug
        return None

    def match_url(self, url: str) -> str | None:
        """Slug of a URL-prefix entry matching a canonical URL (host or parent, then path prefix)."""
        if not self.prefixes:
            return None
        parts = urlsplit(url)
        host, path = parts.hostname or "", parts.path or "/"
        for candidate in _parents(host):
            for prefix, slug in self.prefixes.get(candidate, ()):
                if path.startswith(prefix):
                    return slug
        return None

    def suffixes(self) -> set[str]:
        """Every domain the index matches under (domain entries and URL-prefix hosts)."""
        return set(self.domains) | set(self.prefixes)

    @classmethod
    def from_store(cls, store: GraphStore) -> WebServiceIndex:
        """The catalogue as the graph holds it (empty before ``load webservices``)."""
        index = cls()
        rows = store.read(
            "MATCH (w:WebService) RETURN w.key AS slug, w.domains AS domains, w.url_prefixes AS prefixes"
        )
        for row in rows:
            index.add(str(row["slug"]), row["domains"] or (), row["prefixes"] or ())
        return index


def link_edge(label: str, key: str, slug: str, first_seen: int, last_seen: int | None = None) -> Edge:
    """The ``OPERATED_BY`` edge from a Domain or URL to its service, sourced to the catalogue."""
    props = {"first_seen": first_seen, "last_seen": last_seen or first_seen, "sources": [CATALOGUE_SOURCE]}
    return Edge("OPERATED_BY", label, key, "WebService", slug, props)


def link_existing(store: GraphStore, index: WebServiceIndex, observed_at: int) -> Iterator[Edge]:
    """``OPERATED_BY`` edges for the Domains and URLs already in the graph.

    Walks down the ``SUBDOMAIN_OF`` chains the ingest path builds for every
    domain, starting at the catalogue's domains, so the cost follows the number
    of matching names rather than the size of the graph; URLs are matched by
    their ``host`` under each URL-prefix host.
    """
    level = sorted(index.suffixes())
    found = _read_keys(store, _EXACT, level)
    seen = set(found)
    while level:
        children = [k for k in _read_keys(store, _CHILDREN, level) if k not in seen]
        seen.update(children)
        found.extend(children)
        level = children
    for key in sorted(found):
        slug = index.match_domain(key)
        if slug is not None:
            yield link_edge("Domain", key, slug, observed_at)
    for host in sorted(index.prefixes):  # few hosts: one scan of the URLs each
        for row in store.read(_URLS, {"host": host, "suffix": "." + host}):
            slug = index.match_url(str(row["key"]))
            if slug is not None:
                yield link_edge("URL", str(row["key"]), slug, observed_at)


def _read_keys(store: GraphStore, cypher: str, keys: list[str]) -> list[str]:
    out: list[str] = []
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        rows = store.read(cypher, {"keys": keys[start : start + _LOOKUP_CHUNK]})
        out.extend(str(r["key"]) for r in rows)
    return out
