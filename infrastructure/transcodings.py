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


class LedgerTranscoder(JSONTranscoder):
    """Decodes ``{"_type_": ..., "_data_": ...}`` only for registered type names.

    The library treats any two-key dict with those keys as an encoded object; a
    user's dict that happened to look like one must come back as the dict it was.
    """

    def _decode_obj(self, d: dict[str, Any]) -> Any:
        if len(d) == 2 and isinstance(d.get("_type_"), str) and "_data_" in d and d["_type_"] in self.names:
            return self.names[d["_type_"]].decode(d["_data_"])
        return d


def register_state_transcodings(transcoder: JSONTranscoder, classes: tuple[type, ...]) -> None:
    for cls in classes:
        transcoder.register(dataclass_transcoding(cls))
