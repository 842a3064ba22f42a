"""The report page ``exports/Y/index.html``: what the office opens first.

One self-contained page in Vietnamese (English beside the headings): the KPI table, the
charts of ``bieu_do/``, links to the Excel, Word, CSV and JSON files, and the audit pack (where
each figure came from, every check with its outcome, the warnings, the source files and their
sha256). It works offline from the folder itself (``file://``): the style is inline, there is
no script, no web font and no link outside the report folder except the build's Great
Expectations Data Docs in the home. The page is the Jinja2 template
``templates/report_page.html.j2`` of this package, autoescaped: every text from the data is
HTML-escaped. The page is written last and is deterministic: the same report gives the same
bytes. A band at the top (repeated on every printed page) says whether it is a draft or a
release, and a provisional release says so.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from html import escape
from pathlib import Path

from markupsafe import Markup

from bcd35.config import REPO_ROOT
from bcd35.report.audit_pack import STATUS_TEXT, checks_with_status
from bcd35.report.charts import ChartSpec
from bcd35.report.kpis import KpiRow, ReportData
from bcd35.report.stamp import Stamp, draft
from bcd35.report.writers import NO_DATA_VI, partial_notes_vi
from bcd35.vietnamese import format_vn_number

PAGE_NAME = "index.html"
TEMPLATES_FOLDER = "mau"  # the clerks' XLSX templates, copied beside the report


def copy_templates(folder: Path) -> list[Path]:
    """The prebuilt templates of the repository, copied into the report (the page links them
    and works offline from the folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copyfile(source, folder / source.name))
            for source in sorted((REPO_ROOT / "templates").glob("mau_*.xlsx"))]


def _templates_list(directory: Path) -> str:
    folder = directory / TEMPLATES_FOLDER
    items = [f'<li><a href="{TEMPLATES_FOLDER}/{_e(p.name)}">{_e(p.name)}</a></li>'
             for p in sorted(folder.glob("mau_*.xlsx"))] if folder.is_dir() else []
    if not items:
        return ""
    return ("<h3>" + _bi("Mẫu nhập liệu cho văn thư", "Templates for the clerks") + "</h3>\n"
            '<ul class="files" id="templates">\n' + "\n".join(items) + "\n</ul>")

CSS = """
:root { --blue: #1F4E79; --red: #C00000; --grey: #595959; --line: #D9D9D9; --ok: #1E7B34;
        --warn: #9C5700; --bg: #F7F9FC; }
* { box-sizing: border-box; }
body { margin: 0; font-family: "Times New Roman", "DejaVu Serif", serif; color: #111;
       background: var(--bg); line-height: 1.45; }
header, main, footer { max-width: 1100px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; text-align: center; }
.committee { font-weight: bold; text-transform: uppercase; letter-spacing: .03em; }
.party { color: var(--red); font-weight: bold; }
h1 { color: var(--blue); font-size: 1.7em; margin: .4em 0 .2em; }
h2 { color: var(--blue); border-bottom: 2px solid var(--blue); padding-bottom: 4px;
     margin-top: 1.8em; }
h3 { color: var(--blue); margin-bottom: .3em; }
.en { color: var(--grey); font-weight: normal; font-size: .85em; }
.badge { display: inline-block; border-radius: 4px; padding: 4px 10px; font-weight: bold;
         color: #fff; }
.badge.ok { background: var(--ok); } .badge.bad { background: var(--red); }
.badge.warn { background: var(--warn); }
nav { margin: 14px 0 4px; } nav a { margin: 0 10px; color: var(--blue); }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px;
          padding: 4px 20px 18px; margin: 18px 0; }
table { border-collapse: collapse; width: 100%; font-size: .95em; }
th, td { border: 1px solid #BFBFBF; padding: 5px 8px; vertical-align: top; }
th { background: #DEEAF6; text-align: center; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.code, td.hash { font-family: "DejaVu Sans Mono", monospace; font-size: .85em; }
td.hash { word-break: break-all; }
td.nodata { font-style: italic; color: var(--grey); }
tbody tr:nth-child(even) { background: #F5F8FC; }
figure { margin: 18px 0; text-align: center; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); background: #fff; }
figcaption { font-style: italic; margin-top: 4px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr));
          gap: 8px 18px; }
.status-passed { color: var(--ok); font-weight: bold; white-space: nowrap; }
.status-failed { color: var(--red); font-weight: bold; white-space: nowrap; }
.status-warning { color: var(--warn); font-weight: bold; white-space: nowrap; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; }
dl.meta dt { font-weight: bold; } dl.meta dd { margin: 0; font-family: monospace; }
ul.files li { margin: 3px 0; }
.note { font-size: .9em; font-style: italic; color: var(--grey); }
footer { color: var(--grey); font-size: .85em; padding-bottom: 24px; }
code, pre { font-family: "DejaVu Sans Mono", monospace; font-size: .9em; }
pre { background: #F2F2F2; padding: 8px; white-space: pre-wrap; }
.stamp { background: #FDECEA; color: var(--red); border-bottom: 2px solid var(--red);
         text-align: center; font-weight: bold; padding: 6px 12px; }
.stamp.draft { background: #FFF4CE; color: var(--warn); border-color: var(--warn); }
@media print { nav { display: none; } body { background: #fff; }
               section { border: none; padding: 0; }
               .stamp { position: fixed; top: 0; left: 0; right: 0; } }
"""

