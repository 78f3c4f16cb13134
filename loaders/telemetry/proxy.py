"""Web proxy logs: Squid native ``access.log``, Blue Coat ProxySG (W3C ELFF), CSV or JSON lines with a column map.

A proxy's client is an internal host by definition, named by its asset when
the inventory knows the address. Every request becomes
``(Host)-[:REQUESTED {bytes_out, bytes_in, methods, statuses, user_agents}]->(URL)``
and ``(URL)-[:ON_HOST]->(Domain|IP)``; a ``CONNECT host:port`` tunnel is the
URL ``https://host:port/`` with method ``CONNECT``.

* ``squid``: ``time elapsed client code/status bytes method URL ident hierarchy/peer type``
  (10 fields, more are ignored); ``bytes`` is what went to the client (``bytes_in``).
* ``bluecoat``: the ``#Fields:`` directive names the columns; without one, the
  ProxySG ``main`` format is assumed (extra trailing fields ignored).
  ``cs-bytes`` is ``bytes_out``, ``sc-bytes`` is ``bytes_in``; times are UTC.
* ``w3c``: W3C extended logs whose ``#Fields:`` directive names the columns (space or tab
  separated, quoted values), mapped like ``csv``;
* presets (``PRESETS``) name a format and its column map for a secure web gateway:
  ``zscaler-nss`` (NSS web feed as JSON lines keyed by NSS field names) and ``netskope``
  (Netskope transaction events, W3C format 1/2);
* ``csv`` / ``jsonl``: columns (or JSON keys, dotted for nesting) named by
  ``columns`` (``{"client": "src", ...}``) or recognised by common names; the
  fields are ``time`` (epoch s/ms/us or ISO 8601), ``client``, ``url`` or
  ``host`` (+ ``scheme``, ``port``, ``path``, ``query``), ``method``, ``status``,
  ``bytes_out``, ``bytes_in``, ``user_agent``.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from graphpivot.loaders.telemetry.edges import Telemetry, connect_url, http_url, line_reason
from graphpivot.loaders.telemetry.network import Network
from graphpivot.loaders.telemetry.observations import Observations
from graphpivot.loaders.textio import content_lines, loads_limited

from graphpivot.canonical import InvalidValue, canonical_url
from graphpivot.model import Record, Skipped
from graphpivot.times import epoch_seconds

MAX_COUNT = 1 << 53  # byte counts and statuses beyond this are not believable

FORMATS = ("squid", "bluecoat", "csv", "jsonl", "w3c")
BLUECOAT_MAIN = (
    "date",
    "time",
    "time-taken",
    "c-ip",
    "sc-status",
    "s-action",
    "sc-bytes",
    "cs-bytes",
    "cs-method",
    "cs-uri-scheme",
    "cs-host",
    "cs-uri-port",
    "cs-uri-path",
    "cs-uri-query",
    "cs-username",
    "cs-auth-group",
    "s-hierarchy",
    "s-supplier-name",
    "rs(Content-Type)",
    "cs(Referer)",
    "cs(User-Agent)",
    "sc-filter-result",
    "cs-categories",
    "x-virus-id",
    "s-ip",
)
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "time": ("time", "timestamp", "ts", "datetime", "date_time", "@timestamp", "event_time"),
    "client": ("client", "client_ip", "src_ip", "source_ip", "c-ip", "ip_src_addr", "src", "source.ip"),
    "url": ("url", "request_url", "full_url", "cs-uri", "url.original"),
    "scheme": ("scheme", "cs-uri-scheme", "protocol"),
    "host": ("host", "hostname", "domain", "cs-host", "dest_host", "url.domain"),
    "port": ("port", "cs-uri-port", "dest_port", "url.port"),
    "path": ("path", "uri_path", "cs-uri-path", "url.path"),
    "query": ("query", "uri_query", "cs-uri-query", "url.query"),
    "method": ("method", "http_method", "request_method", "cs-method", "http.request.method"),
    "status": ("status", "status_code", "http_status", "code", "sc-status", "http.response.status_code"),
    "bytes_out": ("bytes_out", "cs-bytes", "request_bytes", "sent_bytes", "http.request.bytes"),
    "bytes_in": ("bytes_in", "sc-bytes", "response_bytes", "received_bytes", "http.response.bytes"),
    "user_agent": ("user_agent", "useragent", "http_user_agent", "cs(user-agent)", "user_agent.original"),
}


# Secure web gateways: a format and the column map of their documented log layout.
PRESETS: dict[str, tuple[str, dict[str, str]]] = {
    # Zscaler NSS web feed, JSON output keyed by the NSS field names: configure the feed's output format as
    # {"epochtime":"%d{epochtime}","cip":"%s{cip}","login":"%s{login}","proto":"%s{proto}","eurl":"%s{eurl}",
    #  "reqmethod":"%s{reqmethod}","respcode":"%s{respcode}","reqsize":"%d{reqsize}","respsize":"%d{respsize}",
    #  "ua":"%s{ua}","action":"%s{action}","appname":"%s{appname}","urlcat":"%s{urlcat}"}
    # (field names from Zscaler's "NSS Feed Output Format: Web Logs"; eurl is host/path without scheme).
    "zscaler-nss": ("jsonl", {
        "time": "epochtime", "client": "cip", "url": "eurl", "scheme": "proto", "method": "reqmethod",
        "status": "respcode", "bytes_out": "reqsize", "bytes_in": "respsize", "user_agent": "ua",
    }),
    # Netskope transaction events (web transactions), W3C "#Fields:" format 1 and 2 as Netskope documents them.
    "netskope": ("w3c", {
        "time": "x-cs-timestamp", "client": "c-ip", "scheme": "cs-uri-scheme", "host": "cs-host",
        "port": "cs-uri-port", "path": "cs-uri", "query": "cs-uri-query", "method": "cs-method",
        "status": "sc-status", "bytes_out": "cs-bytes", "bytes_in": "sc-bytes", "user_agent": "cs-user-agent",
    }),
}


def preset(name: str) -> tuple[str, dict[str, str]]:
    """``(format, columns)`` of a shipped preset; ``ValueError`` naming the choices for an unknown one."""
    if name not in PRESETS:
        raise ValueError(f"unknown proxy preset {name!r}; choose one of {', '.join(PRESETS)}")
    fmt, columns = PRESETS[name]
    return fmt, dict(columns)


@dataclass
class Request:
    """One proxy log line, parsed."""

    ts: int
    client: str
    url: str
    method: str | None = None
    status: int | None = None
    bytes_out: int | None = None
    bytes_in: int | None = None
    user_agent: str | None = None


def read_proxy(
    paths: Iterable[Path],
    fmt: str,
    *,
    network: Network,
    columns: Mapping[str, str] | None = None,
    max_pending: int = 100_000,
) -> Iterator[Record]:
    """Every record of a set of proxy logs in one format; lines that do not parse become rejects."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown proxy log format {fmt!r}; choose one of {', '.join(FORMATS)}")
    check_columns(columns or {})
    obs = Observations(max_pending=max_pending, sensor="proxy")
    tm = Telemetry(network, obs)
    for path in paths:
        name = str(path)
        parse = _parser(fmt, columns or {})
        for item in content_lines(path):
            if not isinstance(item, tuple):
                yield item
                continue
            lineno, text = item
            where = f"{path.name}:{lineno}"  # the raw-event pointer: the file's name and the line's number
            yield from tm.one_line(name, lineno, text, partial(_request, tm, parse, name, text, where), line_reason)
            if obs.full:
                yield from obs.flush()
        yield from tm.file_done(name)
    yield from obs.flush()


