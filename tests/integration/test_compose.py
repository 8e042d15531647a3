"""docker-compose.yml is valid offline and every service runs a real ``ledger`` subcommand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from ruamel.yaml import YAML

from ledger_cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
CHECK_JSONSCHEMA = str(Path(sys.executable).with_name("check-jsonschema"))
LEDGER_SERVICES = {"migrate", "api", "consumer", "relay", "projections", "anchor", "remind", "webhooks"}


def services() -> dict[str, Any]:
    document = YAML(typ="safe").load(COMPOSE.read_text(encoding="utf-8"))
    return dict(document["services"])


def resolve(argv: list[str]) -> click.Context:
    """Walk the click group down the subcommands of ``argv`` and parse the leaf's options (nothing runs)."""
    command: click.Command = cli
    rest = list(argv)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        name = rest.pop(0)
        assert name in command.commands, f"`{' '.join(argv)}`: {name!r} is not a subcommand of {command.name!r}"
        command = command.commands[name]
    return command.make_context(command.name or "", rest)


def test_the_compose_file_validates_against_the_compose_specification_offline() -> None:
    result = subprocess.run([CHECK_JSONSCHEMA, "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_ledger_service_command_names_a_real_subcommand_with_valid_options() -> None:
    found = services()
    assert set(found) >= LEDGER_SERVICES
    for name in LEDGER_SERVICES:
        command = found[name]["command"]
        assert command[0] == "ledger", name
        resolve(command[1:])
    for name in ("consumer", "relay", "projections", "anchor", "remind", "webhooks"):
        test = found[name]["healthcheck"]["test"]
        assert test[:2] == ["CMD", "ledger"], name
        resolve(test[2:])


def test_a_command_that_is_not_a_ledger_subcommand_or_has_an_unknown_option_is_caught() -> None:
    with pytest.raises(AssertionError, match="publish-everything"):
        resolve(["publish-everything"])
    with pytest.raises(click.UsageError):
        resolve(["consume", "--no-such-option"])


def test_the_stack_has_postgres_kafka_in_kraft_mode_and_health_checks_and_dependencies_that_exist() -> None:
    found = services()
    assert found["kafka"]["image"].startswith("apache/kafka:")
    assert "controller" in found["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]
    assert found["postgres"]["image"].startswith("postgres:")
    for name, service in found.items():
        if name != "migrate":
            assert "healthcheck" in service, f"{name} has no health check"
        for dependency in service.get("depends_on", {}):
            assert dependency in found, f"{name} depends on undefined service {dependency}"
    assert found["projections"]["command"][-2:] == ["--source", "kafka"]


def test_every_path_the_dockerfile_copies_exists_and_the_image_runs_the_ledger_command() -> None:
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    copied = [part for line in lines if line.startswith("COPY ") for part in line.split()[1:-1]]
    assert copied and all((ROOT / path).exists() for path in copied), copied
    assert any(line.startswith("RUN pip install .") for line in lines)
    assert set(services()["api"]["depends_on"]) == {"postgres", "migrate"}


def test_the_services_run_as_a_non_superuser_role_and_migrate_as_the_owner_granting_it() -> None:
    found = services()
    init = (ROOT / "deploy" / "postgres-init.sql").read_text(encoding="utf-8")
    mount = next(v for v in found["postgres"]["volumes"] if "postgres-init.sql" in v)
    assert mount.startswith("./deploy/postgres-init.sql:/docker-entrypoint-initdb.d/")
    assert "CREATE ROLE ledger LOGIN PASSWORD 'ledger' NOSUPERUSER" in init
    assert "CREATE DATABASE ledger OWNER ledger_owner" in init
    for name in LEDGER_SERVICES - {"migrate"}:
        assert found[name]["environment"]["LEDGER_DATABASE_URL"].startswith("postgresql://ledger:ledger@"), name
    migrate = found["migrate"]["environment"]
    assert migrate["LEDGER_DATABASE_URL"].startswith("postgresql://ledger_owner:")
    assert migrate["LEDGER_SERVICE_ROLE"] == "ledger"
