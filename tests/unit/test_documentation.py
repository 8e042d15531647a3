"""The README's catalogs stay in step with the code."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ledger.commands import CONTRACT_COMMANDS as COMMANDS
from ledger.contract import Contract
from ledger.errors import all_error_classes

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def event_names() -> set[str]:
    return {
        obj.__name__
        for obj in vars(Contract).values()
        if isinstance(obj, type) and issubclass(obj, Contract.Event) and dataclasses.is_dataclass(obj)
        and obj.__name__ not in ("Event", "Created")
    }


def test_every_domain_event_is_in_the_readme_catalog() -> None:
    names = event_names()
    assert len(names) >= 26
    assert {n for n in names if n not in README} == set()


def test_every_error_code_is_in_the_readme() -> None:
    missing = {c.code for c in all_error_classes() if c.code != "ledger_error" and f"`{c.code}`" not in README}
    assert missing == set()


def test_every_command_is_in_the_readme() -> None:
    assert {name for name in [*COMMANDS, "sign_contract"] if f"`{name}`" not in README} == set()