def _request(
    tm: Telemetry, parse: Callable[[str], Request | None], name: str, text: str, where: str
) -> Record | None:
    """One proxy line's request into the graph; header lines are skipped."""
    request = parse(text)
    if request is None:
        return Skipped(name, "header lines")
    host = tm.host(request.client, always=True)
    if host is None:
        raise ValueError(f"client {request.client!r} is not an address or host name")
    tm.requested(
        host,
        request.url,
        request.ts,
        method=request.method,
        status=request.status,
        bytes_out=request.bytes_out,
        bytes_in=request.bytes_in,
        user_agent=request.user_agent,
        events=[where],
    )
    return None


def _parser(fmt: str, columns: Mapping[str, str]) -> Callable[[str], Request | None]:
    """The line parser of one file (Blue Coat and CSV keep header state per file)."""
    if fmt == "squid":
        return _squid
    if fmt == "bluecoat":
        return _Bluecoat().line
    return (_Csv(columns) if fmt == "csv" else _W3c(columns) if fmt == "w3c" else _JsonLines(columns)).line


# ------------------------------------------------------------------ Squid


def _squid(text: str) -> Request:
    parts = text.split()
    if len(parts) < 10:
        raise ValueError(
            f"not a Squid native access.log line: {len(parts)} fields, expected 10 "
            "(time elapsed client code/status bytes method URL ident hierarchy/peer type)"
        )
    stamp, _elapsed, client, code, size, method, url = parts[:7]
    try:
        ts = epoch_seconds(float(stamp))
    except (ValueError, InvalidValue) as exc:
        reason = f"not a Squid native access.log line: time {stamp[:40]!r} is not epoch seconds ({exc})"
        raise ValueError(reason) from None
    _, _, status = code.rpartition("/")
    return Request(
        ts,
        client,
        connect_url(url) if method == "CONNECT" else url,
        method=method,
        status=_int(status, "status"),
        bytes_in=_int(size, "bytes"),
    )


