"""TAXII 2.1 collections: pull new objects (remembering where a collection was left), push a STIX bundle.

Pull pages through ``GET .../collections/{id}/objects/`` with ``taxii2-client``
(``as_pages``), asking only for what was added after the saved position. The
position is the server's ``X-TAXII-Date-Added-Last`` of the last page: the
``date_added`` of the newest object handed over, in the server's own clock and
text (so no rounding can skip or repeat an object; ``added_after`` is strictly
"after").

Where the position lives: in the graph, as the ``Enrichment`` node
``taxii:<collection URL>`` (``position``, ``checked_at``, ``reason``). The graph
is what the position describes: a ``db clear`` forgets both, so the next run
fetches the whole collection again instead of silently skipping it (a state
file would survive the clear), and every scheduler that loads into one Neo4j
shares one position per collection.

Credentials come from the environment only: ``GRAPHPIVOT_TAXII_USER`` and
``GRAPHPIVOT_TAXII_PASSWORD`` (HTTP basic), never from the command line.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from taxii2client.v21 import Collection, as_pages

from graphpivot.model import Node, entity
from graphpivot.store.base import GraphStore

USER_ENV = "GRAPHPIVOT_TAXII_USER"
PASSWORD_ENV = "GRAPHPIVOT_TAXII_PASSWORD"
JOB = "taxii"
DATE_ADDED_LAST = "X-TAXII-Date-Added-Last"


class TaxiiError(Exception):
    """A TAXII server could not be used: unreachable, refused, or not a TAXII 2.1 collection."""


def credentials(env: dict[str, str] | None = None) -> tuple[str | None, str | None]:
    """``(user, password)`` from the environment (both ``None`` when unset)."""
    env = dict(os.environ if env is None else env)
    return env.get(USER_ENV) or None, env.get(PASSWORD_ENV) or None


def collection_url(api_root: str, collection_id: str) -> str:
    """The collection's URL under an API root URL (``https://host/api1/`` + ``collections/ID/``)."""
    return f"{api_root.rstrip('/')}/collections/{collection_id.strip('/')}/"


def state_key(url: str) -> str:
    return f"{JOB}:{url}"


def bundle_id(url: str) -> str:
    """One stable bundle id per collection, so every pull adds to the same Report."""
    return f"bundle--{uuid.uuid5(uuid.NAMESPACE_URL, url)}"


def saved_position(store: GraphStore, url: str) -> str | None:
    """Where the last pull of the collection stopped (``None``: never pulled into this graph)."""
    found = store.read("MATCH (e:Enrichment) WHERE e.key = $key RETURN e.position AS position", {"key": state_key(url)})
    return str(found[0]["position"]) if found and found[0]["position"] else None


def position_node(url: str, position: str | None, objects: int, now: int) -> Node:
    """The Enrichment record holding the collection's position after a pull."""
    return entity(
        "Enrichment", state_key(url), job=JOB, target_kind="TAXIICollection", target=url, outcome="ok",
        reason=f"{objects} object(s) fetched; next pull asks for objects added after {position or 'the start'}",
        position=position, checked_at=now, first_seen=now, last_seen=now,
    )


@dataclass
class Pull:
    """What one pull fetched: the objects, pages and the new position."""

    url: str
    added_after: str | None
    objects: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 0
    position: str | None = None

    def bundle(self) -> dict[str, Any]:
        return {"type": "bundle", "id": bundle_id(self.url), "objects": self.objects}

    def write_bundle(self, path: Path) -> Path:
        path.write_text(json.dumps(self.bundle()), encoding="utf-8")
        return path


def _collection(url: str, user: str | None, password: str | None, timeout: float) -> Collection:
    coll = Collection(url, user=user, password=password)
    session: requests.Session = coll._conn.session
    session.request = _with_timeout(session.request, timeout)  # type: ignore[method-assign]
    return coll


def _with_timeout(request: Any, timeout: float) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", timeout)
        return request(*args, **kwargs)

    return call


def pull(
    url: str, *, added_after: str | None, per_request: int = 0, timeout: float = 30.0,
    env: dict[str, str] | None = None,
) -> Pull:
    """Every object added to the collection after ``added_after`` (all pages) and the new position."""
    user, password = credentials(env)
    result = Pull(url, added_after, position=added_after)
    try:
        coll = _collection(url, user, password, timeout)
        if not coll.can_read:
            raise TaxiiError(f"{url}: the collection does not allow reading")
        last: list[str] = []

        def remember(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            stamp = response.headers.get(DATE_ADDED_LAST)
            if stamp:
                last.append(stamp)

        coll._conn.session.hooks["response"].append(remember)
        filters = {"added_after": added_after} if added_after else {}
        for envelope in _pages(coll, per_request, filters):
            result.pages += 1
            result.objects += [o for o in envelope.get("objects", []) if isinstance(o, dict)]
        if last and result.objects:
            result.position = last[-1]
    except requests.RequestException as exc:
        raise TaxiiError(f"{url}: {exc}") from None
    except ValueError as exc:  # taxii2-client's TAXIIServiceException and bad JSON
        raise TaxiiError(f"{url}: {exc}") from None
    return result


def _pages(coll: Collection, per_request: int, filters: dict[str, str]) -> Iterator[dict[str, Any]]:
    yield from as_pages(coll.get_objects, per_request=per_request, **filters)


def push(
    url: str, bundle: dict[str, Any], *, timeout: float = 30.0, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """POST a bundle's objects to the collection (``Add Objects``); the server's status resource."""
    user, password = credentials(env)
    objects = bundle.get("objects") if isinstance(bundle, dict) else None
    if not isinstance(objects, list) or not objects:
        raise TaxiiError("the bundle holds no objects to push")
    try:
        coll = _collection(url, user, password, timeout)
        if not coll.can_write:
            raise TaxiiError(f"{url}: the collection does not allow writing")
        status = coll.add_objects({"objects": objects}, wait_for_completion=True, poll_interval=1, timeout=timeout)
    except requests.RequestException as exc:
        raise TaxiiError(f"{url}: {exc}") from None
    except ValueError as exc:
        raise TaxiiError(f"{url}: {exc}") from None
    return {
        "status": status.status, "total": status.total_count, "success": status.success_count,
        "failure": status.failure_count, "pending": status.pending_count,
        "failures": [f.get("id") for f in (status.failures or []) if isinstance(f, dict)],
    }
