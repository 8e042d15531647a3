"""The stored-event transcoder: what is encoded decodes as it was."""

from __future__ import annotations

from infrastructure.transcodings import LedgerTranscoder


def test_a_user_dict_shaped_like_an_encoded_object_decodes_as_the_dict_it_was() -> None:
    transcoder = LedgerTranscoder()
    value = {"allocations": {"_type_": 100, "_data_": 100}}
    assert transcoder.decode(transcoder.encode(value)) == value
