"""schemathesis against /openapi.json: no 5xx, only documented answers, and every request that breaks the document refused.

Bounded: 20 positive and 6 negative examples per operation on each store (about half a minute each).
Every generated request is authenticated as an account of its own and aimed
at a real contract of that account, so the summaries, statements and command
answers checked against the schema are real ones, not only 404s.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.core import NOT_SET

from tests.e2e.bodies import STORY_TERMS
from tests.e2e.server import Client, Server

REPLACED = {"contract_id", "Authorization"}  # set by this test on every request, whatever was generated
EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 6}  # per operation and store
# Every check that holds for a stateless run: positive_data_acceptance is left out because a generated, well-formed
# command may still break a business rule (422), and the stateful checks need links between operations.
REFUSALS_OF_VALID_SHAPE = (412, 413)  # a stale If-Match, a body over the size limit: refused, as they should be


def negative_data_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    """negative_data_rejection, also counting 412 and 413 as the refusals they are."""
    if response.status_code in REFUSALS_OF_VALID_SHAPE:
        return None
    result: bool | None = negative_data_rejection(ctx, response, case)
    return result


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_refused,
    missing_required_header,
    ignored_auth,
    unsupported_method,
]


@pytest.fixture(scope="module")
def fuzzed(server: Server) -> tuple[Client, str]:
    api = server.new_client("Schemathesis")
    return api, api.sign(STORY_TERMS)


def repaired(case: Any) -> bool:
    """True if every part a negative case broke is one this test replaces (the contract id, the API key).

    The request then sent is a valid one, and negative_data_rejection must not expect it refused.
    """
    meta = case.meta
    mutations = getattr(getattr(meta, "phase", None), "data", None)
    mutations = getattr(mutations, "mutations", ()) or ()
    names = {m.parameter or m.schema_pointer.rsplit("/", 1)[-1] for m in mutations}
    if mutations and names <= REPLACED:
        return True
    # nothing is left that could be invalid: no query, no body, and the path holds only what this test sets
    return not case.query and case.body is NOT_SET and set(case.path_parameters or {}) <= REPLACED


def check_operation(operation: Any, mode: GenerationMode, api: Client, contract_id: str) -> None:
    """Run the bounded examples of one operation; hypothesis raises the first failure it finds (shrunk).

    Positive examples follow the document; negative ones break it (wrong types, missing fields) and must
    still get a documented 4xx, never a 5xx.
    """

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        if "contract_id" in (case.path_parameters or {}):
            case.path_parameters["contract_id"] = contract_id
        if case.query:
            case.query.pop("min_position", None)  # waiting for a far future log position only slows the run
            case.query.pop("wait", None)  # nor does a long poll of the event feed test anything more
        checks = [c for c in CHECKS if c is not negative_data_refused] if repaired(case) else CHECKS
        case.call_and_validate(headers=api.headers(), checks=checks, timeout=30)

    run()


def test_generated_requests_get_no_server_error_and_only_documented_answers(
    server: Server, fuzzed: tuple[Client, str]
) -> None:
    api, contract_id = fuzzed
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 35
    failures = {}
    for operation, mode in ((op, mode) for op in operations for mode in EXAMPLES):
        try:
            check_operation(operation, mode, api, contract_id)
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE, operation.label  # no parameter to break: nothing negative to send
        except BaseException as error:  # hypothesis raises an exception group: collect all, report them together
            if isinstance(error, KeyboardInterrupt):
                raise
            failures[f"{operation.label} ({mode.value})"] = f"{type(error).__name__}: {error}"[:2000]
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
