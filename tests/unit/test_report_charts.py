"""bcd35.report.charts: valid, non-blank, deterministic PNGs; "no data" said in the image."""

from __future__ import annotations

import dataclasses
import json
import struct
from pathlib import Path

import numpy as np
from matplotlib.image import imread

from bcd35.report.charts import CHARTS, DPI, SIZE_INCHES, chart_series, write_chart, write_charts
from bcd35.report.kpis import ReportData

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "report" / "report_data_2024.json"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def sample() -> ReportData:
    return ReportData.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))


def without(data: ReportData, *codes: str) -> ReportData:
    kpis = [dataclasses.replace(k, value=None) if k.code in codes else k for k in data.kpis]
    return dataclasses.replace(data, kpis=kpis)


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_MAGIC and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def ink(path: Path) -> float:
    """Share of pixels that are not (near) white."""
    pixels = imread(path)[..., :3]
    return float((pixels.min(axis=2) < 0.9).mean())


def spec(name: str):
    return next(s for s in CHARTS if s.name == name)


def test_every_chart_is_a_valid_non_blank_png(tmp_path):
    paths = write_charts(tmp_path, sample())
    assert [p.name for p in paths] == [f"{s.name}_2024.png" for s in CHARTS]
    expected = (round(SIZE_INCHES[0] * DPI), round(SIZE_INCHES[1] * DPI))
    for path in paths:
        assert png_size(path) == expected
        pixels = imread(path)[..., :3]
        assert pixels.std() > 0.05, f"{path.name} looks blank"
        rgb = (pixels * 255).astype(np.uint32)
        colours = np.unique(rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2])
        assert len(colours) > 20
        assert ink(path) > 0.05


def test_charts_cover_the_monthly_series_of_the_brief():
    codes = {code for s in CHARTS for code in s.codes}
    assert codes == {"hoi_nghi_tong_so", "hoi_nghi_thong_tin_thoi_su", "ban_tin_so_cuon",
                     "fanpage_tin_bai", "fanpage_luot_tiep_can", "ctv_luot_tiep_can_tuong_tac"}


def test_charts_are_deterministic_and_carry_no_software_stamp(tmp_path):
    first = write_charts(tmp_path / "a", sample())
    second = write_charts(tmp_path / "b", sample())
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
        assert b"matplotlib" not in a.read_bytes().lower()


def test_a_chart_without_data_says_so_instead_of_an_empty_frame(tmp_path):
    data = sample()
    copies = spec("bieu_do_ban_tin")
    write_chart(tmp_path / "data.png", data, copies)
    write_chart(tmp_path / "none.png", without(data, "ban_tin_so_cuon"), copies)
    assert png_size(tmp_path / "none.png") == png_size(tmp_path / "data.png")
    assert (tmp_path / "none.png").read_bytes() != (tmp_path / "data.png").read_bytes()
    # the no-data image is mostly white with a boxed message, the data image full of bars
    assert ink(tmp_path / "none.png") < ink(tmp_path / "data.png") / 3
    assert 0.005 < ink(tmp_path / "none.png")


def test_zero_months_are_data_not_missing():
    data = sample()
    zero = dataclasses.replace(data, monthly={**data.monthly, "ban_tin_so_cuon": [0] * 12})
    zero = dataclasses.replace(zero, kpis=[dataclasses.replace(k, value=0)
                                           if k.code == "ban_tin_so_cuon" else k
                                           for k in zero.kpis])
    [series] = chart_series(zero, spec("bieu_do_ban_tin"))
    assert series.values == [0] * 12
    [series] = chart_series(without(data, "ban_tin_so_cuon"), spec("bieu_do_ban_tin"))
    assert series.values is None


def test_a_chart_with_one_series_missing_draws_the_other(tmp_path):
    data = sample()
    reach = spec("bieu_do_tiep_can")
    write_chart(tmp_path / "both.png", data, reach)
    write_chart(tmp_path / "one.png", without(data, "ctv_luot_tiep_can_tuong_tac"), reach)
    write_chart(tmp_path / "none.png",
                without(data, "ctv_luot_tiep_can_tuong_tac", "fanpage_luot_tiep_can"), reach)
    inks = [ink(tmp_path / f"{n}.png") for n in ("both", "one", "none")]
    assert inks[0] > inks[2] and inks[1] > inks[2]
    assert len({(tmp_path / f"{n}.png").read_bytes() for n in ("both", "one", "none")}) == 3
