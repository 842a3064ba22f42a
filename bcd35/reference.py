"""Reference lookups: the value domains of docs/formats.md, read once from ``seeds/reference/``.

Each lookup turns what a clerk typed (any case, with or without diacritics, either tone-mark
placement, optional prefix such as ``Xã``/``Thị trấn``/``TT.``) into a canonical code. Matching
uses :func:`bcd35.vietnamese.normalize_key`; the diacritic-free fold is a fallback used only when
it points at exactly one code (``Binh Xa`` must not guess between ``Bình Xa`` and ``Bạch Xa``).

Communes depend on the date of the row (docs/formats.md#communes): before the arrangement of
1 July 2025 the 18 pre-2025 units and the district (``Huyện``), from that day the 8 new xã
(``commune_merger_2025.csv``). :func:`resolve_commune` picks the list in force and says, in the
clerk's words, why a name of the other list is refused.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from bcd35.config import REFERENCE_DIR
from bcd35.vietnamese import VnParseError, fold_key, normalize_key

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
    # codes a name only reaches without a prefix: "Xã Hàm Yên" is not the district "Hàm Yên"
    bare_only: frozenset[str] = frozenset()

    def code(self, text: str) -> str | None:
        """The code for ``text``, or ``None`` when it is not in the domain."""
        key = normalize_key(text)
        for candidate, stripped in self._variants(key, self.strip_prefix):
            found = self.exact.get(candidate)
            if found is not None and not (stripped and found in self.bare_only):
                return found
        folded = fold_key(text)
        for candidate, stripped in self._variants(folded, self.strip_prefix_folded):
            codes = self.folded.get(candidate, frozenset())
            if stripped:
                codes = codes - self.bare_only
            if len(codes) == 1:
                return next(iter(codes))
        return None

    @staticmethod
    def _variants(key: str, prefix: re.Pattern[str] | None) -> list[tuple[str, bool]]:
        """``key`` and, when it starts with a prefix, ``key`` without it (flagged)."""
        if prefix is None:
            return [(key, False)]
        stripped = prefix.sub("", key, count=1)
        return [(key, False)] if stripped == key else [(key, False), (stripped, True)]


def _build(domain_vi: str, labels: Iterable[str], pairs: Iterable[tuple[str, str]],
           **options: object) -> Lookup:
    exact: dict[str, str] = {}
    folded: dict[str, set[str]] = {}
    for text, code in pairs:
        if not text.strip():
            continue
        exact.setdefault(normalize_key(text), code)
        folded.setdefault(fold_key(text), set()).add(code)
    return Lookup(domain_vi, tuple(labels), exact,
                  {k: frozenset(v) for k, v in folded.items()}, **options)  # type: ignore[arg-type]


def _read_csv(reference_dir: Path, name: str) -> list[dict[str, str]]:
    with (reference_dir / name).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _aliases(row: Mapping[str, str], code_col: str, name_col: str) -> list[tuple[str, str]]:
    code = row[code_col]
    texts = [row[name_col], code, *(row.get("bi_danh") or "").split("|")]
    return [(text, code) for text in texts]


@lru_cache(maxsize=4)
def communes(reference_dir: Path = REFERENCE_DIR) -> Lookup:
    """Before 1 July 2025: ``Xã/Thị trấn`` of a pre-2025 unit → its GSO code (``02374`` …),
    ``Huyện``/``Cấp huyện``/``Hàm Yên`` → the district code (never with a ``Xã`` prefix)."""
    rows = _read_csv(reference_dir, "communes.csv")
    pairs: list[tuple[str, str]] = []
    labels: list[str] = []
    district: set[str] = set()
    for row in rows:
        code, name, level = row["ma_dvhc"], row["ten_dvhc"], row["loai_dvhc"]
        if level == DISTRICT_LEVEL:
            pairs += [(DISTRICT_LEVEL, code), (f"Cấp {DISTRICT_LEVEL.lower()}", code),
                      (f"{DISTRICT_LEVEL} {name}", code), (name, code)]
            labels.append(DISTRICT_LEVEL)
            district.add(code)
        else:
            pairs += [(name, code), (f"{level} {name}", code)]
            labels.append(f"{level} {name}")
    return _build("Xã/Thị trấn", labels, pairs, strip_prefix=_COMMUNE_PREFIX,
                  strip_prefix_folded=_COMMUNE_PREFIX_FOLDED, bare_only=frozenset(district))


@dataclass(frozen=True)
class Merger:
    """The arrangement of commune-level units (``commune_merger_2025.csv``)."""

    effective: date  # the first day of the new list (1 July 2025)
    into: Mapping[str, str]  # pre-2025 unit code -> new xã code
    labels_old: Mapping[str, str]  # pre-2025 unit code -> "Xã Minh Dân" / "Thị trấn Tân Yên"
    labels_new: Mapping[str, str]  # new xã code -> "Xã Phù Lưu"

    def parts(self, new_code: str) -> list[str]:
        """The pre-2025 units a new xã was made of, as clerks wrote them."""
        return [self.labels_old[old] for old, new in self.into.items() if new == new_code]


@lru_cache(maxsize=4)
def merger(reference_dir: Path = REFERENCE_DIR) -> Merger:
    """The arrangement as the ingest and the docs use it; one effective date for every row."""
    old = {row["ma_dvhc"]: f"{row['loai_dvhc']} {row['ten_dvhc']}"
           for row in _read_csv(reference_dir, "communes.csv")}
    rows = _read_csv(reference_dir, "commune_merger_2025.csv")
    dates = {row["effective_date"] for row in rows}
    if len(dates) != 1:
        raise ValueError(f"commune_merger_2025.csv: one effective_date expected, got {dates}")
    return Merger(
        effective=date.fromisoformat(dates.pop()),
        into={row["commune_code"]: row["commune_code_2025"] for row in rows},
        labels_old={row["commune_code"]: old[row["commune_code"]] for row in rows},
        labels_new={row["commune_code_2025"]:
                    f"{row['unit_type_2025_vi']} {row['commune_name_2025_vi']}"
                    for row in sorted(rows, key=lambda r: r["commune_code_2025"])})


@lru_cache(maxsize=4)
def communes_2025(reference_dir: Path = REFERENCE_DIR) -> Lookup:
    """From 1 July 2025: ``Xã/Thị trấn`` of one of the 8 new xã → its GSO code (``Xã Hàm Yên``
    → ``02374``; the new codes reuse the code of one of the merged units)."""
    rows = _read_csv(reference_dir, "commune_merger_2025.csv")
    pairs: list[tuple[str, str]] = []
    for row in rows:
        code, name = row["commune_code_2025"], row["commune_name_2025_vi"]
        pairs += [(name, code), (f"{row['unit_type_2025_vi']} {name}", code)]
    return _build("Xã/Thị trấn", list(merger(reference_dir).labels_new.values()), pairs,
                  strip_prefix=_COMMUNE_PREFIX, strip_prefix_folded=_COMMUNE_PREFIX_FOLDED)


def _vn_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def unknown_value(text: str, domain_vi: str, labels: Iterable[str], when_vi: str = "",
                  when_en: str = "") -> VnParseError:
    """The clerk's message for a value outside its domain (with the valid ones)."""
    accepted = "; ".join(labels)
    vi_when, en_when = (f" {when_vi}", f" {when_en}") if when_vi else ("", "")
    return VnParseError(
        f"'{text}' không có trong danh mục {domain_vi}{vi_when}. Giá trị hợp lệ: {accepted}.",
        f"'{text}' is not a known {domain_vi} value{en_when}. Accepted: {accepted}.")


