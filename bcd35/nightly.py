"""The stages of one nightly run, as plain functions the Airflow DAG calls
(docs/operator.md#checks).

ingest → build (candidate) → audit (Great Expectations) → publish. Each stage records
itself in the run log; the audit stage writes the candidate's manifest, and publishing
refuses a candidate whose manifest does not say the audit passed.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import duckdb

from bcd35 import runs
from bcd35.children import Stopped, exit_if_run_by_cli, stop_on_signals
from bcd35.config import PRIVATE_UMASK, Home, code_version, committee_code
from bcd35.failpoints import failpoint
from bcd35.lock import writer_lock
from bcd35.partitions import Withheld, keep_withheld, withheld_of
from bcd35.settings import settings

#: How long a DAG task Airflow runs on its own waits for a `bcd35 run` (or another writer)
#: holding the home before it fails (and Airflow retries it).
TASK_LOCK_WAIT_SECONDS = 30 * 60


class NothingChanged(Exception):  # noqa: N818 - an outcome, not an error
    """Nothing a build depends on changed since the published build: nothing to build."""

    def __init__(self, build_id: str):
        super().__init__(f"không có gì mới từ bản {build_id} / nothing new since build "
                         f"{build_id}: it stays published")
        self.build_id = build_id


ACCEPT_WITHDRAWALS_ENV = "BCD35_ACCEPT_WITHDRAWALS"  # "1": the operator confirmed them


class WithdrawalsPending(RuntimeError):
    """More loaded files vanished from the inbox than a night withdraws unasked: stop here."""

    def __init__(self, files: list[str], message: str):
        super().__init__(message)
        self.files = files


class AuditFailed(RuntimeError):
    def __init__(self, summary: str, failed_checks: list[str]):
        super().__init__(summary)
        self.failed_checks = failed_checks


@contextmanager
def writing(home: Home, run_id: str, stage: str) -> Iterator[None]:
    """A writing stage: the home's writer lock held (re-entrant: `bcd35 run` holds it already),
    files private, and SIGTERM/SIGINT ending the run as abandoned, never as a failed check."""
    os.umask(PRIVATE_UMASK)
    with writer_lock(home, f"bcd35 nightly {stage} ({run_id})", wait=TASK_LOCK_WAIT_SECONDS), \
            stop_on_signals():
        try:
            yield
        except Stopped as exc:
            runs.update(home, run_id, status="abandoned", stage=stage, message=str(exc))
            exit_if_run_by_cli(f"run {run_id} ({stage}): {exc}")
            raise


def new_build_id(run_id: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}_{hashlib.sha256(run_id.encode()).hexdigest()[:8]}"


def ingest(home: Home, run_id: str) -> dict:
    from bcd35.ingest import ingest_inbox

    home.ensure()
    accept = settings().accept_withdrawals
    with writing(home, run_id, "ingest"):
        runs.start(home, run_id)
        with runs.stage(home, run_id, "ingest"):
            result = ingest_inbox(home, committee_code(), run_id=run_id,
                                  accept_withdrawals=accept)
        files = result.outcome(home)
        runs.update(home, run_id, files=files)
        _alert_quarantined(home, run_id, result)
        if result.pending_withdrawals:
            pending = [f.original_path for f in result.pending_withdrawals]
            message = (f"{len(pending)} tệp đã nạp không còn trong inbox; chưa rút tệp nào. Nếu "
                       "đúng là cố ý, chạy `bcd35 run --accept-withdrawals`. / "
                       f"{len(pending)} loaded files are gone from the inbox; nothing was "
                       "withdrawn. If that is intended, run `bcd35 run --accept-withdrawals`.\n"
                       + "\n".join(f"  ? {f}" for f in pending))
            runs.update(home, run_id, status="awaiting_confirmation", message=message)
            raise WithdrawalsPending(pending, message)
    return {
        "loaded": len(result.loaded),
        "quarantined": len(result.quarantined),
        "skipped": len(result.skipped),
        "superseded": len(result.superseded),
        "withdrawn": len(result.withdrawn),
        "summary": result.summary(),
    }


def _alert_quarantined(home: Home, run_id: str, result) -> None:
    from bcd35 import alerts

    alerts.send_quarantined(home, run_id, [
        alerts.QuarantinedFile(f.original_path, f.sha256, f.reason or "", str(f.report_path))
        for f in result.quarantined])


def _postgres() -> bool:
    """``BCD35_WAREHOUSE=postgres``: build, audit and publish on PostgreSQL (production)."""
    return settings().warehouse == "postgres"


def build(home: Home, run_id: str) -> str:
    with writing(home, run_id, "build"):
        return _build(home, run_id)


def _build(home: Home, run_id: str) -> str:
    if _postgres():
        from bcd35.distributed import warehouse

        return warehouse.build(home, run_id)
    from bcd35.build import build_candidate, candidate_path
    from bcd35.fingerprint import build_fingerprint, forced
    from bcd35.publish import fingerprint_path

    with runs.stage(home, run_id, "build", failed_status="build_failed"):
        fingerprint = build_fingerprint(home, committee_code())
    current = _current_build(home, fingerprint)
    if current is not None and not forced():
        runs.update(home, run_id, status="unchanged", stage="done", build_id=current,
                    message=str(NothingChanged(current)))
        raise NothingChanged(current)
    build_id = new_build_id(run_id)
    runs.update(home, run_id, build_id=build_id)
    with runs.stage(home, run_id, "build", failed_status="build_failed"):
        build_candidate(home, build_id, committee_code())
        fingerprint_path(candidate_path(home, build_id)).write_text(fingerprint + "\n")
    return build_id


def _current_build(home: Home, fingerprint: str) -> str | None:
    """The published build when it passed validation and was made from ``fingerprint``."""
    from bcd35.publish import published_build, read_manifest

    published = published_build(home)
    if published is None:
        return None
    try:
        manifest = read_manifest(published)
    except (OSError, ValueError):
        return None
    if manifest.get("fingerprint") != fingerprint:
        return None
    if not manifest.get("validation", {}).get("success"):
        return None
    return published.stem


def _file_names(home: Home) -> dict[str, str]:
    """sha256 → the file's path in the inbox, as the clerk dropped it."""
    from bcd35.ingest import registry

    return {f.sha256: f.original_path for f in registry.list_files(home)}


