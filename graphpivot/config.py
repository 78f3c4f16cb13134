"""Settings: every ``GRAPHPIVOT_*`` variable, the config file's profiles and the hunt defaults, in one place.

Precedence, lowest first: built-in defaults, the config file's chosen profile,
``GRAPHPIVOT_*`` variables, CLI flags. The config file (TOML, ``GRAPHPIVOT_CONFIG``
or ``config.toml`` in the user config folder) holds named profiles but never a
secret: a profile names the environment variable that holds its password
(``password_env``). :data:`ENVIRONMENT` lists each variable and the setting it fills.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from platformdirs import user_config_path, user_data_path
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError


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
    batch_mb: float | None = Field(default=None, gt=0, le=65_536)  # None: ingest.DEFAULT_BATCH_MB per batch
    query_timeout: float = Field(default=60.0, gt=0)
    buffer_pool_mb: int = Field(default=0, ge=0)  # embedded engine's page cache; 0 = Ladybug's default (~80% of RAM)
    db_wait: float = Field(default=30.0, ge=0)  # seconds a writer waits for another process's embedded write lock
    noise_file: Path | None = None  # None: the noise list shipped with graphpivot
    query_folder: Path = Field(default_factory=lambda: user_config_path("graphpivot") / "queries")
    profile: str | None = None  # the config-file profile these settings came from
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
    "GRAPHPIVOT_BATCH_MB": "batch_mb",
    "GRAPHPIVOT_QUERY_TIMEOUT": "query_timeout",
    "GRAPHPIVOT_BUFFER_POOL_MB": "buffer_pool_mb",
    "GRAPHPIVOT_DB_WAIT": "db_wait",
    "GRAPHPIVOT_NOISE_FILE": "noise_file",
    "GRAPHPIVOT_QUERIES": "query_folder",
}
"""Every variable :func:`from_env` reads. Variables read by one CLI option as its default
(``GRAPHPIVOT_ASSETS``, ``GRAPHPIVOT_RESOLVERS``, ``GRAPHPIVOT_RDAP_URL``) are in :data:`OPTION_ENVIRONMENT`."""

OPTION_ENVIRONMENT = {
    "GRAPHPIVOT_ASSETS": "load zeek|eve|proxy --assets",
    "GRAPHPIVOT_RESOLVERS": "enrich --resolver",
    "GRAPHPIVOT_RDAP_URL": "enrich rdap --rdap-url",
    "GRAPHPIVOT_TAXII_USER": "load taxii, export taxii: HTTP basic user (environment only)",
    "GRAPHPIVOT_TAXII_PASSWORD": "load taxii, export taxii: HTTP basic password (environment only)",
    "GRAPHPIVOT_PDNS_URL": "enrich pdns --pdns-url",
    "GRAPHPIVOT_PDNS_KEY": "enrich pdns: DNSDB API key (environment only)",
    "GRAPHPIVOT_PDNS_USER": "enrich pdns --api circl: HTTP basic user (environment only)",
    "GRAPHPIVOT_PDNS_PASSWORD": "enrich pdns --api circl: HTTP basic password (environment only)",
}


CONFIG_ENV = "GRAPHPIVOT_CONFIG"
PROFILE_ENV = "GRAPHPIVOT_PROFILE"
SECRET_KEYS = frozenset({"neo4j_password", "password"})


class ConfigError(ValueError):
    """A config file or profile that cannot be used, with the file and the reason."""


class Profile(BaseModel):
    """One named profile of the config file: where a graph lives and how to reach it (no secrets)."""

    model_config = ConfigDict(extra="forbid")

    engine: str | None = None
    neo4j_uri: str | None = None
    neo4j_user: str | None = None
    neo4j_database: str | None = None
    password_env: str | None = None  # the environment variable holding this profile's password
    browser_url: str | None = None
    db_path: Path | None = None
    batch_size: int | None = None
    batch_mb: float | None = None
    query_timeout: float | None = None
    buffer_pool_mb: int | None = None
    db_wait: float | None = None
    noise_file: Path | None = None


class ConfigFile(BaseModel):
    """The config file: named profiles, the default one, the analyst's query folder and hunt defaults."""

    model_config = ConfigDict(extra="forbid")

    default_profile: str | None = None
    query_folder: Path | None = None
    hunt: dict[str, int] = Field(default_factory=dict)
    profiles: dict[str, Profile] = Field(default_factory=dict)


def config_path(env: dict[str, str] | None = None) -> Path:
    """``GRAPHPIVOT_CONFIG``, else ``config.toml`` in the user config folder."""
    env = dict(os.environ if env is None else env)
    return Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else user_config_path("graphpivot") / "config.toml"


def read_config(path: Path) -> ConfigFile:
    """The config file at ``path`` (an empty one when it does not exist); secrets in it are refused."""
    if not path.is_file():
        return ConfigFile()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc}") from None
    for name, profile in (raw.get("profiles") or {}).items():
        leaked = SECRET_KEYS & set(profile if isinstance(profile, dict) else ())
        if leaked:
            raise ConfigError(
                f"{path}: profile {name!r} holds a password; name the variable that holds it instead "
                f"(password_env = \"MY_NEO4J_PASSWORD\")"
            )
    try:
        return ConfigFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from None


def _profile_values(config: ConfigFile, name: str | None, env: dict[str, str], path: Path) -> dict[str, Any]:
    chosen = name or config.default_profile
    values: dict[str, Any] = {}
    if config.query_folder is not None:
        values["query_folder"] = config.query_folder.expanduser()
    if config.hunt:
        values["hunt"] = HuntDefaults.model_validate(config.hunt)
    if chosen is None:
        return values
    if chosen not in config.profiles:
        known = ", ".join(sorted(config.profiles)) or "none"
        raise ConfigError(f"{path}: no profile {chosen!r} (profiles: {known})")
    profile = config.profiles[chosen]
    values.update({k: v for k, v in profile.model_dump(exclude={"password_env"}).items() if v is not None})
    for key in ("db_path", "noise_file"):
        if key in values:
            values[key] = Path(values[key]).expanduser()
    if profile.password_env and env.get(profile.password_env):
        values["neo4j_password"] = env[profile.password_env]
    values["profile"] = chosen
    return values


def from_env(env: dict[str, str] | None = None, *, profile: str | None = None) -> Settings:
    """Settings from the config file's profile (``profile``, ``GRAPHPIVOT_PROFILE`` or the file's default),
    then the ``GRAPHPIVOT_*`` variables of :data:`ENVIRONMENT` over it."""
    env = dict(os.environ if env is None else env)
    path = config_path(env)
    values = _profile_values(read_config(path), profile or env.get(PROFILE_ENV) or None, env, path)
    values.update({name: env[var] for var, name in ENVIRONMENT.items() if env.get(var)})
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"settings: {problems}") from None


def masked(settings: Settings) -> dict[str, Any]:
    """Every setting as plain values for ``config show``: the password only as set or not set."""
    shown = settings.model_dump(mode="json", exclude={"neo4j_password"})
    shown["neo4j_password"] = "(set)" if settings.neo4j_password.get_secret_value() else "(not set)"
    if settings.neo4j_uri:
        scheme, sep, rest = settings.neo4j_uri.partition("://")
        authority, slash, path = rest.partition("/")
        if "@" in authority:
            shown["neo4j_uri"] = f"{scheme}{sep}***@{authority.rsplit('@', 1)[1]}{slash}{path}"
    return shown