DOWNLOADS = (
    ("bao_cao_kpi_{y}.xlsx", "Bảng chỉ tiêu (Excel)", "KPI table, Excel"),
    ("bao_cao_{y}.docx", "Dự thảo báo cáo (Word)", "draft report, Word"),
    ("kpi_{y}.csv", "Bảng chỉ tiêu (CSV)", "KPI table, CSV"),
    ("kpi_{y}.json", "Số liệu cho máy đọc (JSON)", "machine-readable figures, JSON"),
)
AUDIT_FILES = (
    ("audit/kiem_tra.txt", "Hồ sơ kiểm tra (văn bản)", "audit summary, text"),
    ("audit/validation.json", "Kết quả từng kiểm tra", "every check's outcome"),
    ("audit/manifest.json", "Bản kê của bản dữ liệu", "build manifest"),
    ("audit/sources.json", "Tệp nguồn và bản gốc", "source files and their originals"),
    ("audit/SHA256SUMS", "Mã sha256 các tệp nguồn", "sha256 of every source file"),
)


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _bi(vi: str, en: str) -> str:
    """A Vietnamese label with its English beside it."""
    return f'{_e(vi)} <span class="en">/ {_e(en)}</span>'


def _number_cell(value, *, pct: bool = False, missing: str = "") -> str:
    if value is None:
        return f'<td class="num nodata">{_e(missing)}</td>' if missing else '<td class="num"></td>'
    return f'<td class="num">{_e(format_vn_number(value, 1 if pct else 2))}</td>'


def kpi_table(data: ReportData) -> str:
    y = data.year
    head = ["TT", "Mã chỉ tiêu", "Chỉ tiêu", "Đơn vị tính", f"Năm {y}", f"Kế hoạch năm {y}",
            "Tỷ lệ đạt kế hoạch (%)", f"Năm {y - 1}", "Ghi chú"]
    rows = []
    for i, k in enumerate(data.kpis, start=1):
        rows.append(_kpi_row(i, k, y))
    return (
        '<table id="kpi-table">\n<thead><tr>'
        + "".join(f"<th>{_e(h)}</th>" for h in head)
        + "</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"
    )


def _kpi_row(i: int, k: KpiRow, year: int) -> str:
    notes = partial_notes_vi(k, year)  # a year that covers only part of the year
    note_class = "note partial" if notes else "note"
    return (
        f'<tr data-code="{_e(k.code)}"><td class="num">{i}</td>'
        f'<td class="code">{_e(k.code)}</td><td>{_e(k.name_vi)}</td><td>{_e(k.unit_vi)}</td>'
        + _number_cell(k.value, missing=NO_DATA_VI)
        + _number_cell(k.target)
        + _number_cell(k.pct_of_target, pct=True)
        + _number_cell(k.previous_year, missing=NO_DATA_VI)
        + f'<td class="{note_class}">{_e("; ".join(notes))}</td>' + "</tr>"
    )


