"""A real TAXII 2.1 server for the tests: OASIS ``medallion`` (memory backend) on loopback, in a thread.

medallion's Flask app is one module-level object, so one server runs per test session; each test
gets an empty collection of its own (:meth:`Medallion.new_collection`). Pages hold at most
``PAGE_SIZE`` objects (medallion's ``max_page_size``), so a collection of more than that is paged.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

PAGE_SIZE = 5
USER, PASSWORD = "analyst", "loopback-test-secret"
API_ROOT = "api1"


@dataclass
class Medallion:
    """The running server: its base URL, and its memory backend for setting up collections."""

    base: str
    backend: Any

    @property
    def api_root(self) -> str:
        return f"{self.base}/{API_ROOT}/"

    def new_collection(self, *, can_read: bool = True, can_write: bool = True) -> str:
        """An empty collection; returns its id."""
        collection_id = str(uuid.uuid4())
        self.backend.data[API_ROOT]["collections"].append({
            "id": collection_id, "title": f"test {collection_id[:8]}", "can_read": can_read,
            "can_write": can_write, "media_types": ["application/stix+json;version=2.1"],
            "objects": [], "manifest": [],
        })
        return collection_id

    def add(self, collection_id: str, objects: list[dict[str, Any]]) -> None:
        """Add objects as a producer would (medallion's own Add Objects path, with its date_added)."""
        from medallion.common import get_timestamp

        status = self.backend.add_objects(API_ROOT, collection_id, {"objects": objects}, get_timestamp())
        assert status["failure_count"] == 0, status

    def stored(self, collection_id: str) -> list[dict[str, Any]]:
        collection = next(c for c in self.backend.data[API_ROOT]["collections"] if c["id"] == collection_id)
        return list(collection["objects"])


def _data(base: str) -> dict[str, Any]:
    return {
        "/discovery": {"title": "graphpivot test TAXII server", "default": f"{base}/{API_ROOT}/",
                       "api_roots": [f"{base}/{API_ROOT}/"]},
        API_ROOT: {
            "information": {"title": "test root", "versions": ["application/taxii+json;version=2.1"],
                            "max_content_length": 10_485_760},
            "status": [],
            "collections": [],
        },
    }


@pytest.fixture(scope="session")
def medallion_server() -> Iterator[Medallion]:
    """medallion on 127.0.0.1 (a free port), basic auth ``USER``/``PASSWORD``, stopped after the session."""
    from medallion import application_instance, register_blueprints
    from medallion.backends.memory_backend import MemoryBackend
    from werkzeug.serving import make_server

    app = application_instance
    app.users_backend = {USER: PASSWORD}
    app.taxii_config = {"max_page_size": PAGE_SIZE}
    backend = MemoryBackend()
    app.medallion_backend = backend
    if "collections" not in app.blueprints:
        register_blueprints(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    backend.data = _data(base)
    thread = threading.Thread(target=server.serve_forever, name="medallion", daemon=True)
    thread.start()
    try:
        yield Medallion(base, backend)
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def taxii_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The credentials in the environment, where graphpivot reads them."""
    monkeypatch.setenv("GRAPHPIVOT_TAXII_USER", USER)
    monkeypatch.setenv("GRAPHPIVOT_TAXII_PASSWORD", PASSWORD)
    return {"GRAPHPIVOT_TAXII_USER": USER, "GRAPHPIVOT_TAXII_PASSWORD": PASSWORD}
