"""``bcd35 status``: the published build, the last runs, quarantined files and why."""

from __future__ import annotations

from bcd35 import runs
from bcd35.config import Home
from bcd35.ingest import registry
from bcd35.publish import data_docs_dir, published_build, read_manifest


def _data_docs_of_run(home: Home, build_id: str | None) -> str | None:
    if not build_id:
        return None
    index = data_docs_dir(home.builds / f"{build_id}.duckdb") / "index.html"
    return str(index) if index.exists() else None


def render_status(home: Home, n_runs: int = 5) -> str:
    lines = [f"bcd35 — {home.root}", ""]
    build = published_build(home)
    if build is None:
        lines.append("Bản đã công bố / Published build: (chưa có / none yet)")
    else:
        manifest = read_manifest(build)
        ok = manifest["validation"]["success"]
        lines += [
            f"Bản đã công bố / Published build: {build.name}",
            f"  run {manifest['run_id']}, built {manifest['built_at']} UTC, "
            f"code {manifest.get('code_version', '?')[:12]}",
            f"  kiểm tra / validation: {'ĐẠT / passed' if ok else 'KHÔNG ĐẠT / failed'} "
            f"({manifest['validation']['n_expectations']} expectations, "
            f"{len(manifest['validation'].get('warnings', []))} warnings)",
            f"  analysts open: {home.published}",
        ]
        if manifest.get("data_docs"):
            lines.append(f"  Data Docs (GX): file://{manifest['data_docs']}")
    lines += ["", "Các lần chạy gần nhất / Last runs:"]
    recent = runs.recent(home, limit=n_runs)
    if not recent:
        lines.append("  (chưa có / none)")
    for r in recent:
        checks = f" — failed: {', '.join(r.failed_checks)}" if r.failed_checks else ""
        docs = _data_docs_of_run(home, r.build_id)
        if docs and r.status == "audit_failed":
            checks += f"\n      Data Docs: file://{docs}"
        lines.append(f"  {r.started_at}  {r.status:<13} {r.run_id}{checks}")
    quarantined = registry.quarantined_files(home, include_superseded=False)
    lines += ["", f"Tệp bị cách ly / Quarantined files: {len(quarantined)}"]
    for f in quarantined:
        report = f.report_file(home)
        lines.append(f"  {f.original_path}  (sha256 {f.sha256[:12]}, "
                     f"{f.error_count} lỗi / errors)")
        if f.reason:
            lines.append(f"    {f.reason}")
        if report is not None:
            lines.append(f"    báo cáo / report: {report}")
    return "\n".join(lines)
