"""Charts of the monthly series (PNG), with Vietnamese labels and number display.

Deterministic: matplotlib's object API (``Figure``, drawn by the Agg canvas; no pyplot, no
global backend or rcParams change), a fixed
size and dpi, the DejaVu Sans font shipped with matplotlib (it has every Vietnamese letter),
and no "Software"/date metadata in the PNG, so the same figures give the same bytes.

A chart whose series have no data for the year (the KPI is ``None``: no records) says so in
the image ("Không có số liệu / No data") instead of drawing an empty frame or a row of zeros.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bcd35.report.kpis import Number, ReportData
from bcd35.vietnamese import format_vn_number

MONTHS_VI = [f"T{m}" for m in range(1, 13)]
NO_DATA = "Không có số liệu / No data"
SIZE_INCHES = (8.0, 4.0)
DPI = 150
COLOURS = ("#1F4E79", "#C00000")
_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@dataclass(frozen=True)
class ChartSpec:
    name: str  # file stem, without the year
    title_vi: str
    codes: tuple[str, ...]
    kind: str  # "bar" or "line"
    unit_vi: str


CHARTS = (
    ChartSpec("bieu_do_hoi_nghi", "Số hội nghị theo tháng",
              ("hoi_nghi_tong_so", "hoi_nghi_thong_tin_thoi_su"), "bar", "hội nghị"),
    ChartSpec("bieu_do_ban_tin", "Số cuốn bản tin theo tháng phát hành",
              ("ban_tin_so_cuon",), "bar", "cuốn"),
    ChartSpec("bieu_do_tin_bai", "Tin bài đăng trên trang của Ban Chỉ đạo theo tháng",
              ("fanpage_tin_bai",), "bar", "tin bài"),
    ChartSpec("bieu_do_tiep_can", "Lượt tiếp cận, tương tác theo tháng",
              ("fanpage_luot_tiep_can", "ctv_luot_tiep_can_tuong_tac"), "line", "lượt"),
)


@dataclass(frozen=True)
class Series:
    code: str
    label_vi: str
    values: list[Number | None] | None  # None: no data for the year


def _axis_number(value: float, _pos: int) -> str:
    return format_vn_number(round(value, 2))


def chart_series(data: ReportData, spec: ChartSpec) -> list[Series]:
    out = []
    for code in spec.codes:
        kpi = data.kpi(code)
        label = kpi.name_vi if kpi else code
        has_data = kpi is not None and kpi.has_data and code in data.monthly
        out.append(Series(code, label, list(data.monthly[code]) if has_data else None))
    return out


def _no_data(fig: Figure, title: str) -> None:
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(title, fontweight="bold")
    ax.text(0.5, 0.5, NO_DATA, ha="center", va="center", fontsize=16, color="#7F7F7F",
            transform=ax.transAxes,
            bbox={"boxstyle": "round,pad=0.8", "facecolor": "#F2F2F2", "edgecolor": "#BFBFBF"})


def _draw(fig: Figure, title: str, spec: ChartSpec, series: list[Series]) -> None:
    ax = fig.add_subplot()
    ax.set_title(title, fontweight="bold")
    present = [s for s in series if s.values is not None]
    x = list(range(12))
    width = 0.8 / len(present)
    for i, s in enumerate(present):
        ys = [float("nan") if v is None else float(v) for v in s.values]
        colour = COLOURS[i % len(COLOURS)]
        if spec.kind == "bar":
            offset = (i - (len(present) - 1) / 2) * width
            bars = ax.bar([xi + offset for xi in x], ys, width=width, color=colour,
                          label=s.label_vi)
            if len(present) == 1:
                ax.bar_label(bars, labels=[format_vn_number(v) if v is not None else ""
                                           for v in s.values], fontsize=8, padding=2)
        else:
            ax.plot(x, ys, marker="o", color=colour, label=s.label_vi)
    ax.set_xticks(x, MONTHS_VI)
    ax.set_xlim(-0.6, 11.6)
    ax.set_ylim(bottom=0)
    ax.margins(y=0.12)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(_axis_number))
    ax.set_ylabel(spec.unit_vi)
    ax.grid(axis="y", color="#D9D9D9", linewidth=0.6)
    ax.set_axisbelow(True)
    handles, labels = ax.get_legend_handles_labels()
    for s in series:
        if s.values is None:  # say which series has no data, in the legend
            handles.append(Line2D([], [], color="none"))
            labels.append(f"{s.label_vi}: không có số liệu / no data")
    if len(labels) > 1:
        fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False,
                   fontsize=9)


def write_chart(path: Path, data: ReportData, spec: ChartSpec) -> None:
    series = chart_series(data, spec)
    title = f"{spec.title_vi} năm {data.year}"
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
        if all(s.values is None for s in series):
            _no_data(fig, title)
        else:
            _draw(fig, title, spec, series)
        fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None})


def chart_path(directory: Path, spec: ChartSpec, year: int) -> Path:
    return directory / f"{spec.name}_{year}.png"


def write_charts(directory: Path, data: ReportData) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for spec in CHARTS:
        path = chart_path(directory, spec, data.year)
        write_chart(path, data, spec)
        paths.append(path)
    return paths
