"""Stored Cypher queries: a YAML header in ``//`` comments, then portable Cypher.

Files live in ``cypher/pivots``, ``cypher/hunts`` and ``cypher/lookups``, and in the
analyst's own query folder (settings ``query_folder``: ``GRAPHPIVOT_QUERIES``, the config
file, or ``queries/`` in the user config folder), whose queries join the catalogue in
group ``user``; ``name.<engine>.cypher`` beside ``name.cypher`` overrides the text for one engine. Parameters are
validated and made canonical here (pydantic), so a query only ever receives
typed values through ``$params``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from graphpivot import SHIPPED_ROOT
from graphpivot import canonical as c
from graphpivot.config import from_env
from graphpivot.times import analyst_time

# pivots and hunts answer an analyst; lookups fetch metadata other commands build on.
QUERY_DIRS = ("pivots", "hunts", "lookups")
ENGINES = ("neo4j", "ladybug")
FOREVER = 253402300799  # 9999-12-31T23:59:59Z, the default "until"
DEFAULT_LIMIT = 1000


class QueryError(ValueError):
    """A stored query that cannot be found, parsed or given these parameters."""


def parse_time(value: Any, now: int | None = None) -> int:
    """Epoch seconds from an int, digits, ISO 8601 text (UTC when no zone), or ``30d``/``12h``/``2w`` ago
    (from ``now``, default the current time); see :mod:`graphpivot.times`."""
    return analyst_time(value, int(time.time()) if now is None else now)


def _host(value: str) -> str:
    return c.canonical_host(value)[1]


def _fp_type(value: str) -> str:
    kind = str(value).strip().lower()
    if kind not in c.FINGERPRINT_TYPES:
        raise ValueError(f"unknown fingerprint type {value!r} (one of {', '.join(sorted(c.FINGERPRINT_TYPES))})")
    return kind


_SCALARS: dict[str, Any] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": lambda v: v if isinstance(v, bool) else str(v).strip().lower() in ("1", "true", "yes", "on"),
    "time": parse_time,
    "domain": c.canonical_domain,
    "ip": c.canonical_ip,
    "host": _host,
    "url": c.canonical_url,
    "sha256": lambda v: c.canonical_hash(v, "sha256"),
    "fp_type": _fp_type,
}


class ParamSpec(BaseModel):
    """One declared parameter."""

    model_config = ConfigDict(extra="forbid")
    type: str = "str"
    required: bool = False
    default: Any = None
    description: str = ""

    @field_validator("type")
    @classmethod
    def _known(cls, value: str) -> str:
        match = re.fullmatch(r"list\[(\w+)\]", value)
        if (match.group(1) if match else value) not in _SCALARS:
            raise ValueError(f"unknown parameter type {value!r}")
        return value

    def convert(self, value: Any) -> Any:
        """Typed, canonical value; ``list[T]`` takes a list or comma-separated text."""
        match = re.fullmatch(r"list\[(\w+)\]", self.type)
        if match:
            items = value if isinstance(value, list) else [v for v in str(value).split(",") if v.strip()]
            return [_SCALARS[match.group(1)](item.strip() if isinstance(item, str) else item) for item in items]
        return _SCALARS[self.type](value)


class Header(BaseModel):
    """The YAML header of a stored query."""

    model_config = ConfigDict(extra="forbid")
    id: str
    title: str
    description: str = ""
    attack: list[str] = Field(default_factory=list)
    maturity: str = "experimental"
    params: dict[str, ParamSpec] = Field(default_factory=dict)
    columns: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)


@dataclass
class StoredQuery:
    """A parsed stored query with its per-engine texts."""

    header: Header
    path: Path
    cypher: str
    overrides: dict[str, str] = field(default_factory=dict)
    origin: str = ""  # "user" for the analyst's own queries; empty for the shipped ones

    @property
    def id(self) -> str:
        return self.header.id

    @property
    def group(self) -> str:
        return self.origin or self.path.parent.name

    def cypher_for(self, engine: str) -> str:
        """The text this engine runs: its override, else the portable query."""
        return self.overrides.get(engine, self.cypher)

    def bind(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Validate raw parameters (CLI strings or Python values) into query parameters."""
        unknown = sorted(set(raw) - set(self.header.params))
        if unknown:
            known = ", ".join(sorted(self.header.params)) or "none"
            raise QueryError(f"{self.id}: unknown parameter {unknown[0]!r} (known: {known})")
        bound: dict[str, Any] = {}
        for name, spec in self.header.params.items():
            if name in raw and raw[name] is not None:
                try:
                    bound[name] = spec.convert(raw[name])
                except (ValueError, TypeError, KeyError) as exc:
                    raise QueryError(f"{self.id}: parameter {name!r} ({spec.type}): {exc}") from None
                if spec.required and bound[name] == []:
                    raise QueryError(f"{self.id}: parameter {name!r} ({spec.type}) needs at least one value")
            elif spec.required:
                raise QueryError(f"{self.id}: missing required parameter {name!r} ({spec.type})")
            else:
                bound[name] = spec.convert(spec.default) if spec.default is not None else None
        return bound


