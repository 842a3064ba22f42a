"""Vietnamese display of numbers in reports: ``9.960``, ``1,53``, ``2,4 triệu``."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from bcd35.vietnamese import format_vn_int


def format_vn_number(value: float | int, decimals: int = 2) -> str:
    """Integers with ``.`` thousands; other numbers with a ``,`` decimal comma."""
    if float(value).is_integer():
        return format_vn_int(int(value))
    q = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    whole, _, frac = f"{q:f}".partition(".")
    return f"{format_vn_int(int(whole))},{frac}"


def format_vn_millions(value: float | int) -> str:
    """A rounded figure in words, as the reviews write it: ``2435999`` → ``2,4 triệu``."""
    q = (Decimal(str(value)) / Decimal(1_000_000)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{q:f}".replace(".", ",") + " triệu"
