"""Generate the 2024 demo inbox of Ban Chỉ đạo 35 huyện Hàm Yên (the README's 2024 figures;
docs/formats.md, docs/development.md#kpis).

Deterministic: one ``random.Random(35)``, no wall-clock time, no network. Running it twice
writes byte-identical files (XLSX included: fixed document properties and zip timestamps).

Usage (from the repository root)::

    .venv/bin/python seeds/demo/generate.py                 # -> seeds/demo/inbox/
    .venv/bin/python seeds/demo/generate.py --out /tmp/x    # somewhere else

It writes (and overwrites) only the files it generates; anything else in the output folder is
left alone. With the default output folder it also writes ``seeds/demo/expected_kpis_2024.json``
(the 2024 value of every KPI code (docs/development.md#kpis), computed from the rows it wrote, after
the natural-key de-duplication of docs/formats.md).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import random
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import xlsxwriter

SEED = 35
YEAR = 2024
HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "inbox"
DEFAULT_EXPECTED = HERE / "expected_kpis_2024.json"
# Fixed workbook properties: no wall-clock time ends up in the files.
XLSX_CREATED = datetime(2025, 1, 6, 8, 0, 0)
XLSX_AUTHOR = "Ban Tuyên giáo Huyện ủy Hàm Yên"

# --------------------------------------------------------------------------------------------
# File names (everything the generator owns)
# --------------------------------------------------------------------------------------------
F_MEETINGS_XLSX = "so_theo_doi_hoi_nghi_2024.xlsx"
F_MEETINGS_CSV = "hoi_nghi_quy4_bosung.csv"
F_COMMENDATION = "khen_thuong_2024.xlsx"
F_BULLETIN = "so_xuat_ban_ban_tin_2024.xlsx"
F_DISTRIBUTION = "cap_phat_ban_tin_2024.csv"
F_SHARES_H1 = "chia_se_ctv_6thang_dau_2024.xlsx"
F_SHARES_H2 = "chia_se_ctv_6thang_cuoi_2024.csv"

# --------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------
PAGE_NAME = "Ban Chỉ đạo 35 huyện Hàm Yên"
PAGE_ID = "100083915622407"
BULLETIN_NAME = "Bản tin huyện Hàm Yên"
DISTRICT = "Huyện"


@dataclass(frozen=True)
class Commune:
    code: str
    prefix: str  # "Xã" or "Thị trấn"
    name: str

    @property
    def full(self) -> str:
        return f"{self.prefix} {self.name}"

    @property
    def party_committee(self) -> str:
        return f"Đảng ủy {self.prefix.lower()} {self.name}"


COMMUNES: tuple[Commune, ...] = (
    Commune("02374", "Thị trấn", "Tân Yên"),
    Commune("02377", "Xã", "Yên Thuận"),
    Commune("02380", "Xã", "Bạch Xa"),
    Commune("02383", "Xã", "Minh Khương"),
    Commune("02386", "Xã", "Yên Lâm"),
    Commune("02389", "Xã", "Minh Dân"),
    Commune("02392", "Xã", "Phù Lưu"),
    Commune("02395", "Xã", "Minh Hương"),
    Commune("02398", "Xã", "Yên Phú"),
    Commune("02401", "Xã", "Tân Thành"),
    Commune("02404", "Xã", "Bình Xa"),
    Commune("02407", "Xã", "Thái Sơn"),
    Commune("02410", "Xã", "Nhân Mục"),
    Commune("02413", "Xã", "Thành Long"),
    Commune("02416", "Xã", "Bằng Cốc"),
    Commune("02419", "Xã", "Thái Hòa"),
    Commune("02422", "Xã", "Đức Ninh"),
    Commune("02425", "Xã", "Hùng Đức"),
)
COMMUNE_BY_NAME = {c.name: c for c in COMMUNES}


def commune_label(rng: random.Random, c: Commune) -> str:
    """How a clerk writes the unit: with or without the prefix, sometimes old tone marks."""
    options = [c.full, c.full, c.name]
    if c.prefix == "Thị trấn":
        options.append(f"TT {c.name}")
    label = rng.choice(options)
    if c.name == "Thái Hòa" and rng.random() < 0.4:
        label = label.replace("Hòa", "Hoà")  # old-style tone placement, same unit
    return label


ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}

# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def vn_int(n: int) -> str:
    """Vietnamese thousands separator: 12450000 -> '12.450.000'."""
    return f"{n:,}".replace(",", ".")


def vn_count(n: int) -> str:
    """Counts in Vietnamese CSV files: plain below 1000, '.'-grouped from 1000 on."""
    return vn_int(n) if n >= 1000 else str(n)


def ddmmyyyy(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def fold(text: str) -> str:
    """ASCII fold (used only to keep generated person names distinct)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    nfd = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in nfd if not unicodedata.combining(ch)).lower()


def days_of(year: int) -> list[date]:
    d = date(year, 1, 1)
    out = []
    while d.year == year:
        out.append(d)
        d += timedelta(days=1)
    return out


def weekday_between(rng: random.Random, start: date, end: date) -> date:
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    days = [d for d in days if d.weekday() < 5]
    return rng.choice(days)


def quarter_bounds(q: int, year: int = YEAR) -> tuple[date, date]:
    start = date(year, 3 * q - 2, 1)
    end = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return start, end - timedelta(days=1)


def month_end(year: int, month: int) -> date:
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return nxt - timedelta(days=1)


def csv_bytes(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    delimiter: str,
    bom: bool,
    lineterminator: str = "\r\n",
) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(
        buf, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator=lineterminator
    )
    writer.writerow(header)
    writer.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


# --------------------------------------------------------------------------------------------
# People (all names are fictional)
# --------------------------------------------------------------------------------------------
FAMILY = [
    ("Nguyễn", 14),
    ("Trần", 6),
    ("Lê", 5),
    ("Hoàng", 5),
    ("Phạm", 4),
    ("Đỗ", 3),
    ("Vũ", 3),
    ("Bùi", 2),
    ("Đặng", 2),
    ("Ngô", 2),
    ("Dương", 2),
    ("Ma", 3),
    ("Hà", 2),
    ("Nông", 2),
    ("Triệu", 2),
    ("Bàn", 1),
    ("Lục", 1),
    ("Chu", 1),
    ("Lý", 2),
    ("Quan", 1),
]
MALE_MIDDLE = ["Văn", "Văn", "Đức", "Minh", "Quang", "Xuân", "Hữu", "Thanh", "Ngọc", "Tiến"]
FEMALE_MIDDLE = ["Thị", "Thị", "Thu", "Thanh", "Ngọc", "Hồng", "Phương", "Thị Thu", "Thị Hồng"]
MALE_GIVEN = [
    "Hùng",
    "Tuấn",
    "Dũng",
    "Hải",
    "Cường",
    "Sơn",
    "Bình",
    "Nam",
    "Quân",
    "Hiếu",
    "Long",
    "Thắng",
    "Trung",
    "Kiên",
    "Toàn",
    "Phong",
    "Huy",
    "Đạt",
    "Khánh",
    "Tùng",
    "Việt",
    "Lâm",
    "Mạnh",
    "Thành",
    "Tâm",
    "Nghĩa",
    "Chiến",
    "Vượng",
]
FEMALE_GIVEN = [
    "Lan",
    "Hương",
    "Hà",
    "Thảo",
    "Trang",
    "Phương",
    "Linh",
    "Hạnh",
    "Yến",
    "Mai",
    "Nga",
    "Huyền",
    "Thủy",
    "Loan",
    "Oanh",
    "Nhung",
    "Dung",
    "Vân",
    "Quyên",
    "Ngân",
    "Hiền",
    "Thơm",
]


