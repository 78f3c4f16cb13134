"""What network telemetry means in the graph, shared by the Zeek, Suricata and proxy loaders.

One :class:`Telemetry` per load turns the facts a log line states (who asked
for which name, who connected where, which URL was fetched, which certificate a
server showed) into folded :class:`~graphpivot.loaders.telemetry.observations.Observations`:

* the internal side of a connection is a ``Host`` (see :mod:`.network`), the
  external side an ``IP`` or ``Domain``; traffic between two internal or two
  external addresses is counted as not modelled;
* ``(Host)-[:QUERIED]->(Domain)``; DNS answers give passive ``RESOLVES_TO`` and
  ``CNAME`` (and ``MX``/``NS``) edges stamped with the time they were seen;
* ``(Host)-[:CONNECTED_TO]->(IP)`` per pair with bytes, ports, protocols and
  direction; ``(Host)-[:CONNECTED_TO]->(Domain)`` for a TLS server name (SNI);
* ``(Host)-[:REQUESTED]->(URL)-[:ON_HOST]->(Domain|IP)`` with bytes, methods,
  statuses and user agents; a proxy ``CONNECT host:port`` is the URL
  ``https://host:port/`` with method ``CONNECT``;
* ``(IP|Domain)-[:SERVES_CERT]->(Certificate)``, client fingerprints
  ``(Host)-[:USED_CLIENT]->(Fingerprint)``, server fingerprints
  ``(IP|Domain)-[:HAS_FINGERPRINT]->(Fingerprint)``;
* alert signatures go on the edge they concern, with ``count`` 0 so ``count``
  keeps counting connections, queries and requests.

Names that are not Internet infrastructure (single-label names, ``.arpa``
reverse names, multicast/broadcast/loopback/unspecified peers) are counted and
reported in the load summary, not loaded. Values that are not valid names or
addresses raise :class:`InvalidValue`; the loader rejects the line with that reason.

Accounting: a loader wraps each line in :meth:`Telemetry.begin_line` /
:meth:`Telemetry.end_line`. A line that raises loads nothing (its facts are
dropped); one that states at least one fact is loaded; one that states none is
skipped with the first reason it gave. :meth:`Telemetry.file_done` yields the
file's :class:`~graphpivot.model.Loaded` and :class:`~graphpivot.model.Skipped` counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from graphpivot.loaders.telemetry.network import Network, is_peer_address
from graphpivot.loaders.telemetry.observations import LIST_CAP, Observations

from graphpivot.canonical import InvalidValue, canonical_domain, canonical_fingerprint, canonical_ip, canonical_url
from graphpivot.canonical import url_host as _url_host
from graphpivot.model import Loaded, Record, Reject, Skipped, entity

Cert = tuple[str, str]  # (key, key_type)
_CHAINED_QTYPES = frozenset({"A", "AAAA", "CNAME", "ANY", "*"})
_NAME_QTYPES = frozenset({"MX", "NS"})
_DEFAULT_PORT = {"http": 80, "https": 443}
_DIRECTION = {True: "outbound", False: "inbound", None: None}
_HOST_CACHE = 100_000


@lru_cache(maxsize=65_536)
def cached_url_host(url: str) -> tuple[str, str]:
    """``(label, key)`` of a canonical URL's host (:func:`graphpivot.canonical.url_host`), cached."""
    return _url_host(url)


@lru_cache(maxsize=65_536)
def answer_value(text: str) -> tuple[str, str] | None:
    """A DNS answer as ``("IP", address)`` or ``("Domain", name)``; ``None`` for anything else (TXT, SRV text)."""
    try:
        return "IP", canonical_ip(text)
    except InvalidValue:
        pass
    try:
        return "Domain", canonical_domain(text)
    except InvalidValue:
        return None


