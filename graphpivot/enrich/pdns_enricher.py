"""``enrich pdns``: history for names and addresses from a passive DNS service (COF answers).

The service answers from its own sensors' records, so nothing reaches the targets: the job is
passive by nature and indicator infrastructure needs no ``--active``. Three API shapes:

* ``dnsdb`` (Farsight DNSDB API v1): ``BASE/lookup/rrset/name/NAME`` and
  ``BASE/lookup/rdata/ip/ADDRESS``, COF JSON lines, key in ``X-API-Key``;
* ``dnsdb2`` (API v2): the same under ``BASE/dnsdb/v2/``, COF objects in SAF framing;
* ``circl`` (CIRCL pDNS): ``BASE/pdns/query/VALUE``, COF JSON lines, HTTP basic auth.

Each answer line becomes the loader's edges (:func:`graphpivot.loaders.intel.pdns.cof_records`)
with the history's own first/last seen and count. https only (http only to a loopback test
server), no redirect to another scheme, answers over :data:`MAX_PDNS_BYTES` refused.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.parse
import urllib.request

from graphpivot.canonical import InvalidValue
from graphpivot.enrich.base import Lookup, Target
from graphpivot.enrich.rdap_enricher import SameSchemeRedirects, check_base_url
from graphpivot.loaders.intel.pdns import cof_records
from graphpivot.model import Edge, Node, Record, Reject

APIS = ("dnsdb", "dnsdb2", "circl")
MAX_PDNS_BYTES = 16 << 20  # a capped answer (DNSDB's default limit is 10,000 records) is a few MiB
SOURCE = "enrich:pdns"  # as the job runner names the sources of every enrichment job


class PdnsEnricher:
    """Passive DNS history for Domains (what they resolved to) and IPs (which names resolved to them)."""

    job = "pdns"
    labels: tuple[str, ...] = ("Domain", "IP")
    touches_targets = False
    history = True

    def __init__(self, base_url: str, *, api: str, timeout: float, key: str | None = None,
                 user: str | None = None, password: str | None = None, limit: int = 1000) -> None:
        if api not in APIS:
            raise ValueError(f"unknown passive DNS API {api!r}; choose one of {', '.join(APIS)}")
        self.base_url = check_base_url(base_url, "passive DNS").rstrip("/")
        self.api = api
        self.timeout = timeout
        self.limit = limit
        self._headers = {"Accept": "application/x-ndjson, application/json", "User-Agent": "graphpivot-enrich"}
        if key:
            self._headers["X-API-Key"] = key
        if user is not None and password is not None:
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            self._headers["Authorization"] = f"Basic {token}"
        self._opener = urllib.request.build_opener(SameSchemeRedirects)

    def describe(self) -> str:
        return f"passive DNS ({self.api}) at {self.base_url}"

    def url(self, target: Target) -> str:
        """The lookup URL of one target for this API."""
        value = urllib.parse.quote(target.key, safe="")
        if self.api == "circl":
            return f"{self.base_url}/pdns/query/{value}"
        root = f"{self.base_url}/dnsdb/v2" if self.api == "dnsdb2" else self.base_url
        path = f"lookup/rrset/name/{value}" if target.label == "Domain" else f"lookup/rdata/ip/{value}"
        return f"{root}/{path}?limit={self.limit}"

    def _fetch(self, target: Target) -> tuple[str, bytes] | tuple[str, str]:
        """``("ok", body)`` or ``(outcome, reason)``."""
        request = urllib.request.Request(self.url(target), headers=self._headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body: bytes = response.read(MAX_PDNS_BYTES + 1)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:  # DNSDB and CIRCL: no record of it
                return "not_found", f"the passive DNS service has no record of {target.key}"
            if exc.code in (401, 403):
                return "bad_request", f"the passive DNS service refused the credentials (HTTP {exc.code})"
            outcome = "http_error" if exc.code == 429 or exc.code >= 500 else "bad_request"
            return outcome, f"passive DNS answered HTTP {exc.code} {exc.reason}"
        except TimeoutError:
            return "timeout", f"no passive DNS answer within {self.timeout:g} s"
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, ConnectionRefusedError):
                return "refused", f"connection refused by {self.base_url}"
            if isinstance(reason, TimeoutError):
                return "timeout", f"no passive DNS answer within {self.timeout:g} s"
            return "unreachable", f"{self.base_url}: {reason}"
        if len(body) > MAX_PDNS_BYTES:
            return "malformed", f"passive DNS answer larger than {MAX_PDNS_BYTES} bytes"
        return "ok", body

    def lookup(self, target: Target, observed_at: int) -> Lookup:
        records: list[Record] = [Node(target.label, target.key, {"first_seen": observed_at, "last_seen": observed_at})]
        outcome, answer = self._fetch(target)
        if outcome != "ok":
            return Lookup(target, outcome, str(answer), records)
        assert isinstance(answer, bytes)
        where = f"pdns:{target.ref}"
        try:
            text = answer.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Lookup(target, "malformed", f"passive DNS answer is not UTF-8: {exc}", records)
        edges = rejected = 0
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                found = cof_records(line, where, SOURCE)
            except (ValueError, InvalidValue) as exc:
                records.append(Reject(where, number, str(exc), line))
                rejected += 1
                continue
            edges += sum(isinstance(r, Edge) for r in found)
            records += found
        reason = f"{edges} record(s) of history" + (f", {rejected} answer line(s) rejected" if rejected else "")
        return Lookup(target, "ok" if edges else "nodata", reason, records)