class NameBook:
    """Hands out fictional Vietnamese names, distinct even without diacritics."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()
        self.families = [f for f, _ in FAMILY]
        self.weights = [w for _, w in FAMILY]

    def person(self) -> str:
        while True:
            family = self.rng.choices(self.families, weights=self.weights)[0]
            if self.rng.random() < 0.5:
                name = f"{family} {self.rng.choice(MALE_MIDDLE)} {self.rng.choice(MALE_GIVEN)}"
            else:
                middle = self.rng.choice(FEMALE_MIDDLE)
                name = f"{family} {middle} {self.rng.choice(FEMALE_GIVEN)}"
            key = fold(name)
            if key not in self.used:
                self.used.add(key)
                return name


# --------------------------------------------------------------------------------------------
# XLSX helpers
# --------------------------------------------------------------------------------------------


def new_workbook(path: Path, title: str) -> xlsxwriter.Workbook:
    wb = xlsxwriter.Workbook(
        str(path),
        {
            # in_memory: zip entries get xlsxwriter's fixed 1980-01-01 timestamp.
            "in_memory": True,
            "constant_memory": False,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    wb.set_properties(
        {
            "title": title,
            "author": XLSX_AUTHOR,
            "company": "Huyện ủy Hàm Yên",
            "created": XLSX_CREATED,
        }
    )
    return wb


class Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        base = {"font_name": "Times New Roman", "font_size": 12}
        self.title = wb.add_format({**base, "bold": True, "align": "center", "font_size": 13})
        self.header = wb.add_format(
            {
                **base,
                "bold": True,
                "align": "center",
                "valign": "vcenter",
                "border": 1,
                "text_wrap": True,
                "bg_color": "#DDEBF7",
            }
        )
        self.text = wb.add_format({**base, "border": 1})
        self.wrap = wb.add_format({**base, "border": 1, "text_wrap": True})
        self.int = wb.add_format({**base, "border": 1, "num_format": "#,##0"})
        self.plain_int = wb.add_format({**base, "border": 1, "num_format": "0"})
        self.date = wb.add_format(
            {**base, "border": 1, "num_format": "dd/mm/yyyy", "align": "center"}
        )


def write_cell(ws, fmt: Formats, r: int, c: int, value: object, kind: str) -> None:
    if value is None or value == "":
        ws.write_blank(r, c, None, fmt.text)
    elif kind == "date":
        assert isinstance(value, date)
        ws.write_datetime(r, c, datetime(value.year, value.month, value.day), fmt.date)
    elif kind == "int":
        ws.write_number(r, c, int(value), fmt.int)  # type: ignore[arg-type]
    elif kind == "year":
        ws.write_number(r, c, int(value), fmt.plain_int)  # type: ignore[arg-type]
    elif kind == "wrap":
        ws.write_string(r, c, str(value), fmt.wrap)
    else:
        ws.write_string(r, c, str(value), fmt.text)


def write_table(
    ws,
    fmt: Formats,
    first_row: int,
    columns: Sequence[tuple[str, str, float]],
    rows: Sequence[Sequence[object]],
) -> None:
    """Header at ``first_row`` (0-based), then the rows. columns = (name, kind, width)."""
    for c, (name, _kind, width) in enumerate(columns):
        ws.set_column(c, c, width)
        ws.write_string(first_row, c, name, fmt.header)
    for i, row in enumerate(rows, start=first_row + 1):
        for c, value in enumerate(row):
            write_cell(ws, fmt, i, c, value, columns[c][1])
    ws.freeze_panes(first_row + 1, 0)


# --------------------------------------------------------------------------------------------
# 1. meeting_log
# --------------------------------------------------------------------------------------------
MEETING_HEADER = [
    "STT",
    "Ngày",
    "Tên hội nghị",
    "Loại hội nghị",
    "Đơn vị tổ chức",
    "Xã/Thị trấn",
    "Hình thức",
    "Chủ trì",
    "Số đại biểu",
    "Ghi chú",
]
TTTS = "Thông tin thời sự"
TTTS_ALIASES = ["Hội nghị thông tin thời sự trong Đảng", "TTTS"]
MEETING_KINDS = {
    "thông tin thời sự": TTTS,
    "hội nghị thông tin thời sự trong đảng": TTTS,
    "ttts": TTTS,
    "báo cáo viên": "Báo cáo viên",
    "sơ kết, tổng kết": "Sơ kết, tổng kết",
    "tập huấn": "Tập huấn",
    "khác": "Khác",
}


@dataclass
class Meeting:
    day: date
    name: str
    kind: str  # as written in the file (aliases allowed)
    organiser: str
    commune: str  # as written in the file
    form: str
    chair: str
    delegates: int
    note: str = ""

    def key(self) -> tuple[str, str, str, str]:
        return (self.day.isoformat(), self.name, self.organiser, self.commune)


@dataclass
class Officials:
    """Presiding officials (fictional names, real job titles)."""

    head: str
    deputy: str
    propaganda_deputy: str
    commune_secretary: dict[str, str] = field(default_factory=dict)

    def district(self, rng: random.Random) -> str:
        return rng.choice(
            [
                f"Đ/c {self.head}, Phó Bí thư Thường trực Huyện ủy, Trưởng Ban Chỉ đạo 35 huyện",
                f"Đ/c {self.deputy}, Trưởng Ban Tuyên giáo Huyện ủy, Phó Trưởng Ban Thường trực"
                " Ban Chỉ đạo 35 huyện",
            ]
        )

    def propaganda(self) -> str:
        return f"Đ/c {self.propaganda_deputy}, Phó Trưởng Ban Tuyên giáo Huyện ủy"

    def commune(self, c: Commune) -> str:
        return f"Đ/c {self.commune_secretary[c.name]}, Bí thư {c.party_committee}"


AGENCIES = [
    ("Đảng ủy Quân sự huyện", "Đ/c {n}, Bí thư Đảng ủy Quân sự huyện"),
    ("Đảng ủy Công an huyện", "Đ/c {n}, Bí thư Đảng ủy Công an huyện"),
    ("Đảng ủy Cơ quan Chính quyền huyện", "Đ/c {n}, Bí thư Đảng ủy Cơ quan Chính quyền huyện"),
]


def ttts_label(rng: random.Random) -> str:
    x = rng.random()
    if x < 0.7:
        return TTTS
    return TTTS_ALIASES[0] if x < 0.9 else TTTS_ALIASES[1]


def meeting_form(rng: random.Random, district: bool) -> str:
    if district:
        return rng.choices(
            ["Trực tiếp", "Trực tuyến", "Trực tiếp kết hợp trực tuyến"], weights=[5, 2, 3]
        )[0]
    return rng.choices(["Trực tiếp", "Trực tuyến"], weights=[9, 1])[0]


def build_meetings(
    rng: random.Random, names: NameBook
) -> tuple[list[Meeting], list[Meeting], Officials]:
    """Returns (rows of the XLSX log, rows of the Q4 supplement CSV, officials)."""
    off = Officials(head=names.person(), deputy=names.person(), propaganda_deputy=names.person())
    for c in COMMUNES:
        off.commune_secretary[c.name] = names.person()
    agency_chairs = [chair.format(n=names.person()) for _, chair in AGENCIES]

    xlsx: list[Meeting] = []
    csv_only: list[Meeting] = []

    # --- Thông tin thời sự: 12 district (monthly) + 72 commune (quarterly) + 12 agency -------
    for m in range(1, 13):
        xlsx.append(
            Meeting(
                day=weekday_between(rng, date(YEAR, m, 2), date(YEAR, m, 12)),
                name=f"Hội nghị thông tin thời sự trong Đảng tháng {m}/{YEAR}",
                kind=ttts_label(rng),
                organiser="Ban Tuyên giáo Huyện ủy",
                commune=DISTRICT,
                form=meeting_form(rng, True),
                chair=off.district(rng),
                delegates=rng.randint(150, 290),
                note="Cán bộ chủ chốt huyện; báo cáo viên Tỉnh ủy" if m in (3, 9) else "",
            )
        )
    for q in range(1, 5):
        start, end = quarter_bounds(q)
        for i, (org, _) in enumerate(AGENCIES):
            xlsx.append(
                Meeting(
                    day=weekday_between(rng, start + timedelta(days=14), end - timedelta(days=10)),
                    name=f"Hội nghị thông tin thời sự quý {ROMAN[q]}/{YEAR}",
                    kind=ttts_label(rng),
                    organiser=org,
                    commune=DISTRICT,
                    form="Trực tiếp",
                    chair=agency_chairs[i],
                    delegates=rng.randint(25, 85),
                )
            )
    # Q4 commune meetings: 4 are only in the supplement CSV, 2 are in both files.
    csv_only_communes = ["Bạch Xa", "Minh Hương", "Nhân Mục", "Bằng Cốc"]
    duplicated_communes = ["Yên Thuận", "Thành Long"]
    duplicated: list[Meeting] = []
    for q in range(1, 5):
        start, end = quarter_bounds(q)
        for c in COMMUNES:
            day = weekday_between(rng, start + timedelta(days=7), end - timedelta(days=3))
            if q == 4 and c.name == "Hùng Đức":
                day = date(YEAR, 12, 31)  # the last day of the year still counts
            meeting = Meeting(
                day=day,
                name=f"Hội nghị thông tin thời sự trong Đảng quý {ROMAN[q]}/{YEAR}",
                kind=ttts_label(rng),
                organiser=c.party_committee,
                commune=commune_label(rng, c),
                form=meeting_form(rng, False),
                chair=off.commune(c),
                delegates=rng.randint(35, 140),
                note=rng.choice(
                    [
                        "",
                        "",
                        "",
                        "Lồng ghép sinh hoạt chi bộ định kỳ",
                        "Tổ chức tại hội trường UBND xã",
                    ]
                ),
            )
            if c.prefix == "Thị trấn" and meeting.note.endswith("UBND xã"):
                meeting.note = "Tổ chức tại hội trường UBND thị trấn"
            if q == 4 and c.name in csv_only_communes:
                meeting.note = "Bổ sung sau khi khóa sổ"
                csv_only.append(meeting)
            else:
                xlsx.append(meeting)
                if q == 4 and c.name in duplicated_communes:
                    duplicated.append(meeting)

    # --- other kinds: 38 in the XLSX log, 2 more in the supplement ----------------------
    def district_meeting(
        day: date,
        name: str,
        kind: str,
        organiser: str,
        lo: int,
        hi: int,
        chair: str | None = None,
        note: str = "",
    ) -> Meeting:
        return Meeting(
            day,
            name,
            kind,
            organiser,
            DISTRICT,
            meeting_form(rng, True),
            chair or off.district(rng),
            rng.randint(lo, hi),
            note,
        )

    def commune_meeting(
        c: Commune,
        day: date,
        name: str,
        kind: str,
        lo: int,
        hi: int,
        organiser: str | None = None,
        chair: str | None = None,
        note: str = "",
    ) -> Meeting:
        return Meeting(
            day,
            name,
            kind,
            organiser or c.party_committee,
            commune_label(rng, c),
            meeting_form(rng, False),
            chair or off.commune(c),
            rng.randint(lo, hi),
            note,
        )

    pick = rng.sample(list(COMMUNES), len(COMMUNES))
    # Báo cáo viên (6)
    for q in range(1, 5):
        start, _ = quarter_bounds(q)
        xlsx.append(
            district_meeting(
                weekday_between(rng, start + timedelta(days=15), start + timedelta(days=40)),
                f"Hội nghị báo cáo viên quý {ROMAN[q]}/{YEAR}",
                "Báo cáo viên",
                "Ban Tuyên giáo Huyện ủy",
                60,
                120,
                chair=off.propaganda(),
            )
        )
    for c, m in ((pick[0], 5), (pick[1], 10)):
        xlsx.append(
            commune_meeting(
                c,
                weekday_between(rng, date(YEAR, m, 3), date(YEAR, m, 25)),
                f"Hội nghị báo cáo viên cơ sở tháng {m}/{YEAR}",
                "Báo cáo viên",
                25,
                60,
            )
        )
    # Sơ kết, tổng kết (6)
    xlsx.append(
        district_meeting(
            weekday_between(rng, date(YEAR, 7, 8), date(YEAR, 7, 19)),
            f"Hội nghị sơ kết công tác 6 tháng đầu năm {YEAR} Ban Chỉ đạo 35 huyện",
            "Sơ kết, tổng kết",
            "Ban Chỉ đạo 35 huyện",
            80,
            150,
        )
    )
    xlsx.append(
        district_meeting(
            date(YEAR, 12, 27),
            f"Hội nghị tổng kết công tác năm {YEAR} Ban Chỉ đạo 35 huyện",
            "Sơ kết, tổng kết",
            "Ban Chỉ đạo 35 huyện",
            120,
            200,
            chair=f"Đ/c {off.head}, Phó Bí thư Thường trực Huyện ủy, Trưởng Ban Chỉ đạo 35 huyện",
            note="Trao khen thưởng 3 tập thể, biểu dương 2 cá nhân",
        )
    )
    tan_yen = COMMUNE_BY_NAME["Tân Yên"]
    xlsx.append(
        commune_meeting(
            tan_yen,
            weekday_between(rng, date(YEAR, 7, 1), date(YEAR, 7, 12)),
            f"Hội nghị sơ kết 6 tháng đầu năm {YEAR} Ban Chỉ đạo 35 thị trấn",
            "Sơ kết, tổng kết",
            40,
            80,
        )
    )
    for c in pick[2:5]:
        xlsx.append(
            commune_meeting(
                c,
                weekday_between(rng, date(YEAR, 12, 9), date(YEAR, 12, 24)),
                f"Hội nghị tổng kết công tác năm {YEAR} Ban Chỉ đạo 35 xã",
                "Sơ kết, tổng kết",
                30,
                70,
            )
        )
    # Tập huấn (8)
    for c, m in ((pick[5], 3), (pick[6], 4), (pick[7], 8), (pick[8], 9)):
        xlsx.append(
            Meeting(
                weekday_between(rng, date(YEAR, m, 4), date(YEAR, m, 26)),
                "Tập huấn kỹ năng tuyên truyền trên không gian mạng cho cộng tác viên"
                f" cụm {c.full}",
                "Tập huấn",
                "Ban Tuyên giáo Huyện ủy",
                commune_label(rng, c),
                "Trực tiếp",
                off.propaganda(),
                rng.randint(45, 110),
                f"Cụm {c.name} và các xã lân cận",
            )
        )
    xlsx.append(
        district_meeting(
            weekday_between(rng, date(YEAR, 6, 3), date(YEAR, 6, 21)),
            f"Tập huấn nghiệp vụ công tác tuyên giáo cơ sở năm {YEAR}",
            "Tập huấn",
            "Ban Tuyên giáo Huyện ủy",
            90,
            180,
            chair=off.propaganda(),
        )
    )
    for c, m in ((pick[9], 5), (pick[10], 7), (pick[11], 10)):
        xlsx.append(
            commune_meeting(
                c,
                weekday_between(rng, date(YEAR, m, 2), date(YEAR, m, 27)),
                "Tập huấn kỹ năng nhận diện, phản bác thông tin xấu, độc trên mạng xã hội",
                "Tập huấn",
                30,
                75,
            )
        )
    # Khác (18)
    xlsx.append(
        district_meeting(
            weekday_between(rng, date(YEAR, 1, 15), date(YEAR, 1, 26)),
            f"Hội nghị triển khai kế hoạch hoạt động năm {YEAR} Ban Chỉ đạo 35 huyện",
            "Khác",
            "Ban Chỉ đạo 35 huyện",
            60,
            120,
        )
    )
    for q in range(1, 5):
        start, end = quarter_bounds(q)
        xlsx.append(
            district_meeting(
                weekday_between(rng, end - timedelta(days=20), end - timedelta(days=5)),
                f"Hội nghị giao ban Ban Chỉ đạo 35 huyện quý {ROMAN[q]}/{YEAR}",
                "Khác",
                "Ban Chỉ đạo 35 huyện",
                20,
                45,
            )
        )
        xlsx.append(
            district_meeting(
                weekday_between(rng, start + timedelta(days=5), start + timedelta(days=25)),
                f"Hội nghị giao ban tình hình dư luận xã hội quý {ROMAN[q]}/{YEAR}",
                "Khác",
                "Ban Tuyên giáo Huyện ủy",
                20,
                50,
                chair=off.propaganda(),
            )
        )
    for m, ordinal in ((3, "lần thứ chín"), (11, "lần thứ mười")):
        xlsx.append(
            district_meeting(
                weekday_between(rng, date(YEAR, m, 5), date(YEAR, m, 22)),
                f"Hội nghị học tập, quán triệt Nghị quyết Hội nghị {ordinal}"
                " Ban Chấp hành Trung ương Đảng khóa XIII",
                "Khác",
                "Ban Thường vụ Huyện ủy",
                220,
                300,
                note="Điểm cầu huyện và 18 điểm cầu xã, thị trấn",
            )
        )
    for c, m in ((pick[12], 4), (pick[13], 6), (pick[14], 8), (pick[15], 11)):
        xlsx.append(
            commune_meeting(
                c,
                weekday_between(rng, date(YEAR, m, 3), date(YEAR, m, 26)),
                "Hội nghị đối thoại giữa người đứng đầu cấp ủy, chính quyền với Nhân dân",
                "Khác",
                80,
                160,
            )
        )
    for c, m in ((pick[16], 2), (pick[17], 5), (pick[0], 9)):
        xlsx.append(
            commune_meeting(
                c,
                weekday_between(rng, date(YEAR, m, 5), date(YEAR, m, 26)),
                "Hội nghị tuyên truyền bảo vệ nền tảng tư tưởng của Đảng",
                "Khác",
                40,
                120,
            )
        )

    thai_son = COMMUNE_BY_NAME["Thái Sơn"]
    csv_only.append(
        commune_meeting(
            thai_son,
            weekday_between(rng, date(YEAR, 11, 4), date(YEAR, 11, 15)),
            "Hội nghị tuyên truyền công tác giải phóng mặt bằng Dự án đường cao tốc Tuyên Quang"
            " - Hà Giang",
            "Khác",
            90,
            180,
            note="Bổ sung sau khi khóa sổ",
        )
    )
    minh_dan = COMMUNE_BY_NAME["Minh Dân"]
    csv_only.append(
        commune_meeting(
            minh_dan,
            weekday_between(rng, date(YEAR, 11, 18), date(YEAR, 11, 29)),
            "Tập huấn kỹ năng viết tin bài tuyên truyền trên mạng xã hội",
            "Tập huấn",
            30,
            60,
            organiser="Ban Tuyên giáo Huyện ủy",
            chair=off.propaganda(),
            note="Bổ sung sau khi khóa sổ",
        )
    )

    xlsx.sort(key=lambda m: (m.day, m.name, m.organiser))
    supplement = sorted(csv_only + duplicated, key=lambda m: (m.day, m.name, m.organiser))
    return xlsx, supplement, off


def meeting_cells(m: Meeting, stt: int) -> list[object]:
    return [
        stt,
        m.day,
        m.name,
        m.kind,
        m.organiser,
        m.commune,
        m.form,
        m.chair,
        m.delegates,
        m.note,
    ]


def write_meetings_xlsx(path: Path, meetings: Sequence[Meeting]) -> None:
    wb = new_workbook(path, "Sổ theo dõi hội nghị năm 2024")
    fmt = Formats(wb)
    ws = wb.add_worksheet("Hội nghị 2024")
    ws.merge_range(0, 0, 0, 9, "BAN CHỈ ĐẠO 35 HUYỆN HÀM YÊN", fmt.title)
    ws.merge_range(1, 0, 1, 9, f"SỔ THEO DÕI HỘI NGHỊ NĂM {YEAR}", fmt.title)
    columns = [
        ("STT", "year", 6),
        ("Ngày", "date", 12),
        ("Tên hội nghị", "wrap", 60),
        ("Loại hội nghị", "text", 24),
        ("Đơn vị tổ chức", "text", 34),
        ("Xã/Thị trấn", "text", 16),
        ("Hình thức", "text", 18),
        ("Chủ trì", "wrap", 50),
        ("Số đại biểu", "int", 11),
        ("Ghi chú", "wrap", 34),
    ]
    write_table(ws, fmt, 3, columns, [meeting_cells(m, i) for i, m in enumerate(meetings, 1)])
    # A reference sheet the loader must ignore (its header matches no kind).
    ref = wb.add_worksheet("Danh mục xã, thị trấn")
    write_table(
        ref,
        fmt,
        0,
        [("Mã ĐVHC", "text", 10), ("Tên đơn vị hành chính", "text", 26), ("Cấp", "text", 10)],
        [[c.code, c.full, c.prefix] for c in COMMUNES],
    )
    wb.close()


def meetings_csv(meetings: Sequence[Meeting]) -> bytes:
    rows = []
    for i, m in enumerate(meetings, 1):
        cells = meeting_cells(m, i)
        cells[1] = ddmmyyyy(m.day)
        rows.append([str(v) for v in cells])
    return csv_bytes(MEETING_HEADER, rows, delimiter=";", bom=True)


# --------------------------------------------------------------------------------------------
# 2. commendation
# --------------------------------------------------------------------------------------------
COMMENDATION_HEADER = [
    "Năm thành tích",
    "Hình thức",
    "Đối tượng",
    "Tên tập thể/cá nhân",
    "Số quyết định",
    "Ngày quyết định",
]


def build_commendations(names: NameBook) -> list[list[object]]:
    d2024 = date(YEAR, 12, 27)
    d2023 = date(YEAR - 1, 12, 28)
    return [
        [2023, "Khen thưởng", "Tập thể", "Đảng ủy xã Yên Phú", "12-QĐ/BCĐ", d2023],
        [2023, "Khen thưởng", "Tập thể", "Huyện đoàn Hàm Yên", "12-QĐ/BCĐ", d2023],
        [2023, "Biểu dương", "Cá nhân", names.person(), "13-QĐ/BCĐ", d2023],
        [2023, "Biểu dương", "Cá nhân", names.person(), "13-QĐ/BCĐ", d2023],
        [2023, "Biểu dương", "Cá nhân", names.person(), "13-QĐ/BCĐ", d2023],
        [YEAR, "Khen thưởng", "Tập thể", "Đảng ủy thị trấn Tân Yên", "27-QĐ/BCĐ", d2024],
        [YEAR, "Khen thưởng", "Tập thể", "Ban Chỉ đạo 35 xã Thái Sơn", "27-QĐ/BCĐ", d2024],
        [YEAR, "Khen thưởng", "Tập thể", "Hội Cựu chiến binh huyện Hàm Yên", "27-QĐ/BCĐ", d2024],
        [YEAR, "Biểu dương", "Cá nhân", names.person(), "28-QĐ/BCĐ", d2024],
        [YEAR, "Biểu dương", "Cá nhân", names.person(), "28-QĐ/BCĐ", d2024],
        # Khen thưởng a person: counts in neither KPI.
        [YEAR, "Khen thưởng", "Cá nhân", names.person(), "27-QĐ/BCĐ", d2024],
    ]


def write_commendation_xlsx(path: Path, rows: Sequence[Sequence[object]]) -> None:
    wb = new_workbook(path, "Danh sách khen thưởng, biểu dương")
    fmt = Formats(wb)
    ws = wb.add_worksheet("Khen thưởng")
    columns = [
        ("Năm thành tích", "year", 14),
        ("Hình thức", "text", 14),
        ("Đối tượng", "text", 11),
        ("Tên tập thể/cá nhân", "text", 38),
        ("Số quyết định", "text", 15),
        ("Ngày quyết định", "date", 15),
    ]
    write_table(ws, fmt, 0, columns, rows)
    wb.close()


# --------------------------------------------------------------------------------------------
# 3. bulletin_issue and 4. bulletin_distribution
# --------------------------------------------------------------------------------------------
BULLETIN_HEADER = [
    "Tên ấn phẩm",
    "Năm",
    "Số",
    "Tháng phát hành",
    "Số lượng in",
    "Ngày phát hành",
    "Số trang",
    "Đơn vị in",
    "Kinh phí",
]
DISTRIBUTION_HEADER = ["Tên ấn phẩm", "Năm", "Số", "Đơn vị nhận", "Số lượng", "Xã/Thị trấn"]
PRINT_RUN_TOTAL = 9960
PRINTER = "Công ty TNHH In Tân Trào"
DISTRICT_RECIPIENTS = [
    ("Đảng ủy Quân sự huyện", 14),
    ("Đảng ủy Công an huyện", 16),
    ("Đảng ủy Cơ quan Chính quyền huyện", 22),
    ("Đảng ủy Cơ quan Đảng - Đoàn thể huyện", 18),
    ("Chi bộ Trường THPT Hàm Yên", 6),
    ("Chi bộ Trường THPT Thái Hòa", 5),
    ("Chi bộ Trường THPT Phù Lưu", 5),
    ("Chi bộ Trung tâm Y tế huyện", 6),
    ("Trung tâm Chính trị huyện", 8),
    ("Ban Tuyên giáo Huyện ủy (lưu)", 6),
]


@dataclass
class Issue:
    number: int
    month: int
    copies: int
    released: date
    pages: int
    cost: int
    distribution: list[tuple[str, int, str]]  # (recipient, copies, commune label)


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Largest-remainder apportionment: integers summing exactly to ``total``."""
    wsum = sum(weights)
    raw = [total * w / wsum for w in weights]
    out = [math.floor(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - out[i]), i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def build_issues(rng: random.Random) -> list[Issue]:
    # 830 copies on average; the deviations come in +/- pairs so the year sums to 9960.
    deltas = [rng.choice([0, 10, 20, 30]) for _ in range(6)]
    deltas += [-d for d in deltas]
    rng.shuffle(deltas)
    runs = [PRINT_RUN_TOTAL // 12 + d for d in deltas]
    assert sum(runs) == PRINT_RUN_TOTAL and all(700 < r < 1000 for r in runs)
    commune_weight = {c.name: rng.randint(18, 42) for c in COMMUNES}
    issues = []
    for n, copies in enumerate(runs, start=1):
        recipients: list[tuple[str, float, str]] = []
        for c in COMMUNES:
            label = commune_label(rng, c)
            recipients.append(
                (c.party_committee, commune_weight[c.name] * rng.uniform(0.95, 1.05), label)
            )
        for name, w in DISTRICT_RECIPIENTS:
            recipients.append((name, w * rng.uniform(0.9, 1.1), DISTRICT))
        counts = allocate(copies, [w for _, w, _ in recipients])
        dist = [(r, k, label) for (r, _, label), k in zip(recipients, counts, strict=True)]
        pages = rng.choice([32, 36, 40, 40, 44])
        unit_cost = rng.randint(145, 160) * 100  # VND per copy
        issues.append(
            Issue(
                number=n,
                month=n,
                copies=copies,
                released=weekday_between(rng, date(YEAR, n, 3), date(YEAR, n, 12)),
                pages=pages,
                cost=round(copies * unit_cost / 1000) * 1000,
                distribution=dist,
            )
        )
    return issues


def write_bulletin_xlsx(path: Path, issues: Sequence[Issue]) -> None:
    wb = new_workbook(path, "Sổ xuất bản Bản tin huyện Hàm Yên năm 2024")
    fmt = Formats(wb)
    ws = wb.add_worksheet("Sổ xuất bản")
    ws.merge_range(0, 0, 0, 8, f'SỔ XUẤT BẢN "BẢN TIN HUYỆN HÀM YÊN" NĂM {YEAR}', fmt.title)
    columns = [
        ("Tên ấn phẩm", "text", 24),
        ("Năm", "year", 8),
        ("Số", "year", 6),
        ("Tháng phát hành", "text", 15),
        ("Số lượng in", "int", 12),
        ("Ngày phát hành", "date", 15),
        ("Số trang", "year", 9),
        ("Đơn vị in", "text", 28),
        ("Kinh phí", "text", 14),
    ]
    rows = [
        [
            BULLETIN_NAME,
            YEAR,
            i.number,
            f"{i.month:02d}/{YEAR}",
            i.copies,
            i.released,
            i.pages,
            PRINTER,
            vn_int(i.cost),
        ]
        for i in issues
    ]
    write_table(ws, fmt, 1, columns, rows)
    wb.close()


def distribution_csv(issues: Sequence[Issue]) -> bytes:
    rows = [
        [BULLETIN_NAME, str(YEAR), str(i.number), recipient, vn_count(k), label]
        for i in issues
        for recipient, k, label in i.distribution
    ]
    return csv_bytes(DISTRIBUTION_HEADER, rows, delimiter=",", bom=False)


# --------------------------------------------------------------------------------------------
# 5. meta_posts
# --------------------------------------------------------------------------------------------
META_HEAD = [
    "Post ID",
    "Page ID",
    "Page name",
    "Title",
    "Description",
    "Duration (sec)",
    "Publish time",
    "Caption type",
    "Permalink",
    "Is crosspost",
    "Is share",
    "Post type",
    "Languages",
    "Custom labels",
    "Funded content status",
    "Data comment",
    "Date",
]
META_METRICS = [
    "Impressions",
    "Reach",
    "Reactions, Comments and Shares",
    "Reactions",
    "Comments",
    "Shares",
    "Total clicks",
    "Link Clicks",
    "Other Clicks",
    "Matched Audience Targeting Consumption (Photo Click)",
    "Negative feedback from users: Hide all",
    "Seconds viewed",
    "Average Seconds viewed",
    "Estimated earnings (USD)",
    "Ad CPM (USD)",
    "Ad impressions",
]
RCS = "Reactions, Comments and Shares"


def meta_columns(variant: str) -> list[str]:
    head = list(META_HEAD)
    metrics = list(META_METRICS)
    if variant == "old":  # 32 columns, older lower-case spelling
        head.remove("Funded content status")
        metrics[metrics.index(RCS)] = "Reactions, comments and shares"
    elif variant == "both":  # 34 columns: Impressions and the new Views
        metrics.insert(1, "Views")
    elif variant == "views":  # 33 columns: Views replaced Impressions
        metrics[0] = "Views"
    return head + metrics


@dataclass(frozen=True)
class Export:
    start: date
    end: date
    variant: str
    file_id: str

    @property
    def filename(self) -> str:
        fmt = "%b-%d-%Y"
        return f"{self.start.strftime(fmt)}_{self.end.strftime(fmt)}_{self.file_id}.csv"


@dataclass
class Post:
    post_id: str
    published: datetime
    post_type: str
    title: str
    description: str
    duration: int
    permalink: str
    is_share: bool
    final: dict[str, int | None]


TOPICS = [
    "Hàm Yên đẩy mạnh tuyên truyền bảo vệ nền tảng tư tưởng của Đảng",
    "Đấu tranh phản bác các quan điểm sai trái, thù địch trên không gian mạng",
    "{c}: Chung sức xây dựng nông thôn mới",
    "Công tác giải phóng mặt bằng Dự án đường cao tốc Tuyên Quang - Hà Giang qua {c}",
    "Gương người tốt, việc tốt: cán bộ, đảng viên {c} gương mẫu đi đầu",
    "Thông tin chính thống: tình hình kinh tế - xã hội huyện Hàm Yên tháng {m}",
    "Cảnh giác với thông tin xấu, độc, tin giả trên mạng xã hội",
    "Hội nghị thông tin thời sự trong Đảng tại {c}",
    "Phát triển vùng cam sành Hàm Yên theo hướng hàng hóa, bền vững",
    '{c} ra quân hưởng ứng phong trào "Lấy cái đẹp dẹp cái xấu"',
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "Chuyển đổi số: người dân {c} sử dụng dịch vụ công trực tuyến",
    "Đoàn viên, thanh niên Hàm Yên lan tỏa thông tin tích cực trên mạng xã hội",
    "Bảo vệ rừng, phòng chống cháy rừng mùa khô tại {c}",
    "Tuyên truyền Nghị quyết số 35-NQ/TW của Bộ Chính trị",
]
HASHTAGS = "#BCĐ35HàmYên #BảoVệNềnTảngTưTưởngCủaĐảng #HàmYên"
POST_TYPES = [("Photos", 58), ("Links", 20), ("Videos", 8), ("Reels", 8), ("Text", 6)]


def post_text(rng: random.Random, d: date) -> tuple[str, str]:
    c = rng.choice(COMMUNES)
    headline = rng.choice(TOPICS).format(c=c.full.replace("Xã", "xã"), m=f"{d.month}/{d.year}")
    body = rng.choice(
        [
            "Thực hiện Nghị quyết số 35-NQ/TW, các cấp ủy, tổ chức đảng trên địa bàn tiếp tục "
            "đổi mới nội dung, hình thức tuyên truyền.",
            'Mỗi cán bộ, đảng viên là một "chiến sĩ" trên mặt trận tư tưởng, văn hóa.',
            "👉 Mời bạn đọc theo dõi, chia sẻ để lan tỏa thông tin tích cực.",
            "Ảnh: Ban Tuyên giáo Huyện ủy.",
            "📌 Thông tin chính thống, kịp thời, chính xác.",
        ]
    )
    multiline = rng.random() < 0.35
    sep = "\n\n" if multiline else " "
    tags = f"\n{HASHTAGS}" if multiline else ""
    return headline, f"{headline.upper() if multiline else headline}{sep}{body}{tags}"


def build_posts(rng: random.Random) -> list[Post]:
    # Posts per day: Dec 2023 a little slower, 2024 about 1.5 a day.
    days: list[tuple[date, int]] = []
    for d in [date(YEAR - 1, 12, 1) + timedelta(days=i) for i in range(31)]:
        days.append((d, rng.choices([0, 1, 2], weights=[10, 55, 35])[0]))
    for d in days_of(YEAR):
        days.append((d, rng.choices([0, 1, 2, 3], weights=[6, 42, 44, 8])[0]))
    post_id = 1221580000000000000 + rng.randint(10**14, 9 * 10**14)
    posts: list[Post] = []
    types = [t for t, _ in POST_TYPES]
    tweights = [w for _, w in POST_TYPES]
    for d, n in days:
        minutes = sorted(rng.sample(range(6 * 60 + 30, 21 * 60 + 45, 5), n))
        if d == date(YEAR - 1, 12, 31):
            minutes = sorted(minutes[:-1] + [23 * 60 + 48]) if minutes else [23 * 60 + 48]
        if d == date(YEAR, 1, 1):
            minutes = sorted([5] + minutes[1:]) if minutes else [5]  # New Year greeting
        for minute in minutes:
            post_id += rng.randint(10**11, 10**12)
            published = datetime(d.year, d.month, d.day, minute // 60, minute % 60)
            ptype = rng.choices(types, weights=tweights)[0]
            headline, desc = post_text(rng, d)
            if d == date(YEAR, 1, 1) and minute == 5:
                ptype, headline = "Photos", "Chúc mừng năm mới 2024"
                desc = (
                    "🎉 Ban Chỉ đạo 35 huyện Hàm Yên kính chúc cán bộ, đảng viên và Nhân dân "
                    "các dân tộc huyện Hàm Yên năm mới 2024 mạnh khỏe, hạnh phúc!"
                )
            is_video = ptype in ("Videos", "Reels")
            duration = rng.randint(20, 240) if is_video else 0
            pid = str(post_id)
            if ptype == "Reels":
                permalink = f"https://www.facebook.com/reel/{pid[-16:]}"
            elif ptype == "Videos":
                permalink = f"https://www.facebook.com/{PAGE_ID}/videos/{pid[-16:]}"
            else:
                permalink = f"https://www.facebook.com/{PAGE_ID}/posts/{pid}"
            posts.append(
                Post(
                    post_id=pid,
                    published=published,
                    post_type=ptype,
                    title=headline if is_video else "",
                    description=desc,
                    duration=duration,
                    permalink=permalink,
                    is_share=ptype == "Links" and rng.random() < 0.25,
                    final=post_metrics(rng, ptype, duration),
                )
            )
    assert len({p.post_id for p in posts}) == len(posts)
    assert all(len(p.post_id) == 19 for p in posts)
    return posts


def post_metrics(rng: random.Random, ptype: str, duration: int) -> dict[str, int | None]:
    reach = int(min(25000, max(180, rng.lognormvariate(7.0, 0.75))))
    if ptype == "Reels":
        reach = int(reach * rng.uniform(1.5, 3.0))
    reactions = max(1, int(reach * rng.uniform(0.015, 0.06)))
    comments = int(reach * rng.uniform(0.0, 0.008))
    shares = int(reach * rng.uniform(0.0, 0.015))
    clicks = int(reach * rng.uniform(0.03, 0.11))
    link = int(clicks * rng.uniform(0.4, 0.8)) if ptype == "Links" else 0
    photo = int((clicks - link) * rng.uniform(0.3, 0.7)) if ptype == "Photos" else 0
    other = clicks - link - photo
    views = int(reach * rng.uniform(1.2, 2.2))
    m: dict[str, int | None] = {
        "Impressions": int(reach * rng.uniform(1.1, 1.7)),
        "Views": views,
        "Reach": reach,
        "Reactions": reactions,
        "Comments": comments,
        "Shares": shares,
        "Total clicks": clicks,
        "Link Clicks": link,
        "Other Clicks": other,
        "Matched Audience Targeting Consumption (Photo Click)": photo,
        "Negative feedback from users: Hide all": rng.choice([0, 0, 0, 0, 1, 2]),
        "Seconds viewed": None,
        "Average Seconds viewed": None,
    }
    if duration:
        avg = max(3, int(duration * rng.uniform(0.15, 0.45)))
        m["Average Seconds viewed"] = avg
        m["Seconds viewed"] = avg * views
    # Optional metrics Meta sometimes leaves blank (unknown, not 0).
    for name in ("Impressions", "Total clicks", "Negative feedback from users: Hide all"):
        if rng.random() < 0.03:
            m[name] = None
    return m


def earlier(rng: random.Random, final: dict[str, int | None]) -> dict[str, int | None]:
    """Lifetime metrics as of an earlier export: never above the final ones."""
    f = rng.uniform(0.78, 0.97)
    return {k: (None if v is None else int(v * f)) for k, v in final.items()}


def meta_quote(value: str) -> str:
    # Meta quotes a field when it holds a space, comma, quote or line break.
    if any(ch in value for ch in ' ,"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def meta_row(post: Post, metrics: dict[str, int | None], columns: Sequence[str]) -> list[str]:
    reactions, comments, shares = metrics["Reactions"], metrics["Comments"], metrics["Shares"]
    assert reactions is not None and comments is not None and shares is not None
    values = {
        "Post ID": post.post_id,
        "Page ID": PAGE_ID,
        "Page name": PAGE_NAME,
        "Title": post.title,
        "Description": post.description,
        "Duration (sec)": str(post.duration),
        # US order, zero-padded month/day/hour, the page's local time (Asia/Ho_Chi_Minh)
        "Publish time": post.published.strftime("%m/%d/%Y %H:%M"),
        "Caption type": "N/A",
        "Permalink": post.permalink,
        "Is crosspost": "0",
        "Is share": "1" if post.is_share else "0",
        "Post type": post.post_type,
        "Date": "Lifetime",
        RCS: str(reactions + comments + shares),
        "Reactions, comments and shares": str(reactions + comments + shares),
    }
    for k, v in metrics.items():
        values[k] = "" if v is None else str(v)
    return [values.get(c, "") for c in columns]


def meta_csv(rows: Sequence[Sequence[str]], columns: Sequence[str]) -> bytes:
    lines = [",".join(meta_quote(c) for c in columns)]
    lines += [",".join(meta_quote(v) for v in row) for row in rows]
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def build_exports(
    rng: random.Random, posts: Sequence[Post], file_ids: Sequence[str]
) -> list[tuple[Export, list[tuple[Post, dict[str, int | None]]]]]:
    exports = [
        Export(date(YEAR - 1, 12, 1), date(YEAR, 3, 31), "old", file_ids[0]),
        Export(date(YEAR, 3, 1), date(YEAR, 6, 30), "standard", file_ids[1]),
        Export(date(YEAR, 7, 1), date(YEAR, 9, 30), "both", file_ids[2]),
        Export(date(YEAR, 10, 1), date(YEAR, 12, 31), "views", file_ids[3]),
    ]
    out = []
    for e in exports:
        rows = []
        for p in posts:
            if not e.start <= p.published.date() <= e.end:
                continue
            # March posts are also in the later export: this one shows lower lifetime values.
            later = any(o.end > e.end and o.start <= p.published.date() <= o.end for o in exports)
            rows.append((p, earlier(rng, p.final) if later else p.final))
        rows.sort(key=lambda pm: pm[0].published, reverse=True)  # newest first, as Meta does
        out.append((e, rows))
    return out


# --------------------------------------------------------------------------------------------
# 6. collaborator_shares
# --------------------------------------------------------------------------------------------
SHARES_HEADER = [
    "Ngày",
    "Cộng tác viên",
    "Đơn vị",
    "Nền tảng",
    "Liên kết chia sẻ",
    "Lượt tiếp cận",
    "Lượt tương tác",
    "Bài gốc",
    "Ghi chú",
]
DISTINCT_SHARES_2024 = 873
SHARE_SUM_TARGET = 2_436_000
PLATFORMS = [("Facebook", 70), ("Zalo", 12), ("TikTok", 9), ("YouTube", 5), ("Khác", 4)]
SHARE_UNITS_DISTRICT = [
    "Huyện đoàn Hàm Yên",
    "Hội Cựu chiến binh huyện",
    "Hội Liên hiệp Phụ nữ huyện",
    "Công an huyện",
    "Ban Tuyên giáo Huyện ủy",
    "Trung tâm Văn hóa - Truyền thông huyện",
]
TOKEN_CHARS = "abcdefghijkmnpqrstuvwxyz23456789"


@dataclass
class Collaborator:
    name: str
    unit: str
    handle: str
    weight: float


@dataclass
class Share:
    day: date
    who: Collaborator
    platform: str
    link: str
    reach: int
    interactions: int
    source: str
    note: str = ""

    def cells(self, link: str | None = None) -> list[object]:
        return [
            self.day,
            self.who.name,
            self.who.unit,
            self.platform,
            self.link if link is None else link,
            self.reach,
            self.interactions,
            self.source,
            self.note,
        ]


def build_collaborators(rng: random.Random, names: NameBook) -> list[Collaborator]:
    units = [c.full for c in COMMUNES] + SHARE_UNITS_DISTRICT
    out = []
    for i in range(61):
        name = names.person()
        unit = units[i % len(units)] if i < len(units) else rng.choice(units)
        handle = fold(name).replace(" ", "") + str(rng.randint(10, 99))
        out.append(Collaborator(name, unit, handle, rng.uniform(0.3, 2.5)))
    return out


def share_link(rng: random.Random, platform: str, who: Collaborator, used: set[str]) -> str:
    while True:
        token = "".join(rng.choice(TOKEN_CHARS) for _ in range(10))
        if platform == "Facebook":
            link = f"https://www.facebook.com/share/p/{token}"
        elif platform == "Zalo":
            link = f"https://zalo.me/s/{rng.randint(10**12, 10**13 - 1)}"
        elif platform == "TikTok":
            link = f"https://www.tiktok.com/@{who.handle}/video/73{rng.randint(10**16, 10**17 - 1)}"
        elif platform == "YouTube":
            link = f"https://www.youtube.com/shorts/{token}{rng.choice(TOKEN_CHARS)}"
        else:
            link = f"https://lotus.vn/w/post/{rng.randint(10**17, 10**18 - 1)}.htm"
        if link.lower() not in used:
            used.add(link.lower())
            return link


def build_shares(
    rng: random.Random, collaborators: Sequence[Collaborator], posts: Sequence[Post]
) -> tuple[list[list[object]], list[list[object]], list[Share], list[Share]]:
    """Returns (XLSX rows, CSV rows, distinct shares, planted duplicate shares)."""
    active = list(collaborators[:60])  # the 61st collaborator only shared in December 2023
    gone = collaborators[60]
    plats = [p for p, _ in PLATFORMS]
    pweights = [w for _, w in PLATFORMS]
    used: set[str] = set()
    posts_by_day: dict[date, list[Post]] = {}
    for p in posts:
        posts_by_day.setdefault(p.published.date(), []).append(p)

    def source_for(d: date) -> str:
        for back in range(0, 10):
            cand = posts_by_day.get(d - timedelta(days=back))
            if cand:
                return rng.choice(cand).permalink
        return f"https://www.facebook.com/{PAGE_ID}"

    def raw_share(d: date, who: Collaborator) -> Share:
        platform = rng.choices(plats, weights=pweights)[0]
        spread = {"Facebook": 1.0, "Zalo": 0.6, "TikTok": 1.6, "YouTube": 0.9, "Khác": 0.4}
        reach = rng.lognormvariate(7.55, 0.8) * spread[platform]
        inter = reach * rng.uniform(0.03, 0.12)
        return Share(
            d,
            who,
            platform,
            share_link(rng, platform, who, used),
            int(reach * 1000),
            int(inter * 1000),
            source_for(d),
        )

    # December 2023 shares (reported late, first file).
    dec: list[Share] = []
    for _ in range(6):
        d = date(YEAR - 1, 12, rng.randint(4, 30))
        who = gone if not dec else rng.choice(active)
        s = raw_share(d, who)
        s.note = "Báo cáo bổ sung tháng 12/2023"
        dec.append(s)
    # 873 distinct shares in 2024, more in the second half as the network grew.
    year_days = days_of(YEAR)
    day_w = [1.0 if d.month <= 6 else 1.25 for d in year_days]
    weights = [c.weight for c in active]
    shares: list[Share] = []
    for i in range(DISTINCT_SHARES_2024):
        d = rng.choices(year_days, weights=day_w)[0]
        who = active[i] if i < len(active) else rng.choices(active, weights=weights)[0]
        shares.append(raw_share(d, who))

    # Scale reach/interactions (drawn ×1000 above) so the 2024 total is about 2.44 million.
    scale = SHARE_SUM_TARGET / sum(s.reach + s.interactions for s in shares)
    for s in [*shares, *dec]:
        s.reach = max(60, round(s.reach * scale))
        s.interactions = max(2, round(s.interactions * scale))
    total = sum(s.reach + s.interactions for s in shares)
    assert 2_400_000 < total < 2_500_000, total

    shares.sort(key=lambda s: (s.day, s.who.name, s.link))
    dec.sort(key=lambda s: (s.day, s.who.name, s.link))
    first = [s for s in shares if s.day.month <= 6]
    second = [s for s in shares if s.day.month >= 7]
    for s in rng.sample(shares, 25):
        s.note = rng.choice(
            [
                "Chia sẻ vào nhóm Zalo thôn",
                "Kèm bình luận định hướng",
                "Đăng lại trên trang cá nhân",
                "Chia sẻ vào nhóm Facebook của xã",
            ]
        )

    # Planted duplicates: the same share reported twice, link written differently.
    d1 = rng.choice([s for s in first if s.platform == "Facebook"])
    d2 = rng.choice([s for s in second if s.platform == "Facebook"])
    d3 = rng.choice([s for s in first if s.day.month == 6 and s is not d1])
    dup_rows_xlsx = [(d1, d1.link + "/")]
    dup_rows_csv = [(d2, f"  {d2.link} "), (d3, d3.link + "/")]

    xlsx_rows: list[list[object]] = [s.cells() for s in dec]
    for s in first:
        xlsx_rows.append(s.cells())
        for orig, variant in dup_rows_xlsx:
            if orig is s:
                xlsx_rows.append(orig.cells(variant))
    csv_rows: list[list[object]] = []
    for s in second:
        csv_rows.append(s.cells())
        for orig, variant in dup_rows_csv[:1]:
            if orig is s:
                csv_rows.append(orig.cells(variant))
    # The June share re-reported at the top of the second-half log.
    csv_rows.insert(0, d3.cells(dup_rows_csv[1][1]))
    return xlsx_rows, csv_rows, [*dec, *shares], [d1, d2, d3]


def write_shares_xlsx(path: Path, rows: Sequence[Sequence[object]]) -> None:
    wb = new_workbook(path, "Sổ theo dõi chia sẻ của cộng tác viên 6 tháng đầu năm 2024")
    fmt = Formats(wb)
    ws = wb.add_worksheet("CTV 6 tháng đầu 2024")
    columns = [
        ("Ngày", "date", 12),
        ("Cộng tác viên", "text", 24),
        ("Đơn vị", "text", 30),
        ("Nền tảng", "text", 10),
        ("Liên kết chia sẻ", "text", 60),
        ("Lượt tiếp cận", "int", 13),
        ("Lượt tương tác", "int", 13),
        ("Bài gốc", "text", 60),
        ("Ghi chú", "text", 30),
    ]
    write_table(ws, fmt, 0, columns, rows)
    wb.close()


def shares_csv(rows: Sequence[Sequence[object]]) -> bytes:
    out = []
    for r in rows:
        d, who, unit, platform, link, reach, inter, source, note = r
        assert isinstance(d, date) and isinstance(reach, int) and isinstance(inter, int)
        out.append(
            [
                ddmmyyyy(d),
                str(who),
                str(unit),
                str(platform),
                str(link),
                vn_count(reach),
                vn_count(inter),
                str(source),
                str(note),
            ]
        )
    return csv_bytes(SHARES_HEADER, out, delimiter=";", bom=True)


# --------------------------------------------------------------------------------------------
# Expected KPIs (docs/development.md#kpis), from the rows written, after natural-key de-duplication
# --------------------------------------------------------------------------------------------


def expected_kpis(
    meetings_xlsx: Sequence[Meeting],
    meetings_csv_rows: Sequence[Meeting],
    issues: Sequence[Issue],
    exports: Sequence[tuple[Export, list[tuple[Post, dict[str, int | None]]]]],
    share_rows: Sequence[Sequence[object]],
    commendations: Sequence[Sequence[object]],
) -> dict[str, int | float]:
    meetings: dict[tuple[str, str, str, str], Meeting] = {}
    for m in [*meetings_xlsx, *meetings_csv_rows]:
        meetings[m.key()] = m
    in_year = [m for m in meetings.values() if m.day.year == YEAR]
    ttts = [m for m in in_year if MEETING_KINDS[m.kind.lower()] == TTTS]

    year_issues = {(BULLETIN_NAME, YEAR, i.number): i for i in issues}

    latest: dict[str, tuple[date, dict[str, int | None], Post]] = {}
    for e, rows in exports:
        for p, m in rows:
            if p.post_id not in latest or e.end >= latest[p.post_id][0]:
                latest[p.post_id] = (e.end, m, p)
    posts = [v for v in latest.values() if v[2].published.year == YEAR]
    n_posts = len(posts)

    # (date, collaborator, reach + interactions) per share, keyed by the normalised link
    shares: dict[str, tuple[date, str, int]] = {}
    for r in share_rows:
        day, who, reach, inter = r[0], r[1], r[5], r[6]
        assert isinstance(day, date) and isinstance(reach, int) and isinstance(inter, int)
        shares[str(r[4]).strip().rstrip("/")] = (day, str(who), reach + inter)
    year_shares = [v for v in shares.values() if v[0].year == YEAR]

    def metric(m: dict[str, int | None], k: str) -> int:
        v = m[k]
        assert v is not None
        return v

    return {
        "hoi_nghi_thong_tin_thoi_su": len(ttts),
        "hoi_nghi_tong_so": len(in_year),
        "luot_dai_bieu": sum(m.delegates for m in in_year),
        "ban_tin_so_ky": len(year_issues),
        "ban_tin_so_cuon": sum(i.copies for i in year_issues.values()),
        "fanpage_tin_bai": n_posts,
        "fanpage_tin_bai_binh_quan_ngay": round(n_posts / len(days_of(YEAR)), 2),
        "fanpage_luot_tiep_can": sum(metric(m, "Reach") for _, m, _ in posts),
        "fanpage_luot_tuong_tac": sum(
            metric(m, "Reactions") + metric(m, "Comments") + metric(m, "Shares")
            for _, m, _ in posts
        ),
        "ctv_tin_bai_chia_se": len(year_shares),
        "ctv_luot_tiep_can_tuong_tac": sum(v[2] for v in year_shares),
        "ctv_so_cong_tac_vien": len({v[1] for v in year_shares}),
        "khen_thuong_tap_the": sum(
            1 for r in commendations if r[0] == YEAR and r[1] == "Khen thưởng" and r[2] == "Tập thể"
        ),
        "bieu_duong_ca_nhan": sum(
            1 for r in commendations if r[0] == YEAR and r[1] == "Biểu dương" and r[2] == "Cá nhân"
        ),
    }


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


@dataclass
class Generated:
    files: dict[str, int] = field(default_factory=dict)  # file name -> data rows
    kpis: dict[str, int | float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


def generate(out: Path) -> Generated:
    rng = random.Random(SEED)
    # Drawn first so the Meta export file names stay put when the generator is edited.
    export_ids = [str(rng.randint(10**15, 10**16 - 1)) for _ in range(4)]
    names = NameBook(rng)
    out.mkdir(parents=True, exist_ok=True)
    result = Generated()

    def put(name: str, data: bytes, rows: int) -> None:
        (out / name).write_bytes(data)
        result.files[name] = rows

    # 1. meetings
    meetings_xlsx, meetings_sup, _ = build_meetings(rng, names)
    write_meetings_xlsx(out / F_MEETINGS_XLSX, meetings_xlsx)
    result.files[F_MEETINGS_XLSX] = len(meetings_xlsx)
    put(F_MEETINGS_CSV, meetings_csv(meetings_sup), len(meetings_sup))
    xlsx_stt = {m.key(): i for i, m in enumerate(meetings_xlsx, 1)}
    dups = [m for m in meetings_sup if m.key() in xlsx_stt]
    assert len(dups) == 2
    result.notes["meeting_duplicates"] = "; ".join(
        f"CSV STT {meetings_sup.index(m) + 1} = XLSX STT {xlsx_stt[m.key()]}: "
        f"{ddmmyyyy(m.day)} | {m.name} | {m.organiser} | {m.commune}"
        for m in dups
    )

    # 2. commendations
    commendations = build_commendations(names)
    write_commendation_xlsx(out / F_COMMENDATION, commendations)
    result.files[F_COMMENDATION] = len(commendations)

    # 3-4. bulletin
    issues = build_issues(rng)
    write_bulletin_xlsx(out / F_BULLETIN, issues)
    result.files[F_BULLETIN] = len(issues)
    put(F_DISTRIBUTION, distribution_csv(issues), sum(len(i.distribution) for i in issues))

    # 5. Meta exports
    posts = build_posts(rng)
    exports = build_exports(rng, posts, export_ids)
    for e, rows in exports:
        columns = meta_columns(e.variant)
        put(e.filename, meta_csv([meta_row(p, m, columns) for p, m in rows], columns), len(rows))

    # 6. collaborator shares
    collaborators = build_collaborators(rng, names)
    xlsx_rows, csv_rows, _, dup_shares = build_shares(rng, collaborators, posts)
    write_shares_xlsx(out / F_SHARES_H1, xlsx_rows)
    result.files[F_SHARES_H1] = len(xlsx_rows)
    put(F_SHARES_H2, shares_csv(csv_rows), len(csv_rows))
    dup_links = {s.link for s in dup_shares}
    where = [
        f"{F_SHARES_H1} Excel row {i + 2}"
        for i, r in enumerate(xlsx_rows)
        if r[4] != str(r[4]).strip().rstrip("/")
    ] + [
        f"{F_SHARES_H2} line {i + 2}"
        for i, r in enumerate(csv_rows)
        if r[4] != str(r[4]).strip().rstrip("/")
    ]
    assert len(where) == 3 and len(dup_links) == 3
    result.notes["share_duplicates"] = (
        "; ".join(where) + " | originals: " + "; ".join(sorted(dup_links))
    )

    result.kpis = expected_kpis(
        meetings_xlsx, meetings_sup, issues, exports, [*xlsx_rows, *csv_rows], commendations
    )
    check(result.kpis)
    return result


def check(k: dict[str, int | float]) -> None:
    """The figures of the 2024 review (quoted in the README) that the demo must reproduce."""
    assert k["hoi_nghi_thong_tin_thoi_su"] == 96, k
    assert k["ban_tin_so_ky"] == 12, k
    assert k["ban_tin_so_cuon"] == 9960, k
    assert 1 <= k["fanpage_tin_bai_binh_quan_ngay"] <= 2, k
    assert k["ctv_tin_bai_chia_se"] == 873, k
    assert 2_400_000 < k["ctv_luot_tiep_can_tuong_tac"] < 2_500_000, k
    assert k["khen_thuong_tap_the"] == 3, k
    assert k["bieu_duong_ca_nhan"] == 2, k


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output folder (default: seeds/demo/inbox)"
    )
    parser.add_argument(
        "--expected",
        type=Path,
        default=None,
        help="where to write the expected 2024 KPIs as JSON (default: "
        "seeds/demo/expected_kpis_2024.json when --out is the default)",
    )
    args = parser.parse_args(argv)
    result = generate(args.out)
    expected = args.expected
    if expected is None and args.out.resolve() == DEFAULT_OUT:
        expected = DEFAULT_EXPECTED
    if expected is not None:
        expected.parent.mkdir(parents=True, exist_ok=True)
        expected.write_text(
            json.dumps(result.kpis, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    for name, rows in sorted(result.files.items()):
        print(f"{rows:5d}  {name}")
    for code, value in result.kpis.items():
        print(f"{code:32s} {value}")
    for what, note in result.notes.items():
        print(f"{what}: {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