def infrastructure_name(raw: str) -> tuple[str | None, str | None]:
    """``(canonical name, None)``, or ``(None, why)`` for a name that is not Internet infrastructure.

    Raises :class:`InvalidValue` for text that is no domain name.
    """
    name = canonical_domain(raw)
    if "." not in name:
        return None, "single-label names"
    if name.endswith(".arpa"):
        return None, "reverse-lookup (.arpa) names"
    return name, None


def is_infrastructure(name: str) -> bool:
    """Single-label names (NetBIOS/LLMNR style) and ``.arpa`` reverse names are no one's infrastructure."""
    return "." in name and not name.endswith(".arpa")


def _texts(**values: Any) -> None:
    """Raise ValueError naming the first value that is neither text nor None (hostile logs put anything anywhere)."""
    for what, value in values.items():
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{what} should be text, found {str(value)[:40]!r}")


def event_ids(*values: Any) -> list[str] | None:
    """Raw-event pointers of one line (Zeek ``uid``, ``community_id``, EVE ``flow_id``, ``FILE:LINE``), as text.

    Values that are not text or whole numbers, empty or over 256 characters are no usable pointer and are left out.
    """
    ids = [
        str(v)
        for v in values
        if (isinstance(v, str) and 0 < len(v) <= 256) or (isinstance(v, int) and not isinstance(v, bool))
    ]
    return ids or None


def line_reason(exc: BaseException) -> str:
    """The reject reason for an exception raised while mapping one line (any exception: the line, not the load)."""
    if isinstance(exc, KeyError):
        text = f"record lacks {exc}"
    elif isinstance(exc, TypeError | AttributeError):
        text = f"record has a field of the wrong type ({exc})"
    elif isinstance(exc, RecursionError):
        text = "record nested too deeply"
    elif isinstance(exc, OverflowError):
        text = f"number out of range ({exc})"
    elif isinstance(exc, ValueError):
        text = str(exc)
    else:
        text = f"cannot map record ({type(exc).__name__}: {exc})"
    return text[:500]


def cert_key_type(digest: str) -> str | None:
    """The hash algorithm a hex certificate fingerprint is, by its length."""
    return {64: "sha256", 40: "sha1", 32: "md5"}.get(len(digest.replace(":", "").strip()))


def common_name(dn: str | None) -> str | None:
    """The CN of an RFC 4514 distinguished name (``CN=*.example.com,O=Example\\, Inc.``)."""
    for part in (dn or "").replace("\\,", "\0").split(","):
        attr, _, value = part.partition("=")
        if attr.strip().upper() == "CN":
            return value.replace("\0", ",").strip()
    return None


def certificate_props(
    cert: Cert,
    *,
    subject: str | None = None,
    issuer: str | None = None,
    not_before: float | None = None,
    not_after: float | None = None,
    **more: str | None,
) -> dict[str, Any]:
    """Certificate node properties (``serial``, ``sha1``, ``md5`` in ``more``), validated by the entity model."""
    node = entity(
        "Certificate",
        cert[0],
        key_type=cert[1],
        subject=subject,
        subject_cn=common_name(subject),
        issuer=issuer,
        not_before=None if not_before is None else int(not_before),
        not_after=None if not_after is None else int(not_after),
        self_signed=None if subject is None or issuer is None else subject == issuer,
        **more,
    )
    return node.props


def http_url(scheme: str, host: str, port: int | None, target: str) -> str:
    """The URL of one HTTP request from its parts (not yet canonical).

    ``target`` is the request target: a path, an absolute URL (proxy form) or
    ``host:port`` for ``CONNECT`` (use :func:`connect_url` for that).
    """
    if target.startswith(("http://", "https://", "HTTP://", "HTTPS://")):
        return target
    if host.count(":") > 1 and not host.startswith("["):  # a bare IPv6 address
        host = f"[{host}]"
    if port is not None and ":" not in host.rsplit("]", 1)[-1] and port != _DEFAULT_PORT.get(scheme):
        host = f"{host}:{port}"
    path = target if target.startswith("/") else "/" + target
    return f"{scheme}://{host}{path}"


