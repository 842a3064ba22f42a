"""The exit codes of ``bcd35 run``: what one night ended as, for the operator and for cron.

Defined once here; the table of docs/operator.md and ``bcd35 run --help`` are rendered from
:data:`Outcome` so they cannot drift from what the command returns. When several outcomes
apply to one run, the most serious one is the exit code (:func:`most_serious`).
"""

from __future__ import annotations

from enum import IntEnum


class Outcome(IntEnum):
    PUBLISHED = 0
    BLOCKED = 1
    USAGE = 2
    WITHHELD = 3
    QUARANTINED = 4
    WITHDRAWALS_PENDING = 5
    LOCKED = 6
    ABANDONED = 7


DESCRIPTIONS: dict[Outcome, tuple[str, str]] = {
    Outcome.PUBLISHED: (
        "đã công bố bản mới, hoặc không có gì mới",
        "published a new build, or nothing new"),
    Outcome.BLOCKED: (
        "bị chặn: dựng dữ liệu lỗi hoặc một kiểm tra chặn không đạt; không công bố gì",
        "blocked: the build failed or a blocking check failed; nothing published"),
    Outcome.USAGE: (
        "sai cách gọi lệnh (tuỳ chọn không hợp lệ)",
        "usage error (invalid option)"),
    Outcome.WITHHELD: (
        "đã công bố nhưng giữ lại một số phân vùng",
        "published, with some partitions withheld"),
    Outcome.QUARANTINED: (
        "có tệp mới bị cách ly (phần còn lại đã công bố, hoặc không có gì khác mới)",
        "new files were quarantined (everything else published, or nothing else new)"),
    Outcome.WITHDRAWALS_PENDING: (
        "có dữ liệu rút lại đang chờ xác nhận",
        "withdrawals are awaiting confirmation"),
    Outcome.LOCKED: (
        "một lần chạy khác đang ghi vào thư mục này; lần này không làm gì",
        "another writer holds the home; this run did nothing"),
    Outcome.ABANDONED: (
        "lần chạy bị dừng hoặc bị ngắt; ghi là bị ngắt, không phải lỗi kiểm tra",
        "the run was stopped or killed; recorded as abandoned, not as a failed check"),
}

#: Most serious first. LOCKED and USAGE end a run before anything started; ABANDONED ends it
#: wherever it was.
PRECEDENCE = (Outcome.USAGE, Outcome.LOCKED, Outcome.ABANDONED, Outcome.BLOCKED,
              Outcome.WITHHELD, Outcome.WITHDRAWALS_PENDING, Outcome.QUARANTINED,
              Outcome.PUBLISHED)


def most_serious(outcomes: set[Outcome] | list[Outcome]) -> Outcome:
    """The exit code of a run to which all of ``outcomes`` apply (PUBLISHED when none)."""
    present = set(outcomes)
    return next((o for o in PRECEDENCE if o in present), Outcome.PUBLISHED)


def render_table(markdown: bool = False) -> str:
    """The table of exit codes, plain (for ``--help``) or as Markdown (for the docs)."""
    order = "Khi nhiều mã cùng đúng, mã nghiêm trọng nhất thắng / when several apply, the most " \
            "serious wins: " + " > ".join(str(int(o)) for o in PRECEDENCE if o != Outcome.USAGE)
    if markdown:
        lines = ["| Mã / code | Ý nghĩa | Meaning |", "|---|---|---|"]
        lines += [f"| {int(o)} | {vi} | {en} |" for o, (vi, en) in DESCRIPTIONS.items()]
        return "\n".join([*lines, "", order + "."])
    lines = [f"  {int(o)}  {vi} / {en}" for o, (vi, en) in DESCRIPTIONS.items()]
    return "\n".join(["mã thoát / exit codes:", *lines, order])
