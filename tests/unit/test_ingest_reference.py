"""bcd35.reference: the value domains of docs/formats.md as lookups (seeds/reference)."""

from __future__ import annotations

import csv

import pytest

from bcd35 import reference
from bcd35.config import REFERENCE_DIR


@pytest.mark.parametrize(("text", "code"), [
    ("Thái Hòa", "02419"),
    ("Xã Thái Hoà", "02419"),
    ("xã thái hòa", "02419"),
    ("XA THAI HOA", "02419"),
    ("Thai Hoa", "02419"),
    ("Thị trấn Tân Yên", "02374"),
    ("TT Tân Yên", "02374"),
    ("TT. Tân Yên", "02374"),
    ("TT.Tân Yên", "02374"),
    ("Tân Yên", "02374"),
    ("Ðức Ninh", "02422"),
    ("Bình Xa", "02404"),
    ("Bạch Xa", "02380"),
    ("Huyện", "074"),
    ("Huyện Hàm Yên", "074"),
    ("Cấp huyện", "074"),
    ("huyen", "074"),
])
def test_commune_lookup(text: str, code: str) -> None:
    assert reference.commune_code(text) == code


@pytest.mark.parametrize("text", ["Xã Hư Cấu", "Yên Sơn", "", "Phường 1"])
def test_commune_lookup_rejects_unknown(text: str) -> None:
    assert reference.commune_code(text) is None


def test_every_seeded_commune_is_found_by_its_own_name() -> None:
    with (REFERENCE_DIR / "communes.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    units = [row for row in rows if row["loai_dvhc"] != "Huyện"]
    assert len(units) == 18
    for row in units:
        assert reference.commune_code(f"{row['loai_dvhc']} {row['ten_dvhc']}") == row["ma_dvhc"]


def test_fold_fallback_only_when_unambiguous() -> None:
    lookup = reference._build("test", ["Bình Xa", "Bính Xa"],
                              [("Bình Xa", "a"), ("Bính Xa", "b")])
    assert lookup.code("Bình Xa") == "a"
    assert lookup.code("Bính Xa") == "b"
    assert lookup.code("Binh Xa") is None  # both fold to "binh xa": no guessing


@pytest.mark.parametrize(("text", "code"), [
    ("Thông tin thời sự", "thong_tin_thoi_su"),
    ("Hội nghị thông tin thời sự trong Đảng", "thong_tin_thoi_su"),
    ("TTTS", "thong_tin_thoi_su"),
    ("ttts", "thong_tin_thoi_su"),
    ("Báo cáo viên", "bao_cao_vien"),
    ("Sơ kết, tổng kết", "so_ket_tong_ket"),
    ("Tổng kết", "so_ket_tong_ket"),
    ("tap huan", "tap_huan"),
    ("Khác", "khac"),
])
def test_meeting_kind_lookup(text: str, code: str) -> None:
    assert reference.meeting_kind_code(text) == code


def test_meeting_kind_lookup_rejects_unknown() -> None:
    assert reference.meeting_kind_code("Hội thảo") is None


@pytest.mark.parametrize(("text", "code"), [
    ("Facebook", "facebook"), ("FB", "facebook"), ("Fanpage", "facebook"), ("Zalo", "zalo"),
    ("Tik Tok", "tiktok"), ("tiktok", "tiktok"), ("Youtube", "youtube"), ("Khác", "khac")])
def test_platform_lookup(text: str, code: str) -> None:
    assert reference.platform_code(text) == code


def test_platform_lookup_rejects_unknown() -> None:
    assert reference.platform_code("Instagram") is None


@pytest.mark.parametrize(("text", "code"), [
    ("Khen thưởng", "khen_thuong"), ("khen thuong", "khen_thuong"), ("BIỂU DƯƠNG", "bieu_duong")])
def test_commendation_form_lookup(text: str, code: str) -> None:
    assert reference.commendation_form_code(text) == code


@pytest.mark.parametrize(("text", "code"), [
    ("Tập thể", "tap_the"), ("Ca nhan", "ca_nhan"), ("cá nhân", "ca_nhan")])
def test_commendation_target_lookup(text: str, code: str) -> None:
    assert reference.commendation_target_code(text) == code


def test_commendation_lookups_reject_unknown() -> None:
    assert reference.commendation_form_code("Kỷ luật") is None
    assert reference.commendation_target_code("Hộ gia đình") is None
