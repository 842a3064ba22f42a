"""The demo inbox (seeds/demo/inbox) is reproducible and reproduces the 2024 figures the README
quotes.

Part 1 re-runs the committed generator and compares bytes. Part 2 reads the committed files
back on its own (pandas/openpyxl, Vietnamese numbers parsed per column) and recomputes the
2024 KPIs (docs/development.md#kpis) with the natural-key rules of docs/formats.md.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from types import ModuleType

import openpyxl
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "seeds" / "demo"
INBOX = DEMO / "inbox"
EXPECTED_FILE = DEMO / "expected_kpis_2024.json"
YEAR = 2024
META_NAME = re.compile(r"^([A-Z][a-z]{2}-\d{2}-\d{4})_([A-Z][a-z]{2}-\d{2}-\d{4})_\d+\.csv$")
KPI_CODES = [
    "hoi_nghi_thong_tin_thoi_su",
    "hoi_nghi_tong_so",
    "luot_dai_bieu",
    "ban_tin_so_ky",
    "ban_tin_so_cuon",
    "fanpage_tin_bai",
    "fanpage_tin_bai_binh_quan_ngay",
    "fanpage_luot_tiep_can",
    "fanpage_luot_tuong_tac",
    "ctv_tin_bai_chia_se",
    "ctv_luot_tiep_can_tuong_tac",
    "ctv_so_cong_tac_vien",
    "khen_thuong_tap_the",
    "bieu_duong_ca_nhan",
]
COMMUNES = [
    "tân yên",
    "yên thuận",
    "bạch xa",
    "minh khương",
    "yên lâm",
    "minh dân",
    "phù lưu",
    "minh hương",
    "yên phú",
    "tân thành",
    "bình xa",
    "thái sơn",
    "nhân mục",
    "thành long",
    "bằng cốc",
    "thái hòa",
    "đức ninh",
    "hùng đức",
]
# Old-style tone placement at the end of a syllable: "Hoà" = "Hòa" (but "loại" stays).
OLD_TONES = re.compile(r"o([àáảãạ])(?!\w)")
PLAIN_A = {"à": "ò", "á": "ó", "ả": "ỏ", "ã": "õ", "ạ": "ọ"}


# ------------------------------------------------------------------------------------------
# Independent readers
# ------------------------------------------------------------------------------------------


def norm(value: object) -> str:
    text = unicodedata.normalize("NFC", str(value)).replace("Ð", "Đ")
    text = " ".join(text.split()).lower()
    return OLD_TONES.sub(lambda m: PLAIN_A[m.group(1)] + "a", text)


def commune_key(value: object) -> str:
    text = norm(value)
    for prefix in ("thị trấn ", "xã ", "tt "):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def vn_int(value: object) -> int:
    """A count: an XLSX number, or text with '.' thousands ('9.960')."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        assert value.is_integer(), value
        return int(value)
    text = str(value).strip()
    assert re.fullmatch(r"\d{1,3}(\.\d{3})+|\d+", text), f"not a Vietnamese integer: {text!r}"
    return int(text.replace(".", ""))


def vn_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.strptime(str(value).strip(), "%d/%m/%Y").date()


def xlsx_rows(path: Path, required: Iterable[str]) -> list[dict[str, object]]:
    """Rows of every sheet whose header row (anywhere near the top) holds ``required``."""
    need = {norm(c) for c in required}
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    out: list[dict[str, object]] = []
    try:
        for ws in wb.worksheets:
            header: list[str] | None = None
            for row in ws.iter_rows(values_only=True):
                if header is None:
                    cells = [norm(c) if c is not None else "" for c in row]
                    if need <= set(cells):
                        header = cells
                    continue
                if all(v is None for v in row):
                    continue
                out.append(dict(zip(header, row, strict=False)))
    finally:
        wb.close()
    return out


def csv_rows(path: Path, sep: str) -> list[dict[str, object]]:
    df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df.columns = [norm(c) for c in df.columns]
    return df.to_dict("records")


