"""MkDocs hooks: the parts of the docs site generated from the code and the results.

- ``<!-- bcd35:bench-results -->`` in a page becomes the benchmark's results table, built from
  the newest ``bench/results/*.json`` of each size (``make bench`` writes them), with
  ``bench.run.markdown_table``, the function that prints the table after ``make bench SIZE=all``:
  figures are never pasted, so the page cannot disagree with the measurement it cites.
- ``<!-- bcd35:input-formats -->`` becomes one table per file kind, from
  ``bcd35.ingest.kinds.KINDS``, the contract the ingest recognises files by: the clerks' page
  cannot drift from what loads.
- ``<!-- bcd35:communes -->`` becomes the table of the communes before and after the 1 July
  2025 arrangement, from the reference data the ingest resolves Xã/Thị trấn against
  (``bcd35.reference.merger``).

mkdocs.yml names this file under ``hooks:``; tests/unit/test_docs_site.py imports it by path.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
BENCH_MARKER = "<!-- bcd35:bench-results -->"
FORMATS_MARKER = "<!-- bcd35:input-formats -->"
COMMUNES_MARKER = "<!-- bcd35:communes -->"
REQUIRED, OPTIONAL = "required / bắt buộc", "optional / tuỳ chọn"
SIZES = ("small", "province", "national")
# bench/run.py names its files SIZE-<UTC time>.json and all-<UTC time>.json (every size)
RESULT_FILE = re.compile(r"^(small|province|national|all)-(\d{8}T\d{6}Z)\.json$")

if str(REPO) not in sys.path:  # mkdocs imports hooks by path; bench and bcd35 live at the root
    sys.path.insert(0, str(REPO))


def newest_results(results: Path = RESULTS) -> dict[str, tuple[str, dict]]:
    """size → (file name, the run's JSON) of the newest run of that size.

    A run of ``SIZE=all`` counts for each of its sizes at its own time; baseline-only files
    (``SIZE-baselines-…``) and the benchmark's homes are not results of a night.
    """
    found: dict[str, tuple[str, str, dict]] = {}
    for path in sorted(results.glob("*.json")) if results.is_dir() else []:
        match = RESULT_FILE.match(path.name)
        if not match:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        outs = data["sizes"] if match[1] == "all" else [data]
        for out in outs:
            size = out["size"]
            if size not in found or match[2] >= found[size][0]:
                found[size] = (match[2], path.name, out)
    return {size: (name, out) for size, (_, name, out) in found.items()}


def bench_results_markdown(results: Path = RESULTS) -> str:
    from bench.run import markdown_table

    newest = newest_results(results)
    if not newest:
        return ("*No results in `bench/results/` yet: `make bench SIZE=all` writes them "
                "(this table is generated from them when the site is built).*")
    sizes = [s for s in SIZES if s in newest] + sorted(set(newest) - set(SIZES))
    outs = [newest[s][1] for s in sizes]
    sources = "; ".join(f"`bench/results/{newest[s][0]}`{_machine(newest[s][1])}"
                        for s in sizes)
    return f"{markdown_table(outs)}\n\n*Generated when the site was built from {sources}.*"


def _machine(out: dict) -> str:
    """The machine a run measured on: its cores and load (1-minute average) before and after,
    since on a shared machine the load moves every figure of the table."""
    machine = out.get("machine") or {}
    load = [(machine.get(k) or [None])[0] for k in ("load_before", "load_after")]
    parts = [f"{machine['cpus']} CPUs" if machine.get("cpus") else "",
             f"load {load[0]} → {load[1]}" if None not in load else ""]
    return f" ({', '.join(p for p in parts if p)})" if any(parts) else ""


def _headers(column) -> str:
    return " / ".join(f"`{h}`" for h in column.headers)


def input_formats_markdown() -> str:
    from bcd35.ingest.kinds import KINDS

    parts = []
    for kind in KINDS.values():
        by_name = {c.name: c for c in kind.columns}
        key = [by_name[k] for k in kind.natural_key if k in by_name]
        key_text = ", ".join(
            _headers(c) if not c.derived else f"`{c.name}` (derived)" for c in key)
        rows = [f"| {_headers(c)} | {REQUIRED if c.required else OPTIONAL} | {c.type} |"
                for c in kind.source_columns]
        parts.append(
            f"### `{kind.name}` — {kind.label_vi}\n\n"
            "| header (any of these spellings) | | type |\n|---|---|---|\n"
            + "\n".join(rows)
            + f"\n\nSame thing again (natural key): {key_text}.\n")
    return "\n".join(parts)


def communes_markdown(reference_dir: Path | None = None) -> str:
    """The xã from the arrangement's effective date, each with its GSO code and the pre-2025
    units (as clerks wrote them before that day) it was made of."""
    from bcd35 import reference

    merger = reference.merger(reference_dir) if reference_dir else reference.merger()
    since = merger.effective.strftime("%d/%m/%Y")
    rows = [f"| {label} | `{code}` | {', '.join(merger.parts(code))} |"
            for code, label in merger.labels_new.items()]
    return (f"| from {since}: write | GSO code | before {since}: write one of |\n"
            "|---|---|---|\n" + "\n".join(rows)
            + f"\n| — | — | `{reference.DISTRICT_LEVEL}` (district level; gone from {since}) |\n")


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ARG001 (MkDocs API)
    if BENCH_MARKER in markdown:
        markdown = markdown.replace(BENCH_MARKER, bench_results_markdown())
    if FORMATS_MARKER in markdown:
        markdown = markdown.replace(FORMATS_MARKER, input_formats_markdown())
    if COMMUNES_MARKER in markdown:
        markdown = markdown.replace(COMMUNES_MARKER, communes_markdown())
    return markdown
