"""What a report file says it is: a working draft or a filed release (provisional or final).

A draft in ``exports/Y/`` is rewritten after every publication; a release never changes. The
two must not be mistaken for each other on paper, so every page of the Word file, every sheet
of the workbook and the page say which one they are, with the build the figures came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

DRAFT_VI, DRAFT_EN = "DỰ THẢO", "draft"
PROVISIONAL_VI, PROVISIONAL_EN = "SỐ LIỆU SƠ BỘ", "provisional"


@dataclass(frozen=True)
class Stamp:
    kind: str  # "draft" | "release"
    build_id: str
    number: int | None = None  # the release's N
    provisional: bool = False
    date: date | None = None  # the release's date

    @property
    def is_release(self) -> bool:
        return self.kind == "release"

    def lines(self) -> list[str]:
        """One line per fact, Vietnamese first, English beside."""
        if not self.is_release:
            return [f"{DRAFT_VI} / {DRAFT_EN} — bản dữ liệu / build {self.build_id}"]
        day = self.date.strftime("%d/%m/%Y") if self.date else "…"
        lines = [f"Bản phát hành r{self.number}, ngày {day} / release r{self.number}, "
                 f"{self.date.isoformat() if self.date else ''} — bản dữ liệu / build "
                 f"{self.build_id}"]
        if self.provisional:
            lines.insert(0, f"{PROVISIONAL_VI} / {PROVISIONAL_EN}")
        return lines

    def text(self) -> str:
        return " — ".join(self.lines())


def draft(build_id: str) -> Stamp:
    return Stamp(kind="draft", build_id=build_id)
