"""Settings: every ``GRAPHPIVOT_*`` variable and the hunt defaults, in one place.

Values come from the environment (and CLI flags); credentials never come from
anywhere else. :data:`ENVIRONMENT` lists each variable and the setting it fills.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path
from pydantic import BaseModel, Field, SecretStr


class HuntDefaults(BaseModel):
    """Defaults of ``exposure`` and ``hunt`` (the CLI flags and :class:`graphpivot.hunt.model.Options`)."""

    max_fanout: int = 200  # expansion skips attributes used by more domains (DomainTools-style guided pivots)
    tolerance: int = 86400  # seconds of slack when comparing time windows
    rare_hosts: int = 3  # a web service this few internal hosts use is rare ...
    rare_population: int = 20  # ... once at least this many hosts have telemetry
    upload_bytes: int = 10_000_000  # bytes out that count as a large upload
    new_use_days: int = 30  # first-seen window of the hunt: the last days of telemetry


HUNT_DEFAULTS = HuntDefaults()
DEFAULT_BROWSER_URL = "http://127.0.0.1:7474/browser/"


class Settings(BaseModel):
    """Where the graph lives, how to talk to it, and the defaults commands start from."""

    engine: str | None = None
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("")
    neo4j_database: str | None = None
    browser_url: str = DEFAULT_BROWSER_URL
    db_path: Path = Field(default_factory=lambda: user_data_path("graphpivot") / "graph.lbdb")
    batch_size: int | None = Field(default=None, ge=1, le=100_000)  # None: the engine's own (GraphStore.batch_size)
    query_timeout: float = Field(default=60.0, gt=0)
    buffer_pool_mb: int = Field(default=0, ge=0)  # embedded engine's page cache; 0 = Ladybug's default (~80% of RAM)
    noise_file: Path | None = None  # None: the noise list shipped with graphpivot
    hunt: HuntDefaults = Field(default_factory=HuntDefaults)

    @property
    def resolved_engine(self) -> str:
        """``neo4j`` when a URI is configured (and no engine forced), else ``ladybug``."""
        if self.engine:
            return self.engine
        return "neo4j" if self.neo4j_uri else "ladybug"


ENVIRONMENT = {
    "GRAPHPIVOT_ENGINE": "engine",
    "GRAPHPIVOT_NEO4J_URI": "neo4j_uri",
    "GRAPHPIVOT_NEO4J_USER": "neo4j_user",
    "GRAPHPIVOT_NEO4J_PASSWORD": "neo4j_password",
    "GRAPHPIVOT_NEO4J_DATABASE": "neo4j_database",
    "GRAPHPIVOT_NEO4J_BROWSER_URL": "browser_url",
    "GRAPHPIVOT_DB": "db_path",
    "GRAPHPIVOT_BATCH_SIZE": "batch_size",
    "GRAPHPIVOT_QUERY_TIMEOUT": "query_timeout",
    "GRAPHPIVOT_BUFFER_POOL_MB": "buffer_pool_mb",
    "GRAPHPIVOT_NOISE_FILE": "noise_file",
}
"""Every variable :func:`from_env` reads. Variables read by one CLI option as its default
(``GRAPHPIVOT_ASSETS``, ``GRAPHPIVOT_RESOLVERS``, ``GRAPHPIVOT_RDAP_URL``) are in :data:`OPTION_ENVIRONMENT`."""

OPTION_ENVIRONMENT = {
    "GRAPHPIVOT_ASSETS": "load zeek|eve|proxy --assets",
    "GRAPHPIVOT_RESOLVERS": "enrich --resolver",
    "GRAPHPIVOT_RDAP_URL": "enrich rdap --rdap-url",
    "GRAPHPIVOT_TAXII_USER": "load taxii, export taxii: HTTP basic user (environment only)",
    "GRAPHPIVOT_TAXII_PASSWORD": "load taxii, export taxii: HTTP basic password (environment only)",
    "GRAPHPIVOT_PDNS_KEY": "enrich pdns: API key header value (environment only)",
}


def from_env(env: dict[str, str] | None = None) -> Settings:
    """Read the ``GRAPHPIVOT_*`` variables of :data:`ENVIRONMENT`."""
    env = dict(os.environ if env is None else env)
    values: dict[str, object] = {name: env[var] for var, name in ENVIRONMENT.items() if env.get(var)}
    return Settings.model_validate(values)
