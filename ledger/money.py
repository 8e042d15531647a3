"""Money: integer minor units and an ISO 4217 code. No floats anywhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.errors import CurrencyMismatch, InvalidAmount, UnknownCurrency

# ISO 4217 codes the ledger accepts, with their minor-unit exponent.
CURRENCIES: dict[str, int] = {
    "AUD": 2, "BGN": 2, "BRL": 2, "CAD": 2, "CHF": 2, "CNY": 2, "CZK": 2, "DKK": 2,
    "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "INR": 2, "ISK": 0, "JPY": 0, "KRW": 0,
    "MXN": 2, "NOK": 2, "NZD": 2, "PLN": 2, "RON": 2, "SEK": 2, "SGD": 2, "USD": 2,
    "ZAR": 2, "KWD": 3, "BHD": 3,
}

# A limit on every amount: 10^15 minor units (ten trillion in a 2-decimal currency).
AMOUNT_MAX = 10**15



def check_currency(code: Any) -> str:
    if not isinstance(code, str) or code not in CURRENCIES:
        raise UnknownCurrency(f"unknown currency {code!r}: use an ISO 4217 code such as EUR", currency=str(code))
    return code


def check_amount(amount: Any, *, allow_zero: bool = False, field: str = "amount") -> int:
    """Return ``amount`` as minor units, or refuse it. ``bool`` and ``float`` are refused."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidAmount(f"{field} must be an integer number of minor units", field=field)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidAmount(f"{field} must be greater than zero", field=field)
    if amount > AMOUNT_MAX:
        raise InvalidAmount(f"{field} exceeds the limit of {AMOUNT_MAX} minor units", field=field)
    return amount


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    @classmethod
    def of(cls, value: Any, currency: str, *, allow_zero: bool = False, field: str = "amount") -> int:
        """Accept ``{"amount": n, "currency": c}`` or a ``Money`` in ``currency``; return minor units."""
        if isinstance(value, Money):
            amount, code = value.amount, value.currency
        elif isinstance(value, dict) and set(value) == {"amount", "currency"}:
            amount, code = value["amount"], value["currency"]
        else:
            raise InvalidAmount(f"{field} must be {{'amount': <minor units>, 'currency': <ISO 4217>}}", field=field)
        check_currency(code)
        if code != currency:
            raise CurrencyMismatch(
                f"{field} is in {code} but the contract is in {currency}", field=field, currency=code
            )
        return check_amount(amount, allow_zero=allow_zero, field=field)

    def to_dict(self) -> dict[str, Any]:
        return {"amount": self.amount, "currency": self.currency}

    def format(self) -> str:
        return format_minor(self.amount, self.currency)


def format_minor(amount: int, currency: str) -> str:
    """``format_minor(123456, "EUR") == "EUR 1,234.56"`` (exact, integer arithmetic)."""
    exponent = CURRENCIES.get(currency, 2)
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**exponent)
    text = f"{whole:,}" + (f".{frac:0{exponent}d}" if exponent else "")
    return f"{sign}{currency} {text}"
