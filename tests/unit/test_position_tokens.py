"""X-Ledger-Position tokens: they carry the position for read-your-writes and show nothing of the counter."""

from __future__ import annotations

import re

import pytest

from api.positions import seal, unseal
from ledger.errors import ValidationError

KEY, OTHER_KEY = b"k" * 32, b"o" * 32


@pytest.mark.parametrize("position", [0, 1, 2, 41_999, 2**62])
def test_a_token_opens_to_its_position_with_the_same_key(position: int) -> None:
    token = seal(KEY, position)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", token)
    assert unseal(KEY, token) == position


def test_neighbouring_positions_give_unrelated_tokens_that_are_not_numbers() -> None:
    tokens = [seal(KEY, position) for position in range(100, 110)]
    assert len(set(tokens)) == 10
    assert not any(token.isdigit() or str(100 + i) in token for i, token in enumerate(tokens))
    # no shared prefix or suffix that would let a tenant order them
    assert len({t[:4] for t in tokens}) > 5 and len({t[-4:] for t in tokens}) > 5


@pytest.mark.parametrize("token", ["", "12", "-1", "A" * 22, "A" * 21 + "!", "x" * 200])
def test_anything_but_a_token_this_service_issued_is_refused(token: str) -> None:
    with pytest.raises(ValidationError):
        unseal(KEY, token)


def test_a_token_of_another_deployment_or_an_altered_one_is_refused() -> None:
    token = seal(KEY, 12345)
    with pytest.raises(ValidationError):
        unseal(OTHER_KEY, token)
    altered = token[:5] + ("B" if token[5] != "B" else "C") + token[6:]
    with pytest.raises(ValidationError):
        unseal(KEY, altered)
