"""bcd35.vietnamese: report number formats, extra date forms, mojibake and plausibility checks."""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal

import pytest

from bcd35.vietnamese import (
    VIETNAMESE_LETTERS,
    VnParseError,
    find_mojibake,
    format_vn_millions,
    format_vn_number,
    implausible_characters,
    parse_vn_date,
)


@pytest.mark.parametrize(("value", "expected"), [
    (9960, "9.960"),
    (9960.0, "9.960"),
    (12450000, "12.450.000"),
    (0, "0"),
    (-1234, "-1.234"),
    (1.5342, "1,53"),
    (1.535, "1,54"),  # half up, on the decimal value (not binary 1.5349999…)
    (12345.6, "12.345,60"),
    (-0.5, "-0,50"),
    (-1234.567, "-1.234,57"),
    (Decimal("2.005"), "2,01"),
    (873 / 366, "2,39"),
])
def test_format_vn_number(value: float | int | Decimal, expected: str) -> None:
    assert format_vn_number(value) == expected


def test_format_vn_number_decimals() -> None:
    assert format_vn_number(1.5342, decimals=1) == "1,5"
    assert format_vn_number(2.5, decimals=0) == "3"
    assert format_vn_number(1234.5678, decimals=3) == "1.234,568"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), True])
def test_format_vn_number_refuses_non_numbers(value: float) -> None:
    with pytest.raises(ValueError):
        format_vn_number(value)


@pytest.mark.parametrize(("value", "expected"), [
    (2435999, "2,4 triệu"),
    (2450000, "2,5 triệu"),
    (2_400_001, "2,4 triệu"),
    (12_345_678, "12,3 triệu"),
    (950_000, "1,0 triệu"),
    (Decimal("2449999.99"), "2,4 triệu"),
])
def test_format_vn_millions(value: float | int | Decimal, expected: str) -> None:
    assert format_vn_millions(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("05/03/2024 00:00", date(2024, 3, 5)),
    ("05/03/2024 00:00:00", date(2024, 3, 5)),
    ("5/3/2024 0:00", date(2024, 3, 5)),
])
def test_parse_vn_date_midnight_from_excel_csv(value: str, expected: date) -> None:
    assert parse_vn_date(value) == expected


@pytest.mark.parametrize(("value", "fragment"), [
    ("05/03/24", "4 digits"),
    (45306, "perhaps 15/01/2024"),
    (45306.0, "perhaps 15/01/2024"),
    (2024, "is not a date"),
    (True, "is not a date"),
])
def test_parse_vn_date_explains(value: object, fragment: str) -> None:
    with pytest.raises(VnParseError) as caught:
        parse_vn_date(value)
    assert fragment in caught.value.reason_en
    assert caught.value.reason_vi


def test_vietnamese_letters() -> None:
    assert len(VIETNAMESE_LETTERS) == 2 * (12 * 6 + 1)
    for word in ("Đảng", "ủy", "Hòa", "Hoà", "thưởng", "Nguyễn", "NĂM", "ỨNG"):
        assert implausible_characters(word) == ""
    assert implausible_characters(unicodedata.normalize("NFD", "Thái Hoà")) == ""


@pytest.mark.parametrize(("text", "odd"), [
    ("ñaïi bieåu", "åïñ"),  # VNI read as Windows-1258
    ("Héi nghÞ", "Þ"),  # TCVN3 read as Windows-1258 (é is Vietnamese, Þ is not)
    ("h\u0323", "\u1e25"),  # a tone mark on a consonant
    ("Müller", "ü"),
])
def test_implausible_characters(text: str, odd: str) -> None:
    assert implausible_characters(text) == odd


def test_typography_is_plausible() -> None:
    assert implausible_characters("“Nghị quyết” – số 35… 9.960 ₫ « » °C ²") == ""


@pytest.mark.parametrize(("text", "found"), [
    ("Há»™i nghá»‹", ("á»™", "ộ")),
    ("ThÃ¡i HÃ²a", ("Ã¡", "á")),
    ("Ä\x90áº£ng", ("Ä\x90", "Đ")),
    ("Æ°u tiÃªn", ("Æ°", "ư")),
])
def test_find_mojibake(text: str, found: tuple[str, str]) -> None:
    assert find_mojibake(text) == found


@pytest.mark.parametrize("text", ["XÃ HỘI", "Hội nghị", "Ô “ABC”", "café", "1 € · 2",
                                  "Â»", "ĐÔ“"])
def test_real_text_is_not_mojibake(text: str) -> None:
    assert find_mojibake(text) is None
