"""The figures of the year in sentences, as the district's reviews write them.

Modelled on the 2024 review of Hàm Yên: "tổ chức 96 hội nghị thông tin thời sự trong Đảng",
"biên soạn, xuất bản 12 bản tin với 9.960 cuốn", "trung bình từ 1 đến 2 tin bài/ngày",
"dẫn nguồn đăng tải, chia sẻ 873 tin bài, với trên 2,4 triệu lượt tiếp cận, tương tác",
"khen thưởng 3 tập thể và biểu dương 2 cá nhân".

Every sentence reads naturally whatever the figure: a figure of 0 says the thing did not
happen; a missing figure (``None``: no records of that kind for the year) says the data is not
available, never "0". Vietnamese has no plural, so 1 needs no special form.
"""

from __future__ import annotations

import math
from decimal import ROUND_FLOOR, Decimal

from bcd35.report.kpis import Number, ReportData
from bcd35.vietnamese import format_vn_number

BCD = "Ban Chỉ đạo 35 huyện"
FANPAGE = f"fanpage {BCD}"


def vn(value: Number) -> str:
    return format_vn_number(value)


def about(value: Number) -> str:
    """A large count as the reviews round it: ``2435999`` → ``trên 2,4 triệu``.

    Rounded down to a tenth of a million, so "trên" (over) is always true; an exact tenth
    reads ``2,4 triệu``; below a million the exact figure (``841.518``).
    """
    if value < 1_000_000:
        return vn(value)
    tenths = (Decimal(str(value)) / Decimal(100_000)).to_integral_value(ROUND_FLOOR)
    millions = tenths / 10
    shown = format_vn_number(float(millions), 1)
    return f"{shown} triệu" if tenths * 100_000 == Decimal(str(value)) else f"trên {shown} triệu"


def per_day(avg: Number) -> str:
    """``1.53`` → ``trung bình từ 1 đến 2 tin bài/ngày``."""
    if avg < 1:
        return "trung bình chưa đến 1 tin bài/ngày"
    if float(avg).is_integer():
        return f"trung bình {vn(avg)} tin bài/ngày"
    low = math.floor(avg)
    return f"trung bình từ {vn(low)} đến {vn(low + 1)} tin bài/ngày"


def meetings_sentence(data: ReportData) -> str:
    year = data.year
    briefings = data.value("hoi_nghi_thong_tin_thoi_su")
    total = data.value("hoi_nghi_tong_so")
    attendees = data.value("luot_dai_bieu")
    with_attendees = f", với {vn(attendees)} lượt đại biểu tham dự" if attendees else ""
    if briefings:
        head = (f"Trong năm {year}, {BCD} phối hợp tổ chức {vn(briefings)} hội nghị thông tin "
                "thời sự trong Đảng trên địa bàn toàn huyện")
        if total and total != briefings:
            return f"{head} (trong tổng số {vn(total)} hội nghị các loại{with_attendees})."
        return f"{head}{with_attendees}."
    if total:
        head = f"Trong năm {year}, {BCD} phối hợp tổ chức {vn(total)} hội nghị các loại"
        if briefings == 0:
            return (f"{head}{with_attendees}, trong đó chưa có hội nghị thông tin thời sự "
                    "trong Đảng.")
        return (f"{head}{with_attendees} (chưa có số liệu riêng về hội nghị thông tin thời sự "
                "trong Đảng).")
    if briefings == 0:
        return f"Trong năm {year}, {BCD} chưa tổ chức hội nghị thông tin thời sự trong Đảng."
    return f"Trong năm {year}, chưa có số liệu về hội nghị thông tin thời sự trong Đảng."


