"""Entities and the records loaders emit.

Every entity is a pydantic model whose ``key`` is made canonical on validation
(see :mod:`graphpivot.canonical`); its fields are the node properties both
engines store (:mod:`graphpivot.schema` derives the tables from them). Loaders
yield :class:`Node`, :class:`Edge`, :class:`Reject`, :class:`Skipped`,
:class:`Loaded`, :class:`Progress` and :class:`Note` records; nothing here talks to a database.

Accounting: every unit a loader reads (a line, a STIX object, a MISP attribute
or object) ends as exactly one of loaded (:class:`Loaded`), rejected
(:class:`Reject` with ``units=1``) or skipped (:class:`Skipped` with
``whole=True``); :class:`Progress` says how many units were read. The ingest
path checks ``read = loaded + rejected + skipped`` per file.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from graphpivot import canonical as c

# ---------------------------------------------------------------- records


@dataclass(slots=True)
class Node:
    """One node to upsert: label, canonical key and properties (no ``key``/``kind``)."""

    label: str
    key: str
    props: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Edge:
    """One edge to upsert between two nodes given by (label, key)."""

    type: str
    src_label: str
    src_key: str
    dst_label: str
    dst_key: str
    props: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Reject:
    """A record a loader could not use: where it was and why."""

    file: str
    line: int | None
    reason: str
    raw: str = ""
    # Read units this reject accounts for: 1 for a line or object, 0 for a file-level
    # problem that covers no unit that was read (a truncated gzip tail, a stop after junk).
    units: int = 1

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.reason}"


@dataclass(slots=True)
class Progress:
    """Loader heartbeat: how many input lines (or objects) it has read so far in ``file``."""

    file: str
    lines: int


@dataclass(slots=True)
class Skipped:
    """Input a loader read but deliberately did not load (e.g. a STIX ``attack-pattern``):
    counted per ``what`` in the load summary so nothing disappears silently."""

    file: str
    what: str
    count: int = 1
    # True: ``count`` whole read units (lines, objects) loaded nothing. False: parts of
    # units that were loaded (a DNS answer, a list value over a cap), counted but outside
    # the ``read = loaded + rejected + skipped`` identity.
    whole: bool = True


@dataclass(slots=True)
class Loaded:
    """How many read units of ``file`` contributed to the graph (the loader's own count)."""

    file: str
    count: int


@dataclass(slots=True)
class Note:
    """A free-text line for the load summary where no count is meant (never a count of skipped input)."""

    text: str


Record = Node | Edge | Reject | Progress | Skipped | Loaded | Note

# ---------------------------------------------------------------- entities


class Entity(BaseModel):
    """Properties every node carries."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)
    label: ClassVar[str] = ""

    key: str
    first_seen: int | None = None
    last_seen: int | None = None
    sources: list[str] = []
    indicator: bool | None = None
    degree: int | None = None
    noise: bool | None = None
    noise_reason: str | None = None
    tags: list[str] = []
    description: str | None = None

    @model_validator(mode="after")
    def _key_fits(self) -> Entity:
        c.fits_key(self.key)
        return self

    def to_node(self) -> Node:
        """The record the ingest path writes."""
        props = self.model_dump(exclude={"key"}, exclude_none=True)
        for empty in [k for k, v in props.items() if v == []]:
            del props[empty]
        return Node(self.label, self.key, props)


class Domain(Entity):
    label: ClassVar[str] = "Domain"
    registered_domain: str | None = None
    tld: str | None = None
    is_registered: bool | None = None
    txt: list[str] = []
    # Warninglists (MISP and local) covering the name, and what they mean; set by graphpivot.reference.
    lists: list[str] = []
    list_meanings: list[str] = []

    @field_validator("key")
    @classmethod
    def _canonical(cls, v: str) -> str:
        return c.canonical_domain(v)

    @model_validator(mode="after")
    def _derive(self) -> Domain:
        if self.registered_domain is None:
            self.registered_domain = c.registered_domain(self.key)
        if self.tld is None:
            self.tld = c.public_suffix(self.key)
        if self.is_registered is None:
            self.is_registered = self.registered_domain == self.key
        return self


class IP(Entity):
    label: ClassVar[str] = "IP"
    version: int | None = None
    is_global: bool | None = None
    lists: list[str] = []
    list_meanings: list[str] = []

    @field_validator("key")
    @classmethod
    def _canonical(cls, v: str) -> str:
        return c.canonical_ip(v)

    @model_validator(mode="after")
    def _derive(self) -> IP:
        addr = ipaddress.ip_address(self.key)
        self.version = addr.version
        self.is_global = addr.is_global
        return self


class Netblock(Entity):
    label: ClassVar[str] = "Netblock"
    name: str | None = None
    org: str | None = None
    country: str | None = None
    registry: str | None = None

    @field_validator("key")
    @classmethod
    def _canonical(cls, v: str) -> str:
        return c.canonical_cidr(v)


class ASN(Entity):
    label: ClassVar[str] = "ASN"
    number: int | None = None
    name: str | None = None
    country: str | None = None
    registry: str | None = None

    @field_validator("key", mode="before")
    @classmethod
    def _canonical(cls, v: str | int) -> str:
        return c.canonical_asn(v)

    @model_validator(mode="after")
    def _derive(self) -> ASN:
        self.number = int(self.key)
        return self


class Certificate(Entity):
    """Keyed by SHA-256; where a source gives only SHA-1, ``key_type`` says so."""

    label: ClassVar[str] = "Certificate"
    key_type: str = "sha256"
    sha1: str | None = None
    md5: str | None = None
    serial: str | None = None
    subject_cn: str | None = None
    subject: str | None = None
    issuer: str | None = None
    not_before: int | None = None
    not_after: int | None = None
    self_signed: bool | None = None

    @model_validator(mode="after")
    def _canonical(self) -> Certificate:
        algorithm = self.key_type if self.key_type in ("sha256", "sha1", "md5") else "sha256"
        self.key = c.canonical_hash(self.key, algorithm)
        if self.sha1:
            self.sha1 = c.canonical_hash(self.sha1, "sha1")
        if self.md5:
            self.md5 = c.canonical_hash(self.md5, "md5")
        return self


class Fingerprint(Entity):
    """Key ``type:value``, e.g. ``ja3:e7d705a3286e19ea42f587b344ee6865``."""

    label: ClassVar[str] = "Fingerprint"
    fp_type: str | None = None
    value: str | None = None

    @field_validator("key")
    @classmethod
    def _canonical(cls, v: str) -> str:
        fp_type, sep, value = v.partition(":")
        if not sep:
            raise c.InvalidValue(f"fingerprint key must be 'type:value': {v!r}")
        return c.canonical_fingerprint(fp_type, value)

    @model_validator(mode="after")
    def _derive(self) -> Fingerprint:
        self.fp_type, _, self.value = self.key.partition(":")
        return self


class Email(Entity):
    label: ClassVar[str] = "Email"
    privacy_service: bool | None = None

    @field_validator("key")
    @classmethod
    def _canonical(cls, v: str) -> str:
        return c.canonical_email(v)


class URL(Entity):
    label: ClassVar[str] = "URL"
    scheme: str | None = None
    host: str | None = None
    path: str | None = None

    @field_validator("key")
    @classmethod
    def _canonical(cls, v: str) -> str:
        return c.canonical_url(v)

    @model_validator(mode="after")
    def _derive(self) -> URL:
        scheme, _, rest = self.key.partition("://")
        netloc, slash, path = rest.partition("/")
        self.scheme = scheme
        self.host = c.url_host(self.key)[1]
        self.path = (slash + path).split("?", 1)[0] or "/"
        del netloc
        return self


class WebService(Entity):
    """A legitimate service adversaries abuse; ``domains``/``url_prefixes`` are what it matches."""

    label: ClassVar[str] = "WebService"
    name: str | None = None
    category: str | None = None
    abuse: list[str] = []
    attack_ids: list[str] = []
    domains: list[str] = []
    url_prefixes: list[str] = []
    references: list[str] = []

    @field_validator("key")
    @classmethod
    def _canonical(cls, v: str) -> str:
        slug = v.strip().lower().replace(" ", "-")
        if not slug or not all(ch.isalnum() or ch in "-_." for ch in slug):
            raise c.InvalidValue(f"invalid web-service slug: {v!r}")
        return slug


class Host(Entity):
    """An internal enterprise host: its asset id, else its internal IP."""

    label: ClassVar[str] = "Host"
    hostname: str | None = None
    ip: str | None = None
    owner: str | None = None
    criticality: str | None = None

    @field_validator("key")
    @classmethod
    def _canonical(cls, v: str) -> str:
        try:
            return c.canonical_ip(v)
        except c.InvalidValue:
            text = v.strip().lower()
            if not text:
                raise c.InvalidValue("empty host id") from None
            return text


class Triage(Entity):
    """An analyst's verdict on a finding, a host or an indicator. Key ``scope:target``
    (``finding:HOST|INDICATOR``, ``host:HOST``, ``indicator:INDICATOR``), so marking again replaces it."""

    label: ClassVar[str] = "Triage"
    scope: str | None = None
    host_key: str | None = None
    indicator_key: str | None = None
    verdict: str | None = None
    note: str | None = None
    author: str | None = None
    marked_at: int | None = None
    until: int | None = None

    @field_validator("key")
    @classmethod
    def _canonical(cls, v: str) -> str:
        scope, sep, target = v.partition(":")
        if not sep or scope not in ("finding", "host", "indicator") or not target.strip():
            raise c.InvalidValue(f"triage key must be 'finding|host|indicator:TARGET': {v!r}")
        return v.strip()


class Report(Entity):
    """An intel item: a file, bundle, report or event. Key ``source:id``."""

    label: ClassVar[str] = "Report"
    name: str | None = None
    source: str | None = None
    tlp: str | None = None
    published: int | None = None
    url: str | None = None
    references: list[str] = []
    techniques: list[str] = []  # ATT&CK ids the intel names (MISP galaxies, STIX attack patterns)

    @field_validator("key")
    @classmethod
    def _canonical(cls, v: str) -> str:
        if ":" not in v:
            raise c.InvalidValue(f"report key must be 'source:id': {v!r}")
        return v.strip()


class Threat(Entity):
    """An actor, malware family, campaign or tool; keyed by lower-cased name."""

    label: ClassVar[str] = "Threat"
    name: str | None = None
    threat_type: str | None = None
    aliases: list[str] = []
    techniques: list[str] = []  # ATT&CK ids the intel says it uses

    @field_validator("key")
    @classmethod
    def _canonical(cls, v: str) -> str:
        text = " ".join(v.split()).lower()
        if not text:
            raise c.InvalidValue("empty threat name")
        return text


class Enrichment(Entity):
    """What an enrichment job last did to one target, keyed ``job:Label:target``.

    ``outcome`` (ok, nxdomain, timeout, expired, ...) and ``reason`` say what
    happened; ``checked_at`` is the run's observation time. The key ``job:run``
    holds the job's current run, so a killed job resumes it.
    """

    label: ClassVar[str] = "Enrichment"
    job: str | None = None
    target_kind: str | None = None
    target: str | None = None
    outcome: str | None = None
    reason: str | None = None
    attempts: int | None = None
    run: str | None = None
    selection: str | None = None
    checked_at: int | None = None
    position: str | None = None  # where a feed pull stopped (TAXII: the server's last date_added)

    @field_validator("key")
    @classmethod
    def _canonical(cls, v: str) -> str:
        if ":" not in v:
            raise c.InvalidValue(f"enrichment key must be 'job:...': {v!r}")
        return v.strip()


class Reference(Entity):
    """One piece of reference data installed in the graph (noise list, web-service catalogue, warninglists).

    ``version`` says which content is installed (compared with the package's on every command that
    opens the graph); ``entries`` how many rows or values it holds; ``installed_at`` when.
    """

    label: ClassVar[str] = "Reference"
    version: str | None = None
    entries: int | None = None
    installed_at: int | None = None
    origin: str | None = None

    @field_validator("key")
    @classmethod
    def _canonical(cls, v: str) -> str:
        return v.strip().lower()


ENTITIES: tuple[type[Entity], ...] = (
    Domain,
    IP,
    Netblock,
    ASN,
    Certificate,
    Fingerprint,
    Email,
    URL,
    WebService,
    Host,
    Report,
    Threat,
    Enrichment,
    Triage,
    Reference,
)
ENTITY_BY_LABEL: dict[str, type[Entity]] = {e.label: e for e in ENTITIES}


def entity(label: str, key: str | int, **props: Any) -> Node:
    """Validate and canonicalise one entity, returning its record.

    Raises :class:`graphpivot.canonical.InvalidValue` with the reason when the key
    or a property is not acceptable.
    """
    try:
        return ENTITY_BY_LABEL[label](key=key, **props).to_node()
    except ValidationError as exc:
        first = exc.errors()[0]
        ctx = first.get("ctx", {})
        reason = str(ctx.get("error", first["msg"]))
        raise c.InvalidValue(reason) from None


def indicator_node(text: str, **props: Any) -> Node:
    """Classify free text as URL, IP or Domain and return its node.

    ``ip:port`` and ``[v6]:port`` give the IP; anything with a path or scheme is a URL.
    """
    value = c.refang(text)
    if "://" in value or "/" in value.rstrip("/"):
        return entity("URL", value, **props)
    value = value.rstrip("/")
    host, _port = c.split_host_port(value)
    try:
        return entity("IP", host, **props)
    except c.InvalidValue:
        return entity("Domain", host, **props)


def host_of_url(url_key: str) -> Node:
    """The Domain or IP node a canonical URL points at."""
    label, key = c.url_host(url_key)
    return entity(label, key)
