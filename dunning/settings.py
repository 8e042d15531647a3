"""What the dispatcher is told: the SMTP server (the service's settings, read at the entry point) and each account's
policy.

SMTP: ``LEDGER_SMTP_HOST``, ``LEDGER_SMTP_PORT``, ``LEDGER_SMTP_SECURITY`` (``none``, ``starttls`` or ``ssl``),
``LEDGER_SMTP_USERNAME``, ``LEDGER_SMTP_PASSWORD``, ``LEDGER_SMTP_FROM`` and ``LEDGER_SMTP_TIMEOUT``
(``infrastructure.settings.Settings``).
The account policy (``GET/PUT /v1/settings/dunning``): ``mode`` (``auto`` sends, ``review`` keeps drafts for
approval), ``holidays`` (ISO dates on which nothing is sent) and ``quiet_weekdays`` (0 = Monday; default Saturday
and Sunday), ``letter_channel`` (how the letter before action goes: ``post`` or ``certified_mail``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from infrastructure.settings import Settings
from ledger import dates
from ledger.errors import ConfigurationError, ValidationError

SECURITY = ("none", "starttls", "ssl")
MODES = ("auto", "review")
LETTER_CHANNELS = ("post", "certified_mail")
HOLIDAYS_MAX = 400
SEARCH_DAYS_MAX = 31  # a policy that leaves no working day in a month is refused


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    security: str = "none"
    username: str | None = None
    password: str | None = None
    sender: str = "ledger@localhost"
    timeout_s: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings, **given: Any) -> SmtpSettings:
        """The ``smtp_*`` fields of the service's settings, then the options given (None means not given)."""
        values: dict[str, Any] = {
            "host": settings.smtp_host,
            "port": settings.smtp_port,
            "security": settings.smtp_security,
            "username": settings.smtp_username,
            "password": settings.smtp_password,
            "sender": settings.smtp_from,
            "timeout_s": settings.smtp_timeout,
        }
        values.update({k: v for k, v in given.items() if v is not None})
        if values["security"] not in SECURITY:
            raise ConfigurationError(f"the SMTP security must be one of {SECURITY}")
        return cls(**values)

    @property
    def domain(self) -> str:
        """The right-hand side of every Message-ID: the sender's domain."""
        return self.sender.rpartition("@")[2] or "localhost"


@dataclass(frozen=True)
class Policy:
    mode: str = "auto"
    holidays: tuple[str, ...] = ()
    quiet_weekdays: tuple[int, ...] = (5, 6)
    letter_channel: str = "post"

    @classmethod
    def of(cls, data: Mapping[str, Any] | None) -> Policy:
        """A policy from its stored or submitted form, checked (ValidationError names the field)."""
        data = dict(data or {})
        mode, channel = data.get("mode", cls.mode), data.get("letter_channel", cls.letter_channel)
        if mode not in MODES:
            raise ValidationError(f"mode must be one of {MODES}", {"mode": ["invalid"]})
        if channel not in LETTER_CHANNELS:
            raise ValidationError(f"letter_channel must be one of {LETTER_CHANNELS}", {"letter_channel": ["invalid"]})
        holidays = tuple(sorted({str(d) for d in data.get("holidays", ())}))
        weekdays = tuple(sorted(set(data.get("quiet_weekdays", cls.quiet_weekdays))))
        if len(holidays) > HOLIDAYS_MAX:
            raise ValidationError(f"at most {HOLIDAYS_MAX} holidays", {"holidays": ["too many"]})
        if any(not isinstance(d, int) or not 0 <= d <= 6 for d in weekdays) or len(weekdays) > 5:
            raise ValidationError(
                "quiet_weekdays are 0 (Monday) to 6 (Sunday), at most five of them", {"quiet_weekdays": ["invalid"]}
            )
        policy = cls(mode, holidays, weekdays, channel)
        for holiday in holidays:
            try:
                date.fromisoformat(holiday)
            except ValueError:
                raise ValidationError(f"holiday {holiday!r} is not an ISO date", {"holidays": ["invalid"]}) from None
        return policy

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {**data, "holidays": list(self.holidays), "quiet_weekdays": list(self.quiet_weekdays)}

    def is_quiet(self, day: str) -> bool:
        return day in self.holidays or date.fromisoformat(day).weekday() in self.quiet_weekdays

    def send_day(self, day: str) -> str:
        """``day`` itself if it is a working day, else the next one."""
        for offset in range(SEARCH_DAYS_MAX):
            candidate = dates.add_days(day, offset)
            if not self.is_quiet(candidate):
                return candidate
        raise ValidationError("the quiet days leave no working day within a month", {"holidays": ["no working day"]})


@dataclass(frozen=True)
class Schedule:
    """How often the worker looks and how it retries: everything bounded."""

    poll_s: float = 60.0
    lease_s: float = 120.0
    backoff_s: float = 60.0
    backoff_max_s: float = 3600.0
    attempts_max: int = 8
    owner: str = field(default="")

    def backoff(self, failures: int) -> float:
        return float(min(self.backoff_max_s, self.backoff_s * 2 ** max(0, failures - 1)))
