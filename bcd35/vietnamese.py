"""Vietnamese text, numbers and dates: parse what clerks type, format what the report shows.

Pure functions, no I/O. Used by ingestion (matching headers and categories, parsing cells, telling
Vietnamese text from mojibake) and by the report (``format_vn_int``, ``format_vn_number``,
``format_vn_millions``). Every parse function either returns a value or raises
:class:`VnParseError`, whose reason is written for the clerk in Vietnamese with the English beside
it. Parse functions never return ``None``: a blank cell is the caller's business (see
:func:`is_blank` and :func:`parse_optional`).

Tone marks: the two spellings ``Hoà``/``Hòa``, ``uỷ``/``ủy``, ``thuý``/``thúy``, ``khoẻ``/``khỏe``
are the same word. :func:`normalize_text` writes them one way, with the mark on the first vowel of
an open ``oa``/``oe``/``uy`` ending (``Hòa``, ``ủy``, ``thúy``, ``khỏe``), which is the spelling the
reference data (``Thái Hòa``) and most administrative documents use.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

from bcd35.constants import TIMEZONE

T = TypeVar("T")

DEFAULT_TZ = TIMEZONE


class VnParseError(ValueError):
    """A value that cannot be read; ``reason_vi``/``reason_en`` say why and how to fix it."""

    def __init__(self, reason_vi: str, reason_en: str) -> None:
        super().__init__(f"{reason_vi} / {reason_en}")
        self.reason_vi = reason_vi
        self.reason_en = reason_en


# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------

_D_LOOKALIKES = str.maketrans({
    "\u00d0": "\u0110",  # Ð (Latin capital eth, as typed on some keyboards) -> Đ
    "\u0189": "\u0110",  # Ɖ (African D) -> Đ
    "\u00f0": "\u0111",  # ð (eth) -> đ
    "\u0256": "\u0111",  # ɖ (d with tail) -> đ
})
_INVISIBLE = str.maketrans({"\u200b": None, "\u200c": None, "\u200d": None, "\ufeff": None,
                            "\u00ad": None})
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng
_VOWELS = frozenset("aăâeêioôơuưy")
_OPEN_CLUSTERS = ("oa", "oe", "uy")
_WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=1 << 16)
def _retone_word(word: str) -> str:
    """Move the tone mark of an open ``oa``/``oe``/``uy`` ending onto its first vowel."""
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in _TONES]
    if len(tones) != 1:
        return word
    base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES))
    lower = base.lower()
    if len(lower) < 2 or lower[-2:] not in _OPEN_CLUSTERS:
        return word
    before = lower[-3] if len(lower) >= 3 else ""
    if before in _VOWELS or before == "q":  # "quý", "khuya"-like nuclei keep their mark
        return word
    target = len(base) - 2
    out = "".join(ch + tones[0] if i == target else ch for i, ch in enumerate(base))
    return unicodedata.normalize("NFC", out)


@lru_cache(maxsize=1 << 16)
def normalize_text(value: str) -> str:
    """NFC, one tone-mark placement, ``Ð``→``Đ``, invisible characters dropped, spaces collapsed."""
    text = unicodedata.normalize("NFC", value).translate(_D_LOOKALIKES).translate(_INVISIBLE)
    text = " ".join(text.split())
    return _WORD.sub(lambda m: _retone_word(m.group(0)), text)


@lru_cache(maxsize=1 << 16)
def normalize_key(value: str) -> str:
    """The matching form of a text: :func:`normalize_text`, then case-folded."""
    return unicodedata.normalize("NFC", normalize_text(value).casefold())


def strip_diacritics(value: str) -> str:
    """``Số đại biểu`` → ``So dai bieu`` (``đ``→``d``, ``Đ``→``D``)."""
    decomposed = unicodedata.normalize("NFD", value.translate(_D_LOOKALIKES))
    plain = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", plain.replace("đ", "d").replace("Đ", "D"))


def fold_key(value: str) -> str:
    """:func:`normalize_key` without diacritics: the loosest form used for matching."""
    return strip_diacritics(normalize_key(value))


@lru_cache(maxsize=1 << 12)
def fold_header(value: str) -> str:
    """A header cell in the form headers are compared in.

    Case, diacritics, tone placement and spacing do not matter, nor spaces around ``/`` and
    ``,``: ``So dai bieu`` == ``Số đại biểu``, ``Xã / Thị trấn`` == ``Xã/Thị trấn``.
    """
    folded = fold_key(value)
    folded = re.sub(r"\s*/\s*", "/", folded)
    return re.sub(r"\s*,\s*", ",", folded)


# --------------------------------------------------------------------------------------------
# Vietnamese text or mojibake?
# --------------------------------------------------------------------------------------------


def _vietnamese_letters() -> frozenset[str]:
    bases = "aăâeêioôơuưy"
    marks = ("", *sorted(_TONES))
    lower = {unicodedata.normalize("NFC", b + m) for b in bases for m in marks} | {"đ"}
    return frozenset(lower | {ch.upper() for ch in lower})


VIETNAMESE_LETTERS = _vietnamese_letters()  # every letter of the alphabet that is not ASCII
# Non-ASCII characters that turn up in Vietnamese office files besides letters.
_TYPOGRAPHY = frozenset("\u00a0\u00ab\u00bb\u00b0\u00b1\u00b2\u00b3\u00b7\u00d7\u00f7"
                        "\u00a7\u00a9\u00ae\u2013\u2014\u2018\u2019\u201c\u201d\u2026"
                        "\u2022\u2122\u20ab\u20ac\u00bd\u00bc\u00be\ufeff")


def implausible_characters(text: str) -> str:
    """The non-ASCII characters of ``text`` (NFC) that Vietnamese text would not contain.

    Used to accept a file decoded from a legacy code page only when the result reads as
    Vietnamese: a stray combining mark (a tone on a consonant), ``ñ``, ``ï``, ``¸``, ``µ`` …
    are the signs of a wrong guess (TCVN3, VNI or another code page).
    """
    odd = {ch for ch in unicodedata.normalize("NFC", text)
           if ord(ch) > 0x7F and ch not in VIETNAMESE_LETTERS and ch not in _TYPOGRAPHY}
    return "".join(sorted(odd))


_CP1252_CONTINUATION = (
    "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a"
    "\u20ac\u2122")
_MOJIBAKE = re.compile(f"[\u00c2-\u00ef][{_CP1252_CONTINUATION}]{{1,2}}")


def _in_utf8(lead: str, continuation: str) -> re.Pattern[bytes]:
    """A lead character of ``lead`` then one of ``continuation`` (character classes), matched
    in the text's UTF-8 bytes: the same places as the text pattern (UTF-8 spells each
    character alone, and a lead byte starts a character), found three times as fast, since a
    byte pattern that starts with a fixed byte is searched for that byte first."""
    def chars(cls: str) -> list[str]:  # both classes end before U+3000 (U+2122 the last)
        pattern = re.compile(f"[{cls}]")
        return [chr(c) for c in range(0x80, 0x3000) if pattern.match(chr(c))]

    def alternatives(members: list[str]) -> bytes:
        by_prefix: dict[bytes, list[int]] = {}
        for ch in members:
            spelled = ch.encode()
            by_prefix.setdefault(spelled[:-1], []).append(spelled[-1])
        return b"|".join(re.escape(prefix) + b"[" + b"".join(re.escape(bytes([last]))
                                                             for last in lasts) + b"]"
                         for prefix, lasts in sorted(by_prefix.items()))

    return re.compile(b"(?:" + alternatives(chars(lead)) + b")(?:"
                      + alternatives(chars(continuation)) + b")")


_MOJIBAKE_UTF8 = _in_utf8("\u00c2-\u00ef", _CP1252_CONTINUATION)


def _as_byte(ch: str) -> bytes:
    try:
        return ch.encode("cp1252")
    except UnicodeEncodeError:
        return bytes([ord(ch)]) if ord(ch) < 0x100 else b"?"


def find_mojibake(text: str) -> tuple[str, str] | None:
    """``(garbled, meant)`` when ``text`` holds UTF-8 read as Windows-1252 (``Há»™i``).

    A file saved as UTF-8, opened as "ANSI" and saved again spells every Vietnamese letter as
    two or three Latin-1 symbols. A sequence counts only when its bytes decode as UTF-8 to a
    Vietnamese letter, so real text (``XÃ HỘI``) is never taken for mojibake.

    Not cached: it reads whole files' texts (:func:`find_mojibake_in_cell` is, for cells).
    """
    if _MOJIBAKE_UTF8.search(text.encode("utf-8", "surrogatepass")) is None:
        return None  # no candidate at all (most files): the text pattern would find none
    for match in _MOJIBAKE.finditer(text):
        chunk = match.group(0)
        for end in (len(chunk), 2):
            raw = b"".join(_as_byte(ch) for ch in chunk[:end])
            try:
                meant = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if len(meant) == 1 and meant in VIETNAMESE_LETTERS:
                return chunk[:end], meant
    return None


@lru_cache(maxsize=1 << 16)
def find_mojibake_in_cell(text: str) -> tuple[str, str] | None:
    """:func:`find_mojibake` of one cell, cached: cells repeat (names, titles). A whole file's
    text must not go through a cache: a worker kept every file it read, 1.4 GiB of the 3 GiB
    a national ingest held (docs/performance.md#memory)."""
    return find_mojibake(text)


# --------------------------------------------------------------------------------------------
# Blanks
# --------------------------------------------------------------------------------------------


def is_blank(value: object) -> bool:
    """``None``, an empty or whitespace-only text, or a float NaN."""
    if value is None:
        return True
    if isinstance(value, str):
        if value[:1].isalnum():  # the common case, without building a new string
            return False
        return not value.translate(_INVISIBLE).strip()
    return isinstance(value, float) and math.isnan(value)


def parse_optional(parse: Callable[[object], T], value: object) -> T | None:
    """``None`` for a blank cell, else ``parse(value)`` (which raises on a bad value)."""
    return None if is_blank(value) else parse(value)


def _missing() -> VnParseError:
    return VnParseError("Ô trống: cần nhập giá trị.", "The cell is empty: a value is required.")


def _clean(value: str) -> str:
    return value.translate(_INVISIBLE).replace("\u00a0", " ").replace("\u202f", " ").strip()


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------

_PLAIN_INT = re.compile(r"[+-]?\d+")
_GROUPED_INT = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+")
_INT_HINT_VI = "Hãy ghi số nguyên, dấu chấm ngăn cách hàng nghìn (ví dụ 830, 9.960, 12.450.000)."
_INT_HINT_EN = "Write a whole number, with '.' between thousands (e.g. 830, 9.960, 12.450.000)."


def _int_from_float(value: float) -> int:
    if math.isfinite(value) and value == int(value):
        return int(value)
    raise VnParseError(f"'{value}' không phải số nguyên. {_INT_HINT_VI}",
                       f"'{value}' is not a whole number. {_INT_HINT_EN}")


def _int_from_text(value: str) -> int:
    text = _clean(value)
    if not text:
        raise _missing()
    if _PLAIN_INT.fullmatch(text):
        return int(text)
    if _GROUPED_INT.fullmatch(text):
        return int(text.replace(".", ""))
    if "," in text:
        raise VnParseError(
            f"'{text}' có dấu phẩy: trong số tiếng Việt dấu phẩy là dấu thập phân, số đếm phải là "
            f"số nguyên. {_INT_HINT_VI}",
            f"'{text}' contains a comma: in Vietnamese numbers the comma is the decimal mark, and "
            f"a count must be a whole number. {_INT_HINT_EN}")
    if re.fullmatch(r"[+-]?[\d.]+", text):
        raise VnParseError(
            f"'{text}' sai nhóm hàng nghìn (sau mỗi dấu chấm phải có đúng 3 chữ số). "
            f"{_INT_HINT_VI}",
            f"'{text}' has a wrong thousands grouping (each '.' must be followed by exactly 3 "
            f"digits). {_INT_HINT_EN}")
    raise VnParseError(f"'{text}' không phải là số. {_INT_HINT_VI}",
                       f"'{text}' is not a number. {_INT_HINT_EN}")


def parse_vn_int(value: object) -> int:
    """A whole number as typed in a Vietnamese file or held in an Excel cell.

    Accepts ``int``, an integral ``float`` (Excel's ``830.0``), text ``830``, ``9.960``,
    ``12.450.000`` with surrounding spaces or NBSP. Rejects ``9,96``, ``9.96``, ``1.2345``,
    ``abc``, booleans and blanks (:class:`VnParseError`).
    """
    if isinstance(value, bool):
        raise VnParseError(f"'{value}' không phải là số. {_INT_HINT_VI}",
                           f"'{value}' is not a number. {_INT_HINT_EN}")
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        if isinstance(value, float) and math.isnan(value):
            raise _missing()
        return _int_from_float(float(value))
    if isinstance(value, str):
        if value.isascii() and value.isdigit():  # "830": most counts, nothing to clean
            return int(value)
        return _int_from_text(value)
    if value is None:
        raise _missing()
    raise VnParseError(f"'{value}' không phải là số. {_INT_HINT_VI}",
                       f"'{value}' is not a number. {_INT_HINT_EN}")


def format_vn_int(value: int) -> str:
    """``9960`` → ``9.960``; ``-12450000`` → ``-12.450.000``."""
    return f"{value:,}".replace(",", ".")


def _finite_decimal(value: float | int | Decimal) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    try:
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return number


def format_vn_number(value: float | int | Decimal, decimals: int = 2) -> str:
    """A number as a Vietnamese report writes it.

    Whole numbers with ``.`` between thousands (``9960`` → ``9.960``, ``9960.0`` → ``9.960``);
    other numbers rounded half-up to ``decimals`` places with a decimal comma (``1.5342`` →
    ``1,53``, ``12345.6`` → ``12.345,60``, ``-0.5`` → ``-0,50``). Raises ``ValueError`` for NaN,
    infinities and booleans.
    """
    number = _finite_decimal(value)
    if number == number.to_integral_value():
        return format_vn_int(int(number))
    q = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    whole, _, frac = f"{abs(q):f}".partition(".")
    text = format_vn_int(int(whole))
    return f"{sign}{text},{frac}" if frac else f"{sign}{text}"


def format_vn_millions(value: float | int | Decimal) -> str:
    """A rounded figure in words, as the reviews write it: ``2435999`` → ``2,4 triệu``."""
    number = _finite_decimal(value)
    q = (number / Decimal(1_000_000)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{q:f}".replace(".", ",") + " triệu"


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+0{1,2}:00(?::00)?)?")
_SHORT_YEAR = re.compile(r"\d{1,2}/\d{1,2}/\d{2}")
EXCEL_EPOCH = date(1899, 12, 30)  # Excel's 1900 date system, serial 1 = 1900-01-01
_EXCEL_SERIALS = range(20_000, 80_000)  # 1954-10-03 .. 2119-01-10
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")
_MONTH = re.compile(r"(?:tháng\s*)?(\d{1,2})\s*/\s*(\d{4})", re.IGNORECASE)
_ISO_MONTH = re.compile(r"(\d{4})-(\d{2})")
_DATE_HINT_VI = "Hãy ghi ngày theo dạng ngày/tháng/năm, ví dụ 05/03/2024 hoặc 2024-03-05."
_DATE_HINT_EN = "Write the date as day/month/year, e.g. 05/03/2024, or 2024-03-05."


def _make_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        pass
    if month > 12 and day <= 12:
        raise VnParseError(
            f"'{text}' không phải ngày hợp lệ: tháng {month} không tồn tại — có lẽ đã ghi theo "
            f"kiểu Mỹ (tháng/ngày/năm). {_DATE_HINT_VI}",
            f"'{text}' is not a valid date: there is no month {month} — it looks like US "
            f"month/day/year order. {_DATE_HINT_EN}")
    raise VnParseError(f"'{text}' không phải ngày có thật. {_DATE_HINT_VI}",
                       f"'{text}' is not a real calendar date. {_DATE_HINT_EN}")


def _not_a_date(value: object) -> VnParseError:
    """A number or other non-text in a date column; an Excel serial gets its date named."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) \
            and int(value) in _EXCEL_SERIALS:
        shown = (EXCEL_EPOCH + timedelta(days=int(value))).strftime("%d/%m/%Y")
        return VnParseError(
            f"'{value}' là số, không phải ngày (có thể là ngày {shown} trong Excel nhưng ô đang "
            f"để định dạng số). Hãy định dạng ô là ngày (Format Cells → Date) hoặc gõ lại "
            f"{shown}.",
            f"'{value}' is a number, not a date (perhaps {shown} in Excel, but the cell is "
            f"formatted as a number). Format the cell as a date (Format Cells → Date) or type "
            f"{shown}.")
    return VnParseError(f"'{value}' không phải là ngày. {_DATE_HINT_VI}",
                        f"'{value}' is not a date. {_DATE_HINT_EN}")


def parse_vn_date(value: object) -> date:
    """A date cell, ``dd/mm/yyyy``, ``d/m/yyyy`` or ISO ``yyyy-mm-dd``.

    Impossible dates (``31/02/2024``) and US order (``12/31/2024``) are rejected.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        if value is None:
            raise _missing()
        raise _not_a_date(value)
    text = _clean(value)
    if not text:
        raise _missing()
    if m := _DMY.fullmatch(text):
        return _make_date(int(m[3]), int(m[2]), int(m[1]), text)
    if m := _ISO_DATE.fullmatch(text):
        return _make_date(int(m[1]), int(m[2]), int(m[3]), text)
    if _SHORT_YEAR.fullmatch(text):
        raise VnParseError(f"'{text}': năm phải ghi đủ 4 chữ số. {_DATE_HINT_VI}",
                           f"'{text}': the year must have 4 digits. {_DATE_HINT_EN}")
    raise VnParseError(f"'{text}' không đúng dạng ngày. {_DATE_HINT_VI}",
                       f"'{text}' is not in a date format we read. {_DATE_HINT_EN}")


def parse_vn_month(value: object) -> date:
    """A month: ``mm/yyyy``, ``m/yyyy``, ``Tháng 3/2024``, ``yyyy-mm`` or a date cell → day 1."""
    hint_vi = "Hãy ghi tháng theo dạng tháng/năm, ví dụ 03/2024."
    hint_en = "Write the month as month/year, e.g. 03/2024."
    if isinstance(value, datetime | date):
        return date(value.year, value.month, 1)
    if not isinstance(value, str):
        if value is None:
            raise _missing()
        raise VnParseError(f"'{value}' không phải là tháng. {hint_vi}",
                           f"'{value}' is not a month. {hint_en}")
    text = _clean(value)
    if not text:
        raise _missing()
    m = _MONTH.fullmatch(text)
    month, year = (int(m[1]), int(m[2])) if m else (0, 0)
    if not m and (iso := _ISO_MONTH.fullmatch(text)):
        month, year = int(iso[2]), int(iso[1])
    if 1 <= month <= 12:
        return date(year, month, 1)
    if m:
        raise VnParseError(f"'{text}': tháng {month} không tồn tại. {hint_vi}",
                           f"'{text}': there is no month {month}. {hint_en}")
    raise VnParseError(f"'{text}' không đúng dạng tháng. {hint_vi}",
                       f"'{text}' is not in a month format we read. {hint_en}")


# --------------------------------------------------------------------------------------------
# Date-times (Meta "Publish time")
# --------------------------------------------------------------------------------------------

_SLASH_DT = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?")
_ISO_DT = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?")


def _hour24(hour: int, ampm: str | None) -> int:
    if ampm is None:
        return hour
    if not 1 <= hour <= 12:
        return 99  # rejected below
    return hour % 12 + (12 if ampm.lower() == "pm" else 0)


def _iso_datetime(text: str, local_tz: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        raise VnParseError(f"'{text}' không phải thời điểm có thật.",
                           f"'{text}' is not a real date and time.") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(ZoneInfo(local_tz)).replace(tzinfo=None)
    return parsed


def _slash_datetime(value: object, *, month_first: bool, local_tz: str) -> datetime:
    order_vi, order_en = ("tháng/ngày/năm", "M/D/YYYY") if month_first else \
        ("ngày/tháng/năm", "D/M/YYYY")
    hint_vi = f"Tệp này được đọc theo thứ tự {order_vi} giờ:phút."
    hint_en = f"This file is read in {order_en} H:MM order."
    if isinstance(value, datetime):
        return value
    if is_blank(value):
        raise _missing()
    if not isinstance(value, str):
        raise VnParseError(f"'{value}' không phải thời điểm. {hint_vi}",
                           f"'{value}' is not a date and time. {hint_en}")
    text = _clean(value)
    if _ISO_DT.fullmatch(text):
        return _iso_datetime(text, local_tz)
    m = _SLASH_DT.fullmatch(text)
    if not m:
        raise VnParseError(f"'{text}' không đúng dạng thời điểm. {hint_vi}",
                           f"'{text}' is not in a date-time format we read. {hint_en}")
    first, second, year = int(m[1]), int(m[2]), int(m[3])
    month, day = (first, second) if month_first else (second, first)
    try:
        return datetime(year, month, day, _hour24(int(m[4]), m[7]), int(m[5]), int(m[6] or 0))
    except ValueError:
        raise VnParseError(
            f"'{text}' không thể có theo thứ tự {order_vi}: tệp có thể đã bị Excel đổi định dạng "
            f"ngày. Hãy xuất lại tệp từ Meta Business Suite và đặt vào inbox, không mở bằng Excel.",
            f"'{text}' is impossible in {order_en} order: the file may have had its dates changed "
            f"by Excel. Re-export it from Meta Business Suite and drop it into the inbox without "
            f"opening it in Excel.") from None


def parse_us_datetime(value: object, local_tz: str = DEFAULT_TZ) -> datetime:
    """Meta ``Publish time`` in the English UI: ``M/D/YYYY H:MM`` (also ISO 8601).

    Naive result in the page's local time; an ISO value with an offset is converted to
    ``local_tz``.
    """
    return _slash_datetime(value, month_first=True, local_tz=local_tz)


def parse_dmy_datetime(value: object, local_tz: str = DEFAULT_TZ) -> datetime:
    """Meta ``Thời gian đăng`` in the Vietnamese UI: ``D/M/YYYY H:MM`` (also ISO 8601)."""
    return _slash_datetime(value, month_first=False, local_tz=local_tz)


def utc_naive(moment: datetime) -> datetime:
    """An aware time converted to UTC without tzinfo; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def days_in_year(year: int) -> int:
    return (date(year + 1, 1, 1) - date(year, 1, 1)) // timedelta(days=1)
