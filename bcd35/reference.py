"""Reference lookups: the value domains of docs/formats.md, read once from ``seeds/reference/``.

Each lookup turns what a clerk typed (any case, with or without diacritics, either tone-mark
placement, optional prefix such as ``Xã``/``Thị trấn``/``TT.``) into a canonical code. Matching
uses :func:`bcd35.vietnamese.normalize_key`; the diacritic-free fold is a fallback used only when
it points at exactly one code (``Binh Xa`` must not guess between ``Bình Xa`` and ``Bạch Xa``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bcd35.config import REFERENCE_DIR
from bcd35.vietnamese import fold_key, normalize_key

DISTRICT_LEVEL = "Huyện"
_COMMUNE_PREFIX = re.compile(r"^(?:xã\s+|thị\s+trấn\s+|tt\.\s*|tt\s+)")
_COMMUNE_PREFIX_FOLDED = re.compile(r"^(?:xa\s+|thi\s+tran\s+|tt\.\s*|tt\s+)")


@dataclass(frozen=True)
class Lookup:
    """Text → code for one value domain."""

    domain_vi: str  # what the values are, for messages ("Loại hội nghị")
    labels: tuple[str, ...]  # the canonical spellings, for messages
    exact: Mapping[str, str]  # normalize_key(text) -> code
    folded: Mapping[str, frozenset[str]]  # fold_key(text) -> codes
    strip_prefix: re.Pattern[str] | None = None
    strip_prefix_folded: re.Pattern[str] | None = None

    def code(self, text: str) -> str | None:
        """The code for ``text``, or ``None`` when it is not in the domain."""
        key = normalize_key(text)
        for candidate in self._variants(key, self.strip_prefix):
            if candidate in self.exact:
                return self.exact[candidate]
        folded = fold_key(text)
        for candidate in self._variants(folded, self.strip_prefix_folded):
            codes = self.folded.get(candidate, frozenset())
            if len(codes) == 1:
                return next(iter(codes))
        return None

    @staticmethod
    def _variants(key: str, prefix: re.Pattern[str] | None) -> list[str]:
        if prefix is None:
            return [key]
        stripped = prefix.sub("", key, count=1)
        return [key] if stripped == key else [key, stripped]


def _build(domain_vi: str, labels: Iterable[str], pairs: Iterable[tuple[str, str]],
           **prefixes: re.Pattern[str]) -> Lookup:
    exact: dict[str, str] = {}
    folded: dict[str, set[str]] = {}
    for text, code in pairs:
        if not text.strip():
            continue
        exact.setdefault(normalize_key(text), code)
        folded.setdefault(fold_key(text), set()).add(code)
    return Lookup(domain_vi, tuple(labels), exact,
                  {k: frozenset(v) for k, v in folded.items()}, **prefixes)


def _read_csv(reference_dir: Path, name: str) -> list[dict[str, str]]:
    with (reference_dir / name).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _aliases(row: Mapping[str, str], code_col: str, name_col: str) -> list[tuple[str, str]]:
    code = row[code_col]
    texts = [row[name_col], code, *(row.get("bi_danh") or "").split("|")]
    return [(text, code) for text in texts]


@lru_cache(maxsize=4)
def communes(reference_dir: Path = REFERENCE_DIR) -> Lookup:
    """``Xã/Thị trấn`` → GSO code (``02374`` …), ``Huyện``/``Cấp huyện`` → district code."""
    rows = _read_csv(reference_dir, "communes.csv")
    pairs: list[tuple[str, str]] = []
    labels: list[str] = []
    for row in rows:
        code, name, level = row["ma_dvhc"], row["ten_dvhc"], row["loai_dvhc"]
        if level == DISTRICT_LEVEL:
            pairs += [(DISTRICT_LEVEL, code), (f"Cấp {DISTRICT_LEVEL.lower()}", code),
                      (f"{DISTRICT_LEVEL} {name}", code), (name, code)]
            labels.append(DISTRICT_LEVEL)
        else:
            pairs += [(name, code), (f"{level} {name}", code)]
            labels.append(f"{level} {name}")
    return _build("Xã/Thị trấn", labels, pairs, strip_prefix=_COMMUNE_PREFIX,
                  strip_prefix_folded=_COMMUNE_PREFIX_FOLDED)


@lru_cache(maxsize=4)
def meeting_kinds(reference_dir: Path = REFERENCE_DIR) -> Lookup:
    """``Loại hội nghị`` (name or alias) → ``thong_tin_thoi_su`` …"""
    rows = _read_csv(reference_dir, "meeting_kinds.csv")
    pairs = [pair for row in rows for pair in _aliases(row, "ma_loai", "ten_loai")]
    return _build("Loại hội nghị", [row["ten_loai"] for row in rows], pairs)


@lru_cache(maxsize=4)
def platforms(reference_dir: Path = REFERENCE_DIR) -> Lookup:
    """``Nền tảng`` (name or alias) → ``facebook`` …"""
    rows = _read_csv(reference_dir, "platforms.csv")
    pairs = [pair for row in rows for pair in _aliases(row, "ma_nen_tang", "ten_nen_tang")]
    return _build("Nền tảng", [row["ten_nen_tang"] for row in rows], pairs)


COMMENDATION_FORMS: tuple[tuple[str, str], ...] = (
    ("Khen thưởng", "khen_thuong"),
    ("Biểu dương", "bieu_duong"),
)
COMMENDATION_TARGETS: tuple[tuple[str, str], ...] = (
    ("Tập thể", "tap_the"),
    ("Cá nhân", "ca_nhan"),
)


@lru_cache(maxsize=1)
def commendation_forms() -> Lookup:
    """Commendation ``Hình thức``: ``Khen thưởng`` → ``khen_thuong``, ``Biểu dương`` → …"""
    pairs = [*COMMENDATION_FORMS, *((code, code) for _, code in COMMENDATION_FORMS)]
    return _build("Hình thức", [label for label, _ in COMMENDATION_FORMS], pairs)


@lru_cache(maxsize=1)
def commendation_targets() -> Lookup:
    """Commendation ``Đối tượng``: ``Tập thể`` → ``tap_the``, ``Cá nhân`` → ``ca_nhan``."""
    pairs = [*COMMENDATION_TARGETS, *((code, code) for _, code in COMMENDATION_TARGETS)]
    return _build("Đối tượng", [label for label, _ in COMMENDATION_TARGETS], pairs)


def commune_code(text: str) -> str | None:
    return communes().code(text)


def meeting_kind_code(text: str) -> str | None:
    return meeting_kinds().code(text)


def platform_code(text: str) -> str | None:
    return platforms().code(text)


def commendation_form_code(text: str) -> str | None:
    return commendation_forms().code(text)


def commendation_target_code(text: str) -> str | None:
    return commendation_targets().code(text)