# ------------------------------------------------------------------ Blue Coat


class _Bluecoat:
    """W3C ELFF lines; ``#Fields:`` sets the columns (ProxySG ``main`` format until one appears)."""

    def __init__(self) -> None:
        self.fields: list[str] = list(BLUECOAT_MAIN)
        self.declared = False

    def line(self, text: str) -> Request | None:
        if text.startswith("#"):
            directive, _, value = text.partition(":")
            if directive.strip().lower() == "#fields":
                self.fields = value.split()
                self.declared = True
            return None
        values = next(csv.reader([text], delimiter=" ", quotechar='"'))
        if len(values) < len(self.fields) or (self.declared and len(values) != len(self.fields)):
            where = "#Fields" if self.declared else "the ProxySG main format"
            raise ValueError(f"{len(values)} fields, {where} has {len(self.fields)}")
        row = {f.lower(): (None if v in ("-", "") else v) for f, v in zip(self.fields, values, strict=False)}
        client = row.get("c-ip")
        if row.get("date") is None or row.get("time") is None or client is None:
            raise ValueError("line lacks date, time or c-ip")
        ts = _time(f"{row['date']}T{row['time']}")
        method = row.get("cs-method")
        host = row.get("cs-host")
        if host is None:
            raise ValueError("line lacks cs-host")
        port = _int(row.get("cs-uri-port"), "cs-uri-port")
        if method == "CONNECT":
            url = connect_url(host if port is None else f"{host}:{port}")
        else:
            target = (row.get("cs-uri-path") or "/") + (row.get("cs-uri-query") or "")
            url = http_url((row.get("cs-uri-scheme") or "http").lower(), host, port, target)
        return Request(
            ts,
            client,
            url,
            method=method,
            status=_int(row.get("sc-status"), "sc-status"),
            bytes_out=_int(row.get("cs-bytes"), "cs-bytes"),
            bytes_in=_int(row.get("sc-bytes"), "sc-bytes"),
            user_agent=row.get("cs(user-agent)"),
        )


# ------------------------------------------------------------------ CSV and JSON lines


def check_columns(columns: Mapping[str, str]) -> None:
    """Raise ``ValueError`` naming any mapped field that is not a request field."""
    unknown = set(columns) - set(FIELD_ALIASES)
    if unknown:
        raise ValueError(
            f"unknown field(s) {', '.join(sorted(unknown))} in the column mapping; known: {', '.join(FIELD_ALIASES)}"
        )


class _Mapped:
    """Rows with named fields, mapped to request fields by ``columns`` or by common names."""

    def __init__(self, columns: Mapping[str, str]) -> None:
        self.columns = dict(columns)

    def source_of(self, field: str, names: Iterable[str]) -> str | None:
        """The input column/key that feeds ``field``."""
        if field in self.columns:
            return self.columns[field]
        lowered = {n.lower(): n for n in names}
        return next((lowered[a] for a in FIELD_ALIASES[field] if a in lowered), None)

    def request(self, get: Callable[[str], Any], names: Iterable[str]) -> Request:
        names = list(names)
        values = {f: _blank(get(src)) for f in FIELD_ALIASES if (src := self.source_of(f, names)) is not None}
        if values.get("time") is None or values.get("client") is None:
            raise ValueError("row lacks a time or client value (map them with --columns time=...,client=...)")
        method = _str(values.get("method"))
        url = _str(values.get("url"))
        if url is not None and url.startswith("/"):  # W3C cs-uri: a path, not a URL
            values["path"], url = values.get("path") or url, None
        host = _str(values.get("host"))
        port = _int(values.get("port"), "port")
        authority = url or host
        if method == "CONNECT" and authority:
            url = connect_url(authority if port is None or ":" in authority else f"{authority}:{port}")
        elif url is not None and "://" not in url:  # e.g. Zscaler's "ebay.com/": scheme from its own field
            url = f"{_scheme(values.get('scheme'))}://{url}"
            canonical_url(url)  # rejected here, with its line, when it is no URL
        elif url is None:
            if host is None:
                raise ValueError("row has neither a url nor a host value")
            query = _str(values.get("query")) or ""
            target = (_str(values.get("path")) or "/") + (query if not query or query.startswith("?") else "?" + query)
            url = http_url(_scheme(values.get("scheme")), host, port, target)
        return Request(
            _time(values["time"]),
            str(values["client"]),
            url,
            method=method,
            status=_int(values.get("status"), "status"),
            bytes_out=_int(values.get("bytes_out"), "bytes_out"),
            bytes_in=_int(values.get("bytes_in"), "bytes_in"),
            user_agent=_str(values.get("user_agent")),
        )