def load_json(path: Path) -> dict[str, float]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def expected() -> dict[str, float]:
    return load_json(EXPECTED_FILE)


# ------------------------------------------------------------------------------------------
# 1. Reproducible
# ------------------------------------------------------------------------------------------


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bcd35_demo_generate", DEMO / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while executing it
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name, None)
    return module


def test_generator_reproduces_committed_files_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "inbox"
    out.mkdir()
    (out / "ghi_chu_rieng.txt").write_text("not the generator's", encoding="utf-8")
    load_generator().main(["--out", str(out), "--expected", str(tmp_path / "expected.json")])

    committed = sorted(p.name for p in INBOX.iterdir() if p.is_file())
    generated = sorted(p.name for p in out.iterdir() if p.name != "ghi_chu_rieng.txt")
    assert generated == committed
    for name in committed:
        assert (out / name).read_bytes() == (INBOX / name).read_bytes(), name
    assert (tmp_path / "expected.json").read_bytes() == EXPECTED_FILE.read_bytes()
    assert (out / "ghi_chu_rieng.txt").read_text(encoding="utf-8") == "not the generator's"


def test_expected_json_lists_every_kpi_code_and_readme_states_them(
    expected: dict[str, float],
) -> None:
    assert list(expected) == KPI_CODES
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    for code, value in expected.items():
        lines = [line for line in readme.splitlines() if f"`{code}`" in line and "|" in line]
        assert any(f"| {value} |" in line for line in lines), (code, value)


# ------------------------------------------------------------------------------------------
# 2. The 2024 figures the README quotes, recomputed from the committed files
# ------------------------------------------------------------------------------------------
MEETING_COLS = [
    "Ngày",
    "Tên hội nghị",
    "Loại hội nghị",
    "Đơn vị tổ chức",
    "Xã/Thị trấn",
    "Số đại biểu",
]
TTTS = {norm("Thông tin thời sự"), norm("Hội nghị thông tin thời sự trong Đảng"), "ttts"}
OTHER_KINDS = {norm(k) for k in ("Báo cáo viên", "Sơ kết, tổng kết", "Tập huấn", "Khác")}


