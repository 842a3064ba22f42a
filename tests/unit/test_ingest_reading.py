"""Reading files (CSV/XLSX by content, encodings, line numbers) and recognising their kind."""

from __future__ import annotations

import codecs
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest

from bcd35.ingest.detect import closest_kind, find_header, is_known_header, match_row
from bcd35.ingest.errors import FileRejected
from bcd35.ingest.kinds import KINDS
from bcd35.ingest.reading import decode_text, read_sheets, sniff_delimiter

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"


def sheets_of(name: str):
    return read_sheets((FIXTURES / name).read_bytes(), is_known_header)


def test_csv_comma_physical_line_numbers_with_a_multiline_value() -> None:
    [sheet] = sheets_of("meeting_log_comma.csv")
    numbers = [line for line, _ in sheet.rows]
    # header 1, rows 2 and 3, row 3 spans lines 4-5 ("dòng một\ndòng hai"), last row on line 6
    assert numbers == [1, 2, 3, 4, 6]
    assert sheet.rows[3][1][-1] == "dòng một\ndòng hai"
    assert sheet.name is None and sheet.is_csv


def test_csv_semicolon_bom_crlf() -> None:
    data = (FIXTURES / "meeting_log_semicolon_bom_no_diacritics.csv").read_bytes()
    assert data.startswith(codecs.BOM_UTF8) and b"\r\n" in data
    [sheet] = read_sheets(data, is_known_header)
    header = sheet.rows[0][1]
    assert header[0] == "Ngay"  # the BOM is not part of the first header
    assert len(header) == 6
    assert [line for line, _ in sheet.rows] == [1, 2, 3]


def test_delimiter_sniffed_from_the_header_line_not_the_title() -> None:
    text = (FIXTURES / "meeting_log_title_rows.csv").read_text(encoding="utf-8")
    assert sniff_delimiter(text, is_known_header) == ";"
    comma_title = "Sổ theo dõi, năm 2024\n" + text.split("\n", 2)[2]
    assert sniff_delimiter(comma_title, is_known_header) == ";"


def test_utf16_with_bom_is_decoded() -> None:
    data = (FIXTURES / "collaborator_shares_utf16.csv").read_bytes()
    assert data.startswith(codecs.BOM_UTF16_LE)
    [sheet] = read_sheets(data, is_known_header)
    assert sheet.rows[1][1][1] == "Trần Thị Bình"


def test_windows1258_is_detected_and_read_as_nfc() -> None:
    data = (FIXTURES / "meeting_log_windows1258.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = decode_text(data)
    assert text == (FIXTURES / "meeting_log_title_rows.csv").read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)


def test_other_legacy_encodings_are_refused_not_guessed() -> None:
    with pytest.raises(FileRejected) as caught:
        sheets_of("meeting_log_vni.csv")
    error = caught.value.error
    assert "UTF-8" in error.reason_en and "CSV UTF-8" in error.reason_en
    assert "VNI" in error.reason_vi and "Windows-1258" in error.reason_vi
    assert "ñ" in error.reason_en  # the odd characters a wrong guess would have produced
    assert error.line == 1


def test_utf16_without_bom_is_recognised_by_its_nul_pattern() -> None:
    assert decode_text("Ngày,Tên hội nghị\n".encode("utf-16-le")) == "Ngày,Tên hội nghị\n"
    assert decode_text("Ngày,Tên hội nghị\n".encode("utf-16-be")) == "Ngày,Tên hội nghị\n"


@pytest.mark.parametrize("data", [b"Ngay\x00,Ten\n", b"\x00\x00\x00\x01abc", b"\x00"])
def test_nul_bytes_that_are_not_utf16_are_refused(data: bytes) -> None:
    with pytest.raises(FileRejected) as caught:
        decode_text(data)
    assert "NUL" in caught.value.error.reason_en


def test_utf8_mojibake_is_refused_naming_the_line() -> None:
    with pytest.raises(FileRejected) as caught:
        sheets_of("meeting_log_mojibake_utf8.csv")
    error = caught.value.error
    assert error.line == 1 and "garbled" in error.reason_en and "'à'" in error.reason_en


def test_unclosed_quote_is_refused_naming_the_line() -> None:
    with pytest.raises(FileRejected) as caught:
        sheets_of("meeting_log_unclosed_quote.csv")
    assert caught.value.error.line == 3 and "line 3" in caught.value.error.reason_en


