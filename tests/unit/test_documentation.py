"""The documentation stays true to the repository: catalogs in step with the code, every reference resolves.

The reference checks read README.md and every page in docs/, so a page added later is checked too.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from pathlib import Path

import pytest
from flask import Flask

import bench.common
import projections.projector
import projections.service
from api.errors import HTTP_CODES, status_of
from consumers.dead_letters import ADAPTER_CODES, INTERNAL_ERROR
from consumers.settings import KafkaSettings
from ledger.commands import CONTRACT_COMMANDS as COMMANDS
from ledger.contract import Contract
from ledger.errors import LedgerError, all_error_classes

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
README_LINES_MAX = 159
OUR_PACKAGES = (
    "ledger",
    "application",
    "infrastructure",
    "projections",
    "api",
    "consumers",
    "evidence",
    "schemas",
    "dunning",
    "ledger_cli",
    "bench",
    "tests",
    "docs",
)
# Backticked dotted names that are not modules: the Kafka topics (named like ledger.commands) and the store file.
NOT_MODULES = {KafkaSettings.commands_topic, KafkaSettings.dlq_topic, KafkaSettings.events_topic, "ledger.db"}
# Paths the code creates at run time (ignored by git, so absent from a fresh checkout).
GENERATED = {bench.common.RESULTS}

FENCE = re.compile(r"^```.*?^```", re.S | re.M)
INLINE_CODE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
MODULE_NAME = re.compile(rf"^(?:{'|'.join(OUR_PACKAGES)})(?:\.[A-Za-z_]\w*)+(?::[A-Za-z_]\w*)?(?:\(\))?$")
ENTRY_POINT = re.compile(rf"^(?:{'|'.join(OUR_PACKAGES)})(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(?:\(\))?$")
OUR_PATH = re.compile(rf"(?<![\w./$-])(?:{'|'.join(OUR_PACKAGES)})/[\w./*-]*")
MARKDOWN_FILE = re.compile(r"(?<![\w./-])[\w./-]*\w\.md\b")


def text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def prose(body: str) -> str:
    """A page without its fenced blocks (code, console sessions, diagrams)."""
    return FENCE.sub("", body)


def page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


def docs_text(*names: str) -> str:
    return "\n".join(text(ROOT / "docs" / name) for name in names)


# -- catalogs ------------------------------------------------------------------------------------


def event_names() -> set[str]:
    return {
        obj.__name__
        for obj in vars(Contract).values()
        if isinstance(obj, type)
        and issubclass(obj, Contract.Event)
        and dataclasses.is_dataclass(obj)
        and obj.__name__ not in ("Event", "Created")
    }


def error_classes() -> list[type[LedgerError]]:
    """Every LedgerError, including the read models' own (imported above so the tree holds them)."""
    assert projections.projector.ConcurrentRunner in all_error_classes()
    assert projections.service.ClientNotFound in all_error_classes()
    return [c for c in all_error_classes() if c.code != "ledger_error"]


def test_every_domain_event_is_in_the_architecture_catalog() -> None:
    names = event_names()
    assert len(names) >= 26
    assert {n for n in names if n not in docs_text("architecture.md")} == set()


def test_every_error_code_is_in_the_error_page() -> None:
    page = docs_text("errors.md")
    assert {c.code for c in error_classes() if f"`{c.code}`" not in page} == set()


def test_every_http_and_dead_letter_code_is_in_the_error_page() -> None:
    page = docs_text("errors.md")
    codes = {code for group in HTTP_CODES.values() for code in group} | set(ADAPTER_CODES) | {INTERNAL_ERROR}
    assert {code for code in codes if f"`{code}`" not in page} == set()


def test_the_error_page_gives_each_code_the_status_the_api_answers() -> None:
    documented = dict(re.findall(r"^\| `(\w+)` \| (\d{3}|—) \|", docs_text("errors.md"), re.M))
    with Flask(__name__).test_request_context(headers={"If-Match": '"1"'}):  # a conditional request
        for cls in error_classes():
            status = documented.get(cls.code)
            if cls.__module__ == "ledger.errors" or status != "—":
                assert (cls.code, status) == (cls.code, str(status_of(cls("example"))))


def test_every_command_is_in_the_architecture_page() -> None:
    page = docs_text("architecture.md")
    assert {name for name in [*COMMANDS, "sign_contract"] if f"`{name}`" not in page} == set()


# -- the README stays a newcomer's page -----------------------------------------------------------


def test_the_readme_is_under_160_lines() -> None:
    assert len(text(README).splitlines()) <= README_LINES_MAX


def test_every_page_in_docs_is_linked_from_the_readme() -> None:
    linked = {(README.parent / target.split("#")[0]).resolve() for target in LINK.findall(text(README))}
    assert [page_id(p) for p in PAGES[1:] if p.resolve() not in linked] == []


