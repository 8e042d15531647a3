"""``ledger evidence export`` and ``ledger evidence verify``: thin adapters over ``evidence``."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import click

from application.service import LedgerApplication
from evidence.anchors import load_tsa
from evidence.attachments import AttachmentStore
from evidence.export import claim_as_of, export_bundle, filing_as_of
from evidence.verify import verify_bundle
from ledger import clock
from ledger.claim import Claim
from ledger.errors import LedgerError
from ledger.money import format_minor
from ledger_cli.context import current_settings, default_account, fail_for_contract, open_app
from ledger_cli.rates import STRICT_ENV, warn_about_rates
from ledger_cli.render import table

STRICT_HELP = ("Refuse (rates_unavailable) rather than carry the last verified rate forward past a table's "
               "verified-through date (default: $LEDGER_RATES_STRICT).")


@click.group()
def evidence() -> None:
    """Court-ready evidence bundle: export one contract's record, verify a bundle offline."""


@evidence.command("export")
@click.argument("contract_id", type=click.UUID)
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Date the claim is computed to (default: today, UTC).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="ZIP file to write.")
@click.option("--account", default=None, help="Account that owns the contract (default: $LEDGER_ACCOUNT or 'default').")
@click.option("--strict", is_flag=True, envvar=STRICT_ENV, help=STRICT_HELP)
@click.option("--tsa-url", default=None, help="RFC 3161 timestamp authority: timestamp the head (default: LEDGER_TSA_URL).")
@click.option("--tsa-ca-file", default=None, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="PEM CA certificates of the TSA (default: LEDGER_TSA_CA_FILE).")
def export_command(contract_id: UUID, as_of: datetime | None, output: Path, account: str | None, strict: bool,
                   tsa_url: str | None, tsa_ca_file: Path | None) -> None:
    """Write the evidence ZIP for CONTRACT_ID (with LEDGER_TSA_URL, its chain head timestamped first)."""
    app = open_app()
    now = clock.now()
    day = as_of.date() if as_of else now.date()
    warn_about_rates(current_settings().rates_dir)
    try:
        store = AttachmentStore(app.store)
        settings = current_settings()
        tsa = load_tsa(tsa_url or settings.tsa_url, tsa_ca_file or settings.tsa_ca_file)
        bundle = export_bundle(app, account or default_account(), contract_id, as_of=day, generated_at=now,
                               rates_dir=current_settings().rates_dir, attachments=store, strict=strict, tsa=tsa)
    except LedgerError as error:
        fail_for_contract(app, error, contract_id, account or default_account())
    output.write_bytes(bundle.data)
    claim = bundle.manifest["claim"]
    click.echo(f"wrote {output} ({len(bundle.data):,} bytes, {bundle.manifest['events']} events, as of {day})")
    click.echo(f"total claimed {format_minor(claim['total'], claim['currency'])} (principal, interest and fixed "
               f"compensation); fingerprint {bundle.fingerprint}")
    for note in claim.get("provisional", []):
        click.echo(f"PROVISIONAL: {note}")


@evidence.command("claim")
@click.argument("contract_id", type=click.UUID)
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Date the claim is computed to (default: today, UTC).")
@click.option("--account", default=None, help="Account that owns the contract (default: $LEDGER_ACCOUNT or 'default').")
@click.option("--strict", is_flag=True, envvar=STRICT_ENV, help=STRICT_HELP)
@click.option("--json", "as_json", is_flag=True, help="The claim as JSON (the API's claim body).")
def claim_command(contract_id: UUID, as_of: datetime | None, account: str | None, strict: bool, as_json: bool) -> None:
    """Print the statement of claim for CONTRACT_ID with the interest working, period by period."""
    day = as_of.date() if as_of else clock.now().date()
    app = open_app()
    warn_about_rates(current_settings().rates_dir)
    try:
        found = claim_as_of(app, account or default_account(), contract_id, as_of=day,
                            rates_dir=current_settings().rates_dir, strict=strict)
    except LedgerError as error:
        fail_for_contract(app, error, contract_id, account or default_account())
    click.echo(json.dumps(found.to_dict(), indent=2, sort_keys=True) if as_json else claim_text(found))


