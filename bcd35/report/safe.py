"""Formula-injection-safe text cells for CSV and XLSX exports (OWASP CSV injection)."""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_text(value: str) -> str:
    """Prefix a text that a spreadsheet would read as a formula with an apostrophe."""
    if value and value.lstrip(" ").startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
