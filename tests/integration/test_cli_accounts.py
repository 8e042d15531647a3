"""The CLI is an operator's tool: a contract held by another account than the one chosen is named as such."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ledger_cli.main import cli
from tests.integration.test_evidence_cli import ACCOUNT, story_store


def test_a_contract_in_another_account_is_named_with_the_account_that_holds_it(tmp_path: Path) -> None:
    url, contract_id = story_store(tmp_path)
    for args in (
        ["evidence", "claim", contract_id],
        ["events", contract_id],
        ["evidence", "export", contract_id, "-o", str(tmp_path / "b.zip")],
    ):
        result = CliRunner().invoke(cli, args, env={"LEDGER_DATABASE_URL": url, "LEDGER_ACCOUNT": None})
        assert result.exit_code == 1
        assert (
            f"error [contract_in_other_account]: contract {contract_id} belongs to account '{ACCOUNT}', not "
            f"'default': pass --account {ACCOUNT} or set LEDGER_ACCOUNT"
        ) in result.output
    assert not (tmp_path / "b.zip").exists()
    chosen = CliRunner().invoke(
        cli,
        ["evidence", "claim", contract_id, "--account", ACCOUNT, "--as-of", "2026-08-10"],
        env={"LEDGER_DATABASE_URL": url},
    )
    assert chosen.exit_code == 0 and "total claimed" in chosen.output


def test_an_unknown_contract_is_still_not_found(tmp_path: Path) -> None:
    url, _ = story_store(tmp_path)
    result = CliRunner().invoke(
        cli,
        ["evidence", "claim", "00000000-0000-4000-8000-000000000001"],
        env={"LEDGER_DATABASE_URL": url, "LEDGER_ACCOUNT": "other"},
    )
    assert result.exit_code == 1 and "error [contract_not_found]" in result.output