@evidence.command("filing")
@click.argument("contract_id", type=click.UUID)
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Date the claim is computed to (default: today, UTC).")
@click.option("--account", default=None, help="Account that owns the contract (default: $LEDGER_ACCOUNT or 'default').")
@click.option("--strict", is_flag=True, envvar=STRICT_ENV, help=STRICT_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the filing as JSON (the shape of GET .../filing).")
def filing_command(contract_id: UUID, as_of: datetime | None, account: str | None, strict: bool, as_json: bool) -> None:
    """Print what an online money claim asks for: parties, amount, interest, court fee, particulars of claim."""
    day = as_of.date() if as_of else clock.now().date()
    app = open_app()
    try:
        found = filing_as_of(app, account or default_account(), contract_id, as_of=day,
                             rates_dir=current_settings().rates_dir, strict=strict)
    except LedgerError as error:
        fail_for_contract(app, error, contract_id, account or default_account())
    click.echo(json.dumps(found.to_dict(), indent=2, ensure_ascii=False) if as_json else filing_text(found.to_dict()))


@evidence.command("verify")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rates-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Rate tables the bundle's rates/ must equal (default: the ones packaged with this verifier).")
def verify_command(bundle: Path, rates_dir: Path | None) -> None:
    """Check BUNDLE offline: files, hash chain, rate tables, every figure and both PDFs recomputed from events.jsonl."""
    result = verify_bundle(bundle, rates_dir=rates_dir)
    if result.ok:
        click.echo(f"OK  fingerprint {result.fingerprint} (version {result.version}, {result.events} events)")
        return
    click.echo(f"FAILED: {result.failure}")
    raise SystemExit(1)


def export_and_verify(app: LedgerApplication, account_id: str, contract_id: UUID, as_of: date, path: Path) -> None:
    """The end of the demo: write the bundle, check it offline, and say where it is."""
    store = AttachmentStore(app.store)
    try:
        bundle = export_bundle(app, account_id, contract_id, as_of=as_of, generated_at=clock.now(),
                               rates_dir=current_settings().rates_dir, attachments=store)
    finally:
        store.close()
    path.write_bytes(bundle.data)
    claim = bundle.manifest["claim"]
    money = {k: format_minor(claim[k], claim["currency"]) for k in ("principal", "interest", "compensation", "total")}
    click.echo(f"\nEvidence bundle as of {as_of}: {path}")
    click.echo(f"  claim: principal {money['principal']} + interest {money['interest']} + fixed compensation "
               f"{money['compensation']} = {money['total']}")
    result = verify_bundle(path, rates_dir=current_settings().rates_dir)
    click.echo(f"  ledger evidence verify {path.name}: " + (f"OK  fingerprint {result.fingerprint}" if result.ok
                                                           else f"FAILED: {result.failure}"))


def claim_text(claim: Claim) -> str:
    """The claim as a person reads it at a terminal: the working, then the four figures."""
    def money(amount: int) -> str:
        return format_minor(amount, claim.currency)

    rows = [[i.number, p.start, p.end, str(p.days), money(p.principal), f"{p.rate_percent}%", f"{p.interest:.4f}"]
            for i in claim.invoices for p in i.periods]
    working = table(["invoice", "from", "to", "days", "principal", "rate", "interest (minor units)"], rows,
                    right={3, 4, 5, 6}) if rows else "(no interest periods)"
    return "\n".join([
        f"Statement of claim as of {claim.as_of}", "", working, "", claim.regime.basis, "",
        *(f"PROVISIONAL: {note}" for note in claim.provisional),
        *(f"  {i.number}: interest {money(i.interest)}, fixed compensation {money(i.compensation)}"
          for i in claim.invoices),
        f"  principal outstanding  {money(claim.principal):>16}",
        f"  interest               {money(claim.interest):>16}",
        f"  {claim.regime.compensation_label.lower():<22} {money(claim.compensation):>16}",
        f"  total claimed          {money(claim.total):>16}",
    ])


def filing_text(filing: dict[str, Any]) -> str:
    """The filing as a person copies it into the court's form, field by field."""
    def money(amount: int) -> str:
        return format_minor(amount, filing["currency"])

    def party(p: dict[str, Any]) -> str:
        return ", ".join(str(x) for x in (p["name"], p["address"], p["email"]) if x)

    interest, fee = filing["interest"], filing["court_fee"]
    fee_line = (f"{money(fee['amount'])} ({fee['rule']}; fee table of {fee['effective_from']})" if fee
                else "no fee table for this jurisdiction")
    return "\n".join([
        f"Money claim as of {filing['as_of']} ({filing['jurisdiction']})", "",
        f"Claimant:   {party(filing['claimant'])}", f"Defendant:  {party(filing['defendant'])} ({filing['defendant']['kind']})",
        f"Amount:     {money(filing['amount'])}",
        f"Interest:   {money(interest['amount'])} from {interest['from']} to {interest['to']}, then "
        f"{money(interest['daily_amount'])} a day", f"Basis:      {interest['basis']}",
        f"Court fee:  {fee_line}", f"Total:      {money(filing['total'])}", "",
        f"Particulars of claim ({filing['particulars_characters']} of 1,080 characters):", filing["particulars"],
    ])
