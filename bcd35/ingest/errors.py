"""What goes wrong with a file, in words a clerk can act on (Vietnamese, English beside it)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class CellError:
    """One problem in a file: where it is (sheet, line, column), the value, why, and the fix.

    ``line`` is the physical line of a CSV file or the row number of an XLSX sheet, as the clerk
    sees it in a text editor or in Excel; ``column`` is the header text as written in the file.
    File-level problems (unreadable, no matching header, …) have no line or column.
    """

    reason_vi: str
    reason_en: str
    line: int | None = None
    column: str | None = None
    value: str | None = None
    sheet: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FileRejected(Exception):
    """The whole file cannot be read as any kind; carries the reason and the closest kind."""

    def __init__(self, reason_vi: str, reason_en: str, *, kind_guess: str | None = None,
                 line: int | None = None, sheet: str | None = None) -> None:
        super().__init__(f"{reason_vi} / {reason_en}")
        self.error = CellError(reason_vi, reason_en, line=line, sheet=sheet)
        self.kind_guess = kind_guess


def cell_text(value: object) -> str:
    """A cell as text for a report (the value the clerk will look for)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)
