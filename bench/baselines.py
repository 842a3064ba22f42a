"""The two yardsticks of the benchmark (issue 7), on the very files the pipeline reads.

- ``limit``: DuckDB's own ``read_csv`` of every CSV byte of the inbox into one table per kind,
  with explicit types (Vietnamese thousands, ``dd/mm/yyyy`` dates, Meta's US timestamps). No
  validation, no provenance, no dedup: the cost of getting CSV bytes into typed columns.
- ``pandas``: a straightforward pandas script a data analyst would write: read every file
  (CSV and XLSX), find its kind from the header, type the columns, de-duplicate on the natural
  keys of SPEC §2 (latest file wins; Meta: the export covering the latest period), and compute
  the annual KPIs of SPEC §4 per committee and year.

Run as ``python -m bench.baselines {limit|pandas} INBOX [--out JSON]`` so that each runs in its
own process and its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from calendar import isleap
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

META_NAME = re.compile(r"^[A-Z][a-z]{2}-\d{2}-\d{4}_([A-Z][a-z]{2}-\d{2}-\d{4})_\d+\.csv$")


def csv_groups(inbox: Path) -> dict[str, list[str]]:
    """The CSV files of a bench inbox by kind (the bench knows its own file names)."""
    groups: dict[str, list[str]] = {"meeting_log": [], "bulletin_distribution": [],
                                    "collaborator_shares": [], "meta_posts": []}
    for path in sorted(inbox.rglob("*.csv")):
        name = path.name
        if name.startswith("hoi_nghi_"):
            groups["meeting_log"].append(str(path))
        elif name.startswith("cap_phat_"):
            groups["bulletin_distribution"].append(str(path))
        elif name.startswith("chia_se_"):
            groups["collaborator_shares"].append(str(path))
        elif META_NAME.match(name):
            groups["meta_posts"].append(str(path))
    return groups


V = "VARCHAR"
LIMIT_READS = {
    "meeting_log": ("delim=';', dateformat='%d/%m/%Y', thousands='.', decimal_separator=','",
                    {"STT": "INTEGER", "Ngày": "DATE", "Tên hội nghị": V, "Loại hội nghị": V,
                     "Đơn vị tổ chức": V, "Xã/Thị trấn": V, "Hình thức": V, "Chủ trì": V,
                     "Số đại biểu": "INTEGER", "Ghi chú": V}),
    "bulletin_distribution": ("delim=',', thousands='.', decimal_separator=','",
                              {"Tên ấn phẩm": V, "Năm": "INTEGER", "Số": "INTEGER",
                               "Đơn vị nhận": V, "Số lượng": "INTEGER", "Xã/Thị trấn": V}),
    "collaborator_shares": ("delim=';', dateformat='%d/%m/%Y', thousands='.', "
                            "decimal_separator=','",
                            {"Ngày": "DATE", "Cộng tác viên": V, "Đơn vị": V, "Nền tảng": V,
                             "Liên kết chia sẻ": V, "Lượt tiếp cận": "BIGINT",
                             "Lượt tương tác": "BIGINT", "Bài gốc": V, "Ghi chú": V}),
}
META_TYPES = {"Post ID": V, "Page ID": V, "Page name": V, "Publish time": "TIMESTAMP",
              "Permalink": V, "Post type": V, "Reach": "BIGINT", "Reactions": "BIGINT",
              "Comments": "BIGINT", "Shares": "BIGINT", "Duration (sec)": "BIGINT"}
# (the optional metrics, which not every export has, are left to DuckDB's sniffer)


def _sql_struct(types: dict[str, str]) -> str:
    return "{" + ", ".join(f"'{k}': '{v}'" for k, v in types.items()) + "}"


def run_limit(inbox: Path) -> dict:
    """Every CSV byte into typed DuckDB tables; returns seconds, rows and bytes."""
    import duckdb

    groups = csv_groups(inbox)
    n_bytes = sum(Path(f).stat().st_size for files in groups.values() for f in files)
    con = duckdb.connect()
    started = time.perf_counter()
    rows = 0
    for kind, files in groups.items():
        if not files:
            continue
        if kind == "meta_posts":
            options = (f"union_by_name=true, timestampformat='%m/%d/%Y %H:%M', "
                       f"types={_sql_struct(META_TYPES)}")
        else:
            extra, columns = LIMIT_READS[kind]
            options = f"{extra}, columns={_sql_struct(columns)}"
        con.execute(f"create table {kind} as select * from read_csv(?, header=true, "
                    f"{options})", [files])
        rows += con.sql(f"select count(*) from {kind}").fetchone()[0]
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": rows, "bytes": n_bytes,
            "files": sum(len(f) for f in groups.values())}


# --- the pandas peer ---------------------------------------------------------------------------

TTTS = {"thông tin thời sự", "hội nghị thông tin thời sự trong đảng", "ttts"}


def _vn_int(series):
    return series.astype(str).str.replace(".", "", regex=False).str.strip().astype("int64")


def _read_csv(path: Path):
    import pandas as pd

    with path.open(encoding="utf-8-sig") as fh:
        first = fh.readline()
    sep = ";" if first.count(";") > first.count(",") else ","
    return pd.read_csv(path, sep=sep, dtype=str, encoding="utf-8-sig", keep_default_na=False)


def _read_xlsx(path: Path) -> list:
    import pandas as pd

    frames = []
    # openpyxl named: pandas' default, which pandas 3 warns for each file will change
    sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="openpyxl")
    for sheet in sheets.values():
        for i in range(min(20, len(sheet))):
            cells = [str(c).strip() for c in sheet.iloc[i].tolist()]
            if "Tên ấn phẩm" in cells or "Năm thành tích" in cells:
                frame = sheet.iloc[i + 1:].copy()
                frame.columns = cells
                frames.append(frame.dropna(how="all"))
                break
    return frames


def _kind(columns: Sequence[str]) -> str | None:
    cols = set(columns)
    if "Post ID" in cols:
        return "meta_posts"
    if "Liên kết chia sẻ" in cols:
        return "collaborator_shares"
    if "Tên hội nghị" in cols:
        return "meeting_log"
    if "Đơn vị nhận" in cols:
        return "bulletin_distribution"
    if "Số lượng in" in cols:
        return "bulletin_issue"
    if "Năm thành tích" in cols:
        return "commendation"
    return None


def run_pandas(inbox: Path) -> dict:
    """Files → annual KPIs per committee and year; returns seconds, rows and the KPIs."""
    import pandas as pd

    started = time.perf_counter()
    frames: dict[str, list] = {}
    for order, path in enumerate(sorted(p for p in inbox.rglob("*") if p.is_file())):
        committee = path.relative_to(inbox).parts[0]
        parts = _read_xlsx(path) if path.suffix == ".xlsx" else [_read_csv(path)]
        for frame in parts:
            kind = _kind(frame.columns)
            if kind is None:
                continue
            frame = frame.assign(_committee=committee, _order=order)
            if kind == "meta_posts":
                m = META_NAME.match(path.name)
                end = datetime.strptime(m.group(1), "%b-%d-%Y") if m else datetime.min
                frame = frame.assign(_period_end=end)
            frames.setdefault(kind, []).append(frame)
    data = {k: pd.concat(v, ignore_index=True) for k, v in frames.items()}
    rows = sum(len(v) for v in data.values())
    out = []

    def emit(frame, code):
        frame = frame.reset_index()
        frame.columns = ["committee_code", "year", "value"]
        frame["kpi_code"] = code
        out.append(frame)

    m = data["meeting_log"]
    m["day"] = pd.to_datetime(m["Ngày"], format="%d/%m/%Y")
    m["delegates"] = _vn_int(m["Số đại biểu"])
    m["is_ttts"] = m["Loại hội nghị"].str.strip().str.lower().isin(TTTS)
    key = ["_committee", "day", "Tên hội nghị", "Đơn vị tổ chức", "Xã/Thị trấn"]
    m = m.drop_duplicates(key, keep="last")
    m["year"] = m["day"].dt.year
    g = m.groupby(["_committee", "year"])
    emit(g.size(), "hoi_nghi_tong_so")
    emit(g["is_ttts"].sum(), "hoi_nghi_thong_tin_thoi_su")
    emit(g["delegates"].sum(), "luot_dai_bieu")

    b = data["bulletin_issue"]
    b["year"] = b["Năm"].astype(int)
    b["copies"] = _vn_int(b["Số lượng in"])
    b = b.drop_duplicates(["_committee", "Tên ấn phẩm", "year", "Số"], keep="last")
    g = b.groupby(["_committee", "year"])
    emit(g.size(), "ban_tin_so_ky")
    emit(g["copies"].sum(), "ban_tin_so_cuon")

    p = data["meta_posts"].sort_values(["_period_end", "_order"], kind="stable")
    p = p.drop_duplicates(["_committee", "Post ID"], keep="last")
    p["published"] = pd.to_datetime(p["Publish time"], format="%m/%d/%Y %H:%M")
    p["year"] = p["published"].dt.year
    for col in ("Reach", "Reactions", "Comments", "Shares"):
        p[col] = pd.to_numeric(p[col].replace("", None))
    p["interactions"] = p["Reactions"] + p["Comments"] + p["Shares"]
    g = p.groupby(["_committee", "year"])
    n_posts = g.size()
    emit(n_posts, "fanpage_tin_bai")
    days = n_posts.index.get_level_values("year").map(lambda y: 366 if isleap(y) else 365)
    emit((n_posts / days).round(2), "fanpage_tin_bai_binh_quan_ngay")
    emit(g["Reach"].sum(), "fanpage_luot_tiep_can")
    emit(g["interactions"].sum(), "fanpage_luot_tuong_tac")

    s = data["collaborator_shares"]
    s["link"] = s["Liên kết chia sẻ"].str.strip().str.rstrip("/")
    s = s.drop_duplicates(["_committee", "link"], keep="last")
    s["year"] = pd.to_datetime(s["Ngày"], format="%d/%m/%Y").dt.year
    s["total"] = _vn_int(s["Lượt tiếp cận"]) + _vn_int(s["Lượt tương tác"])
    g = s.groupby(["_committee", "year"])
    emit(g.size(), "ctv_tin_bai_chia_se")
    emit(g["total"].sum(), "ctv_luot_tiep_can_tuong_tac")
    emit(g["Cộng tác viên"].nunique(), "ctv_so_cong_tac_vien")

    c = data["commendation"]
    c["year"] = c["Năm thành tích"].astype(int)
    c = c.drop_duplicates(["_committee", "year", "Hình thức", "Đối tượng",
                           "Tên tập thể/cá nhân"], keep="last")
    emit(c[(c["Hình thức"] == "Khen thưởng") & (c["Đối tượng"] == "Tập thể")]
         .groupby(["_committee", "year"]).size(), "khen_thuong_tap_the")
    emit(c[(c["Hình thức"] == "Biểu dương") & (c["Đối tượng"] == "Cá nhân")]
         .groupby(["_committee", "year"]).size(), "bieu_duong_ca_nhan")

    kpis = pd.concat(out, ignore_index=True)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": rows,
            "kpis": [[r.committee_code, int(r.year), r.kpi_code, float(r.value)]
                     for r in kpis.itertuples()]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=["limit", "pandas"])
    parser.add_argument("inbox", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    result = run_limit(args.inbox) if args.which == "limit" else run_pandas(args.inbox)
    text = json.dumps(result, ensure_ascii=False)
    if args.out:
        args.out.write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
