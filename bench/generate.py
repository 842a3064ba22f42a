"""Benchmark inboxes (issue 7): N committees × Y years in the real file formats of SPEC §2.

Per committee and year, like a district office: about 100 meetings (four quarterly CSV logs,
``;`` with BOM), 12 bulletin issues (an XLSX register with a title row) with 30 distribution
rows each (CSV), a few commendations (XLSX), 700 posts in monthly Meta Business Suite exports
that each cover two months (so most posts come twice, the later export with higher lifetime
metrics) and 900 collaborator shares (quarterly CSV logs). Deterministic: every committee-year
draws from ``random.Random(f"{seed}:{code}:{year}")``, so the files do not depend on how many
processes write them.

The file formats come from the demo generator (``seeds/demo/generate.py``): its CSV writer,
its Meta column variants and quoting, its XLSX workbook and table helpers, the 18 communes of
Hàm Yên (the only units the reference data knows; every bench committee reuses them).

``HOME/inbox/<code>/<year>/…`` holds the files of committee ``<code>``; ``HOME/committees.csv``
lists the codes (the rule of :func:`bcd35.config.committee_of`). ``newday/<code>/…`` holds one
more day of files (31 December of the last year) for the incremental night; :func:`bad_file`
makes the file of the bad-file night (a meeting with 0 attendees).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import os
import random
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = Path(__file__).resolve().parent / ".cache"
GENERATOR_VERSION = "3"  # bump when the files change: the cache key includes it
SIZES: dict[str, tuple[int, int]] = {  # committees, years
    "small": (1, 1),
    "province": (124, 3),
    "national": (700, 3),
}
LAST_YEAR = 2024
NEW_DAY = date(LAST_YEAR, 12, 31)  # held back from the first night, delivered on the second
DEFAULT_SEED = 35

MEETINGS = 100
ISSUES = 12
DISTRIBUTION_ROWS = 30  # per issue
POSTS = 700
SHARES = 900


def _demo():
    """The demo generator as a module (it is a script, not a package)."""
    name = "bcd35_demo_generate"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "seeds/demo/generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


D = _demo()


def committee_codes(n: int) -> list[str]:
    return [f"bcd_{i:04d}" for i in range(1, n + 1)]


def committee_name(code: str) -> str:
    return f"Ban Chỉ đạo 35 đơn vị {code[4:]}"


def years_of(n_years: int) -> list[int]:
    return list(range(LAST_YEAR - n_years + 1, LAST_YEAR + 1))


# --- people and small pieces -----------------------------------------------------------------


def person(rng: random.Random) -> str:
    family = rng.choices([f for f, _ in D.FAMILY], [w for _, w in D.FAMILY])[0]
    if rng.random() < 0.5:
        return f"{family} {rng.choice(D.MALE_MIDDLE)} {rng.choice(D.MALE_GIVEN)}"
    return f"{family} {rng.choice(D.FEMALE_MIDDLE)} {rng.choice(D.FEMALE_GIVEN)}"


def _days(year: int) -> list[date]:
    return [d for d in D.days_of(year) if d != NEW_DAY]


def _weekdays(year: int) -> list[date]:
    return [d for d in _days(year) if d.weekday() < 5]


def _ids(idx: int, year: int) -> tuple[str, str]:
    """(page id: 15 digits, post id prefix: 10 digits) of committee ``idx``."""
    return f"1000{idx:011d}", f"12{idx:04d}{year % 10000:04d}"


# --- the kinds ---------------------------------------------------------------------------------

KIND_WEIGHTS = [(D.TTTS, 40), ("TTTS", 5), ("Báo cáo viên", 20), ("Sơ kết, tổng kết", 10),
                ("Tập huấn", 15), ("Khác", 10)]


def meetings(rng: random.Random, year: int, days: Sequence[date], start: int = 1) -> list:
    out = []
    for n in range(start, start + len(days)):
        d = days[n - start]
        kind = rng.choices([k for k, _ in KIND_WEIGHTS], [w for _, w in KIND_WEIGHTS])[0]
        if rng.random() < 0.15:
            commune, organiser = D.DISTRICT, "Ban Tuyên giáo Huyện ủy"
        else:
            c = rng.choice(D.COMMUNES)
            commune, organiser = D.commune_label(rng, c), c.party_committee
        out.append(D.Meeting(
            day=d, name=f"Hội nghị {kind.lower()} số {n}/{year}", kind=kind,
            organiser=organiser, commune=commune,
            form=rng.choice(["Trực tiếp", "Trực tiếp", "Trực tuyến"]),
            chair=f"Đ/c {person(rng)}, Bí thư", delegates=rng.randint(20, 180),
            note=rng.choice(["", "", "Lồng ghép sinh hoạt chi bộ"])))
    return out


def issues(rng: random.Random, year: int) -> list:
    out = []
    for n in range(1, ISSUES + 1):
        copies = rng.randint(600, 1000)
        recipients = [(c.party_committee, rng.uniform(18, 42), D.commune_label(rng, c))
                      for c in D.COMMUNES]
        extra = [*D.DISTRICT_RECIPIENTS, ("Văn phòng Huyện ủy", 5), ("Thư viện huyện", 4)]
        recipients += [(name, w * rng.uniform(0.9, 1.1), D.DISTRICT) for name, w in extra]
        recipients = recipients[:DISTRIBUTION_ROWS]
        counts = D.allocate(copies, [w for _, w, _ in recipients])
        out.append(D.Issue(
            number=n, month=n, copies=copies,
            released=D.weekday_between(rng, date(year, n, 3), date(year, n, 12)),
            pages=rng.choice([32, 36, 40, 44]), cost=copies * rng.randint(145, 160) * 100,
            distribution=[(r, k, label) for (r, _, label), k in zip(recipients, counts,
                                                                    strict=True)]))
    return out


def bulletin_xlsx(path: Path, publication: str, year: int, items: Sequence) -> None:
    wb = D.new_workbook(path, f"Sổ xuất bản {publication} năm {year}")
    fmt = D.Formats(wb)
    ws = wb.add_worksheet("Sổ xuất bản")
    ws.merge_range(0, 0, 0, 8, f'SỔ XUẤT BẢN "{publication.upper()}" NĂM {year}', fmt.title)
    columns = [("Tên ấn phẩm", "text", 24), ("Năm", "year", 8), ("Số", "year", 6),
               ("Tháng phát hành", "text", 15), ("Số lượng in", "int", 12),
               ("Ngày phát hành", "date", 15), ("Số trang", "year", 9), ("Đơn vị in", "text", 28),
               ("Kinh phí", "text", 14)]
    rows = [[publication, year, i.number, f"{i.month:02d}/{year}", i.copies, i.released,
             i.pages, D.PRINTER, D.vn_int(i.cost)] for i in items]
    D.write_table(ws, fmt, 1, columns, rows)
    wb.close()


def distribution_csv(publication: str, year: int, items: Sequence) -> bytes:
    rows = [[publication, str(year), str(i.number), recipient, D.vn_count(k), label]
            for i in items for recipient, k, label in i.distribution]
    return D.csv_bytes(D.DISTRIBUTION_HEADER, rows, delimiter=",", bom=False)


def commendations(rng: random.Random, year: int) -> list[list[object]]:
    decided = date(year, 12, 20)
    communes = rng.sample(D.COMMUNES, 4)
    rows: list[list[object]] = [
        [year, "Khen thưởng", "Tập thể", c.party_committee, f"{rng.randint(10, 99)}-QĐ/BCĐ",
         decided] for c in communes[:3]]
    rows += [[year, "Biểu dương", "Cá nhân", person(rng), "28-QĐ/BCĐ", decided]
             for _ in range(2)]
    rows.append([year, "Khen thưởng", "Cá nhân", person(rng), "27-QĐ/BCĐ", decided])
    return rows


def commendation_xlsx(path: Path, rows: Sequence[Sequence[object]]) -> None:
    wb = D.new_workbook(path, "Danh sách khen thưởng, biểu dương")
    fmt = D.Formats(wb)
    ws = wb.add_worksheet("Khen thưởng")
    columns = [("Năm thành tích", "year", 14), ("Hình thức", "text", 14),
               ("Đối tượng", "text", 11), ("Tên tập thể/cá nhân", "text", 38),
               ("Số quyết định", "text", 15), ("Ngày quyết định", "date", 15)]
    D.write_table(ws, fmt, 0, columns, rows)
    wb.close()


def posts(rng: random.Random, idx: int, year: int, days: Sequence[date],
          first: int = 0) -> list:
    page_id, prefix = _ids(idx, year)
    out = []
    for n, d in enumerate(days, start=first):
        ptype = rng.choices([t for t, _ in D.POST_TYPES], [w for _, w in D.POST_TYPES])[0]
        duration = rng.randint(20, 240) if ptype in ("Videos", "Reels") else 0
        post_id = f"{prefix}{n:09d}"
        topic = rng.choice(D.TOPICS).format(c=rng.choice(D.COMMUNES).full, m=d.month)
        published = datetime(d.year, d.month, d.day, rng.randint(6, 21), rng.randint(0, 59))
        out.append(D.Post(post_id=post_id, published=published, post_type=ptype,
                          title="", description=f"{topic.upper()}\n{D.HASHTAGS}",
                          duration=duration,
                          permalink=f"https://www.facebook.com/{page_id}/posts/{post_id}",
                          is_share=False, final=D.post_metrics(rng, ptype, duration)))
    return out


def meta_export(rng: random.Random, idx: int, code: str, items: Sequence, start: date,
                end: date, variant: str, latest: set[str] | None = None) -> tuple[str, bytes]:
    """One Meta export; posts not in ``latest`` show earlier (lower) lifetime metrics."""
    page_id, _ = _ids(idx, start.year)
    columns = D.meta_columns(variant)
    rows = []
    for p in sorted(items, key=lambda p: p.published, reverse=True):
        final = latest is None or p.post_id in latest
        row = D.meta_row(p, p.final if final else D.earlier(rng, p.final), columns)
        row[columns.index("Page ID")] = page_id
        row[columns.index("Page name")] = committee_name(code)
        rows.append(row)
    fmt = "%b-%d-%Y"
    file_id = f"{idx:04d}{start.year:04d}{start.month:02d}{start.day:02d}{rng.randint(0, 999):03d}"
    return f"{start.strftime(fmt)}_{end.strftime(fmt)}_{file_id}.csv", D.meta_csv(rows, columns)


def shares(rng: random.Random, code: str, year: int, days: Sequence[date], sources: Sequence,
           collaborators: Sequence[tuple[str, str]], first: int = 0) -> list[list[object]]:
    out: list[list[object]] = []
    platforms = [p for p, _ in D.PLATFORMS]
    weights = [w for _, w in D.PLATFORMS]
    for n, d in enumerate(days, start=first):
        who, unit = rng.choice(collaborators)
        platform = rng.choices(platforms, weights)[0]
        token = f"{code[4:]}{year % 100:02d}{n:05d}{rng.randint(0, 99999):05d}"
        link = {"Facebook": f"https://www.facebook.com/share/p/{token}",
                "Zalo": f"https://zalo.me/s/{token}/",
                "TikTok": f"https://www.tiktok.com/@ctv{token[:4]}/video/{token}",
                "YouTube": f"https://youtu.be/{token}",
                "Khác": f"https://baotuyenquang.com.vn/chia-se/{token}"}[platform]
        reach = int(min(60000, max(30, rng.lognormvariate(6.5, 1.0))))
        out.append([d, who, unit, platform, link, reach, int(reach * rng.uniform(0.03, 0.12)),
                    rng.choice(sources).permalink if sources else "", ""])
    return out


def _year_files(out: Path, idx: int, code: str, year: int, seed: int) -> int:
    """Write the files of one committee and year; returns the number of data rows."""
    rng = random.Random(f"{seed}:{code}:{year}")
    folder = out / code / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    n_rows = 0
    weekdays = _weekdays(year)
    log = sorted(meetings(rng, year, sorted(rng.choices(weekdays, k=MEETINGS))),
                 key=lambda m: m.day)
    for q in range(1, 5):
        part = [m for m in log if (m.day.month - 1) // 3 + 1 == q]
        (folder / f"hoi_nghi_quy{q}_{year}.csv").write_bytes(D.meetings_csv(part))
    n_rows += len(log)
    publication = f"Bản tin {committee_name(code)}"
    items = issues(rng, year)
    bulletin_xlsx(folder / f"so_xuat_ban_ban_tin_{year}.xlsx", publication, year, items)
    (folder / f"cap_phat_ban_tin_{year}.csv").write_bytes(
        distribution_csv(publication, year, items))
    n_rows += len(items) * (1 + DISTRIBUTION_ROWS)
    awards = commendations(rng, year)
    commendation_xlsx(folder / f"khen_thuong_{year}.xlsx", awards)
    n_rows += len(awards)
    all_posts = sorted(posts(rng, idx, year, sorted(rng.choices(_days(year), k=POSTS))),
                       key=lambda p: p.published)
    variant = {0: "old", 1: "standard"}.get(year % 3, "both" if year % 2 else "views")
    for m in range(1, 13):  # export m covers months m - 1 and m: most posts come twice
        start, end = date(year, max(1, m - 1), 1), D.month_end(year, m)
        items_m = [p for p in all_posts if start <= p.published.date() <= end]
        latest = {p.post_id for p in items_m if p.published.month < m or m == 12}
        name, data = meta_export(rng, idx, code, items_m, start, end, variant, latest)
        (folder / name).write_bytes(data)
        n_rows += len(items_m)
    collaborators = [(person(rng), rng.choice(D.COMMUNES).full) for _ in range(40)]
    log_s = sorted(shares(rng, code, year, sorted(rng.choices(_days(year), k=SHARES)),
                          all_posts, collaborators), key=lambda r: r[0])
    for q in range(1, 5):
        part = [r for r in log_s if (r[0].month - 1) // 3 + 1 == q]
        (folder / f"chia_se_ctv_quy{q}_{year}.csv").write_bytes(D.shares_csv(part))
    n_rows += len(log_s)
    return n_rows


def _new_day_files(out: Path, idx: int, code: str, seed: int) -> int:
    """One more day (``NEW_DAY``) of a committee: a meeting, five posts, three shares."""
    rng = random.Random(f"{seed}:{code}:newday")
    folder = out / code / str(LAST_YEAR) / f"ngay_{NEW_DAY:%d_%m}"
    folder.mkdir(parents=True, exist_ok=True)
    log = meetings(rng, LAST_YEAR, [NEW_DAY], start=MEETINGS + 1)
    (folder / f"hoi_nghi_{NEW_DAY:%d%m%Y}.csv").write_bytes(D.meetings_csv(log))
    day_posts = posts(rng, idx, LAST_YEAR, [NEW_DAY] * 5, first=POSTS)
    name, data = meta_export(rng, idx, code, day_posts, NEW_DAY, NEW_DAY, "views")
    (folder / name).write_bytes(data)
    collaborators = [(person(rng), rng.choice(D.COMMUNES).full) for _ in range(3)]
    rows = shares(rng, code, LAST_YEAR, [NEW_DAY] * 3, day_posts, collaborators,
                  first=SHARES)
    (folder / f"chia_se_ctv_{NEW_DAY:%d%m%Y}.csv").write_bytes(D.shares_csv(rows))
    return len(log) + len(day_posts) + len(rows)


BAD_DAY = date(LAST_YEAR, 12, 30)  # a weekday of the last year, not the new day's


def bad_file(code: str, seed: int = DEFAULT_SEED) -> tuple[str, bytes]:
    """A meeting log of committee ``code``'s last year whose one meeting had 0 attendees: the
    blocking check ``attendees > 0`` fails for that committee-year alone, which is withheld
    (docs/operator.md#checks). Its path under the inbox and its bytes; a meeting of its own
    (a new natural key), so it corrects nothing the regular nights loaded."""
    rng = random.Random(f"{seed}:{code}:bad")
    [meeting] = meetings(rng, LAST_YEAR, [BAD_DAY], start=MEETINGS + 2)
    meeting.delegates = 0
    return (f"{code}/{LAST_YEAR}/hoi_nghi_khong_co_dai_bieu_{BAD_DAY:%d%m%Y}.csv",
            D.meetings_csv([meeting]))


ONE_ROW_DAY = date(LAST_YEAR, 12, 27)  # a weekday of the last year, neither of the above


def one_row_file(code: str, seed: int = DEFAULT_SEED) -> tuple[str, bytes]:
    """A meeting log of committee ``code``'s last year with one valid meeting of its own (a new
    natural key): the smallest change a night can have (one row, one partition, one kind). Its
    path under the inbox and its bytes."""
    rng = random.Random(f"{seed}:{code}:one-row")
    [meeting] = meetings(rng, LAST_YEAR, [ONE_ROW_DAY], start=MEETINGS + 3)
    return f"{code}/{LAST_YEAR}/hoi_nghi_{ONE_ROW_DAY:%d%m%Y}.csv", D.meetings_csv([meeting])


def _task(args: tuple[str, Path, int, str, int, int]) -> int:
    what, out, idx, code, year, seed = args
    if what == "year":
        return _year_files(out, idx, code, year, seed)
    return _new_day_files(out, idx, code, seed)


def write_committees_csv(path: Path, codes: Sequence[str]) -> None:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["committee_code", "name_vi"])
    writer.writerows([code, committee_name(code)] for code in codes)
    path.write_text(buf.getvalue(), encoding="utf-8")


def generate(root: Path, n_committees: int, n_years: int, seed: int = DEFAULT_SEED,
             processes: int | None = None) -> dict[str, int]:
    """Write ``root/inbox``, ``root/newday`` and ``root/committees.csv``; returns row counts."""
    codes = committee_codes(n_committees)
    inbox, newday = root / "inbox", root / "newday"
    tasks = [("year", inbox, i, code, year, seed)
             for i, code in enumerate(codes, 1) for year in years_of(n_years)]
    tasks += [("day", newday, i, code, 0, seed) for i, code in enumerate(codes, 1)]
    processes = processes or min(len(tasks), os.cpu_count() or 1)
    if processes > 1:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(processes) as pool:
            counts = pool.map(_task, tasks, chunksize=8)
    else:
        counts = [_task(t) for t in tasks]
    write_committees_csv(root / "committees.csv", codes)
    n_year = sum(c for t, c in zip(tasks, counts, strict=True) if t[0] == "year")
    return {"rows": n_year, "new_day_rows": sum(counts) - n_year}


def cached(size: str, seed: int = DEFAULT_SEED) -> Path:
    """The generated files of ``size`` under ``bench/.cache/``, generating them once."""
    n_committees, n_years = SIZES[size]
    root = CACHE_DIR / f"{size}-seed{seed}-v{GENERATOR_VERSION}"
    if (root / ".complete").exists():
        return root
    if root.exists():
        import shutil

        shutil.rmtree(root)
    root.mkdir(parents=True)
    counts = generate(root, n_committees, n_years, seed)
    (root / ".complete").write_text(f"{counts['rows']} {counts['new_day_rows']}\n")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    print(cached(args.size, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
