"""The performance page's results table is generated from ``bench/results/*.json`` when the
site is built (``scripts/mkdocs_hooks.py``), never pasted: the newest result of each size,
rendered by ``bench.run.markdown_table``, the table ``make bench SIZE=all`` prints."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from bench.run import markdown_table

REPO = Path(__file__).resolve().parents[2]
PERFORMANCE = REPO / "docs" / "performance.md"


@pytest.fixture(scope="module")
def hooks():
    spec = importlib.util.spec_from_file_location("mkdocs_hooks",
                                                  REPO / "scripts" / "mkdocs_hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def result(size: str, night1_seconds: float, committees: int = 1) -> dict:
    """The fields of bench.run's JSON that the table reads (a run of ``size``)."""
    phase = {"seconds": night1_seconds / 4}
    return {
        "size": size, "committees": committees, "years": 1,
        "machine": {"cpus": 2, "load_before": [1.6, 1.2, 1.0], "load_after": [2.4, 1.9, 1.1]},
        "night1": {"ingest": {**phase, "rows": 2729 * committees}, "build": phase,
                   "audit": phase, "publish": phase, "report": {"seconds": 1.0}},
        "summary": {"night1_seconds": night1_seconds, "peak_pss_mib": 760.0,
                    "night2_over_night1": 1.05, "night3_over_night1": 0.08,
                    "ingest_csv_over_limit": None, "pandas_over_ours": 0.59},
    }


def write(results: Path, name: str, data: dict) -> None:
    results.mkdir(parents=True, exist_ok=True)
    (results / name).write_text(json.dumps(data), encoding="utf-8")


def test_the_newest_result_of_each_size_makes_the_table(hooks, tmp_path):
    results = tmp_path / "results"
    write(results, "small-20260101T000000Z.json", result("small", 99.0))
    write(results, "small-20260301T000000Z.json", result("small", 21.8))
    write(results, "all-20260201T000000Z.json",
          {"sizes": [result("small", 55.0), result("province", 86.6, committees=124)]})
    write(results, "national-baselines-20260401T000000Z.json", {"baselines": {}})  # not a night
    (results / "home-small").mkdir()  # the benchmark's home sits in the same folder
    text = hooks.bench_results_markdown(results)
    newest = [result("small", 21.8), result("province", 86.6, committees=124)]
    assert markdown_table(newest) in text
    assert "99.0 s" not in text and "55.0 s" not in text  # older runs of small are not shown
    assert "`bench/results/small-20260301T000000Z.json` (2 CPUs, load 1.6 → 2.4)" in text
    assert "`bench/results/all-20260201T000000Z.json`" in text
    assert "national" not in text.split("\n\n")[0]  # no national night in these results


def test_no_results_says_how_to_make_them(hooks, tmp_path):
    assert "make bench SIZE=all" in hooks.bench_results_markdown(tmp_path / "nothing")


def pasted_results(page: str) -> list[str]:
    """Lines of the page that are a results table of bench.run (pasted instead of generated)."""
    header = markdown_table([]).splitlines()[0]
    return [line for line in page.splitlines() if line.strip() == header]


def test_the_performance_page_generates_its_table(hooks):
    page = PERFORMANCE.read_text(encoding="utf-8")
    assert hooks.BENCH_MARKER in page
    assert not pasted_results(page)
    rendered = hooks.on_page_markdown(page, None, None, None)
    assert hooks.BENCH_MARKER not in rendered
    assert markdown_table([]).splitlines()[0] in rendered or "make bench SIZE=all" in rendered


def test_a_pasted_table_is_caught(hooks, tmp_path):
    pasted = PERFORMANCE.read_text(encoding="utf-8").replace(
        hooks.BENCH_MARKER, markdown_table([result("small", 21.8)]))
    assert pasted_results(pasted)


def test_the_committed_results_are_read(hooks):
    """The results of record in bench/results/ render (the site's build runs the same)."""
    newest = hooks.newest_results()
    assert newest, "no bench/results/*.json committed: the performance page has no table"
    text = hooks.bench_results_markdown()
    for size, (name, _) in newest.items():
        assert f"`bench/results/{name}`" in text and f"| {size} (" in text


def test_the_input_formats_come_from_the_kinds(hooks):
    from bcd35.ingest.kinds import KINDS

    text = hooks.input_formats_markdown()
    for kind in KINDS.values():
        assert f"### `{kind.name}`" in text
        for column in kind.source_columns:
            assert f"`{column.headers[0]}`" in text
    assert "<!-- bcd35:input-formats -->" in (REPO / "docs" / "formats.md").read_text("utf-8")


def test_the_communes_table_comes_from_the_merger_reference(hooks, tmp_path):
    """The clerks' table of communes before and after 1 July 2025 (docs/formats.md#communes)
    is the arrangement the ingest resolves against; planted fault: another effective date and
    another name in a copy of the reference data change the table."""
    import shutil

    from bcd35.config import REFERENCE_DIR

    text = hooks.communes_markdown()
    assert "| Xã Hàm Yên | `02374` | Thị trấn Tân Yên, Xã Tân Thành, Xã Nhân Mục, Xã Bằng Cốc |" \
        in text
    assert "| Xã Phù Lưu | `02392` | Xã Minh Dân, Xã Phù Lưu |" in text
    assert [line.startswith("| Xã ") for line in text.splitlines()].count(True) == 8
    assert "from 01/07/2025" in text
    assert "<!-- bcd35:communes -->" in (REPO / "docs" / "formats.md").read_text("utf-8")
    shutil.copytree(REFERENCE_DIR, tmp_path / "reference")
    merger = tmp_path / "reference" / "commune_merger_2025.csv"
    merger.write_text(merger.read_text(encoding="utf-8").replace("2025-07-01", "2025-08-01")
                      .replace(",Phù Lưu,Xã,", ",Phù Lưu Mới,Xã,"), encoding="utf-8")
    changed = hooks.communes_markdown(tmp_path / "reference")
    assert "from 01/08/2025" in changed and "| Xã Phù Lưu Mới | `02392` |" in changed
