"""What a night's warehouse stages raise, on either engine (docs/operator.md#exit-codes)."""

from __future__ import annotations

from pathlib import Path


class BuildFailed(RuntimeError):
    """dbt failed: the candidate is left for inspection and never published."""

    def __init__(self, candidate: Path | str, failures: list[str]):
        self.candidate = candidate
        self.failures = failures
        name = candidate.name if isinstance(candidate, Path) else candidate
        lines = "\n".join(f"  - {f}" for f in failures) or "  (see the dbt log)"
        super().__init__(f"dbt build failed for {name}:\n{lines}")


class NothingChanged(Exception):  # noqa: N818 - an outcome, not an error
    """Nothing a build depends on changed since the published build: nothing to build."""

    def __init__(self, build_id: str):
        super().__init__(f"không có gì mới từ bản {build_id} / nothing new since build "
                         f"{build_id}: it stays published")
        self.build_id = build_id


class AuditFailed(RuntimeError):
    """A blocking check failed that names no partition: nothing is published."""

    def __init__(self, summary: str, failed_checks: list[str]):
        super().__init__(summary)
        self.failed_checks = failed_checks


class PublishRefused(RuntimeError):
    """The build may not be published (not validated, unknown) or there is nothing to roll
    back to."""


class SwapTimedOut(PublishRefused):
    """PostgreSQL: analysts' queries held the published tables through every attempt."""
