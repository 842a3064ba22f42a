"""Property tests (hypothesis) for header matching, decoding and whole-file analysis."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bcd35.ingest import analyse
from bcd35.ingest.detect import match_row
from bcd35.ingest.errors import FileRejected
from bcd35.ingest.kinds import KINDS
from bcd35.ingest.reading import decode_text
from bcd35.ingest.rows import ParseContext
from bcd35.vietnamese import VIETNAMESE_LETTERS, fold_header, strip_diacritics

settings.register_profile("bcd35", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("bcd35")

CTX = ParseContext(max_year=2999, min_year=1900)
SPELLINGS = sorted({(kind.name, column.name, text) for kind in KINDS.values()
                    for column in kind.source_columns for text in column.headers})
OLD_TONES = {"òa": "oà", "óa": "oá", "ỏa": "oả", "õa": "oã", "ọa": "oạ", "ủy": "uỷ", "úy": "uý",
             "ùy": "uỳ", "ũy": "uỹ", "ụy": "uỵ", "ỏe": "oẻ", "óe": "oé"}


@st.composite
def disguised(draw: st.DrawFn, text: str) -> str:
    """``text`` as a clerk might type it: case, spaces, diacritics, tones, NFD, Ð."""
    if draw(st.booleans()):
        text = strip_diacritics(text)
    for new, old in OLD_TONES.items():
        if draw(st.booleans()):
            text = text.replace(new, old).replace(new.upper(), old.upper())
    text = "".join(ch.upper() if draw(st.booleans()) else ch.lower() for ch in text)
    if draw(st.booleans()):
        text = text.replace("Đ", "\u00d0")
    words = text.split(" ")
    spaces = st.text(alphabet=" \u00a0\t", min_size=1, max_size=3)
    text = "".join(w + (draw(spaces) if i < len(words) - 1 else "") for i, w in enumerate(words))
    text = draw(st.text(alphabet=" ", max_size=2)) + text + draw(st.text(alphabet=" ",
                                                                          max_size=2))
    form = draw(st.sampled_from(["NFC", "NFD"]))
    return unicodedata.normalize(form, text)


@given(st.sampled_from(SPELLINGS).flatmap(lambda s: st.tuples(st.just(s), disguised(s[2]))))
def test_every_header_spelling_matches_however_it_is_typed(
        case: tuple[tuple[str, str, str], str]) -> None:
    (_, _, canonical), typed = case
    assert fold_header(typed) == fold_header(canonical)


@given(st.sampled_from(sorted(KINDS)), st.randoms(use_true_random=False),
       st.lists(st.text(alphabet="xyzqw ", min_size=1, max_size=8), max_size=5))
def test_a_header_row_is_recognised_in_any_order_with_extra_columns(
        kind_name: str, rng: object, extra: list[str]) -> None:
    kind = KINDS[kind_name]
    cells: list[object] = [c.headers[0] for c in kind.required_columns] + extra
    rng.shuffle(cells)  # type: ignore[attr-defined]
    match = match_row(cells, 1)
    assert match is not None and match.kind.name == kind_name
    for column in kind.required_columns:
        assert cells[match.positions[column.name]] == column.headers[0]


@given(st.lists(st.one_of(st.none(), st.text(max_size=30), st.integers(), st.floats()),
                max_size=40))
def test_header_matching_never_crashes(cells: list[object]) -> None:
    try:
        match_row(cells, 1)
    except FileRejected as exc:  # only ever an ambiguous header, explained
        assert exc.error.reason_vi and exc.error.reason_en


@given(st.binary(max_size=400))
def test_decoding_any_bytes_gives_text_or_a_reason(data: bytes) -> None:
    try:
        text = decode_text(data)
    except FileRejected as exc:
        assert exc.error.reason_vi and exc.error.reason_en
    else:
        assert "\x00" not in text


@given(st.binary(max_size=600))
def test_analysing_any_bytes_never_raises(data: bytes) -> None:
    result = analyse(data, CTX)
    if result.errors:
        assert all(e.reason_vi and e.reason_en for e in result.errors)
    if result.data_rows is not None:
        assert result.accepted_rows is not None and result.rejected_rows is not None
        assert result.accepted_rows + result.rejected_rows == result.data_rows


VIETNAMESE_WORDS = st.text(alphabet=sorted(VIETNAMESE_LETTERS) + list("bcdghklmnpqrstvx"),
                           min_size=1, max_size=12)


def _cp1258(text: str) -> bytes:
    """Windows-1258 as Windows writes it: base letter, then the combining tone mark."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = bytearray()
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out += (base + "".join(c for c in parts if c in tones)).encode("cp1258")
    return bytes(out)


@given(st.lists(VIETNAMESE_WORDS, min_size=1, max_size=8))
def test_windows1258_round_trips_to_nfc(words: list[str]) -> None:
    text = "Ghi chú," + " ".join(words) + "\n"
    assert decode_text(_cp1258(text)) == unicodedata.normalize("NFC", text)


@st.composite
def meta_export(draw: st.DrawFn) -> tuple[bool, list[datetime], bytes]:
    """A small Meta export in the English (M/D) or Vietnamese (D/M) UI."""
    english = draw(st.booleans())
    moments = draw(st.lists(st.datetimes(min_value=datetime(2020, 1, 1),
                                         max_value=datetime(2026, 12, 31)).map(
        lambda m: m.replace(second=0, microsecond=0)), min_size=1, max_size=5))
    header = [c.headers[0 if english else 1] for c in KINDS["meta_posts"].required_columns]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for index, moment in enumerate(moments):
        first, second = (moment.month, moment.day) if english else (moment.day, moment.month)
        when = f"{first}/{second}/{moment.year} {moment.hour}:{moment.minute:02d}"
        post = f"12222731172662{index:05d}"
        writer.writerow([post, "100083915622407", "Trang", when, f"https://fb.com/{post}",
                         "Photos", "10", "1", "0", "0"])
    return english, moments, out.getvalue().encode("utf-8")


@settings(max_examples=40)
@given(meta_export())
def test_meta_publish_times_are_read_in_the_order_of_the_ui(
        case: tuple[bool, list[datetime], bytes]) -> None:
    _, moments, data = case
    result = analyse(data, CTX)
    assert list(result.errors) == []
    assert [r["publish_time"] for r in result.parsed[0].records] == moments


@settings(max_examples=40)
@given(meta_export())
def test_meta_file_in_the_other_order_is_quarantined_never_swapped(
        case: tuple[bool, list[datetime], bytes]) -> None:
    english, moments, data = case
    header_line, _, body = data.decode().partition("\r\n")
    cells = next(csv.reader([header_line]))
    other = [next(c.headers[1 if english else 0] for c in KINDS["meta_posts"].required_columns
                  if c.headers[0 if english else 1] == cell) for cell in cells]
    swapped = (",".join(other) + "\r\n" + body).encode()  # same times, other UI language
    result = analyse(swapped, CTX)
    if any(m.day > 12 for m in moments):
        # one impossible value quarantines the file: none of its times is loaded swapped
        assert result.errors
        assert {e.column for e in result.errors} <= {"Publish time", "Thời gian đăng"}
    # (all days ≤ 12: every value is a valid date in both orders and the header's language
    # decides; Meta writes times in the order of its UI, so such a file was edited by hand)
