"""The CSV reader's shortcuts give what the plain way of reading gives, on any text.

``bcd35.ingest.reading`` reads a CSV file with three shortcuts (docs/performance.md): a text
without a quote is read in one call, its record n being line n; only the start of the text is
split into lines to sniff the delimiter; a row's blankness and its non-empty cells are counted
on the joined text. Each is compared here with the plain way it replaced, written out below.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bcd35.ingest.detect import is_known_header
from bcd35.ingest.errors import FileRejected
from bcd35.ingest.reading import (
    HEADER_SCAN_ROWS,
    _csv_rows,
    _first_lines,
    is_blank_row,
    read_csv,
)

# the characters that decide how a CSV text splits: delimiters, quotes, every line break
# str.splitlines() knows, whitespace that strip() removes, and letters
ALPHABET = st.sampled_from([",", ";", "\t", '"', "\r", "\n", "\r\n", " ", "\u00a0", "\x0b",
                            "\x1c", "\u2028", "a", "Ồ", "1", ""])
TEXTS = st.lists(ALPHABET, max_size=120).map("".join)


def plain_rows(text: str, delimiter: str) -> list[tuple[int, tuple[str, ...]]]:
    """Every record with the line it starts on, read one at a time."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows, start = [], 1
    try:
        for cells in reader:
            rows.append((start, tuple(cells)))
            start = reader.line_num + 1
    except csv.Error:
        raise FileRejected("hỏng", "malformed", line=start) from None
    return rows


def outcome(read, *args):
    """The rows read, or the line a refusal names."""
    try:
        return list(read(*args))
    except FileRejected as exc:
        return ("refused at line", exc.error.line)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS, st.sampled_from([",", ";", "\t"]))
@example('a,"b\nc"\nd\n', ",")  # a quoted value over two lines: the next record is line 3
@example('"x"\r\n\r\n"y\rz"\n;', ";")
def test_records_and_their_lines_equal_the_plain_reading(text: str, delimiter: str) -> None:
    assert outcome(_csv_rows, text, delimiter) == outcome(plain_rows, text, delimiter)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS, st.integers(min_value=1, max_value=HEADER_SCAN_ROWS))
def test_first_lines_equal_splitting_the_whole_text(text: str, n: int) -> None:
    assert _first_lines(text, n) == [line for line in text.splitlines() if line.strip()][:n]


@pytest.mark.parametrize("head", [8190, 8191, 8192, 8193, 65535, 65536, 65537])
@pytest.mark.parametrize("n", [1, 2, HEADER_SCAN_ROWS])
def test_first_lines_of_a_long_text_cut_anywhere(head: int, n: int) -> None:
    """Lines that straddle the part split first (8 KiB, then 64 KiB): one ending in \\r\\n
    across the cut, and a blank one."""
    long_line = "x" * (head - 1)
    text = long_line + "\r\n" + "   \n" + "".join(f"dòng {i}\n" for i in range(25))
    assert _first_lines(text, n) == [line for line in text.splitlines() if line.strip()][:n]
    text = "a\n" * (n - 1) + long_line + "\u2028tail\n"
    assert _first_lines(text, n) == [line for line in text.splitlines() if line.strip()][:n]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
@example("a,b\n \u00a0, \t\n,\nc,d\n")  # rows of white space and of empty cells are blank
def test_the_rows_kept_are_the_non_blank_ones(text: str) -> None:
    """read_csv keeps the rows :func:`is_blank_row` keeps, with the same cells."""
    try:
        sheet = read_csv(text, is_known_header)
    except FileRejected:
        return
    delimiter = ","  # no known header in these texts: the delimiter splitting most cells
    first = _first_lines(text, 1)
    if first:
        delimiter = max((",", ";", "\t"),
                        key=lambda d: len(next(csv.reader([first[0]], delimiter=d), [])))
    assert list(sheet.rows) == [row for row in plain_rows(text, delimiter)
                                if not is_blank_row(row[1])]


def test_an_overlong_cell_in_a_text_without_quotes_names_its_line() -> None:
    """The one-call reading meets the field limit and reads again, one record at a time, to
    name the line."""
    text = "a,b\n" * 3 + "x" * (csv.field_size_limit() + 1) + ",y\n"
    with pytest.raises(FileRejected) as raised:
        list(_csv_rows(text, ","))
    assert raised.value.error.line == 4


def test_too_many_cells_counts_the_non_empty_ones_only() -> None:
    """A row's empty cells do not count against the file's cell budget."""
    from bcd35.ingest.reading import MAX_CELLS

    width = 100
    rows = MAX_CELLS // 2 + 1  # two filled cells a row: one over the budget
    text = "".join("a,b" + "," * (width - 2) + "\n" for _ in range(rows))
    with pytest.raises(FileRejected) as raised:
        read_csv(text, is_known_header)
    assert raised.value.error.line == rows
    assert len(read_csv(text[: -(width + 2)], is_known_header).rows) == rows - 1