def corrections_of(home: Home) -> list[dict]:
    """Loaded files taken back before this build: superseded (by which version) or withdrawn,
    when and by which run — for the report's audit pack."""
    from bcd35.ingest import registry

    names = _file_names(home)
    return [{"sha256": f.sha256, "file": f.original_path, "kind": ",".join(f.kinds),
             "rows": f.rows, "state": f.retracted, "at": f.retracted_at,
             "run_id": f.retracted_run, "superseded_by": f.superseded_by,
             "superseded_by_file": names.get(f.superseded_by or "")}
            for f in sorted(registry.retracted_files(home),
                            key=lambda f: (f.retracted_at or "", f.original_path))]


def sources_of(candidate_path: str, home: Home) -> list[dict]:
    """Every source file whose rows are in the candidate: sha256, original name, kind, rows."""
    tables = {
        "meeting_log": "stg_office__meetings",
        "commendation": "stg_office__commendations",
        "bulletin_issue": "stg_office__bulletin_issues",
        "bulletin_distribution": "stg_office__bulletin_distributions",
        "meta_posts": "stg_meta__posts",
        "collaborator_shares": "stg_office__collaborator_shares",
    }
    union = " union all ".join(
        f"select '{kind}' as kind, source_file_sha256, count(*) as n from staging.{table} "
        "group by 1, 2"
        for kind, table in tables.items()
    )
    with duckdb.connect(candidate_path, read_only=True) as con:
        rows = con.sql(f"{union} order by 2, 1").fetchall()
    names = _file_names(home)
    return [
        {"sha256": sha, "file": names.get(sha, ""), "kind": kind, "rows": int(n)}
        for kind, sha, n in rows
    ]


def home_reference_of(candidate) -> dict:
    """What the build read of the office's reference data, and the rows it refused."""
    import json

    from bcd35.build import reference_report_path

    path = reference_report_path(candidate)
    if not path.exists():
        return {"files": [], "n_targets": 0, "n_pages": 0, "problems": []}
    return json.loads(path.read_text(encoding="utf-8"))


def add_reference_warning(result, reference: dict) -> None:
    """The office's refused reference rows as a warning of the night (run output, status):
    they do not stop the night, which uses the other rows."""
    from bcd35.audit import CheckFailure
    from bcd35.audit.tables import HOME_REFERENCE_CHECK, HOME_REFERENCE_SUITE
    from bcd35.home_reference import Problem

    problems = [Problem(**p) for p in reference.get("problems", [])]
    if problems:
        result.warnings.append(CheckFailure(
            suite=HOME_REFERENCE_SUITE, check=HOME_REFERENCE_CHECK, blocking=False,
            message_vi="Dòng dữ liệu tham chiếu của văn phòng bị từ chối (HOME/reference)",
            message_en="Rows of the office's reference data refused (HOME/reference)",
            rows=[p.render() for p in problems]))