class _Csv(_Mapped):
    def __init__(self, columns: Mapping[str, str]) -> None:
        super().__init__(columns)
        self.header: list[str] | None = None

    def line(self, text: str) -> Request | None:
        values = next(csv.reader(io.StringIO(text)))
        if self.header is None:
            self.header = [v.strip() for v in values]
            missing = [c for c in self.columns.values() if c not in self.header]
            if missing:
                raise ValueError(f"CSV header lacks mapped column(s) {', '.join(missing)}")
            return None
        if len(values) != len(self.header):
            raise ValueError(f"{len(values)} columns, the header has {len(self.header)}")
        row = dict(zip(self.header, values, strict=True))
        return self.request(row.get, self.header)


class _JsonLines(_Mapped):
    def line(self, text: str) -> Request:
        record = loads_limited(text)
        if not isinstance(record, dict):
            raise ValueError(f"expected a JSON object, found {type(record).__name__}")
        return self.request(lambda key: _dig(record, key), _keys(record))


class _W3c(_Mapped):
    """W3C extended log lines: ``#Fields:`` names the columns (space- or tab-separated, quoted values)."""

    def __init__(self, columns: Mapping[str, str]) -> None:
        super().__init__(columns)
        self.fields: list[str] | None = None

    def line(self, text: str) -> Request | None:
        if text.startswith("#"):
            directive, _, value = text.partition(":")
            if directive.strip().lower() == "#fields":
                self.fields = value.split()
            return None
        if self.fields is None:
            raise ValueError("data line before the #Fields: directive")
        values = next(csv.reader([text], delimiter="\t" if "\t" in text else " ", quotechar='"'))
        if len(values) != len(self.fields):
            raise ValueError(f"{len(values)} fields, #Fields has {len(self.fields)}")
        row = dict(zip(self.fields, values, strict=True))
        return self.request(row.get, self.fields)


def _scheme(value: Any) -> str:
    """A URL scheme from a protocol field: ``HTTP`` -> http, ``HTTPS``/``SSL``/``TLS`` -> https."""
    text = str(value or "http").strip().lower()
    return "https" if text in ("https", "ssl", "tls", "https_tunnel") else "http" if text in ("http", "") else text


def _dig(record: dict[str, Any], key: str) -> Any:
    if key in record:
        return record[key]
    node: Any = record
    for part in key.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _keys(record: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in record.items():
        keys.append(prefix + key)
        if isinstance(value, dict):
            keys += _keys(value, f"{prefix}{key}.")
    return keys


# ------------------------------------------------------------------ values


def _blank(value: Any) -> Any:
    return None if value in (None, "", "-") else value


def _str(value: Any) -> str | None:
    if isinstance(value, dict | list):
        raise ValueError(f"expected a text value, found {type(value).__name__}")
    return None if value is None else str(value)


def _int(value: Any, what: str) -> int | None:
    if value in (None, "", "-"):
        return None
    if isinstance(value, bool | float | dict | list):
        raise ValueError(f"{what} should be a whole number, found {str(value)[:40]!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} should be a number, found {str(value)[:40]!r}") from None
    if not 0 <= number <= MAX_COUNT:
        raise ValueError(f"{what} out of range: {str(value)[:40]!r}")
    return number


def _time(value: Any) -> int:
    """Epoch seconds from epoch s/ms/us/ns numbers or ISO 8601 text (UTC when no offset is given)."""
    if isinstance(value, str):
        value = value.strip()
        with contextlib.suppress(ValueError):
            value = float(value)
    return epoch_seconds(value, scaled=True)
