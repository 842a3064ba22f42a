"""Failed rows told to a clerk: one line per row, Vietnamese then English (both back ends).

A suite's ``row_label_vi/en`` and each expectation's ``message_vi/en`` are templates over the
row's columns; measures are written the Vietnamese way (9.960, 1,53) in the Vietnamese half;
``{source_file}`` is the file's name in the inbox, looked up from ``source_file_sha256``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bcd35.audit.suites import SuiteSpec
from bcd35.vietnamese import format_vn_number

MAX_ROWS_PER_FAILURE = 20


def fill(template: str, row: Mapping[str, object]) -> str:
    """``template`` with the row's values; the template as it is when a column is missing."""
    try:
        return template.format(**row)
    except (KeyError, ValueError, IndexError):
        return template


def plain(value: object) -> object:
    """``12.0`` → ``12``: whole floats (pandas' counts with a null) as integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def is_measure(column: str) -> bool:
    """Counts and values (n_*, *value, sum_of_months); not years, numbers or line numbers."""
    return column.startswith("n_") or column.endswith("value") or column == "sum_of_months"


def as_vietnamese(column: str, value: object) -> object:
    """Measures as a Vietnamese clerk reads them (9.960, 1,53); identifiers stay as they are."""
    if not is_measure(column) or isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return format_vn_number(value)


def row_line(spec: SuiteSpec, meta: Mapping[str, str], found: Mapping[str, object],
             file_names: Mapping[str, str]) -> str:
    """One failed row: ``<row label>: <message>`` in Vietnamese / the same in English."""
    row = {k: plain(v) for k, v in found.items()}
    sha = row.get("source_file_sha256")
    if isinstance(sha, str):
        row["source_file"] = file_names.get(sha, sha[:12])
    row_vi = {k: as_vietnamese(k, v) for k, v in row.items()}
    return (f"{fill(spec.row_label_vi, row_vi)}: {fill(meta['message_vi'], row_vi)} / "
            f"{fill(spec.row_label_en, row)}: {fill(meta['message_en'], row)}")


def row_lines(spec: SuiteSpec, meta: Mapping[str, str], rows: Sequence[Mapping[str, object]],
              total: int, file_names: Mapping[str, str]) -> list[str]:
    """The first :data:`MAX_ROWS_PER_FAILURE` rows of ``total`` failed ones, then a count."""
    lines = [row_line(spec, meta, row, file_names) for row in rows[:MAX_ROWS_PER_FAILURE]]
    if total > MAX_ROWS_PER_FAILURE:
        lines.append(f"… {total - MAX_ROWS_PER_FAILURE} dòng nữa / more rows")
    return lines
