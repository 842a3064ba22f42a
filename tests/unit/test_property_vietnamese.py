"""Property tests (hypothesis) for the number, date, date-time and text parsers.

Round trips, no crash on any input (only :class:`VnParseError`), and day/month order never
silently swapped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bcd35.vietnamese import (
    VIETNAMESE_LETTERS,
    VnParseError,
    find_mojibake,
    fold_header,
    format_vn_int,
    format_vn_number,
    normalize_key,
    normalize_text,
    parse_dmy_datetime,
    parse_us_datetime,
    parse_vn_date,
    parse_vn_int,
    parse_vn_month,
)

settings.register_profile("bcd35", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("bcd35")

DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31))
DATETIMES = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2999, 12, 31))
ANY_TEXT = st.text(max_size=40)
# Text that looks like numbers and dates, so that the interesting branches are reached.
NUMBERISH = st.text(alphabet="0123456789.,-+ /:eE\u00a0", max_size=20)
VIETNAMESE = st.text(alphabet=sorted(VIETNAMESE_LETTERS) + list("abcdghklmnpqrstvx ĐđHN"),
                     min_size=1, max_size=30)


def _raises_only_parse_errors(parse: Callable[[object], object], value: object) -> object:
    try:
        return parse(value)
    except VnParseError as exc:
        assert exc.reason_vi and exc.reason_en
        return None


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------


@given(st.integers(min_value=-(10**18), max_value=10**18))
def test_int_round_trips_through_vietnamese_grouping(number: int) -> None:
    assert parse_vn_int(format_vn_int(number)) == number
    assert parse_vn_int(str(number)) == number
    assert parse_vn_int(float(number) if abs(number) < 2**53 else number) == number


@given(st.one_of(ANY_TEXT, NUMBERISH))
def test_int_parser_never_crashes_and_never_guesses(text: str) -> None:
    result = _raises_only_parse_errors(parse_vn_int, text)
    if result is not None:
        cleaned = text.replace("\u00a0", " ").strip()
        assert re.fullmatch(r"[+-]?\d+|[+-]?\d{1,3}(?:\.\d{3})+", cleaned), cleaned
        assert "," not in cleaned  # a decimal comma is never read as a thousands separator


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False,
                   allow_infinity=False))
def test_format_vn_number_round_trips_two_decimals(value: Decimal) -> None:
    text = format_vn_number(value)
    back = Decimal(text.replace(".", "").replace(",", "."))
    assert back == value
    if value == value.to_integral_value():
        assert "," not in text and text == format_vn_int(int(value))
    else:
        assert re.fullmatch(r"-?\d{1,3}(?:\.\d{3})*,\d{2}", text), text


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_format_vn_number_never_crashes_on_floats(value: float) -> None:
    text = format_vn_number(value)
    assert re.fullmatch(r"-?\d{1,3}(?:\.\d{3})*(?:,\d{2})?", text), text


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------


@given(DATES)
def test_date_round_trips_in_every_accepted_form(day: date) -> None:
    for text in (day.strftime("%d/%m/%Y"), f"{day.day}/{day.month}/{day.year}",
                 day.isoformat(), f" {day.strftime('%d/%m/%Y')}\u00a0"):
        assert parse_vn_date(text) == day, text
    assert parse_vn_date(datetime(day.year, day.month, day.day, 13, 5)) == day
    assert parse_vn_month(f"{day.month:02d}/{day.year}") == day.replace(day=1)
    assert parse_vn_month(day.strftime("%Y-%m")) == day.replace(day=1)


@given(st.one_of(ANY_TEXT, NUMBERISH))
def test_date_parsers_never_crash(text: str) -> None:
    _raises_only_parse_errors(parse_vn_date, text)
    _raises_only_parse_errors(parse_vn_month, text)
    _raises_only_parse_errors(parse_us_datetime, text)
    _raises_only_parse_errors(parse_dmy_datetime, text)


@given(DATES)
def test_us_order_is_never_read_as_another_date(day: date) -> None:
    """``M/D/YYYY`` in a Vietnamese file: refused when impossible, never a different day
    silently — unless the text is also a valid D/M/YYYY date (day ≤ 12), which is then read
    the Vietnamese way, exactly."""
    us_text = f"{day.month}/{day.day}/{day.year}"
    parsed = _raises_only_parse_errors(parse_vn_date, us_text)
    if day.day > 12:
        assert parsed is None
    else:
        assert parsed == date(day.year, day.day, day.month)


@given(DATETIMES.map(lambda moment: moment.replace(second=0, microsecond=0)))
def test_publish_time_order_follows_the_file_and_is_never_swapped(moment: datetime) -> None:
    us = f"{moment.month}/{moment.day}/{moment.year} {moment.hour}:{moment.minute:02d}"
    vn = f"{moment.day}/{moment.month}/{moment.year} {moment.hour}:{moment.minute:02d}"
    assert parse_us_datetime(us) == moment
    assert parse_dmy_datetime(vn) == moment
    assert parse_us_datetime(moment.isoformat()) == moment == parse_dmy_datetime(
        moment.isoformat())
    if moment.day > 12:
        assert _raises_only_parse_errors(parse_us_datetime, vn) is None
        assert _raises_only_parse_errors(parse_dmy_datetime, us) is None


# --------------------------------------------------------------------------------------------
# Text and headers
# --------------------------------------------------------------------------------------------


@given(ANY_TEXT)
def test_text_normalisation_never_crashes_and_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert normalize_key(unicodedata.normalize("NFD", text)) == normalize_key(text)
    assert fold_header(fold_header(text)) == fold_header(text)


@given(VIETNAMESE)
def test_vietnamese_text_is_never_taken_for_mojibake(text: str) -> None:
    assert find_mojibake(text) is None


@given(VIETNAMESE.filter(lambda t: any(ord(ch) > 0x7F for ch in t)))
def test_mojibake_of_vietnamese_text_is_always_found(text: str) -> None:
    garbled = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b)
                      for b in text.encode("utf-8"))
    found = find_mojibake(garbled)
    assert found is not None and found[1] in text


def test_the_byte_search_finds_exactly_where_the_text_pattern_can_match() -> None:
    """``find_mojibake`` first looks for a candidate in the text's UTF-8 bytes (three times as
    fast as the text pattern): every pair of characters, around the lead characters' range
    and against every continuation up to U+2FFF, is found by both or by neither."""
    from bcd35.vietnamese import _MOJIBAKE, _MOJIBAKE_UTF8

    leads = [chr(c) for c in (0x41, *range(0xA0, 0x101), 0x1EA0, 0x1EC5)]
    seconds = [chr(c) for c in (0x41, *range(0x80, 0x3000))]
    differ = [(first, second) for first in leads for second in seconds
              if (_MOJIBAKE.match(first + second) is not None)
              != (_MOJIBAKE_UTF8.match((first + second).encode()) is not None)]
    assert differ == []


def test_every_vietnamese_letter_garbled_is_found() -> None:
    """Each letter alone, opened as Windows-1252 and saved as UTF-8 (what the property above
    draws at random), is found and named."""
    missed = []
    for letter in sorted(ch for ch in VIETNAMESE_LETTERS if ord(ch) > 0x7F):
        garbled = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b)
                          for b in letter.encode("utf-8"))
        found = find_mojibake(f"Ban {garbled} x")
        if found is None or found[1] != letter:
            missed.append(letter)
    assert missed == []
