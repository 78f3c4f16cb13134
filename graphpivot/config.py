"""Settings from the environment (and CLI flags); credentials never come from anywhere else."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path
from pydantic import BaseModel, Field, SecretStr


class Settings(BaseModel):
    """Where the graph lives and how to talk to it."""

    engine: str | None = None
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("")
    neo4j_database: str | None = None
    db_path: Path = Field(default_factory=lambda: user_data_path("graphpivot") / "graph.lbdb")
    batch_size: int | None = Field(default=None, ge=1, le=100_000)  # None: the engine's own (GraphStore.batch_size)
    query_timeout: float = Field(default=60.0, gt=0)
    buffer_pool_mb: int = Field(default=0, ge=0)  # embedded engine's page cache; 0 = Ladybug's default (~80% of RAM)

    @property
    def resolved_engine(self) -> str:
        """``neo4j`` when a URI is configured (and no engine forced), else ``ladybug``."""
        if self.engine:
            return self.engine
        return "neo4j" if self.neo4j_uri else "ladybug"


def from_env(env: dict[str, str] | None = None) -> Settings:
    """Read ``GRAPHPIVOT_*`` variables."""
    env = dict(os.environ if env is None else env)
    values: dict[str, object] = {}
    mapping = {
        "GRAPHPIVOT_ENGINE": "engine",
        "GRAPHPIVOT_NEO4J_URI": "neo4j_uri",
        "GRAPHPIVOT_NEO4J_USER": "neo4j_user",
        "GRAPHPIVOT_NEO4J_PASSWORD": "neo4j_password",
        "GRAPHPIVOT_NEO4J_DATABASE": "neo4j_database",
        "GRAPHPIVOT_DB": "db_path",
        "GRAPHPIVOT_BATCH_SIZE": "batch_size",
        "GRAPHPIVOT_QUERY_TIMEOUT": "query_timeout",
        "GRAPHPIVOT_BUFFER_POOL_MB": "buffer_pool_mb",
    }
    for var, name in mapping.items():
        if env.get(var):
            values[name] = env[var]
    return Settings.model_validate(values)