def bulletins_sentence(data: ReportData) -> str:
    issues = data.value("ban_tin_so_ky")
    copies = data.value("ban_tin_so_cuon")
    if issues is None:
        return "Chưa có số liệu về việc xuất bản bản tin."
    if issues == 0:
        return "Trong năm chưa xuất bản bản tin."
    title = f" “{data.publications[0]}”" if len(data.publications) == 1 else ""
    if copies:
        amount = f" với {vn(copies)} cuốn{title}"
    elif copies is None:
        amount = f"{title} (chưa có số liệu về số lượng in)"
    else:
        amount = title
    return (f"Biên soạn, xuất bản {vn(issues)} bản tin{amount} phục vụ sinh hoạt chi bộ "
            "cơ sở và các chi bộ trực thuộc đảng ủy cơ sở.")


def fanpage_sentence(data: ReportData) -> str:
    posts = data.value("fanpage_tin_bai")
    avg = data.value("fanpage_tin_bai_binh_quan_ngay")
    reach = data.value("fanpage_luot_tiep_can")
    interactions = data.value("fanpage_luot_tuong_tac")
    if posts is None:
        return f"Chưa có số liệu về tin bài đăng trên {FANPAGE}."
    if posts == 0:
        return f"Trong năm, {FANPAGE} chưa đăng tải tin bài."
    parts = [f"Thường xuyên tuyên truyền, lan tỏa các nội dung tích cực bảo vệ nền tảng tư "
             f"tưởng của Đảng trên {FANPAGE} với {vn(posts)} tin bài"]
    if avg is not None:
        parts.append(per_day(avg))
    audience = [f"{about(v)} lượt {what}" for v, what in
                ((reach, "tiếp cận"), (interactions, "tương tác")) if v]
    if audience:
        parts.append("thu hút " + " và ".join(audience))
    return ", ".join(parts) + "."


def collaborators_sentence(data: ReportData) -> str:
    shares = data.value("ctv_tin_bai_chia_se")
    audience = data.value("ctv_luot_tiep_can_tuong_tac")
    people = data.value("ctv_so_cong_tac_vien")
    if shares is None:
        return "Chưa có số liệu về tin bài do cộng tác viên dẫn nguồn đăng tải, chia sẻ."
    if shares == 0:
        return "Trong năm chưa ghi nhận tin bài do cộng tác viên dẫn nguồn đăng tải, chia sẻ."
    who = f"Lực lượng {vn(people)} cộng tác viên" if people else "Lực lượng cộng tác viên"
    sentence = f"{who} đã dẫn nguồn đăng tải, chia sẻ {vn(shares)} tin bài"
    if audience:
        sentence += f", với {about(audience)} lượt tiếp cận, tương tác"
    elif audience is None:
        sentence += " (chưa có số liệu về lượt tiếp cận, tương tác)"
    return sentence + "."


def commendations_sentence(data: ReportData) -> str:
    groups = data.value("khen_thuong_tap_the")
    people = data.value("bieu_duong_ca_nhan")
    if groups is None and people is None:
        return "Chưa có số liệu về công tác khen thưởng, biểu dương."
    done = []
    if groups:
        done.append(f"khen thưởng {vn(groups)} tập thể")
    if people:
        done.append(f"biểu dương {vn(people)} cá nhân")
    if done:
        sentence = (f"{BCD} đã {' và '.join(done)} có thành tích trong tham gia thực hiện "
                    "nhiệm vụ của Ban Chỉ đạo")
    else:
        none = [what for v, what in ((groups, "tập thể được khen thưởng"),
                                     (people, "cá nhân được biểu dương")) if v == 0]
        sentence = f"Trong năm chưa có {' và '.join(none)}"
    missing = [what for v, what in ((groups, "khen thưởng tập thể"),
                                    (people, "biểu dương cá nhân")) if v is None]
    if missing:
        sentence += f" (chưa có số liệu về {missing[0]})"
    return sentence + "."


def opening_paragraph(data: ReportData) -> str:
    """The year's main figures in one paragraph, in the words of the 2024 review."""
    return " ".join([meetings_sentence(data), bulletins_sentence(data), fanpage_sentence(data),
                     collaborators_sentence(data), commendations_sentence(data)])
