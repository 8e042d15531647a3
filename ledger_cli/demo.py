"""``ledger demo``: the classic story on the embedded default, start to finish."""

from __future__ import annotations

from pathlib import Path

import click

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from ledger.commands import Command
from ledger.money import format_minor
from ledger_cli.context import current_settings, default_account, open_app
from ledger_cli.evidence import export_and_verify
from ledger_cli.render import statement_text, summary_text
from ledger_cli.reports import aging_text, reminders_text
from ledger_cli.story import AS_OF, run_story
from projections.queries import aging, next_reminders, position, reminders_due
from projections.runner import Runner

DEMO_FILE = "ledger-demo.db"

NARRATION = {
    "sign_contract": "Contract signed: GBP 12,000.00 in three thirds (advance, prototype, delivery)",
    "issue_invoice": "Invoice issued for milestone {milestone_keys[0]}",
    "record_payment": "Payment {payment_id} received",
    "deliver_milestone": "Milestone {key} delivered",
    "accept_milestone": "Milestone {key} accepted",
    "grant_licence": "Time-limited licence granted (perpetual on final payment)",
    "record_reminder_sent": "Reminder sent: {stage} by {channel}",
}


def narrate(command: Command) -> None:
    args = command.args()
    day = args["occurred_on"].isoformat()
    readable = {k: v.replace("_", " ") if isinstance(v, str) else v for k, v in args.items()}
    click.echo(f"  {day}  {NARRATION[command.name].format(**readable)}")


@click.command()
def demo() -> None:
    """Run the classic story (last third never paid) on a fresh embedded store and show the record."""
    url = current_settings().database_url
    if url is None:
        path = Path.cwd() / DEMO_FILE
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    app = open_app(StoreConfig(url), create_tables=True)
    account = default_account()
    click.echo(f"Store: {url}\n\nThe story")
    contract_id = run_story(app, account, on_step=narrate)
    summary = app.summary(account, contract_id, AS_OF)
    click.echo(f"\n{summary_text(summary)}\n")
    click.echo("Statement of account")
    click.echo(statement_text(app.statement(account, contract_id, AS_OF)))
    overdue = summary["overdue"]
    click.echo(f"\nOverdue as of {AS_OF}: {format_minor(overdue['amount'], overdue['currency'])}")
    result = app.verify(account, contract_id)
    click.echo(f"Fingerprint: {result.fingerprint} (version {result.version})")
    click.echo(f"verify: {'OK' if result.ok else 'BROKEN at version ' + str(result.broken_version)}")
    show_read_models(app, url)
    export_and_verify(app, account, contract_id, AS_OF, Path.cwd() / "evidence-demo.zip")
    click.echo(f"\nLook further:  LEDGER_DATABASE_URL={url} ledger events {contract_id}")


def show_read_models(app: LedgerApplication, url: str) -> None:
    """Catch the read models up with the log, then print the aging report and the reminders due."""
    runner = Runner(StoreConfig(url), app=app)
    try:
        runner.catch_up()
        as_of, account = AS_OF.isoformat(), default_account()
        click.echo(f"\nAging as of {as_of} (read model at position {position(runner.db, ['aging'])})")
        click.echo(aging_text(aging(runner.db, account, as_of)))
        click.echo(f"\nReminders due as of {as_of}")
        click.echo(reminders_text(reminders_due(runner.db, account, as_of)))
        upcoming = next_reminders(runner.db, account, as_of)
        if upcoming:
            click.echo(f"\nNext due, on {upcoming[0]}")
            click.echo(reminders_text(upcoming[1]))
    finally:
        runner.db.close()
