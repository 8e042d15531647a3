"""Bounded pauses between retries of a transient failure (database or broker down)."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass
class Backoff:
    """Pauses between retries of a transient failure: doubling from first_s, never above max_s."""

    first_s: float = 0.1
    max_s: float = 5.0
    current_s: float = 0.0

    def pause(self, stop: threading.Event) -> None:
        self.current_s = min(self.max_s, self.current_s * 2 or self.first_s)
        stop.wait(self.current_s)

    def reset(self) -> None:
        self.current_s = 0.0