def parse_query(path: Path) -> StoredQuery:
    """Split a ``.cypher`` file into its YAML header and Cypher body."""
    text = path.read_text(encoding="utf-8")
    header_lines: list[str] = []
    body_lines: list[str] = []
    in_header = True
    for line in text.splitlines():
        if in_header and line.startswith("//"):
            header_lines.append(line[3:] if line.startswith("// ") else line[2:])
            continue
        in_header = False
        body_lines.append(line)
    try:
        data = yaml.safe_load("\n".join(header_lines)) or {}
        header = Header.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise QueryError(f"{path}: invalid header: {exc}") from None
    body = "\n".join(body_lines).strip()
    if not body:
        raise QueryError(f"{path}: no Cypher after the header")
    if header.id != path.stem:
        raise QueryError(f"{path}: header id {header.id!r} differs from the file name")
    return StoredQuery(header=header, path=path, cypher=body)


def _configured_query_folder() -> Path:
    return from_env().query_folder


def cypher_root() -> Path:
    """The stored-query folder shipped with the package (see :data:`graphpivot.SHIPPED_ROOT`)."""
    return SHIPPED_ROOT / "cypher"


USER_GROUP = "user"


class Catalog:
    """Every stored query, by id: the shipped ones and the analyst's own."""

    def __init__(self, root: Path | None = None, user_folder: Path | None = None, *, with_user: bool = True) -> None:
        """``user_folder`` defaults to the settings' ``query_folder``; ``with_user=False`` reads only ``root``."""
        self.root = root or cypher_root()
        self._queries: dict[str, StoredQuery] = {}
        for group in QUERY_DIRS:
            self._read_folder(self.root / group, sorted((self.root / group).glob("*.cypher")), origin="")
        if with_user:
            folder = user_folder if user_folder is not None else _configured_query_folder()
            if folder.is_dir():
                self._read_folder(folder, sorted(folder.rglob("*.cypher")), origin=USER_GROUP)

    def _read_folder(self, folder: Path, paths: list[Path], *, origin: str) -> None:
        for path in paths:
            if path.stem.count(".") == 0:
                query = parse_query(path)
                query.origin = origin
                if query.id in self._queries:
                    other = self._queries[query.id].path
                    raise QueryError(f"{path}: duplicate stored query id {query.id!r} (also in {other})")
                self._queries[query.id] = query
        for path in paths:
            if path.stem.count(".") == 1:
                base, engine = path.stem.rsplit(".", 1)
                if engine not in ENGINES or base not in self._queries:
                    raise QueryError(f"{path}: override for unknown query or engine")
                self._queries[base].overrides[engine] = path.read_text(encoding="utf-8").strip()

    def __iter__(self) -> Iterator[StoredQuery]:
        return iter(self._queries.values())

    def get(self, query_id: str) -> StoredQuery:
        try:
            return self._queries[query_id]
        except KeyError:
            raise QueryError(f"no stored query {query_id!r}; see 'graphpivot pivot list'") from None

    def search(self, text: str | None = None) -> list[StoredQuery]:
        """Queries whose id, title, description, tags or ATT&CK ids contain ``text``."""
        if not text:
            return list(self._queries.values())
        needle = text.lower()
        return [
            q
            for q in self._queries.values()
            if needle
            in " ".join([q.id, q.header.title, q.header.description, *q.header.attack, *q.header.tags]).lower()
        ]
