"""Jobs that run after loads: each attribute's degree (its pivot value), the noise flags and the warninglists."""

from __future__ import annotations

from graphpivot.catalog import cypher_root
from graphpivot.reference.noise_flags import apply_noise, configured_rules
from graphpivot.reference.warninglists import apply_lists
from graphpivot.store.base import GraphStore


def statements(name: str) -> list[str]:
    """The ``;``-separated statements of ``cypher/maintenance/<name>.cypher``."""
    text = (cypher_root() / "maintenance" / f"{name}.cypher").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    return [stmt.strip() for stmt in body.split(";") if stmt.strip()]


def refresh_degrees(store: GraphStore) -> None:
    """Recount how many domains use each IP, name server, certificate, e-mail, fingerprint, netblock and ASN."""
    for stmt in statements("degree"):
        store.write(stmt)


def refresh(store: GraphStore) -> None:
    """Everything derived after a load: degrees, then the configured noise list and warninglists over new nodes."""
    refresh_degrees(store)
    apply_noise(store, configured_rules())
    apply_lists(store)
