"""bcd35.report.prose: the year's figures in the words of the 2024 review; 0, 1 and no data."""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from pathlib import Path

import pytest

from bcd35.report import prose
from bcd35.report.kpis import ReportData

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "report" / "report_data_2024.json"


def sample() -> ReportData:
    return ReportData.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))


def with_values(data: ReportData, **values) -> ReportData:
    kpis = [dataclasses.replace(k, value=values[k.code]) if k.code in values else k
            for k in data.kpis]
    return dataclasses.replace(data, kpis=kpis)


def all_values(value) -> ReportData:
    data = sample()
    return with_values(data, **{k.code: value for k in data.kpis})


def test_opening_paragraph_reads_like_the_2024_review():
    text = prose.opening_paragraph(sample())
    for phrase in (
        "Trong năm 2024, Ban Chỉ đạo 35 huyện phối hợp tổ chức 96 hội nghị thông tin thời sự "
        "trong Đảng trên địa bàn toàn huyện",
        "trong tổng số 136 hội nghị các loại, với 12.935 lượt đại biểu tham dự",
        "Biên soạn, xuất bản 12 bản tin với 9.960 cuốn “Bản tin huyện Hàm Yên”",
        "với 561 tin bài, trung bình từ 1 đến 2 tin bài/ngày",
        "thu hút 841.518 lượt tiếp cận và 40.930 lượt tương tác",
        "dẫn nguồn đăng tải, chia sẻ 873 tin bài, với trên 2,4 triệu lượt tiếp cận, tương tác",
        "khen thưởng 3 tập thể và biểu dương 2 cá nhân",
    ):
        assert phrase in text
    assert text.endswith(".") and "  " not in text and ".." not in text


@pytest.mark.parametrize(("value", "words"), [
    (2_435_999, "trên 2,4 triệu"),
    (2_400_000, "2,4 triệu"),
    (2_499_999, "trên 2,4 triệu"),  # rounded down: "trên" stays true
    (2_000_000, "2 triệu"),
    (12_450_000, "trên 12,4 triệu"),
    (999_999, "999.999"),
    (873, "873"),
    (0, "0"),
])
def test_about_rounds_down_to_a_tenth_of_a_million(value, words):
    assert prose.about(value) == words


@pytest.mark.parametrize(("avg", "words"), [
    (1.53, "trung bình từ 1 đến 2 tin bài/ngày"),
    (1.0, "trung bình 1 tin bài/ngày"),
    (2.0, "trung bình 2 tin bài/ngày"),
    (3.1, "trung bình từ 3 đến 4 tin bài/ngày"),
    (0.1, "trung bình chưa đến 1 tin bài/ngày"),
    (0.0, "trung bình chưa đến 1 tin bài/ngày"),
])
def test_per_day_uses_the_real_value(avg, words):
    assert prose.per_day(avg) == words


def test_no_data_says_the_data_is_not_available_never_zero():
    text = prose.opening_paragraph(all_values(None))
    assert text.count("hưa có số liệu") == 5
    assert not re.search(r"\b0\b", text)


def test_zero_says_the_thing_did_not_happen():
    text = prose.opening_paragraph(all_values(0))
    assert "chưa tổ chức hội nghị thông tin thời sự trong Đảng" in text
    assert "chưa xuất bản bản tin" in text
    assert "chưa đăng tải tin bài" in text
    assert "chưa ghi nhận tin bài do cộng tác viên" in text
    assert "chưa có tập thể được khen thưởng và cá nhân được biểu dương" in text
    assert "số liệu" not in text
    assert not re.search(r"\b0\b", text)


def test_one_reads_naturally():
    text = prose.opening_paragraph(all_values(1))
    assert "tổ chức 1 hội nghị thông tin thời sự" in text
    assert "xuất bản 1 bản tin với 1 cuốn" in text
    assert "với 1 tin bài, trung bình 1 tin bài/ngày" in text
    assert "khen thưởng 1 tập thể và biểu dương 1 cá nhân" in text


def test_meetings_when_only_some_figures_exist():
    data = sample()
    none_briefings = prose.meetings_sentence(with_values(data, hoi_nghi_thong_tin_thoi_su=None))
    assert none_briefings.startswith("Trong năm 2024, Ban Chỉ đạo 35 huyện phối hợp tổ chức "
                                     "136 hội nghị các loại")
    assert "chưa có số liệu riêng về hội nghị thông tin thời sự" in none_briefings
    zero_briefings = prose.meetings_sentence(with_values(data, hoi_nghi_thong_tin_thoi_su=0))
    assert "trong đó chưa có hội nghị thông tin thời sự trong Đảng" in zero_briefings
    all_briefings = prose.meetings_sentence(with_values(data, hoi_nghi_tong_so=96))
    assert all_briefings.endswith("trên địa bàn toàn huyện, với 12.935 lượt đại biểu tham dự.")


def test_commendations_mixed():
    data = sample()
    assert prose.commendations_sentence(with_values(data, bieu_duong_ca_nhan=0)) == (
        "Ban Chỉ đạo 35 huyện đã khen thưởng 3 tập thể có thành tích trong tham gia thực hiện "
        "nhiệm vụ của Ban Chỉ đạo.")
    only_people = prose.commendations_sentence(with_values(data, khen_thuong_tap_the=None))
    assert "biểu dương 2 cá nhân" in only_people
    assert "(chưa có số liệu về khen thưởng tập thể)" in only_people


def test_collaborators_without_audience_figures():
    data = sample()
    text = prose.collaborators_sentence(with_values(data, ctv_luot_tiep_can_tuong_tac=None,
                                                    ctv_so_cong_tac_vien=None))
    assert text == ("Lực lượng cộng tác viên đã dẫn nguồn đăng tải, chia sẻ 873 tin bài "
                    "(chưa có số liệu về lượt tiếp cận, tương tác).")


@pytest.mark.parametrize("combo", list(itertools.product([None, 0, 1], repeat=3)))
def test_every_mix_of_none_zero_one_reads_cleanly(combo):
    data = sample()
    groups = [("hoi_nghi_thong_tin_thoi_su", "hoi_nghi_tong_so", "luot_dai_bieu"),
              ("ban_tin_so_ky", "ban_tin_so_cuon", "fanpage_tin_bai"),
              ("ctv_tin_bai_chia_se", "khen_thuong_tap_the", "bieu_duong_ca_nhan")]
    for codes in groups:
        text = prose.opening_paragraph(with_values(data, **dict(zip(codes, combo, strict=True))))
        assert not re.search(r"(?<![\d.,])0(?![\d.,])", text), text  # never "0 <thing>"
        assert "  " not in text and " ." not in text and " ," not in text and "()" not in text
        assert "None" not in text