def _charts(data: ReportData, charts: Sequence[tuple[ChartSpec, Path]], directory: Path) -> str:
    figures = []
    for n, (spec, path) in enumerate(charts, start=1):
        src = path.relative_to(directory).as_posix()
        caption = f"Biểu đồ {n}: {spec.title_vi} năm {data.year}"
        figures.append(
            f'<figure><img src="{_e(src)}" alt="{_e(caption)}" width="1200" height="600">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")
    return '<div class="charts">\n' + "\n".join(figures) + "\n</div>"


def _size(path: Path) -> str:
    size = path.stat().st_size if path.is_file() else 0
    return f"{format_vn_number(round(size / 1024, 1), 1)} KB"


def _file_list(directory: Path, year: int, entries) -> str:
    items = []
    for pattern, vi, en in entries:
        name = pattern.format(y=year)
        path = directory / name
        if not path.is_file():
            continue
        items.append(f'<li><a href="{_e(name)}">{_e(name)}</a> — {_bi(vi, en)} '
                     f'<span class="en">({_e(_size(path))})</span></li>')
    return '<ul class="files">\n' + "\n".join(items) + "\n</ul>"


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _unique_checks(checks: list[dict]) -> list[dict]:
    """One line per (suite, check): the worst outcome of its expectations."""
    order = {"failed": 0, "warning": 1, "passed": 2}
    seen: dict[tuple, dict] = {}
    for c in checks:
        key = (c.get("suite"), c.get("check"))
        if key not in seen or order.get(c["status"], 3) < order.get(seen[key]["status"], 3):
            seen[key] = c
    return list(seen.values())


def _validation_badge(validation: dict) -> str:
    n = validation.get("n_expectations")
    warnings = len(validation.get("warnings", []))
    if validation.get("success"):
        cls, text = "ok", "Số liệu đã kiểm tra: ĐẠT / Validation passed"
    else:
        cls, text = "bad", "Số liệu KHÔNG ĐẠT kiểm tra / Validation failed"
    detail = f"{n} điều kiện kiểm tra / expectations" if n is not None else ""
    if warnings:
        detail += f", {warnings} cảnh báo / warnings"
    return (f'<p><span class="badge {cls}" id="validation">{_e(text)}</span> '
            f'<span class="en">{_e(detail)}</span></p>')


def _audit(data: ReportData, directory: Path, data_docs_href: str | None) -> str:
    manifest = data.manifest
    validation = _read_json(directory / "audit" / "validation.json") or {
        **manifest.get("validation", {}),
        "checks": checks_with_status(manifest.get("validation", {}))[0]}
    sources = _read_json(directory / "audit" / "sources.json") or manifest.get("sources", [])
    parts = ['<h3>Nguồn gốc <span class="en">/ Provenance</span></h3><dl class="meta">']
    for vi, en, value in (("Lần chạy", "run id", manifest.get("run_id")),
                          ("Bản dữ liệu", "build id", manifest.get("build_id")),
                          ("Thời điểm lập (UTC)", "built at", manifest.get("built_at")),
                          ("Phiên bản mã", "code version", manifest.get("code_version"))):
        parts.append(f"<dt>{_bi(vi, en)}</dt><dd>{_e(value)}</dd>")
    parts.append("</dl>")

    checks = _unique_checks(validation.get("checks", []))
    parts.append('<h3>Các kiểm tra <span class="en">/ Checks</span></h3>')
    parts.append('<table id="checks"><thead><tr><th>Kết quả / outcome</th><th>Kiểm tra</th>'
                 "<th>Check</th><th>Chặn công bố / blocking</th></tr>"
                 "</thead><tbody>")
    for c in checks:
        status = c.get("status", "passed")
        parts.append(
            f'<tr><td class="status-{_e(status)}">{_e(STATUS_TEXT.get(status, status))}</td>'
            f"<td>{_e(c.get('title_vi'))}</td><td>{_e(c.get('title_en'))}<br>"
            f'<code class="en">{_e(c.get("suite"))}.{_e(c.get("check"))}</code></td>'
            f"<td>{'có / yes' if c.get('blocking') else 'không / no'}</td></tr>")
    parts.append("</tbody></table>")

    for title_vi, title_en, items in (("Kiểm tra không đạt", "Failed checks",
                                       validation.get("failures", [])),
                                      ("Cảnh báo (không chặn công bố)",
                                       "Warnings (not blocking)",
                                       validation.get("warnings", []))):
        if not items:
            continue
        parts.append(f"<h3>{_bi(title_vi, title_en)}</h3>")
        for item in items:
            rows = "".join(f"<li>{_e(r)}</li>" for r in item.get("rows", []))
            parts.append(
                f"<details><summary>{_e(item.get('message_vi'))} "
                f'<span class="en">/ {_e(item.get("message_en"))}</span> '
                f'<span class="en">({len(item.get("rows", []))})</span></summary>'
                f"<ul>{rows}</ul></details>")

    parts.append('<h3>Tệp nguồn <span class="en">/ Source files</span></h3>')
    parts.append('<table id="sources"><thead><tr><th>Tệp / file</th><th>Loại / kind</th>'
                 "<th>Số dòng / rows</th><th>sha256</th><th>Bản gốc / original</th></tr>"
                 "</thead><tbody>")
    for s in sources:
        check = s.get("original_check")
        verified = {"ok": "khớp / verified", "missing": "không thấy / missing",
                    "mismatch": "KHÁC / MISMATCH"}.get(check, "")
        parts.append(
            f"<tr><td>{_e(s.get('file'))}</td><td class=\"code\">{_e(s.get('kind'))}</td>"
            + _number_cell(s.get("rows"))
            + f'<td class="hash">{_e(s.get("sha256"))}</td><td>{_e(verified)}</td></tr>')
    parts.append("</tbody></table>")

    parts.append('<h3>Tệp của hồ sơ kiểm tra <span class="en">/ Audit pack files</span></h3>')
    parts.append(_file_list(directory, data.year, AUDIT_FILES))
    if data_docs_href:
        parts.append(
            f'<p><a href="{_e(data_docs_href)}">Great Expectations Data Docs</a> '
            '<span class="en">— trong thư mục home, xoá cùng bản dữ liệu khi bản này quá cũ / '
            "in the home, removed with the build when it is pruned</span></p>")
    parts.append(
        '<p class="note">Cách kiểm tra: bản gốc của mỗi tệp được giữ trong thư mục home tại '
        "<code>originals/&lt;2 ký tự đầu&gt;/&lt;sha256&gt;</code>; với các tệp còn trong inbox: "
        "<code>cd &lt;home&gt;/inbox &amp;&amp; sha256sum -c &lt;đường dẫn&gt;/audit/SHA256SUMS"
        "</code>. / How to check: every original is kept in the home under its sha256; for "
        "files still in the inbox run the command above.</p>")
    return "\n".join(parts)


def _data_docs_href(manifest: dict, home_root: Path | None, directory: Path) -> str | None:
    """A relative link to the build's Data Docs in the home, if they are there.

    The audit pack's ``validation.json`` names them relative to the home (so a home that was
    copied or moved links to its own); the manifest's absolute path is the fallback.
    """
    if home_root is None:
        return None
    validation = _read_json(directory / "audit" / "validation.json") or {}
    for docs in (validation.get("data_docs"), manifest.get("data_docs")):
        if not docs:
            continue
        path = Path(docs) if Path(docs).is_absolute() else home_root / docs
        if path.is_file():
            return os.path.relpath(path, directory).replace(os.sep, "/")
    return None


TEMPLATE = "report_page.html.j2"


def _environment():
    """The page's Jinja2 environment: the template ships in the package, every value is
    HTML-escaped unless a fragment built here (already escaped) is marked safe."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(loader=PackageLoader("bcd35.report", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       undefined=StrictUndefined, keep_trailing_newline=True)


def _vn(value, signed: bool = False) -> str:
    if value is None:
        return NO_DATA_VI
    text = format_vn_number(value, 2)
    return f"+{text}" if signed and value > 0 else text


def render_page(data: ReportData, directory: Path, charts: Sequence[tuple[ChartSpec, Path]],
                home_root: Path | None = None, stamp: Stamp | None = None,
                restatement: dict | None = None) -> str:
    """The page for the report files already written in ``directory``."""
    y = data.year
    manifest = data.manifest
    committee = data.committee
    place = ", ".join(p for p in (committee.district_name_vi, committee.province_name_vi) if p)
    template = _environment().get_template(TEMPLATE)
    return template.render(
        title=f"Kết quả thực hiện các chỉ tiêu năm {y} — {committee.name_vi}",
        css=Markup(CSS), committee=committee, year=y, place=place, manifest=manifest,
        stamp=stamp or draft(manifest["build_id"]), no_data=NO_DATA_VI,
        restatement=restatement, vn=_vn, bi=lambda vi, en: Markup(_bi(vi, en)),
        validation_badge=Markup(_validation_badge(manifest.get("validation", {}))),
        kpi_table=Markup(kpi_table(data)), charts=Markup(_charts(data, charts, directory)),
        downloads=Markup(_file_list(directory, y, DOWNLOADS)),
        templates_list=Markup(_templates_list(directory)),
        audit=Markup(_audit(data, directory, _data_docs_href(manifest, home_root, directory))),
    )


def write_html(path: Path, data: ReportData, charts: Sequence[tuple[ChartSpec, Path]],
               home_root: Path | None = None, stamp: Stamp | None = None,
               restatement: dict | None = None) -> Path:
    """Write the page into ``path`` (``exports/Y/index.html``) beside the other files."""
    path.write_text(render_page(data, path.parent, charts, home_root, stamp, restatement),
                    encoding="utf-8")
    return path