# -- every reference resolves -------------------------------------------------------------------


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    kept = "".join(ch for ch in heading.strip().lower() if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")


def headings(body: str) -> set[str]:
    return {slug(h) for h in re.findall(r"^#{1,6}\s+(.+?)\s*$", prose(body), re.M)}


def inside_repo(path: Path) -> bool:
    return path.resolve().is_relative_to(ROOT)


def link_is_broken(page: Path, body: str, target: str) -> bool:
    if re.match(r"^[a-z]+:", target):  # https:, mailto: ...
        return False
    file_part, _, anchor = target.partition("#")
    if not file_part:
        return anchor not in headings(body)
    resolved = (page.parent / file_part).resolve()
    if not (inside_repo(resolved) and resolved.exists()):
        return True
    return bool(anchor) and resolved.suffix == ".md" and anchor not in headings(text(resolved))


def broken_links(page: Path, body: str) -> list[str]:
    return [target for target in LINK.findall(prose(body)) if link_is_broken(page, body, target)]


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_relative_link_resolves_to_a_file_and_heading(page: Path) -> None:
    assert broken_links(page, text(page)) == []


def module_exists(dotted: str) -> bool:
    """``a.b.c`` names a module, or an attribute of the longest importable module prefix."""
    dotted = dotted.removesuffix("()")
    if ":" in dotted:
        module, _, attribute = dotted.partition(":")
        return hasattr(importlib.import_module(module), attribute)
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        source = ROOT / Path(*parts[:cut])
        if source.with_suffix(".py").exists() or (source / "__init__.py").exists():
            obj: object = importlib.import_module(".".join(parts[:cut]))
            for attribute in parts[cut:]:
                if not hasattr(obj, attribute):
                    return False
                obj = getattr(obj, attribute)
            return True
    return False


def missing_modules(body: str) -> list[str]:
    names = [code for code in INLINE_CODE.findall(prose(body)) if code not in NOT_MODULES]
    return [name for name in names if (MODULE_NAME.match(name) or ENTRY_POINT.match(name)) and not module_exists(name)]


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_module_name_in_backticks_exists(page: Path) -> None:
    assert missing_modules(text(page)) == []


def path_exists(reference: str) -> bool:
    reference = reference.rstrip(".,;:")
    if "*" in reference:
        return any(ROOT.glob(reference))
    path = ROOT / reference
    return path.exists() or path.resolve() in GENERATED


def looks_like_a_path(reference: str) -> bool:
    """A file (with an extension), a glob or a directory (trailing slash); not ``application/zip``."""
    last = reference.rstrip(".,;:").rsplit("/", 1)[-1]
    return last == "" or "*" in last or "." in last


def missing_paths(body: str) -> list[str]:
    spans = INLINE_CODE.findall(prose(body)) + FENCE.findall(body)
    references = [ref for span in spans for ref in OUR_PATH.findall(span) if looks_like_a_path(ref)]
    return [ref for ref in references if not path_exists(ref)]


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_path_of_ours_exists(page: Path) -> None:
    assert missing_paths(text(page)) == []


def missing_markdown_files(page: Path, body: str) -> list[str]:
    """A ``.md`` named anywhere on the page is in the repository (no notes kept elsewhere)."""
    names = MARKDOWN_FILE.findall(body)
    return [n for n in names if not any(inside_repo(b / n) and (b / n).exists() for b in (page.parent, ROOT))]


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_markdown_file_named_is_in_the_repository(page: Path) -> None:
    assert missing_markdown_files(page, text(page)) == []


# -- the checks themselves catch what they are for ------------------------------------------------


def test_the_reference_checks_catch_a_missing_module_path_link_and_note() -> None:
    page = ROOT / "docs" / "probe.md"  # never written: the checks get its text directly
    body = (
        "# Probe\n\nSee [gone](missing.md), [bad anchor](architecture.md#no-such-heading), [outside](../../etc/hosts),\n"
        "[here](#nowhere), `projections.tracking`, `ledger.app`, `application.service.NoSuchThing`,\n"
        "`api:no_such_app()`, `api/no_such_module.py`, `tests/unit/test_nothing_*.py`, `evidence/gone/` and DESIGN.md.\n"
        "Fine: `ledger.commands`, `application.service.LedgerApplication`, `api:create_app()`, `api/errors.py`,\n"
        "[ok](architecture.md#layers), [top](#probe), `bench/results/`, `tests/unit/test_doc*.py`, `application/zip`.\n"
    )
    assert broken_links(page, body) == ["missing.md", "architecture.md#no-such-heading", "../../etc/hosts", "#nowhere"]
    assert missing_modules(body) == [
        "projections.tracking",
        "ledger.app",
        "application.service.NoSuchThing",
        "api:no_such_app()",
    ]
    assert missing_paths(body) == ["api/no_such_module.py", "tests/unit/test_nothing_*.py", "evidence/gone/"]
    assert missing_markdown_files(page, body) == ["missing.md", "DESIGN.md"]


def test_slugs_follow_github_for_headings_with_code_and_punctuation() -> None:
    assert slug("The `ledger` command") == "the-ledger-command"
    assert slug("Evidence bundle, interest and compensation") == "evidence-bundle-interest-and-compensation"
    assert slug("a.b, c! (d)") == "ab-c-d"
