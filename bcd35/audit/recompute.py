"""An independent recomputation of every annual KPI (docs/development.md#kpis) from the staging
tables.

Deliberately a second implementation (pandas, from staging, with its own deduplication) so
that a fault in the dbt intermediate or mart models cannot hide from the audit.
"""

from __future__ import annotations

import calendar
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pandas as pd

_ORDER = ["ingest_seq", "source_row_number"]
MEETING_KEY = ("committee_code", "meeting_date", "meeting_name_key", "organiser_key",
               "commune_code")
ISSUE_KEY = ("committee_code", "publication_key", "issue_year", "issue_number")
AWARD_KEY = ("committee_code", "achievement_year", "award_type_code", "recipient_type_code",
             "recipient_key")


def _latest(df: pd.DataFrame, key: list[str], first: list[str] | None = None) -> pd.DataFrame:
    """One row per natural key: latest ingestion wins, then the later line."""
    order = (first or []) + _ORDER
    ascending = [True] * len(order)  # the last row after sorting wins
    return df.sort_values(order, ascending=ascending, na_position="first", kind="stable") \
        .drop_duplicates(subset=key, keep="last")


def _table(con: duckdb.DuckDBPyConnection, name: str, *columns: str) -> pd.DataFrame:
    """Only the columns the recomputation reads (the staging tables hold millions of rows)."""
    listed = ", ".join(dict.fromkeys((*columns, *_ORDER)))
    return con.sql(f"select {listed} from staging.{name}").df()


def recompute_annual_kpis(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Columns: committee_code, year, kpi_code, value."""
    rows: list[tuple[str, int, str, float]] = []

    meetings = _latest(_table(con, "stg_office__meetings", *MEETING_KEY, "meeting_kind_code",
                              "n_attendees"), list(MEETING_KEY))
    meetings["year"] = pd.to_datetime(meetings["meeting_date"]).dt.year
    for (committee, year), g in meetings.groupby(["committee_code", "year"]):
        rows += [
            (committee, year, "hoi_nghi_thong_tin_thoi_su",
             int((g["meeting_kind_code"] == "thong_tin_thoi_su").sum())),
            (committee, year, "hoi_nghi_tong_so", len(g)),
            (committee, year, "luot_dai_bieu", int(g["n_attendees"].sum())),
        ]

    issues = _latest(_table(con, "stg_office__bulletin_issues", *ISSUE_KEY, "n_copies_printed"),
                     list(ISSUE_KEY))
    for (committee, year), g in issues.groupby(["committee_code", "issue_year"]):
        rows += [
            (committee, year, "ban_tin_so_ky", len(g)),
            (committee, year, "ban_tin_so_cuon", int(g["n_copies_printed"].sum())),
        ]

    posts = _latest(_table(con, "stg_meta__posts", "committee_code", "post_id", "page_id",
                           "export_period_end", "published_at_local", "n_reach",
                           "n_reactions", "n_comments", "n_shares"), ["committee_code", "post_id"],
                    first=["export_period_end"])
    # the office's list decides which pages count: one listed as not the committee's does not
    not_ours = {r[0] for r in con.sql("select page_id from staging.stg_home__pages "
                                      "where not is_committee_page").fetchall()}
    posts = posts[~posts["page_id"].isin(not_ours)].copy()
    posts["year"] = pd.to_datetime(posts["published_at_local"]).dt.year
    for (committee, year), g in posts.groupby(["committee_code", "year"]):
        n_posts = len(g)
        days = 366 if calendar.isleap(int(year)) else 365
        per_day = Decimal(n_posts) / Decimal(days)
        rows += [
            (committee, year, "fanpage_tin_bai", n_posts),
            (committee, year, "fanpage_tin_bai_binh_quan_ngay",
             float(per_day.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))),
            (committee, year, "fanpage_luot_tiep_can", int(g["n_reach"].fillna(0).sum())),
            (committee, year, "fanpage_luot_tuong_tac",
             int(g[["n_reactions", "n_comments", "n_shares"]].fillna(0).to_numpy().sum())),
        ]

    shares = _latest(_table(con, "stg_office__collaborator_shares", "committee_code", "share_id",
                            "shared_date", "n_reach", "n_interactions",
                            "collaborator_pseudonym"),
                     ["committee_code", "share_id"])
    shares["year"] = pd.to_datetime(shares["shared_date"]).dt.year
    for (committee, year), g in shares.groupby(["committee_code", "year"]):
        rows += [
            (committee, year, "ctv_tin_bai_chia_se", len(g)),
            (committee, year, "ctv_luot_tiep_can_tuong_tac",
             int((g["n_reach"] + g["n_interactions"]).sum())),
            (committee, year, "ctv_so_cong_tac_vien", int(g["collaborator_pseudonym"].nunique())),
        ]

    awards = _latest(_table(con, "stg_office__commendations", *AWARD_KEY), list(AWARD_KEY))
    for (committee, year), g in awards.groupby(["committee_code", "achievement_year"]):
        rows += [
            (committee, year, "khen_thuong_tap_the",
             int(((g["award_type_code"] == "khen_thuong")
                  & (g["recipient_type_code"] == "tap_the")).sum())),
            (committee, year, "bieu_duong_ca_nhan",
             int(((g["award_type_code"] == "bieu_duong")
                  & (g["recipient_type_code"] == "ca_nhan")).sum())),
        ]

    out = pd.DataFrame(rows, columns=["committee_code", "year", "kpi_code", "value"])
    out["year"] = out["year"].astype("int64")
    out["value"] = out["value"].astype("float64")
    return out


def kpi_recomputation_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The mart's annual KPIs beside their recomputation (missing on either side = 0)."""
    mart = con.sql(
        "select committee_code, year, kpi_code, value as mart_value from marts.mart_kpi_annual"
    ).df()
    mart["year"] = mart["year"].astype("int64")
    again = recompute_annual_kpis(con).rename(columns={"value": "recomputed_value"})
    merged = mart.merge(again, on=["committee_code", "year", "kpi_code"], how="outer")
    merged[["mart_value", "recomputed_value"]] = (
        merged[["mart_value", "recomputed_value"]].astype("float64").fillna(0.0)
    )
    return merged.sort_values(["committee_code", "year", "kpi_code"]).reset_index(drop=True)
