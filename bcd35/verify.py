"""``bcd35 verify-release PATH``: anyone can check that a release is what it says.

1. Every file of the release is re-hashed against ``RELEASE.json`` (a changed byte, a missing
   or an added file fails).
2. Every source file behind it is found under the home's ``originals/`` with its sha256.
3. The partition is rebuilt from those originals alone in a scratch home (the real nightly
   DAG, dbt and the checks, with the home's reference data and pseudonym key), and every row
   of every Parquet file of the release is compared with the rebuilt one.

Figures that depend on the year before (the previous-year value and the change against it)
are not compared: the previous year's files are not behind the release.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from bcd35.config import Home
from bcd35.release import DATA_FOLDER, RELEASE_FILE, export_partition, file_hashes, sha256_file

NOT_THE_PARTITIONS = ("previous_year_value", "change_vs_previous_year",
                      "is_previous_year_partial")


@dataclass
class Verification:
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def home_of(release: Path) -> Home:
    """``HOME/releases/<committee>/<Y>/rN`` → ``HOME``."""
    return Home(release.resolve().parents[3])


def check_hashes(release: Path, doc: dict, result: Verification) -> None:
    now = file_hashes(release)
    for name, sha in sorted(doc["files"].items()):
        if name not in now:
            result.problems.append(f"thiếu tệp / missing file: {name}")
        elif now[name] != sha:
            result.problems.append(f"tệp đã bị sửa / file changed: {name} (sha256 {now[name]}, "
                                   f"phải là / expected {sha})")
    for name in sorted(set(now) - set(doc["files"])):
        result.problems.append(f"tệp lạ / file not in the release: {name}")
    result.checked.append(f"{len(doc['files'])} tệp đã băm lại / files re-hashed")


def check_originals(home: Home, doc: dict, result: Verification) -> list[dict]:
    found = []
    for source in doc["sources"]:
        path = home.root / source["original"]
        if not path.is_file():
            result.problems.append(f"không thấy bản gốc / original missing: {source['file']} "
                                   f"({source['original']})")
        elif sha256_file(path) != source["sha256"]:
            result.problems.append(f"bản gốc đã bị sửa / original tampered with: "
                                   f"{source['file']} ({source['original']})")
        else:
            found.append(source)
    result.checked.append(f"{len(found)}/{len(doc['sources'])} bản gốc khớp / originals match")
    return found


def rebuild(home: Home, doc: dict, scratch: Path) -> Path:
    """A scratch home whose inbox holds the originals behind the release under their inbox
    paths; one real night over it. Returns the scratch home's published build."""
    scratch_home = Home(scratch).ensure()
    for source in doc["sources"]:
        target = scratch_home.inbox / source["file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(home.root / source["original"], target)
    for name in ("reference", "committees.csv"):
        src = home.root / name
        if src.is_dir():
            shutil.copytree(src, scratch_home.root / name, dirs_exist_ok=True)
        elif src.is_file():
            shutil.copyfile(src, scratch_home.root / name)
    key = home.secrets_dir / "pseudonym.key"
    if key.is_file():
        scratch_home.secrets_dir.mkdir(mode=0o700, exist_ok=True)
        shutil.copyfile(key, scratch_home.secrets_dir / "pseudonym.key")
    # the embedded engine, always: a verification never writes the production warehouse
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AIRFLOW", "BCD35_PG_", "PG"))}
    env["BCD35_WAREHOUSE"] = "duckdb"
    env["BCD35_COMMITTEE"] = env.get("BCD35_COMMITTEE") or doc["committee"]
    bcd35 = str(Path(sys.executable).with_name("bcd35"))
    proc = subprocess.run([bcd35, "run", "--home", str(scratch), "--accept-withdrawals"],
                          env=env, capture_output=True, text=True)
    link = scratch_home.published
    if not link.is_symlink():
        raise RuntimeError("dựng lại không công bố được / the rebuild published nothing:\n"
                           + proc.stdout[-2000:] + proc.stderr[-2000:])
    return (link.parent / os.readlink(link)).resolve()


def compare(release: Path, doc: dict, build: Path, scratch: Path,
            result: Verification) -> None:
    rebuilt = scratch / "_rebuilt"
    export_partition(build, doc["committee"], int(doc["year"]), rebuilt)
    with duckdb.connect() as con:
        for original in sorted((release / DATA_FOLDER).glob("*.parquet")):
            again = rebuilt / original.name
            if not again.is_file():
                result.problems.append(f"{original.name}: không dựng lại được / not rebuilt")
                continue
            columns = [r[0] for r in con.execute(
                "describe select * from read_parquet(?)", [str(original)]).fetchall()]
            kept = ", ".join(f'"{c}"' for c in columns if c not in NOT_THE_PARTITIONS)
            a, b = str(original).replace("'", "''"), str(again).replace("'", "''")
            differ = con.execute(
                f"select count(*) from ((select {kept} from '{a}' except all "
                f"select {kept} from '{b}') union all (select {kept} from '{b}' except all "
                f"select {kept} from '{a}'))").fetchone()[0]
            if differ:
                result.problems.append(f"{original.name}: {differ} dòng khác khi dựng lại / "
                                       "rows differ when rebuilt")
        annual = str(rebuilt / "mart_kpi_annual.parquet")
        values = dict(con.execute("select kpi_code, value from read_parquet(?)",
                                  [annual]).fetchall())
    for code, value in doc["kpis"].items():
        again = values.get(code)
        if (value is None) != (again is None) or (
                value is not None and abs(float(value) - float(again)) > 1e-9):
            result.problems.append(f"chỉ tiêu / KPI {code}: {value} ≠ {again} khi dựng lại / "
                                   "when rebuilt")
    result.checked.append(f"{len(doc['kpis'])} chỉ tiêu và các dòng của phân vùng đã dựng lại "
                          "và so sánh / KPIs and partition rows rebuilt and compared")


def verify_release(release: Path, home: Home | None = None, keep: Path | None = None,
                   rebuild_figures: bool = True) -> Verification:
    release = release.resolve()
    result = Verification()
    doc = json.loads((release / RELEASE_FILE).read_text(encoding="utf-8"))
    home = home or home_of(release)
    check_hashes(release, doc, result)
    sources = check_originals(home, doc, result)
    if not rebuild_figures or len(sources) != len(doc["sources"]):
        return result  # without every original nothing can be rebuilt to compare
    scratch = keep or Path(tempfile.mkdtemp(prefix="bcd35-verify-"))
    try:
        build = rebuild(home, doc, scratch / "home")
        compare(release, doc, build, scratch, result)
    finally:
        if keep is None:
            shutil.rmtree(scratch, ignore_errors=True)
    return result
