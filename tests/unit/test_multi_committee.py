"""Several committees in one home (docs/operator.md#committees): inbox/<code>/… belongs to committee
<code>."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq

from bcd35.config import DEMO_INBOX, committee_of, known_committees, resolve_home
from bcd35.ingest import ingest_inbox

KNOWN = frozenset({"ham_yen", "yen_son"})


def test_first_folder_names_a_known_committee():
    assert committee_of("yen_son/2024/so_theo_doi.csv", "ham_yen", KNOWN) == "yen_son"
    assert committee_of("yen_son/a.csv", "ham_yen", KNOWN) == "yen_son"


def test_other_files_belong_to_the_default_committee():
    assert committee_of("a.csv", "ham_yen", KNOWN) == "ham_yen"  # top level
    assert committee_of("demo/a.csv", "ham_yen", KNOWN) == "ham_yen"  # not a committee
    assert committee_of("son_duong/a.csv", "ham_yen", KNOWN) == "ham_yen"  # unknown code
    assert committee_of("Yen_Son/a.csv", "ham_yen", KNOWN | {"Yen_Son"}) == "ham_yen"
    assert committee_of("2024/yen_son/a.csv", "ham_yen", KNOWN) == "ham_yen"  # first only
    assert committee_of("yen_son", "ham_yen", KNOWN) == "ham_yen"  # a file, not a folder


def test_known_committees_come_from_the_seed_and_the_home(tmp_path):
    home = resolve_home(tmp_path)
    assert "ham_yen" in known_committees(home)
    (tmp_path / "committees.csv").write_text(
        "committee_code,name_vi\nyen_son,Ban Chỉ đạo 35 huyện Yên Sơn\nBad Code,x\n",
        encoding="utf-8")
    known = known_committees(home)
    assert {"ham_yen", "yen_son"} <= known
    assert "Bad Code" not in known


def _committees_in_raw(home_root: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path in (home_root / "raw").glob("*/*.parquet"):
        for code in pq.read_table(path, columns=["_committee_code"]).column(0).to_pylist():
            out.setdefault(code, set()).add(path.parent.name)
    return out


def test_ingest_assigns_each_file_to_its_committee(tmp_path):
    root = tmp_path / "home"
    shutil.copytree(DEMO_INBOX, root / "inbox" / "demo")  # the demo: the default committee
    shutil.copytree(DEMO_INBOX, root / "inbox" / "yen_son" / "2024")
    # same bytes in two committees: the first copy wins, the second is a known file
    (root / "committees.csv").write_text("committee_code,name_vi\nyen_son,Yên Sơn\n",
                                         encoding="utf-8")
    result = ingest_inbox(resolve_home(root), "ham_yen")
    assert not result.quarantined
    assert _committees_in_raw(root).keys() == {"ham_yen"}  # demo/ sorts first
    assert len(result.skipped) == len(result.loaded)


def test_ingest_splits_committees(tmp_path):
    root = tmp_path / "home"
    files = sorted(p for p in DEMO_INBOX.iterdir() if p.is_file())
    (root / "inbox" / "demo").mkdir(parents=True)
    (root / "inbox" / "yen_son").mkdir(parents=True)
    for i, path in enumerate(files):
        folder = "yen_son" if i % 2 else "demo"
        shutil.copy(path, root / "inbox" / folder / path.name)
    (root / "committees.csv").write_text("committee_code\nyen_son\n", encoding="utf-8")
    result = ingest_inbox(resolve_home(root), "ham_yen")
    assert not result.quarantined
    by_committee = _committees_in_raw(root)
    assert set(by_committee) == {"ham_yen", "yen_son"}


def test_reports_of_other_committees_go_to_their_own_folder(tmp_path, monkeypatch):
    from bcd35.report import export_dir

    monkeypatch.delenv("BCD35_COMMITTEE", raising=False)
    home = resolve_home(tmp_path)
    assert export_dir(home, 2024, "ham_yen") == tmp_path / "exports" / "2024"
    assert export_dir(home, 2024, "yen_son") == tmp_path / "exports" / "yen_son" / "2024"
