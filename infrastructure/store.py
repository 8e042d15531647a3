"""Which event store the service uses, from one URL.

``sqlite:///path`` -> that SQLite file; ``postgresql://...`` -> PostgreSQL
(``infrastructure.settings`` picks the URL: ``LEDGER_DATABASE_URL``, or the
embedded default ledger.db in the working directory). The library's own settings are derived here and passed explicitly,
so the library never falls back to its in-memory store by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlparse

from infrastructure.bounds import POOL_WAIT_S
from ledger.errors import ConfigurationError

# The PostgreSQL recorder class, named (not imported) so the SQLite default never loads the PostgreSQL driver.
ORDERED_RECORDER_TOPIC = "infrastructure.ordered_log:OrderedPostgresApplicationRecorder"

DEFAULT_SQLITE_FILE = "ledger.db"
AGGREGATE_CACHE_MAXSIZE = 500


@dataclass(frozen=True)
class StoreConfig:
    url: str

    @property
    def kind(self) -> str:
        scheme = urlparse(self.url).scheme
        if scheme == "sqlite":
            return "sqlite"
        if scheme in ("postgresql", "postgres"):
            return "postgres"
        raise ConfigurationError(f"unsupported database URL scheme {scheme!r}: use sqlite:/// or postgresql://")

    @property
    def sqlite_path(self) -> str:
        path = self.url[len("sqlite:///") :]
        if not path:
            raise ConfigurationError("sqlite URL needs a file path: sqlite:///path/to/ledger.db")
        return path

    @property
    def pg_schema(self) -> str:
        """``?schema=name`` in a PostgreSQL URL puts every table in that schema (default ``public``)."""
        values = parse_qs(urlparse(self.url).query).get("schema")
        return values[0] if values else "public"

    @property
    def pg_conninfo(self) -> str:
        """A libpq connection string for raw connections (read models, tests), without the schema option."""
        parts = urlparse(self.url)
        return parts._replace(query="", fragment="").geturl().replace("postgres://", "postgresql://", 1)

    def library_env(self, *, create_tables: bool) -> dict[str, str]:
        """Settings for ``eventsourcing``'s Application, explicit for every key that matters."""
        env = {"CREATE_TABLE": "y" if create_tables else "n", "IS_SNAPSHOTTING_ENABLED": "y",
               # aggregates stay in memory between commands; each get() reads only the events recorded since
               # (by any process), so the cache is never stale: one small SELECT instead of snapshot + events
               "AGGREGATE_CACHE_MAXSIZE": str(AGGREGATE_CACHE_MAXSIZE), "AGGREGATE_CACHE_FASTFORWARD": "y"}
        if self.kind == "sqlite":
            return {**env, "PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": self.sqlite_path,
                    "SQLITE_LOCK_TIMEOUT": "10"}
        parts = urlparse(self.url)
        return {
            **env,
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": parts.path.lstrip("/") or "ledger",
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_LOCK_TIMEOUT": "5",
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
            "POSTGRES_POOL_SIZE": "2",  # kept open; more (up to 10) are opened under load and closed when idle
            "POSTGRES_MAX_OVERFLOW": "8",
            "POSTGRES_CONN_MAX_AGE": "600",
            "POSTGRES_PRE_PING": "n",  # a dead connection costs one retried attempt (infrastructure.bounds)
            "POSTGRES_CONNECT_TIMEOUT": str(POOL_WAIT_S),
            "POSTGRES_ENABLE_DB_FUNCTIONS": "y",
            "APPLICATION_RECORDER_TOPIC": ORDERED_RECORDER_TOPIC,  # ids visible in order: infrastructure.ordered_log
            "POSTGRES_SCHEMA": self.pg_schema,
        }
