"""Snapshot support: the aggregate's state dataclasses as JSON objects."""

from __future__ import annotations

import dataclasses
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding


def dataclass_transcoding(cls: type) -> Transcoding:
    names = [f.name for f in dataclasses.fields(cls)]

    class _Transcoding(Transcoding):
        type = cls
        name = f"ledger.{cls.__name__}"

        def encode(self, obj: Any) -> dict[str, Any]:
            return {n: getattr(obj, n) for n in names}

        def decode(self, data: Any) -> Any:
            return cls(**data)

    return _Transcoding()


def register_state_transcodings(transcoder: JSONTranscoder, classes: tuple[type, ...]) -> None:
    for cls in classes:
        transcoder.register(dataclass_transcoding(cls))
