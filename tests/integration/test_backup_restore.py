"""`ledger backup` takes a consistent copy of a live store; `ledger restore` brings it back and audits every chain."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from urllib.parse import urlparse

from click.testing import CliRunner

from application.service import LedgerApplication
from evidence.attachments import AttachmentStore
from infrastructure.store import StoreConfig
from ledger_cli.main import cli
from ledger_cli.story import DEMO_CONTRACT_ID, run_story
from tests import pg

DOCUMENT = b"%PDF-1.4 signed statement of work\n"


def ledger(store: StoreConfig, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"LEDGER_DATABASE_URL": store.url})
    raised = result.exception if not isinstance(result.exception, SystemExit) else None
    return result.exit_code, result.output + (repr(raised) if raised else "")


def fill(app: LedgerApplication) -> tuple[str, str]:
    """The story (15 events with idempotency records), an account and key, and an attachment."""
    run_story(app, "acct")
    app.create_account("Backup Ltd", "acct")
    key = app.create_api_key("acct")
    attachments = AttachmentStore(app.store)
    digest = attachments.put("acct", DOCUMENT)
    attachments.close()
    return key, digest


def check_restored(store: StoreConfig, key: str, digest: str, head: int, fingerprint: str) -> None:
    restored = LedgerApplication(store, create_tables=False)
    try:
        assert restored.recorder.max_notification_id() == head
        assert restored.verify("acct", DEMO_CONTRACT_ID).fingerprint == fingerprint
        assert restored.authenticate(key) == "acct"
        attachments = AttachmentStore(store)
        assert attachments.get("acct", digest) == DOCUMENT
        attachments.close()
    finally:
        restored.close()


def test_a_backup_of_a_live_sqlite_store_restores_every_event_key_and_attachment_and_audits_ok(
    sqlite_store: StoreConfig, tmp_path: Path
) -> None:
    app = LedgerApplication(sqlite_store, create_tables=True)
    key, digest = fill(app)  # the application stays open: its writes may still sit in the write-ahead log
    head, fingerprint = app.recorder.max_notification_id(), app.verify("acct", DEMO_CONTRACT_ID).fingerprint
    code, output = ledger(sqlite_store, "backup", str(tmp_path / "copy.db"))
    assert code == 0, output
    target = StoreConfig(f"sqlite:///{tmp_path}/restored.db")
    code, output = ledger(target, "restore", str(tmp_path / "copy.db"))
    assert code == 0 and "audit: OK  1 contracts, 15 witnesses" in output, output
    check_restored(target, key, digest, head, fingerprint)
    with sqlite3.connect(target.sqlite_path) as conn:  # the restored history is append-only too
        triggers = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"stored_events_no_update", "stored_events_no_delete"} <= triggers
    app.close()


def test_copying_the_live_file_alone_would_miss_what_is_in_the_write_ahead_log(
    sqlite_store: StoreConfig, tmp_path: Path
) -> None:
    app = LedgerApplication(sqlite_store, create_tables=True)
    fill(app)
    wal = Path(f"{sqlite_store.sqlite_path}-wal")
    assert wal.stat().st_size > 0  # the story is (at least partly) still in the write-ahead log
    shutil.copy(sqlite_store.sqlite_path, tmp_path / "naive.db")
    with sqlite3.connect(tmp_path / "naive.db") as naive:
        tables = {name for (name,) in naive.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        copied = naive.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0] if "stored_events" in tables else 0
    assert copied < app.recorder.max_notification_id()  # the file alone is not the database
    assert ledger(sqlite_store, "backup", str(tmp_path / "api.db"))[0] == 0
    with sqlite3.connect(tmp_path / "api.db") as copy:
        assert copy.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0] == app.recorder.max_notification_id()
    app.close()


def test_backup_never_overwrites_and_restore_never_writes_over_a_store_with_data(
    sqlite_store: StoreConfig, tmp_path: Path
) -> None:
    app = LedgerApplication(sqlite_store, create_tables=True)
    fill(app)
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"keep me")
    code, output = ledger(sqlite_store, "backup", str(existing))
    assert code == 1 and "never overwrites" in output and existing.read_bytes() == b"keep me"
    assert ledger(sqlite_store, "backup", str(tmp_path / "b.db"))[0] == 0
    before = app.recorder.max_notification_id()
    code, output = ledger(sqlite_store, "restore", str(tmp_path / "b.db"))
    assert code == 1 and "restore into a new file" in output
    assert app.recorder.max_notification_id() == before
    app.close()


def test_the_postgresql_procedure_pg_dump_then_pg_restore_into_a_new_database_audits_ok(
    pg_store: StoreConfig, tmp_path: Path
) -> None:
    app = LedgerApplication(pg_store, create_tables=True)
    key, digest = fill(app)
    head, fingerprint = app.recorder.max_notification_id(), app.verify("acct", DEMO_CONTRACT_ID).fingerprint
    archive = tmp_path / "ledger.dump"
    code, output = ledger(pg_store, "backup", str(archive))
    assert code == 0, output
    admin = pg_store.pg_conninfo.rsplit("/", 1)[0] + "/postgres"
    with pg.throwaway_database(admin) as fresh:
        target = StoreConfig(f"{fresh}?schema={pg_store.pg_schema}")
        code, output = ledger(target, "restore", str(archive))
        assert code == 0 and "audit: OK  1 contracts, 15 witnesses" in output, output
        check_restored(target, key, digest, head, fingerprint)
        assert urlparse(fresh).path != urlparse(pg_store.pg_conninfo).path
    app.close()
