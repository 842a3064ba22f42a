"""Write-audit-publish, written once for every engine (docs/development.md#the-warehouse-core).

A night's warehouse stages are methods of :class:`Warehouse`:

- **build**: skip when nothing the build depends on changed since the published build (the
  fingerprint, :mod:`bcd35.fingerprint`); else a new build id, ``dbt build`` into a *candidate*
  no analyst can see, and the fingerprint and the office's reference data kept beside it;
- **audit**: the committed Great Expectations suites on the candidate, the audit tables
  written into it, and its manifest (what was checked, which partitions are withheld, which
  source files and corrections it holds);
- **publish**: refused unless the manifest says the audit passed; withheld partitions keep
  their last published rows; then one atomic switch, the history of published builds, pruning;
- **rollback**: analysts back to the build published before the current one.

An engine (:mod:`bcd35.warehouse.duckdb`, :mod:`bcd35.warehouse.postgres`) implements only
what differs: where a candidate lives, how dbt reaches it, how GX reads it, the switch, how a
build is dropped, and the local DuckDB file readers (the report, status, releases) open.
The manifest and every other file of a build sit in the engine's artifacts folder,
``<artifacts>/<build_id>.*`` (:mod:`bcd35.warehouse.artifacts`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from bcd35 import alerts, parse_ahead, runs
from bcd35.audit import AuditResult, CheckFailure
from bcd35.audit.scope import FULL, Reuse, reusable_suites
from bcd35.audit.tables import HOME_REFERENCE_CHECK, HOME_REFERENCE_SUITE, check_rows, file_rows
from bcd35.config import Home, code_version, committee_code
from bcd35.failpoints import failpoint
from bcd35.fingerprint import base_fingerprint, combine, forced, raw_listing
from bcd35.home_reference import Problem
from bcd35.ingest import registry
from bcd35.ingest.raw import migrate_raw_schemas, pack_files
from bcd35.partitions import Withheld, withheld_of
from bcd35.warehouse.artifacts import (
    data_docs_dir,
    fingerprint_path,
    read_manifest,
    reference_report_path,
    remove,
    write_manifest,
)
from bcd35.warehouse.errors import AuditFailed, NothingChanged, PublishRefused
from bcd35.warehouse.incremental import (
    Start,
    raw_changes,
    read_inputs,
    start_from,
    write_inputs,
)

log = logging.getLogger(__name__)

#: Published builds kept for ``rollback`` (the current one included), on both engines.
KEEP_PUBLISHED = 7
#: Candidates never published (failed, for inspection) kept when newer than the current build.
KEEP_FAILED = 3

#: kind → the staging model that holds its rows: which source files a build holds.
SOURCE_TABLES = {
    "meeting_log": "stg_office__meetings",
    "commendation": "stg_office__commendations",
    "bulletin_issue": "stg_office__bulletin_issues",
    "bulletin_distribution": "stg_office__bulletin_distributions",
    "meta_posts": "stg_meta__posts",
    "collaborator_shares": "stg_office__collaborator_shares",
}


def source_counts_sql(staging: str) -> str:
    """kind, source file sha256, rows: every source file whose rows are in a build
    (``staging``: the quoted schema of the build's staging models)."""
    union = " union all ".join(
        f"select '{kind}' as kind, source_file_sha256, count(*) as n "
        f"from {staging}.{table} group by 1, 2"
        for kind, table in SOURCE_TABLES.items())
    return f"{union} order by 2, 1"


def new_build_id(run_id: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}_{hashlib.sha256(run_id.encode()).hexdigest()[:8]}"


# --- what the manifest says besides the checks -----------------------------------------------

def file_names(files: Sequence[registry.RegisteredFile]) -> dict[str, str]:
    """sha256 → the file's path in the inbox, as the clerk dropped it."""
    return {f.sha256: f.original_path for f in files}


def corrections_of(files: Sequence[registry.RegisteredFile]) -> list[dict]:
    """Loaded files taken back before this build (of the registry's ``files``): superseded
    (by which version) or withdrawn, when and by which run — for the report's audit pack."""
    names = file_names(files)
    retracted = [f for f in files if f.status == registry.LOADED and f.retracted]
    return [{"sha256": f.sha256, "file": f.original_path, "kind": ",".join(f.kinds),
             "rows": f.rows, "state": f.retracted, "at": f.retracted_at,
             "run_id": f.retracted_run, "superseded_by": f.superseded_by,
             "superseded_by_file": names.get(f.superseded_by or "")}
            for f in sorted(retracted, key=lambda f: (f.retracted_at or "", f.original_path))]


def home_reference_of(build: Path) -> dict:
    """What the build read of the office's reference data, and the rows it refused."""
    path = reference_report_path(build)
    if not path.exists():
        return {"files": [], "n_targets": 0, "n_pages": 0, "problems": []}
    return json.loads(path.read_text(encoding="utf-8"))


def add_reference_warning(result: AuditResult, reference: dict) -> None:
    """The office's refused reference rows as a warning of the night (run output, status):
    they do not stop the night, which uses the other rows."""
    problems = [Problem(**p) for p in reference.get("problems", [])]
    if problems:
        result.warnings.append(CheckFailure(
            suite=HOME_REFERENCE_SUITE, check=HOME_REFERENCE_CHECK, blocking=False,
            message_vi="Dòng dữ liệu tham chiếu của văn phòng bị từ chối (HOME/reference)",
            message_en="Rows of the office's reference data refused (HOME/reference)",
            rows=[p.render() for p in problems]))


def audit_table_rows(files: Sequence[registry.RegisteredFile], build_id: str,
                     result: AuditResult, sources: list[dict],
                     reference: dict) -> tuple[list[tuple], list[tuple]]:
    """Rows of audit.check_results and audit.source_files for this build (``files``: the
    registry's)."""
    in_build: dict[str, int] = {}
    for src in sources:
        in_build[src["sha256"]] = in_build.get(src["sha256"], 0) + int(src["rows"])
    checks = check_rows(build_id, result.checks, reference.get("problems", []),
                        reference.get("files", []))
    return checks, file_rows(build_id, files, in_build)


def withheld_message(withheld: Sequence[Withheld]) -> str:
    head = (f"{len(withheld)} phần dữ liệu (ban chỉ đạo, năm) bị giữ lại, không công bố; người "
            "phân tích vẫn thấy bản đã công bố trước của chúng. Sửa các dòng nêu dưới đây rồi "
            "chạy lại. / "
            f"{len(withheld)} partitions (committee, year) withheld, not published; analysts "
            "keep their last published version. Fix the rows below and run again.")
    return "\n".join([head, *(w.render() for w in withheld)])


# --- the flow ---------------------------------------------------------------------------------

class Warehouse(ABC):
    """One engine's warehouse. Subclasses implement the hooks below the flow."""

    name: ClassVar[str]
    #: builds start from the published build when only raw files changed
    incremental: ClassVar[bool] = False

    # --- the flow, the same on every engine ---------------------------------------------------

    def build(self, home: Home, run_id: str) -> str:
        """A candidate of the home's current inputs; its build id. :class:`NothingChanged`
        when the published build was made from the same inputs (unless forced)."""
        committee = committee_code()
        # what the build can start before its inputs are known (DuckDB: dbt starts and
        # parses the project) runs beside the listing, the fingerprint and the copy below;
        # `bcd35 run` started it before the night's tasks, and it is kept
        try:
            self.prepare_build(home, committee)
        except Exception:  # noqa: BLE001 - only a head start: the build meets it and says why
            log.warning("nothing started ahead of the build", exc_info=True)
        try:
            return self._build(home, run_id, committee)
        finally:
            parse_ahead.stop()  # not taken: nothing changed, or the build failed before dbt

    def _build(self, home: Home, run_id: str, committee: str) -> str:
        with runs.stage(home, run_id, "build", failed_status="build_failed"):
            migrate_raw_schemas(home)  # the ingest did it; a build run alone may not have
            listing = raw_listing(home.raw)
            base = base_fingerprint(home, committee)
            fingerprint = combine(listing, base)
        current = self.unchanged_since(home, fingerprint)
        if current is not None and not forced():
            self.record(home, new_build_id(run_id), run_id, fingerprint, "unchanged",
                        {"same_as": current})
            runs.update(home, run_id, status="unchanged", stage="done", build_id=current,
                        message=str(NothingChanged(current)))
            raise NothingChanged(current)
        build_id = new_build_id(run_id)
        runs.update(home, run_id, build_id=build_id)
        stem = self.stem(home, build_id)
        with runs.stage(home, run_id, "build", failed_status="build_failed"), \
                self.stage_lock(run_id, "build"):
            stem.parent.mkdir(parents=True, exist_ok=True)
            self.record(home, build_id, run_id, fingerprint, "building")
            files = pack_files(home.raw, listing)
            start = self.start(home, base, listing, files)
            try:
                self.write_candidate(home, build_id, committee, start)
            except BaseException:
                self.record(home, build_id, run_id, fingerprint, "build_failed")
                raise
            # what the office's reference files gave and which rows were refused (the dbt
            # environment wrote it), and what the build was made from
            shutil.copyfile(home.dbt / "home_reference.json", reference_report_path(stem))
            fingerprint_path(stem).write_text(fingerprint + "\n")
            write_inputs(stem, base, listing, files, start)
            self.record(home, build_id, run_id, fingerprint, "built")
        return build_id

    def start(self, home: Home, base: str, listing: dict, files: dict) -> Start | None:
        """Where an incremental build starts (the published build and the raw files that
        changed since it), or None for a full build: the engine builds incrementally, the
        published build read the same code and reference data, the run is not forced."""
        published = self.published_id(home)
        if not self.incremental or published is None:
            return None
        stem = self.stem(home, published)
        inputs = start_from(stem, base, forced=forced())
        if inputs is None:
            return None
        try:
            narrow = not withheld_of(read_manifest(stem))
        except (OSError, ValueError):  # no readable manifest: rebuild everything after staging
            narrow = False
        changes = raw_changes(inputs["raw"], listing, home.raw, inputs.get("files", {}), files)
        if changes is None:  # a pack it read is not listed with its files: build in full
            return None
        return Start(published, changes, narrow=narrow)

    def reusable_suites(self, home: Home, inputs: dict, previous: str | None) -> Reuse:
        """The suites the audit may run on the changed partitions only
        (:mod:`bcd35.audit.scope`): those the published build's audit passed, when the
        candidate started from that build and the code, suites and reference data it was
        built with are still those of this audit (a release deployed between the build and
        its audit audits in full)."""
        if previous is None or inputs.get("started_from") != previous:
            return Reuse()
        if inputs.get("base_fingerprint") != base_fingerprint(home, committee_code()):
            return Reuse(reason="the code, suites or reference data changed since the build")
        try:
            return reusable_suites(read_manifest(self.stem(home, previous)))
        except (OSError, ValueError):
            return Reuse(reason="the published build has no readable manifest")

    def prepare_build(self, home: Home, committee: str) -> None:
        """Start, ahead of the night's build, the part of it that does not depend on the
        night's inputs (the DuckDB engine parses the dbt project: :mod:`bcd35.parse_ahead`);
        nothing by default."""
        return

    def audit(self, home: Home, run_id: str, build_id: str) -> dict:
        """The committed suites on the candidate; writes its manifest. :class:`AuditFailed`
        when a blocking check fails that names no partition (nothing can be published)."""
        stem = self.stem(home, build_id)
        with runs.stage(home, run_id, "audit", failed_status="audit_failed"), \
                self.stage_lock(run_id, "audit"):
            failpoint("audit:running")
            # the registry read once (48 300 files at national: 1.7 s a read)
            files = registry.list_files(home)
            names = file_names(files)
            read = read_inputs(stem) or {}  # once: it lists the whole raw layer
            previous = self.published_id(home)
            result = self.validate(home, build_id, previous, data_docs_dir(stem), names,
                                   reuse=self.reusable_suites(home, read, previous))
            sources = [{"sha256": sha, "file": names.get(sha, ""), "kind": kind,
                        "rows": int(n)} for kind, sha, n in self.source_counts(home, build_id)]
            reference = home_reference_of(stem)
            add_reference_warning(result, reference)
            self.write_audit_tables(home, build_id,
                                    *audit_table_rows(files, build_id, result, sources, reference))
            # a failure scoped to partitions withholds them and publishes the rest; one that
            # names no partition blocks the whole night
            withheld = result.withheld() if not result.success and result.scoped else []
            validation = result.to_dict()
            validation["all_checks_passed"] = result.success
            validation["success"] = result.success or bool(withheld)
            inputs = fingerprint_path(stem)
            fingerprint = inputs.read_text().strip() if inputs.exists() else None
            manifest = {
                "build_id": build_id,
                "run_id": run_id,
                "warehouse": self.name,
                "committee_code": committee_code(),
                "built_at": datetime.now(UTC).replace(tzinfo=None).isoformat(
                    timespec="seconds"),
                "code_version": code_version(),
                "fingerprint": fingerprint,
                # the published build this one started from (incremental), or null (full),
                # and the raw kinds whose models it rebuilt (null: every model)
                "started_from": read.get("started_from"),
                "rebuilt_kinds": read.get("rebuilt_kinds"),
                "validation": validation,
                # relative to the home: a home moved or restored elsewhere keeps its links
                "data_docs": (data_docs_dir(stem) / "index.html").relative_to(
                    home.root).as_posix(),
                "sources": sources,
                "corrections": corrections_of(files),
                "home_reference": reference,
                **self.manifest_extra(build_id),
            }
            write_manifest(stem, manifest)
            self.record(home, build_id, run_id, fingerprint or "",
                        "audited" if validation["success"] else "audit_failed", manifest)
            if not validation["success"]:
                raise AuditFailed(result.summary(), result.failed_checks)
        if withheld:
            message = withheld_message(withheld)
            # the Airflow task log says what the run says (a warning: the embedded default
            # logs warnings and above, and a task's stdout is logged below that)
            log.warning(message)
            runs.update(home, run_id, failed_checks=result.failed_checks, message=message)
        return {"success": True, "n_expectations": result.n_expectations,
                "warnings": [w.render() for w in result.warnings],
                "withheld": [w.to_dict() for w in withheld]}

    def publish(self, home: Home, run_id: str, build_id: str) -> str:
        """Switch analysts to the audited candidate; returns its build id."""
        stem = self.stem(home, build_id)
        with runs.stage(home, run_id, "publish"), self.stage_lock(run_id, "publish"):
            try:
                manifest = read_manifest(stem)
            except (OSError, ValueError) as exc:
                raise PublishRefused(f"{build_id} has no manifest (not audited); "
                                     "not publishing") from exc
            if not manifest.get("validation", {}).get("success"):
                raise PublishRefused(f"{build_id} did not pass validation; not publishing")
            withheld = withheld_of(manifest)
            previous = self.published_id(home)
            self.check_publishable(home, build_id)  # before anything opens it for writing
            self.keep_withheld(home, build_id, previous, withheld)
            failpoint("publish:before_switch")
            self.switch(home, build_id, previous)
            self.prune(home)
        runs.update(home, run_id, status="published_withheld" if withheld else "published",
                    stage="done")
        for w in withheld:
            alerts.send_withheld(home, run_id, w.committee_code, w.year, w.checks)
        return build_id

    def rollback(self, home: Home) -> str:
        """Retract the current build and return analysts to the one published before it;
        returns that build's id."""
        with self.stage_lock("rollback", "rollback"):
            history = self.history(home)
            current = self.published_id(home)
            if current is not None and history and history[-1] == current:
                history.pop()
            while history and not self.exists(home, history[-1]):
                history.pop()
            if current is None or not history:
                raise PublishRefused("no earlier published build to roll back to")
            target = history[-1]
            self.switch(home, target, current)
            self.set_history(home, history)
        return target

    def prune(self, home: Home, keep: int = KEEP_PUBLISHED,
              keep_failed: int = KEEP_FAILED) -> list[str]:
        """Keep the last ``keep`` published builds; of the candidates never published, keep
        the ``keep_failed`` newest ones built after the current build (failed, for inspection,
        or in flight) and drop those older than it. A build an engine cannot drop now (in use)
        is left for the next time."""
        current = self.published_id(home)
        history = self.history(home)
        keep_set = set(history[-keep:]) if keep > 0 else set()  # [-0:] is all
        if current is not None:
            keep_set.add(current)
        builds = sorted(self.build_ids(home))
        newer = [b for b in builds if b not in history and (current is None or b > current)]
        if keep_failed > 0:
            keep_set.update(newer[-keep_failed:])
        dropped = []
        for build_id in builds:
            if build_id in keep_set or not self.drop(home, build_id):
                continue
            remove(self.stem(home, build_id))
            dropped.append(build_id)
        return dropped

    def unchanged_since(self, home: Home, fingerprint: str) -> str | None:
        """The published build when it passed validation and was made from
        ``fingerprint``."""
        published = self.published_id(home)
        if published is None:
            return None
        try:
            manifest = read_manifest(self.stem(home, published))
        except (OSError, ValueError):
            return None
        if manifest.get("fingerprint") != fingerprint:
            return None
        if not manifest.get("validation", {}).get("success"):
            return None
        return published

    def stem(self, home: Home, build_id: str) -> Path:
        """``<artifacts>/<build_id>.duckdb``: the build's files are named after it."""
        return self.artifacts(home) / f"{build_id}.duckdb"

    # --- what an engine implements -------------------------------------------------------------

    @abstractmethod
    def artifacts(self, home: Home) -> Path:
        """The folder of the builds' files (manifests, Data Docs, local DuckDB files)."""

    @abstractmethod
    def published_id(self, home: Home) -> str | None:
        """The build analysts read now, or None before the first publish."""

    @abstractmethod
    def published_build(self, home: Home) -> Path | None:
        """A DuckDB file holding the published build's schemas, for the report, status and
        releases (read-only)."""

    @abstractmethod
    def history(self, home: Home) -> list[str]:
        """The published builds still in force, oldest first (``rollback`` retracts the
        last)."""

    @abstractmethod
    def set_history(self, home: Home, build_ids: list[str]) -> None:
        """After a rollback: the builds in force are ``build_ids``."""

    @abstractmethod
    def build_ids(self, home: Home) -> list[str]:
        """Every build whose data still exists (published, retired or candidate)."""

    @abstractmethod
    def exists(self, home: Home, build_id: str) -> bool:
        """The build's data still exists (it can be switched to)."""

    @abstractmethod
    def write_candidate(self, home: Home, build_id: str, committee: str,
                        start: Start | None = None) -> None:
        """``dbt build`` into a candidate analysts cannot see; :class:`BuildFailed`. With
        ``start`` (engines that build incrementally) the candidate begins as a copy of
        ``start.build_id`` and dbt replaces the raw files of ``start.changes``."""

    @abstractmethod
    def validate(self, home: Home, build_id: str, previous: str | None, data_docs: Path,
                 names: dict[str, str], reuse: Reuse = FULL) -> AuditResult:
        """The committed suites on the candidate (never raises on failed checks); the suites
        of ``reuse`` may be run on the partitions changed since ``previous`` only
        (:mod:`bcd35.audit.scope`)."""

    @abstractmethod
    def source_counts(self, home: Home, build_id: str) -> list[tuple[str, str, int]]:
        """:func:`source_counts_sql` on the candidate."""

    @abstractmethod
    def write_audit_tables(self, home: Home, build_id: str, checks: list[tuple],
                           files: list[tuple]) -> None:
        """``audit.check_results`` and ``audit.source_files`` into the candidate."""

    @abstractmethod
    def keep_withheld(self, home: Home, build_id: str, previous: str | None,
                      withheld: Sequence[Withheld]) -> None:
        """The rows of each withheld partition replaced by the published build's, and
        ``marts.published_partitions`` written, in the candidate."""

    @abstractmethod
    def check_publishable(self, home: Home, build_id: str) -> None:
        """:class:`PublishRefused` when the candidate is not whole (engine checks)."""

    @abstractmethod
    def switch(self, home: Home, build_id: str, previous: str | None) -> None:
        """Atomically make ``build_id`` the published build and record it in the history."""

    @abstractmethod
    def drop(self, home: Home, build_id: str) -> bool:
        """Drop the build's data; False when it is in use (tried again next time)."""

    def record(self, home: Home, build_id: str, run_id: str, fingerprint: str, status: str,
               manifest: dict | None = None) -> None:
        """Bookkeeping of a build's state where the engine keeps one (PostgreSQL); the
        DuckDB engine's state is its files."""
        return None

    def manifest_extra(self, build_id: str) -> dict:
        """What the engine adds to the manifest."""
        return {}

    @contextlib.contextmanager
    def stage_lock(self, run_id: str, stage: str) -> Iterator[None]:
        """The engine's own writer guard around a stage (the home's lock is held already)."""
        yield