@pytest.mark.parametrize(("data", "fragment"), [
    (b"", "empty"),
    (b"  \r\n \n", "empty"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
    (b"PK\x03\x04not really a zip", "central directory"),
])
def test_unreadable_files_are_rejected_with_a_reason(data: bytes, fragment: str) -> None:
    with pytest.raises(FileRejected) as caught:
        read_sheets(data, is_known_header)
    assert fragment in caught.value.error.reason_en


def test_xlsx_detected_by_content_and_typed_cells_kept() -> None:
    data = (FIXTURES / "commendation_title_rows.xlsx").read_bytes()
    sheets = read_sheets(data, is_known_header)  # no file name involved at all
    assert [s.name for s in sheets] == ["Khen thưởng 2024", "Hướng dẫn"]
    rows = dict(sheets[0].rows)
    assert rows[4][1] == "Năm thành tích"
    assert rows[5][1] == 2024 and isinstance(rows[5][1], int)
    assert rows[5][6] == datetime(2024, 12, 20)
    assert 3 not in rows  # blank rows are dropped, the others keep their sheet row number


def test_header_found_below_title_rows_with_sheet_row_number() -> None:
    sheet = sheets_of("commendation_title_rows.xlsx")[0]
    match = find_header(sheet)
    assert match is not None
    assert match.kind.name == "commendation"
    assert match.line == 4
    assert match.header_text["ten"] == "Tên tập thể/cá nhân"


def test_sheet_without_known_header_is_ignored() -> None:
    guide = sheets_of("commendation_title_rows.xlsx")[1]
    assert find_header(guide) is None


@pytest.mark.parametrize("kind_name", list(KINDS))
def test_each_kind_is_recognised_from_its_canonical_headers(kind_name: str) -> None:
    kind = KINDS[kind_name]
    header = [c.headers[0] for c in kind.source_columns if c.required]
    match = match_row(header, 1)
    assert match is not None and match.kind.name == kind_name


@pytest.mark.parametrize("kind_name", list(KINDS))
def test_each_kind_is_recognised_without_diacritics_in_upper_case(kind_name: str) -> None:
    from bcd35.vietnamese import strip_diacritics

    kind = KINDS[kind_name]
    header = [strip_diacritics(c.headers[-1]).upper() for c in kind.required_columns]
    match = match_row(header, 1)
    assert match is not None and match.kind.name == kind_name


def test_meta_headers_vietnamese_ui_and_lower_case_rcs() -> None:
    [vi] = sheets_of("meta_posts_vietnamese_ui.csv")
    [old] = sheets_of("meta_posts_lowercase_rcs.csv")
    vi_match, old_match = find_header(vi), find_header(old)
    assert vi_match is not None and old_match is not None
    assert vi_match.kind.name == old_match.kind.name == "meta_posts"
    assert vi_match.spelling["publish_time"] == 1  # the Vietnamese spelling
    assert old_match.spelling["publish_time"] == 0
    assert old_match.header_text["reactions_comments_shares"] == "Reactions, comments and shares"
    assert vi_match.width == 33 and old_match.width == 32


def test_missing_required_column_names_the_closest_kind() -> None:
    sheets = sheets_of("unknown_header_meeting_like.csv")
    assert find_header(sheets[0]) is None
    near = closest_kind(sheets)
    assert near.kind.name == "meeting_log"
    assert near.missing == ("Số đại biểu",)
    assert near.line == 1


def test_ambiguous_header_is_rejected() -> None:
    both = ["Tên ấn phẩm", "Năm", "Số", "Tháng phát hành", "Số lượng in",
            "Đơn vị nhận", "Số lượng"]
    with pytest.raises(FileRejected) as caught:
        match_row(both, 3)
    assert "bulletin_issue" in caught.value.error.reason_en
    assert caught.value.error.line == 3


def test_repeated_column_is_rejected() -> None:
    data = ("Ngày,Tên hội nghị,Loại hội nghị,Đơn vị tổ chức,Xã/Thị trấn,Số đại biểu,Ngay\n"
            "05/01/2024,A,TTTS,B,Huyện,1,06/01/2024\n").encode()
    [sheet] = read_sheets(data, is_known_header)
    with pytest.raises(FileRejected) as caught:
        find_header(sheet)
    assert "Ngày" in caught.value.error.reason_en and "Ngay" in caught.value.error.reason_en
