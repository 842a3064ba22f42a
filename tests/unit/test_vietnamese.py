"""bcd35.vietnamese: text normalisation, header folding, numbers, dates, date-times."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

import pytest

from bcd35.vietnamese import (
    VnParseError,
    days_in_year,
    fold_header,
    format_vn_int,
    is_blank,
    normalize_key,
    normalize_text,
    parse_dmy_datetime,
    parse_optional,
    parse_us_datetime,
    parse_vn_date,
    parse_vn_int,
    parse_vn_month,
    utc_naive,
)


@pytest.mark.parametrize(("raw", "expected"), [
    ("Hoà", "Hòa"),
    ("Thái Hoà", "Thái Hòa"),
    ("uỷ ban", "ủy ban"),
    ("Uỷ ban nhân dân", "Ủy ban nhân dân"),
    ("thuý", "thúy"),
    ("Khoá", "Khóa"),
    ("KHOÁ HỌC", "KHÓA HỌC"),
    ("khoẻ", "khỏe"),
    ("hoạ sĩ", "họa sĩ"),
    ("Hoàng", "Hoàng"),  # closed syllable: the mark stays on the second vowel
    ("quý", "quý"),  # "qu" is a consonant: the mark stays on y
    ("Quỳnh", "Quỳnh"),
    ("khuỷu", "khuỷu"),
    ("Ðức  Ninh", "Đức Ninh"),  # U+00D0 and a double space
    ("\u00a0 Tân\tYên \u200b", "Tân Yên"),
])
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_normalize_text_returns_nfc_from_decomposed_input() -> None:
    decomposed = unicodedata.normalize("NFD", "Thái Hoà")
    result = normalize_text(decomposed)
    assert result == "Thái Hòa"
    assert unicodedata.is_normalized("NFC", result)


def test_normalize_text_both_tone_placements_meet() -> None:
    assert normalize_text("Thái Hoà") == normalize_text("Thái Hòa")
    assert normalize_text("Uỷ") == normalize_text("Ủy")


def test_normalize_key_folds_case_and_tone_placement() -> None:
    assert normalize_key("  THÁI HOÀ ") == normalize_key("thái hòa") == "thái hòa"
    assert normalize_key("ÐẢNG ỦY") == "đảng ủy"


@pytest.mark.parametrize(("left", "right"), [
    ("So dai bieu", "Số đại biểu"),
    ("SỐ ĐẠI BIỂU", "số đại biểu"),
    ("Xã / Thị trấn", "Xã/Thị trấn"),
    ("Reactions, comments and shares", "Reactions,Comments and Shares"),
    ("Tên tập thể / cá nhân", "Ten tap the/ca nhan"),
    ("Số  đại\nbiểu", "Số đại biểu"),
])
def test_fold_header_matches_variants(left: str, right: str) -> None:
    assert fold_header(left) == fold_header(right)


def test_fold_header_keeps_different_headers_apart() -> None:
    assert fold_header("Số") != fold_header("Số lượng")
    assert fold_header("Bình luận") != fold_header("Bình luận về dữ liệu")
    assert fold_header("Số đại biểu") == "so dai bieu"


@pytest.mark.parametrize(("value", "expected"), [
    (830, 830),
    (830.0, 830),
    ("830", 830),
    ("9.960", 9960),
    ("12.450.000", 12450000),
    (" 9.960\u00a0", 9960),
    ("-5", -5),
])
def test_parse_vn_int_accepts(value: object, expected: int) -> None:
    assert parse_vn_int(value) == expected


@pytest.mark.parametrize(("value", "reason_fragment"), [
    ("9,96", "comma"),
    ("9.96", "grouping"),
    ("1.2345", "grouping"),
    ("abc", "not a number"),
    ("", "empty"),
    (None, "empty"),
    (9.5, "whole number"),
    (True, "not a number"),
])
def test_parse_vn_int_rejects_with_reason(value: object, reason_fragment: str) -> None:
    with pytest.raises(VnParseError) as caught:
        parse_vn_int(value)
    assert reason_fragment in caught.value.reason_en
    assert caught.value.reason_vi  # the clerk's language is never left out
    assert caught.value.reason_vi != caught.value.reason_en


def test_parse_optional_only_forgives_blanks() -> None:
    assert parse_optional(parse_vn_int, "  ") is None
    assert parse_optional(parse_vn_int, "1.001") == 1001
    with pytest.raises(VnParseError):
        parse_optional(parse_vn_int, "x")


def test_is_blank() -> None:
    assert is_blank(None) and is_blank(" \u00a0") and is_blank(float("nan"))
    assert not is_blank("0") and not is_blank(0)


@pytest.mark.parametrize(("number", "text"), [
    (9960, "9.960"), (12450000, "12.450.000"), (830, "830"), (-1234, "-1.234"), (0, "0")])
def test_format_vn_int_round_trips(number: int, text: str) -> None:
    assert format_vn_int(number) == text
    assert parse_vn_int(format_vn_int(number)) == number


@pytest.mark.parametrize(("value", "expected"), [
    ("05/03/2024", date(2024, 3, 5)),
    ("5/3/2024", date(2024, 3, 5)),
    ("2024-03-05", date(2024, 3, 5)),
    ("2024-03-05 00:00:00", date(2024, 3, 5)),
    (datetime(2024, 3, 5, 0, 0), date(2024, 3, 5)),
    (date(2024, 3, 5), date(2024, 3, 5)),
    ("29/02/2024", date(2024, 2, 29)),
])
def test_parse_vn_date_accepts(value: object, expected: date) -> None:
    assert parse_vn_date(value) == expected


@pytest.mark.parametrize(("value", "reason_fragment"), [
    ("31/02/2024", "not a real calendar date"),
    ("29/02/2023", "not a real calendar date"),
    ("12/31/2024", "US month/day/year"),
    ("2024/03/05", "not in a date format"),
    ("05-03-2024", "not in a date format"),
    (45292, "not a date"),
    ("", "empty"),
])
def test_parse_vn_date_rejects(value: object, reason_fragment: str) -> None:
    with pytest.raises(VnParseError) as caught:
        parse_vn_date(value)
    assert reason_fragment in caught.value.reason_en


@pytest.mark.parametrize(("value", "expected"), [
    ("03/2024", date(2024, 3, 1)),
    ("3/2024", date(2024, 3, 1)),
    ("Tháng 3/2024", date(2024, 3, 1)),
    ("2024-03", date(2024, 3, 1)),
    (datetime(2024, 3, 17), date(2024, 3, 1)),
])
def test_parse_vn_month_accepts(value: object, expected: date) -> None:
    assert parse_vn_month(value) == expected


@pytest.mark.parametrize("value", ["13/2024", "0/2024", "2024", "abc", ""])
def test_parse_vn_month_rejects(value: str) -> None:
    with pytest.raises(VnParseError):
        parse_vn_month(value)


@pytest.mark.parametrize(("value", "expected"), [
    ("1/15/2024 8:30", datetime(2024, 1, 15, 8, 30)),
    ("12/31/2024 20:05", datetime(2024, 12, 31, 20, 5)),
    ("2/3/2024 7:00", datetime(2024, 2, 3, 7, 0)),
    ("2/3/2024 7:00 PM", datetime(2024, 2, 3, 19, 0)),
    ("2024-02-03T07:00:00", datetime(2024, 2, 3, 7, 0)),
    ("2024-02-03T00:00:00Z", datetime(2024, 2, 3, 7, 0)),  # UTC → Asia/Ho_Chi_Minh
    ("2024-02-03T07:00:00+07:00", datetime(2024, 2, 3, 7, 0)),
])
def test_parse_us_datetime(value: str, expected: datetime) -> None:
    assert parse_us_datetime(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("15/1/2024 8:30", datetime(2024, 1, 15, 8, 30)),
    ("2/3/2024 7:00", datetime(2024, 3, 2, 7, 0)),
    ("2024-03-02 07:00", datetime(2024, 3, 2, 7, 0)),
])
def test_parse_dmy_datetime(value: str, expected: datetime) -> None:
    assert parse_dmy_datetime(value) == expected


def test_impossible_order_is_an_error_naming_the_order() -> None:
    with pytest.raises(VnParseError) as us:
        parse_us_datetime("15/1/2024 8:30")
    assert "M/D/YYYY" in us.value.reason_en
    with pytest.raises(VnParseError) as dmy:
        parse_dmy_datetime("1/15/2024 8:30")
    assert "D/M/YYYY" in dmy.value.reason_en


def test_utc_naive_and_days_in_year() -> None:
    aware = datetime.fromisoformat("2024-01-01T07:00:00+07:00")
    assert utc_naive(aware) == datetime(2024, 1, 1, 0, 0)
    assert days_in_year(2024) == 366 and days_in_year(2023) == 365