def resolve_commune(text: str, *, day: date | None = None, year: int | None = None,
                    reference_dir: Path = REFERENCE_DIR) -> str:
    """The GSO code of the unit ``text`` names in the list in force on ``day``
    (docs/formats.md#communes): before the arrangement's effective date (1 July 2025) a
    pre-2025 unit or the district, from that day one of the new xã. With only a ``year`` (a
    register without dates), that year's list, or both lists in the year of the arrangement
    when they agree; with neither, both lists. Raises :class:`VnParseError` with the clerk's
    message: a name of the other list, an unknown name, a name the two lists read differently.
    """
    effective = merger(reference_dir).effective
    if day is not None:
        lists = "new" if day >= effective else "old"
        when = (f"(dòng ngày {_vn_date(day)})", f"(a line dated {_vn_date(day)})")
    elif year is not None:
        starts_year = (effective.month, effective.day) == (1, 1)
        lists = ("old" if year < effective.year
                 else "new" if year > effective.year or starts_year else "both")
        when = (f"(năm {year})", f"(year {year})")
    else:
        lists, when = "both", ("", "")
    return _resolve(text, lists, *when, reference_dir)


@lru_cache(maxsize=4096)
def _codes(text: str, reference_dir: Path) -> tuple[str | None, str | None]:
    """What ``text`` names in the pre-2025 list and in the 2025 list."""
    return communes(reference_dir).code(text), communes_2025(reference_dir).code(text)


