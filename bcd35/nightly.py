"""The stages of one nightly run, as plain functions the Airflow DAG calls (SPEC §5).

ingest → build (candidate) → audit (Great Expectations) → publish. Each stage records
itself in the run log; the audit stage writes the candidate's manifest, and publishing
refuses a candidate whose manifest does not say the audit passed.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime

import duckdb

from bcd35 import runs
from bcd35.config import Home, code_version, committee_code


class NothingChanged(Exception):  # noqa: N818 - an outcome, not an error
    """Nothing a build depends on changed since the published build: nothing to build."""

    def __init__(self, build_id: str):
        super().__init__(f"không có gì mới từ bản {build_id} / nothing new since build "
                         f"{build_id}: it stays published")
        self.build_id = build_id


class AuditFailed(RuntimeError):
    def __init__(self, summary: str, failed_checks: list[str]):
        super().__init__(summary)
        self.failed_checks = failed_checks


def new_build_id(run_id: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}_{hashlib.sha256(run_id.encode()).hexdigest()[:8]}"


def ingest(home: Home, run_id: str) -> dict:
    from bcd35.ingest import ingest_inbox

    home.ensure()
    runs.start(home, run_id)
    with runs.stage(home, run_id, "ingest"):
        result = ingest_inbox(home, committee_code())
    return {
        "loaded": len(result.loaded),
        "quarantined": len(result.quarantined),
        "skipped": len(result.skipped),
        "summary": result.summary(),
    }


def _postgres() -> bool:
    """``BCD35_WAREHOUSE=postgres``: build, audit and publish on PostgreSQL (production)."""
    return os.environ.get("BCD35_WAREHOUSE", "duckdb") == "postgres"


def build(home: Home, run_id: str) -> str:
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
    if _postgres():
        from bcd35.distributed import warehouse

        return warehouse.audit(home, run_id, build_id)
    from bcd35.audit import audit_candidate
    from bcd35.build import candidate_path
    from bcd35.publish import data_docs_dir, fingerprint_path, published_build, write_manifest

    candidate = candidate_path(home, build_id)
    inputs = fingerprint_path(candidate)
    with runs.stage(home, run_id, "audit", failed_status="audit_failed"):
        result = audit_candidate(candidate, previous=published_build(home),
                                 data_docs=data_docs_dir(candidate),
                                 file_names=_file_names(home))
        sources = sources_of(str(candidate), home)
        reference = home_reference_of(candidate)
        add_reference_warning(result, reference)
        write_audit_tables(home, build_id, result, sources, reference, str(candidate))
        manifest = {
            "build_id": build_id,
            "run_id": run_id,
            "committee_code": committee_code(),
            "built_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
            "code_version": code_version(),
            "fingerprint": inputs.read_text().strip() if inputs.exists() else None,
            "validation": result.to_dict(),
            "data_docs": str(data_docs_dir(candidate) / "index.html"),
            "sources": sources,
            "home_reference": reference,
        }
        write_manifest(candidate, manifest)
        if not result.success:
            raise AuditFailed(result.summary(), result.failed_checks)
    return {"success": True, "n_expectations": result.n_expectations,
            "warnings": [w.render() for w in result.warnings]}


def publish(home: Home, run_id: str, build_id: str) -> str:
    if _postgres():
        from bcd35.distributed import warehouse

        return warehouse.publish(home, run_id, build_id)
    from bcd35.build import candidate_path
    from bcd35.publish import publish as publish_build

    with runs.stage(home, run_id, "publish"):
        path = publish_build(home, candidate_path(home, build_id))
    runs.update(home, run_id, status="published", stage="done")
    return str(path)