def connect_url(authority: str) -> str:
    """``CONNECT host:port`` as the URL ``https://host:port/`` (port 443 dropped when canonical)."""
    return f"https://{authority}/"


class Telemetry:
    """The graph meaning of telemetry facts, folded into one window of observations."""

    def __init__(self, network: Network, obs: Observations) -> None:
        self.network = network
        self.obs = obs
        self.skipped: Counter[str] = Counter()  # reasons given by the open line (or outside lines: parts)
        self._in_line = False
        self._used = False
        self._loaded = 0
        self._lines_skipped: Counter[str] = Counter()
        self._parts_skipped: Counter[str] = Counter()
        self._host_props: dict[str, dict[str, Any]] = {}
        obs.props_of["Host"] = self.host_props

    # ------------------------------------------------------------ who
    def host(self, address: str, *, always: bool = False) -> str | None:
        """Key of the Host for an internal address (``always``: any address); ``None`` for an external one."""
        found = self.network.host(address, always=always)
        if found is None:
            return None
        key, props = found
        if key not in self._host_props:
            if len(self._host_props) > _HOST_CACHE:
                self._host_props.clear()
            self._host_props[key] = props
        return key

    def host_props(self, key: str) -> dict[str, Any]:
        """The properties of a Host named earlier by :meth:`host` (asset name, owner, ...)."""
        return self._host_props.get(key) or {}

    def sides(self, src: str, dst: str) -> tuple[str, str, bool] | None:
        """``(host key, external peer address, host opened it)`` for a connection from ``src`` to ``dst``."""
        src_host = self.host(src)
        dst_host = self.host(dst)
        if src_host is not None and dst_host is None:
            host, peer, outbound = src_host, dst, True
        elif dst_host is not None and src_host is None:
            host, peer, outbound = dst_host, src, False
        else:
            self.skipped["between two internal addresses" if src_host else "between two external addresses"] += 1
            return None
        peer = canonical_ip(peer)
        if not is_peer_address(peer):
            self.skipped["to multicast, broadcast or unspecified addresses"] += 1
            return None
        return host, peer, outbound

    def domain(self, raw: str) -> str | None:
        """Canonical name, or ``None`` (counted) for names that are not Internet infrastructure."""
        name, why = infrastructure_name(raw)
        if why is not None:
            self.skipped[why] += 1
        return name

    # ------------------------------------------------------------ DNS
    def queried(
        self,
        host: str,
        name: str,
        ts: int,
        qtype: str | None,
        rcode: str | None,
        *,
        count: int = 1,
        signature: str | None = None,
        events: list[str] | None = None,
    ) -> None:
        _texts(qtype=qtype, rcode=rcode, signature=signature)
        self.obs.edge(
            "QUERIED", "Host", host, "Domain", name, ts, count, qtypes=qtype, rcodes=rcode, signatures=signature,
            events=events,
        )

    def answer_chain(self, name: str, qtype: str | None, answers: list[str], ts: int) -> None:
        """Zeek-style untyped answers: names are the CNAME chain in order, addresses belong to its last name."""
        if qtype in _NAME_QTYPES:
            for text in answers:
                self.answer(name, qtype, text, ts)
            return
        if qtype not in _CHAINED_QTYPES:
            return
        owner = name
        for text in answers:
            value = answer_value(text)
            if value is None:
                self.skipped["DNS answers that are not names or addresses"] += 1
            elif value[0] == "IP":
                self._resolves(owner, value[1], ts)
            elif not is_infrastructure(value[1]):
                self.skipped["DNS answers naming single-label or .arpa names"] += 1
            elif value[1] != owner:
                self.obs.edge("CNAME", "Domain", owner, "Domain", value[1], ts)
                owner = value[1]

    def answer(self, owner: str, rrtype: str | None, rdata: str, ts: int) -> None:
        """One typed answer record (Suricata): A/AAAA, CNAME, MX, NS; other types are not modelled."""
        value = answer_value(rdata)
        if rrtype in ("A", "AAAA"):
            if value is None or value[0] != "IP":
                self.skipped["DNS answers that are not names or addresses"] += 1
            else:
                self._resolves(owner, value[1], ts)
        elif rrtype in ("CNAME", "MX", "NS"):
            if value is None or value[0] != "Domain":
                self.skipped["DNS answers that are not names or addresses"] += 1
            elif not is_infrastructure(value[1]):
                self.skipped["DNS answers naming single-label or .arpa names"] += 1
            else:
                self.obs.edge(rrtype, "Domain", owner, "Domain", value[1], ts)

    def _resolves(self, name: str, address: str, ts: int) -> None:
        if is_peer_address(address):
            self.obs.edge("RESOLVES_TO", "Domain", name, "IP", address, ts)
        else:
            self.skipped["DNS answers pointing to loopback, multicast or unspecified addresses"] += 1

    # ------------------------------------------------------------ flows
    def connected(
        self,
        host: str,
        peer: str,
        ts: int,
        *,
        outbound: bool | None,
        bytes_out: int | None = None,
        bytes_in: int | None = None,
        port: int | None = None,
        protocols: list[str] | None = None,
        count: int = 1,
        signature: str | None = None,
        events: list[str] | None = None,
    ) -> None:
        """``CONNECTED_TO`` an address; ``outbound`` says the host opened it (``None``: the log cannot tell)."""
        _texts(signature=signature)
        self.obs.edge(
            "CONNECTED_TO",
            "Host",
            host,
            "IP",
            peer,
            ts,
            count,
            bytes_out=bytes_out,
            bytes_in=bytes_in,
            ports=port,
            protocols=protocols,
            directions=_DIRECTION[outbound],
            signatures=signature,
            events=events,
        )

    # ------------------------------------------------------------ HTTP
    def requested(
        self,
        host: str,
        raw_url: str,
        ts: int,
        *,
        method: str | None = None,
        status: int | None = None,
        bytes_out: int | None = None,
        bytes_in: int | None = None,
        user_agent: str | None = None,
        count: int = 1,
        signature: str | None = None,
        events: list[str] | None = None,
    ) -> None:
        """``REQUESTED`` and ``ON_HOST`` for one request; raises :class:`InvalidValue` for a bad URL."""
        _texts(method=method, user_agent=user_agent, signature=signature)
        if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
            raise ValueError(f"status should be a number, found {str(status)[:40]!r}")
        url = canonical_url(raw_url)
        label, key = cached_url_host(url)
        if label == "Domain" and self.domain(key) is None:
            return
        self.obs.edge(
            "REQUESTED",
            "Host",
            host,
            "URL",
            url,
            ts,
            count,
            bytes_out=bytes_out,
            bytes_in=bytes_in,
            methods=method,
            statuses=status,
            user_agents=user_agent or None,
            signatures=signature,
            events=events,
        )
        self.obs.edge("ON_HOST", "URL", url, label, key, ts, count)

    # ------------------------------------------------------------ TLS
    def tls(
        self,
        host: str | None,
        server: str,
        ts: int,
        *,
        sni: str | None = None,
        port: int | None = None,
        cert: Cert | None = None,
        ja3: str | None = None,
        ja3s: str | None = None,
        ja4: str | None = None,
        ja4s: str | None = None,
        events: list[str] | None = None,
    ) -> None:
        """One TLS session: client fingerprints for the host, name, certificate and fingerprints of the server.

        ``server`` is canonical; it is external unless ``host`` is ``None``
        (then only server facts are recorded, e.g. a sensor outside).
        """
        name = self.domain(sni) if sni else None
        if host is not None:
            clients = [fp for fp in (self._fingerprint("ja3", ja3), self._fingerprint("ja4", ja4)) if fp]
            for fp in clients:
                self.obs.edge("USED_CLIENT", "Host", host, "Fingerprint", fp, ts, events=events)
            if name:
                self.obs.edge(
                    "CONNECTED_TO", "Host", host, "Domain", name, ts,
                    ports=port, protocols="tls", directions="outbound", events=events,
                )
        servers = [("IP", server)] + ([("Domain", name)] if name else [])
        if cert is not None:
            self.obs.node_once("Certificate", cert[0], {"key_type": cert[1]})
            for label, key in servers:
                self.obs.edge("SERVES_CERT", label, key, "Certificate", cert[0], ts, ports=port)
        for fp_type, value in (("ja3s", ja3s), ("ja4s", ja4s)):
            server_fp = self._fingerprint(fp_type, value)
            if server_fp:
                for label, key in servers:
                    self.obs.edge("HAS_FINGERPRINT", label, key, "Fingerprint", server_fp, ts, ports=port)

    def _fingerprint(self, fp_type: str, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return canonical_fingerprint(fp_type, value)
        except InvalidValue:
            self.skipped[f"invalid {fp_type.upper()} values"] += 1
            return None

    # ------------------------------------------------------------ accounting
    def begin_line(self) -> None:
        """Open one input line: its facts and skip reasons wait for :meth:`end_line`."""
        self.obs.begin()
        self.skipped.clear()
        self._used = False
        self._in_line = True

    def used(self) -> None:
        """The open line was used although it states no fact of its own (e.g. a certificate hash to join)."""
        self._used = True

    def one_line(
        self, name: str, lineno: int, text: str, apply: Callable[[], Record | None], reason: Callable[[Exception], str]
    ) -> Iterator[Record]:
        """Apply one input line all or nothing: ``apply`` states its facts (or returns the record that says why
        the line is skipped); any exception makes the line a reject with ``reason(exc)`` and drops its facts."""
        self.begin_line()
        try:
            instead = apply()
        except Exception as exc:  # any per-line failure is this line's reject, never the load's crash
            self.end_line(False)
            yield Reject(name, lineno, reason(exc), text)
            return
        self.end_line(instead is None)
        if instead is not None:
            yield instead

    def end_line(self, ok: bool) -> None:
        """Close the line: ``ok`` False (it was rejected) drops its facts; else it counts as loaded or skipped."""
        self._in_line = False
        if not ok:
            self.obs.discard()
            self.skipped.clear()
            return
        facts = self.obs.commit()
        reasons = self.skipped
        if facts or self._used:
            self._loaded += 1
            self._parts_skipped.update(reasons)
        elif reasons:
            first = next(iter(reasons))
            self._lines_skipped[first] += 1
            reasons[first] -= 1
            self._parts_skipped.update({k: v for k, v in reasons.items() if v > 0})
        else:
            self._lines_skipped["lines with nothing to model"] += 1
        reasons.clear()

    def count_lines(self, loaded: int, lines_skipped: Counter[str], parts_skipped: Counter[str]) -> None:
        """Account for lines mapped outside :meth:`begin_line` (a columnar reader's whole block at once)."""
        self._loaded += loaded
        self._lines_skipped.update(lines_skipped)
        self._parts_skipped.update(parts_skipped)

    @property
    def loaded_lines(self) -> int:
        """Lines of the current file counted as loaded so far."""
        return self._loaded

    def skip_line(self, reason: str) -> None:
        """A line read and deliberately not loaded (blank, a header)."""
        self._lines_skipped[reason] += 1

    def file_done(self, name: str) -> Iterator[Record]:
        """The file's accounting records (loaded and skipped counts); resets them."""
        self._parts_skipped.update(self.skipped)  # reasons given outside any line
        self.skipped.clear()
        yield Loaded(name, self._loaded)
        for why, n in self._lines_skipped.most_common():
            yield Skipped(name, why, n)
        for why, n in self._parts_skipped.most_common():
            if n:
                yield Skipped(name, why, n, whole=False)
        for prop, n in sorted(self.obs.capped.items()):
            yield Skipped(name, f"{prop} values beyond the {LIST_CAP} kept per edge", n, whole=False)
        self.obs.capped.clear()
        self._loaded = 0
        self._lines_skipped.clear()
        self._parts_skipped.clear()