def test_meetings(expected: dict[str, float]) -> None:
    from_xlsx = xlsx_rows(INBOX / "so_theo_doi_hoi_nghi_2024.xlsx", MEETING_COLS)
    from_csv = csv_rows(INBOX / "hoi_nghi_quy4_bosung.csv", sep=";")
    assert (INBOX / "hoi_nghi_quy4_bosung.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert all(isinstance(r["ngày"], datetime) for r in from_xlsx)  # real Excel date cells

    def key(r: dict[str, object]) -> tuple[object, ...]:
        return (
            vn_date(r["ngày"]),
            norm(r["tên hội nghị"]),
            norm(r["đơn vị tổ chức"]),
            commune_key(r["xã/thị trấn"]),
        )

    def fields(r: dict[str, object]) -> tuple[object, ...]:
        return (
            *key(r),
            norm(r["loại hội nghị"]),
            vn_int(r["số đại biểu"]),
            norm(r.get("hình thức") or ""),
            norm(r.get("chủ trì") or ""),
        )

    by_key: dict[tuple[object, ...], dict[str, object]] = {}
    for r in [*from_xlsx, *from_csv]:
        k = key(r)
        if k in by_key:  # a planted duplicate: the same meeting, field for field
            assert fields(by_key[k]) == fields(r)
        by_key[k] = r
    assert len(from_xlsx) + len(from_csv) - len(by_key) == 2

    for r in by_key.values():
        assert norm(r["loại hội nghị"]) in TTTS | OTHER_KINDS
        assert commune_key(r["xã/thị trấn"]) in [*COMMUNES, "huyện"]
        assert 20 <= vn_int(r["số đại biểu"]) <= 300
    in_year = [r for r in by_key.values() if vn_date(r["ngày"]).year == YEAR]
    ttts = [r for r in in_year if norm(r["loại hội nghị"]) in TTTS]
    assert len(ttts) == 96
    assert len([r for r in from_xlsx if norm(r["loại hội nghị"]) in TTTS]) == 92
    assert {norm(r["loại hội nghị"]) for r in ttts} == TTTS  # all three spellings are used
    assert date(YEAR, 12, 31) in {vn_date(r["ngày"]) for r in ttts}
    assert len(ttts) == expected["hoi_nghi_thong_tin_thoi_su"]
    assert len(in_year) == expected["hoi_nghi_tong_so"]
    assert sum(vn_int(r["số đại biểu"]) for r in in_year) == expected["luot_dai_bieu"]


def test_bulletin_issues_and_distribution(expected: dict[str, float]) -> None:
    issues = xlsx_rows(
        INBOX / "so_xuat_ban_ban_tin_2024.xlsx",
        ["Tên ấn phẩm", "Năm", "Số", "Tháng phát hành", "Số lượng in"],
    )
    by_issue = {(norm(r["tên ấn phẩm"]), vn_int(r["năm"]), vn_int(r["số"])): r for r in issues}
    year_issues = {k: r for k, r in by_issue.items() if k[1] == YEAR}
    print_run = {k[2]: vn_int(r["số lượng in"]) for k, r in year_issues.items()}
    assert len(year_issues) == 12 == expected["ban_tin_so_ky"]
    assert sorted(print_run) == list(range(1, 13))
    assert sum(print_run.values()) == 9960 == expected["ban_tin_so_cuon"]
    for (_, _, number), r in year_issues.items():
        assert r["tháng phát hành"] == f"{number:02d}/{YEAR}"
        assert vn_int(r["kinh phí"]) > 1_000_000  # "12.450.000"

    raw = (INBOX / "cap_phat_ban_tin_2024.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    dist = csv_rows(INBOX / "cap_phat_ban_tin_2024.csv", sep=",")
    keys = [
        (norm(r["tên ấn phẩm"]), vn_int(r["năm"]), vn_int(r["số"]), norm(r["đơn vị nhận"]))
        for r in dist
    ]
    assert len(keys) == len(set(keys))
    given: dict[int, int] = {}
    for k, r in zip(keys, dist, strict=True):
        assert k[:3] in year_issues
        given[k[2]] = given.get(k[2], 0) + vn_int(r["số lượng"])
    assert given == print_run


def test_collaborator_shares(expected: dict[str, float]) -> None:
    cols = [
        "Ngày",
        "Cộng tác viên",
        "Đơn vị",
        "Nền tảng",
        "Liên kết chia sẻ",
        "Lượt tiếp cận",
        "Lượt tương tác",
    ]
    first = xlsx_rows(INBOX / "chia_se_ctv_6thang_dau_2024.xlsx", cols)
    second = csv_rows(INBOX / "chia_se_ctv_6thang_cuoi_2024.csv", sep=";")
    assert all(isinstance(r["lượt tiếp cận"], int) for r in first)  # numbers in the XLSX
    assert any(re.fullmatch(r"\d{1,3}\.\d{3}", str(r["lượt tiếp cận"])) for r in second)

    shares: dict[str, dict[str, object]] = {}
    for r in [*first, *second]:
        assert r["nền tảng"] in {"Facebook", "Zalo", "TikTok", "YouTube", "Khác"}
        link = str(r["liên kết chia sẻ"]).strip().rstrip("/")
        if link in shares:  # the same share reported twice: same figures
            for c in ("ngày", "cộng tác viên", "lượt tiếp cận", "lượt tương tác"):
                old, new = shares[link][c], r[c]
                if c == "ngày":
                    old, new = vn_date(old), vn_date(new)
                elif c.startswith("lượt"):
                    old, new = vn_int(old), vn_int(new)
                assert old == new, (link, c)
        shares[link] = r
    assert len(first) + len(second) - len(shares) == 3
    year = [r for r in shares.values() if vn_date(r["ngày"]).year == YEAR]
    assert len(shares) > len(year)  # some shares date from December 2023
    total = sum(vn_int(r["lượt tiếp cận"]) + vn_int(r["lượt tương tác"]) for r in year)
    assert len(year) == 873 == expected["ctv_tin_bai_chia_se"]
    assert 2_400_000 < total < 2_500_000
    assert total == expected["ctv_luot_tiep_can_tuong_tac"]
    assert len({norm(r["cộng tác viên"]) for r in year}) == expected["ctv_so_cong_tac_vien"]


def test_commendations(expected: dict[str, float]) -> None:
    rows = xlsx_rows(
        INBOX / "khen_thuong_2024.xlsx",
        ["Năm thành tích", "Hình thức", "Đối tượng", "Tên tập thể/cá nhân"],
    )

    def count(form: str, target: str) -> int:
        keys = {
            (
                vn_int(r["năm thành tích"]),
                norm(r["hình thức"]),
                norm(r["đối tượng"]),
                norm(r["tên tập thể/cá nhân"]),
            )
            for r in rows
        }
        return sum(1 for k in keys if k[:3] == (YEAR, norm(form), norm(target)))

    assert count("Khen thưởng", "Tập thể") == 3 == expected["khen_thuong_tap_the"]
    assert count("Biểu dương", "Cá nhân") == 2 == expected["bieu_duong_ca_nhan"]
    assert count("Khen thưởng", "Cá nhân") == 1  # in neither KPI


def test_meta_posts(expected: dict[str, float]) -> None:
    files = sorted(p for p in INBOX.iterdir() if META_NAME.match(p.name))
    assert len(files) == 4
    widths = set()
    latest: dict[str, tuple[date, dict[str, object]]] = {}
    seen: dict[str, list[tuple[date, dict[str, object]]]] = {}
    for path in files:
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
        match = META_NAME.match(path.name)
        assert match
        end = datetime.strptime(match.group(2), "%b-%d-%Y").date()
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        widths.add(len(df.columns))
        lower = {c.lower(): c for c in df.columns}
        rcs = lower["reactions, comments and shares"]
        for r in df.to_dict("records"):
            assert re.fullmatch(r"\d{19}", r["Post ID"]) and re.fullmatch(r"\d{15}", r["Page ID"])
            assert r["Page name"] == "Ban Chỉ đạo 35 huyện Hàm Yên" and r["Date"] == "Lifetime"
            assert int(r[rcs]) == int(r["Reactions"]) + int(r["Comments"]) + int(r["Shares"])
            r["published"] = datetime.strptime(r["Publish time"], "%m/%d/%Y %H:%M")
            seen.setdefault(r["Post ID"], []).append((end, r))
            if r["Post ID"] not in latest or end >= latest[r["Post ID"]][0]:
                latest[r["Post ID"]] = (end, r)
    assert min(widths) >= 32 and max(widths) <= 34 and len(widths) > 1

    overlap = [v for v in seen.values() if len(v) > 1]
    assert overlap and all(v[0][1]["published"].month == 3 for v in overlap)
    for versions in overlap:  # the later export never shows lower lifetime figures
        (_, early), (_, late) = sorted(versions, key=lambda v: v[0])
        for c in ("Reach", "Reactions", "Comments", "Shares"):
            assert int(late[c]) >= int(early[c])

    posts = [r for _, r in latest.values() if r["published"].year == YEAR]
    assert len(latest) - len(posts) >= 30  # December 2023 posts
    per_day = round(len(posts) / 366, 2)
    assert 1 <= per_day <= 2
    assert len(posts) == expected["fanpage_tin_bai"]
    assert per_day == expected["fanpage_tin_bai_binh_quan_ngay"]
    assert sum(int(r["Reach"]) for r in posts) == expected["fanpage_luot_tiep_can"]
    assert (
        sum(int(r["Reactions"]) + int(r["Comments"]) + int(r["Shares"]) for r in posts)
        == (expected["fanpage_luot_tuong_tac"])
    )
