"""The six file kinds of SPEC §2 and the raw-layer contract they are loaded into.

This module is the contract between ingestion (which writes the accepted files' rows in
Parquet packs per kind under ``HOME/raw/<kind>/``) and the dbt staging models (which read them).
Change a column here and you change ``dbt_project/models/staging`` in the same commit.

Column types: ``string``, ``int64``, ``float64``, ``date``, ``timestamp`` (naive, the page's
local time), ``bool``. ``*_norm`` columns hold the matching form of a text (see
``bcd35.vietnamese.normalize_key``); the column without the suffix keeps the text as delivered
(NFC only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

# Provenance columns present on every raw table.
PROVENANCE: tuple[tuple[str, str], ...] = (
    ("_committee_code", "string"),  # committee the file belongs to
    ("_file_sha256", "string"),  # sha256 of the source file's bytes
    ("_kind", "string"),  # one of KINDS
    ("_sheet", "string"),  # XLSX sheet name, null for CSV
    ("_row_number", "int64"),  # line (CSV) or row (XLSX) number as the clerk sees it, 1-based
    ("_loaded_at", "timestamp"),  # UTC time of ingestion
    ("_ingest_seq", "int64"),  # monotonically increasing per ingested file: latest wins
    # the year the row's figures count in (the year of its partition, with _committee_code):
    # the year of Kind.year_column (a date, a time, or a year itself); staging derives the
    # same year from the same column (tests/dbt/test_partition_years.py checks both agree)
    ("_year", "int64"),
)


@dataclass(frozen=True)
class Column:
    name: str  # canonical raw column name (snake_case ASCII)
    type: str
    headers: tuple[str, ...]  # accepted header spellings (matched after header folding)
    required: bool = True
    derived: bool = False  # computed by ingestion, not read from a header


@dataclass(frozen=True)
class Kind:
    name: str
    label_vi: str
    columns: tuple[Column, ...]
    natural_key: tuple[str, ...]
    #: the column whose year is the row's partition year (``_year``): SPEC §5's meeting
    #: date, bulletin Năm, post publish time, share date, Năm thành tích
    year_column: str
    extra: tuple[tuple[str, str], ...] = field(default=())  # kind-specific derived columns

    @cached_property
    def source_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.derived)

    @cached_property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required and not c.derived)

    def schema(self) -> list[tuple[str, str]]:
        """Full raw schema, in column order: provenance, then data columns."""
        return list(PROVENANCE) + [(c.name, c.type) for c in self.columns] + list(self.extra)


def _c(name: str, type_: str, *headers: str, required: bool = True) -> Column:
    return Column(name, type_, headers, required)


def _d(name: str, type_: str) -> Column:
    return Column(name, type_, (), required=False, derived=True)


MEETING_LOG = Kind(
    name="meeting_log",
    label_vi="Sổ theo dõi hội nghị",
    columns=(
        _c("ngay", "date", "Ngày"),
        _c("ten_hoi_nghi", "string", "Tên hội nghị"),
        _d("ten_hoi_nghi_norm", "string"),
        _c("loai_hoi_nghi_goc", "string", "Loại hội nghị"),
        # canonical code: thong_tin_thoi_su | bao_cao_vien | so_ket_tong_ket | tap_huan | khac
        _d("loai_hoi_nghi", "string"),
        _c("don_vi_to_chuc", "string", "Đơn vị tổ chức"),
        _d("don_vi_to_chuc_norm", "string"),
        _c("xa_thi_tran", "string", "Xã/Thị trấn", "Xã / Thị trấn", "Xã, thị trấn", "Xã/TT",
           "Xã, phường, thị trấn"),
        # GSO code of the unit the row names in the list in force on its Ngày
        # (docs/formats.md#communes): before 1 July 2025 a pre-2025 unit (e.g. 02374) or the
        # district 074 for "Huyện"; from that day one of the 8 new xã (Xã Hàm Yên = 02374)
        _d("ma_dvhc", "string"),
        _c("so_dai_bieu", "int64", "Số đại biểu"),
        _c("stt", "string", "STT", required=False),
        _c("hinh_thuc", "string", "Hình thức", required=False),
        _c("chu_tri", "string", "Chủ trì", required=False),
        _c("ghi_chu", "string", "Ghi chú", required=False),
    ),
    natural_key=("ngay", "ten_hoi_nghi_norm", "don_vi_to_chuc_norm", "ma_dvhc"),
    year_column="ngay",
)

COMMENDATION = Kind(
    name="commendation",
    label_vi="Khen thưởng, biểu dương",
    columns=(
        _c("nam_thanh_tich", "int64", "Năm thành tích"),
        _c("hinh_thuc_goc", "string", "Hình thức"),
        _d("hinh_thuc", "string"),  # khen_thuong | bieu_duong
        _c("doi_tuong_goc", "string", "Đối tượng"),
        _d("doi_tuong", "string"),  # tap_the | ca_nhan
        _c("ten", "string", "Tên tập thể/cá nhân", "Tên tập thể / cá nhân"),
        _d("ten_norm", "string"),
        _c("so_quyet_dinh", "string", "Số quyết định", required=False),
        _c("ngay_quyet_dinh", "date", "Ngày quyết định", required=False),
    ),
    natural_key=("nam_thanh_tich", "hinh_thuc", "doi_tuong", "ten_norm"),
    year_column="nam_thanh_tich",
)

BULLETIN_ISSUE = Kind(
    name="bulletin_issue",
    label_vi="Sổ xuất bản bản tin",
    columns=(
        _c("ten_an_pham", "string", "Tên ấn phẩm"),
        _d("ten_an_pham_norm", "string"),
        _c("nam", "int64", "Năm"),
        _c("so", "int64", "Số"),
        _c("thang_phat_hanh", "date", "Tháng phát hành"),  # first day of the month
        _c("so_luong_in", "int64", "Số lượng in"),
        _c("ngay_phat_hanh", "date", "Ngày phát hành", required=False),
        _c("so_trang", "int64", "Số trang", required=False),
        _c("don_vi_in", "string", "Đơn vị in", required=False),
        _c("kinh_phi", "int64", "Kinh phí", required=False),  # VND
    ),
    natural_key=("ten_an_pham_norm", "nam", "so"),
    year_column="nam",
)

BULLETIN_DISTRIBUTION = Kind(
    name="bulletin_distribution",
    label_vi="Sổ cấp phát bản tin",
    columns=(
        _c("ten_an_pham", "string", "Tên ấn phẩm"),
        _d("ten_an_pham_norm", "string"),
        _c("nam", "int64", "Năm"),
        _c("so", "int64", "Số"),
        _c("don_vi_nhan", "string", "Đơn vị nhận"),
        _d("don_vi_nhan_norm", "string"),
        _c("so_luong", "int64", "Số lượng"),
        _c("xa_thi_tran", "string", "Xã/Thị trấn", "Xã / Thị trấn", "Xã, thị trấn", "Xã/TT",
           "Xã, phường, thị trấn", required=False),
        # as for meetings, by the register's Năm (no date): both lists in 2025
        _d("ma_dvhc", "string"),
    ),
    natural_key=("ten_an_pham_norm", "nam", "so", "don_vi_nhan_norm"),
    year_column="nam",
)

META_POSTS = Kind(
    name="meta_posts",
    label_vi="Bài viết trên trang (xuất từ Meta Business Suite)",
    columns=(
        _c("post_id", "string", "Post ID", "ID bài viết"),
        _c("page_id", "string", "Page ID", "ID Trang"),
        _c("page_name", "string", "Page name", "Tên Trang"),
        _c("publish_time", "timestamp", "Publish time", "Thời gian đăng"),
        _c("permalink", "string", "Permalink", "Liên kết vĩnh viễn"),
        _c("post_type", "string", "Post type", "Loại bài viết"),
        _c("reach", "int64", "Reach", "Số người tiếp cận"),
        _c("reactions", "int64", "Reactions", "Cảm xúc"),
        _c("comments", "int64", "Comments", "Bình luận"),
        _c("shares", "int64", "Shares", "Lượt chia sẻ"),
        _c("views", "int64", "Views", "Lượt xem", required=False),
        _c("impressions", "int64", "Impressions", "Lượt hiển thị", required=False),
        _c("reactions_comments_shares", "int64", "Reactions, Comments and Shares",
           "Cảm xúc, bình luận và lượt chia sẻ", required=False),
        _c("total_clicks", "int64", "Total clicks", "Tổng số lượt click", required=False),
        _c("link_clicks", "int64", "Link Clicks", "Lượt click vào liên kết", required=False),
        _c("other_clicks", "int64", "Other Clicks", "Lượt click khác", required=False),
        _c("title", "string", "Title", "Tiêu đề", required=False),
        _c("description", "string", "Description", "Mô tả", required=False),
        _c("duration_sec", "int64", "Duration (sec)", "Thời lượng (giây)", required=False),
    ),
    natural_key=("post_id",),
    year_column="publish_time",
    # export period from the standard Meta file name Mon-DD-YYYY_Mon-DD-YYYY_<id>.csv
    # (null when the name is not standard): the latest period wins, then the latest ingestion.
    extra=(("_period_start", "date"), ("_period_end", "date")),
)

COLLABORATOR_SHARES = Kind(
    name="collaborator_shares",
    label_vi="Sổ theo dõi chia sẻ của cộng tác viên",
    columns=(
        _c("ngay", "date", "Ngày"),
        # personal name: stays in the raw layer, pseudonymised in staging (keyed hash)
        _c("cong_tac_vien", "string", "Cộng tác viên"),
        _d("cong_tac_vien_norm", "string"),
        _c("don_vi", "string", "Đơn vị"),
        _d("don_vi_norm", "string"),
        _c("nen_tang_goc", "string", "Nền tảng"),
        _d("nen_tang", "string"),  # facebook | zalo | tiktok | youtube | khac
        _c("lien_ket", "string", "Liên kết chia sẻ"),
        _d("lien_ket_norm", "string"),  # trimmed, trailing "/" dropped
        _c("luot_tiep_can", "int64", "Lượt tiếp cận"),
        _c("luot_tuong_tac", "int64", "Lượt tương tác"),
        _c("bai_goc", "string", "Bài gốc", required=False),
        _c("ghi_chu", "string", "Ghi chú", required=False),
    ),
    natural_key=("lien_ket_norm",),
    year_column="ngay",
)

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (MEETING_LOG, COMMENDATION, BULLETIN_ISSUE, BULLETIN_DISTRIBUTION, META_POSTS,
              COLLABORATOR_SHARES)
}