def _resolve(text: str, lists: str, when_vi: str, when_en: str, reference_dir: Path) -> str:
    old, new, m = communes(reference_dir), communes_2025(reference_dir), merger(reference_dir)
    old_code, new_code = _codes(text, reference_dir)
    since = _vn_date(m.effective)

    def old_label(code: str) -> str:
        return DISTRICT_LEVEL if code in old.bare_only else m.labels_old[code]

    if lists == "old":
        if old_code is not None:
            return old_code
        if new_code is not None:
            made_of = ", ".join(m.parts(new_code))
            raise VnParseError(
                f"'{text}' là xã mới, chỉ có từ ngày {since} {when_vi}; trước ngày đó nơi này "
                f"là {made_of}. Hãy ghi đơn vị cũ nơi tổ chức, hoặc «{DISTRICT_LEVEL}» cho cấp "
                f"huyện; nếu ngày ghi sai, hãy sửa ngày.",
                f"'{text}' is a new xã, in force only from {since} {when_en}; before that day "
                f"the place was {made_of}. Write the old unit where it took place, or "
                f"'{DISTRICT_LEVEL}' for district level; if the date is wrong, correct the date.")
        raise unknown_value(text, old.domain_vi, old.labels, when_vi, when_en)
    if lists == "new":
        if new_code is not None:
            return new_code
        if old_code is not None and old_code in old.bare_only:
            raise VnParseError(
                f"'{text}': cấp huyện không còn từ ngày {since} {when_vi}. Hãy ghi xã nơi tổ "
                f"chức: {'; '.join(new.labels)}.",
                f"'{text}': the district level no longer exists from {since} {when_en}. Write "
                f"the xã where it took place: {'; '.join(new.labels)}.")
        if old_code is not None:
            into = m.labels_new[m.into[old_code]]
            raise VnParseError(
                f"'{text}' là đơn vị cũ: từ ngày {since} đã nhập vào {into} {when_vi}. Hãy ghi "
                f"«{into}».",
                f"'{text}' is a former unit: from {since} it is part of {into} {when_en}. "
                f"Write '{into}'.")
        raise unknown_value(text, new.domain_vi, new.labels, when_vi, when_en)
    if old_code is not None and new_code is not None and old_code != new_code:
        before, after = old_label(old_code), m.labels_new[new_code]
        raise VnParseError(
            f"'{text}' {when_vi} có hai nghĩa: trước ngày {since} là «{before}», từ ngày đó là "
            f"«{after}». Hãy ghi rõ «{before}» hoặc «{after}».",
            f"'{text}' {when_en} has two meanings: before {since} '{before}', from that day "
            f"'{after}'. Write '{before}' or '{after}' in full.")
    found = old_code if old_code is not None else new_code
    if found is None:
        labels = [*old.labels, *(label for label in new.labels if label not in old.labels)]
        raise unknown_value(text, old.domain_vi, labels, when_vi, when_en)
    return found


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
    """The pre-2025 unit (or the district) ``text`` names; see :func:`resolve_commune`."""
    return communes().code(text)


def meeting_kind_code(text: str) -> str | None:
    return meeting_kinds().code(text)


def platform_code(text: str) -> str | None:
    return platforms().code(text)


def commendation_form_code(text: str) -> str | None:
    return commendation_forms().code(text)


def commendation_target_code(text: str) -> str | None:
    return commendation_targets().code(text)