def audit_table_rows(home: Home, build_id: str, result, sources: list[dict],
                     reference: dict) -> tuple[list[tuple], list[tuple]]:
    """Rows of audit.check_results and audit.source_files for this build (both engines)."""
    from bcd35.audit.tables import check_rows, file_rows
    from bcd35.ingest import registry

    in_build: dict[str, int] = {}
    for src in sources:
        in_build[src["sha256"]] = in_build.get(src["sha256"], 0) + int(src["rows"])
    checks = check_rows(build_id, result.checks, reference.get("problems", []),
                        reference.get("files", []))
    return checks, file_rows(build_id, registry.list_files(home), in_build)


def write_audit_tables(home: Home, build_id: str, result, sources: list[dict],
                       reference: dict, candidate: str) -> None:
    from bcd35.audit.tables import write_duckdb

    write_duckdb(candidate, *audit_table_rows(home, build_id, result, sources, reference))


def audit(home: Home, run_id: str, build_id: str) -> dict:
    with writing(home, run_id, "audit"):
        return _audit(home, run_id, build_id)


def _audit(home: Home, run_id: str, build_id: str) -> dict:
    if _postgres():
        from bcd35.distributed import warehouse

        return warehouse.audit(home, run_id, build_id)
    from bcd35.audit import audit_candidate
    from bcd35.build import candidate_path
    from bcd35.publish import data_docs_dir, fingerprint_path, published_build, write_manifest

    candidate = candidate_path(home, build_id)
    inputs = fingerprint_path(candidate)
    with runs.stage(home, run_id, "audit", failed_status="audit_failed"):
        failpoint("audit:running")
        result = audit_candidate(candidate, previous=published_build(home),
                                 data_docs=data_docs_dir(candidate),
                                 file_names=_file_names(home))
        sources = sources_of(str(candidate), home)
        reference = home_reference_of(candidate)
        add_reference_warning(result, reference)
        write_audit_tables(home, build_id, result, sources, reference, str(candidate))
        # a failure scoped to partitions withholds them and publishes the rest; one that
        # names no partition blocks the whole night
        withheld = result.withheld() if not result.success and result.scoped else []
        validation = result.to_dict()
        validation["all_checks_passed"] = result.success
        validation["success"] = result.success or bool(withheld)
        manifest = {
            "build_id": build_id,
            "run_id": run_id,
            "committee_code": committee_code(),
            "built_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
            "code_version": code_version(),
            "fingerprint": inputs.read_text().strip() if inputs.exists() else None,
            "validation": validation,
            # relative to the home: a home moved or restored elsewhere keeps its links
            "data_docs": (data_docs_dir(candidate) / "index.html").relative_to(
                home.root).as_posix(),
            "sources": sources,
            "corrections": corrections_of(home),
            "home_reference": reference,
        }
        write_manifest(candidate, manifest)
        if not validation["success"]:
            raise AuditFailed(result.summary(), result.failed_checks)
    if withheld:
        message = withheld_message(withheld)
        # the Airflow task log says what the run says (a warning: the embedded default logs
        # warnings and above, and a task's stdout is logged below that)
        logging.getLogger(__name__).warning(message)
        runs.update(home, run_id, failed_checks=result.failed_checks, message=message)
    return {"success": True, "n_expectations": result.n_expectations,
            "warnings": [w.render() for w in result.warnings],
            "withheld": [w.to_dict() for w in withheld]}


def withheld_message(withheld: list[Withheld]) -> str:
    head = (f"{len(withheld)} phần dữ liệu (ban chỉ đạo, năm) bị giữ lại, không công bố; người "
            "phân tích vẫn thấy bản đã công bố trước của chúng. Sửa các dòng nêu dưới đây rồi "
            "chạy lại. / "
            f"{len(withheld)} partitions (committee, year) withheld, not published; analysts "
            "keep their last published version. Fix the rows below and run again.")
    return "\n".join([head, *(w.render() for w in withheld)])


def publish(home: Home, run_id: str, build_id: str) -> str:
    with writing(home, run_id, "publish"):
        return _publish(home, run_id, build_id)


def _publish(home: Home, run_id: str, build_id: str) -> str:
    if _postgres():
        from bcd35.distributed import warehouse

        return warehouse.publish(home, run_id, build_id)
    from bcd35.build import candidate_path
    from bcd35.publish import publish as publish_build
    from bcd35.publish import published_build, read_manifest

    candidate = candidate_path(home, build_id)
    with runs.stage(home, run_id, "publish"):
        withheld = withheld_of(read_manifest(candidate))
        keep_withheld(candidate, published_build(home), build_id, withheld)
        path = publish_build(home, candidate)
    runs.update(home, run_id, status="published_withheld" if withheld else "published",
                stage="done")
    if withheld:
        from bcd35 import alerts

        for w in withheld:
            alerts.send_withheld(home, run_id, w.committee_code, w.year, w.checks)
    return str(path)
