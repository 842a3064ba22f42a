"""The docs site (MkDocs Material, ``mkdocs.yml`` over ``docs/``) builds with no warning.

``mkdocs build --strict`` turns every warning into a failure: a link to a page or an anchor
that does not exist, a page missing from the navigation, a broken image. The site is built
from a copy of the repository's config, pages and hooks so that the planted faults below do
not touch the real ones.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def site_copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(REPO / "docs", root / "docs")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    (root / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "mkdocs_hooks.py", root / "scripts" / "mkdocs_hooks.py")
    return root


def build(root: Path, site: Path) -> subprocess.CompletedProcess[str]:
    # cwd is the repository: the hooks import bench and bcd35 from it
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(root / "mkdocs.yml"), "--site-dir", str(site)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})  # Material's banner about its future


def test_the_site_builds_strict_with_no_warning(tmp_path):
    done = build(REPO, tmp_path / "site")
    assert done.returncode == 0, done.stderr
    assert not re.search(r"^WARNING\b", done.stderr, re.M), done.stderr
    for page in ("operator", "analyst", "office", "clerks", "formats", "production",
                 "performance", "development"):
        assert (tmp_path / "site" / page / "index.html").is_file(), page


def test_mkdocs_yml_is_strict_and_checks_links_and_anchors():
    import yaml

    class Loader(yaml.SafeLoader):  # mkdocs.yml may use !!python tags; this file does not
        pass

    config = yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)
    assert config["strict"] is True
    assert config["validation"]["links"]["anchors"] == "warn"
    assert config["validation"]["links"]["not_found"] == "warn"
    nav_pages = set()

    def walk(items):
        for item in items:
            for value in item.values():
                walk(value) if isinstance(value, list) else nav_pages.add(value)

    walk(config["nav"])
    assert nav_pages == {p.name for p in (REPO / "docs").glob("*.md")}  # every page reachable


def test_a_planted_broken_link_fails_the_build(site_copy, tmp_path):
    page = site_copy / "docs" / "office.md"
    page.write_text(page.read_text(encoding="utf-8")
                    + "\nSee [the archive](archive.md).\n", encoding="utf-8")
    done = build(site_copy, tmp_path / "site")
    assert done.returncode != 0
    assert "contains a link 'archive.md'" in done.stderr, done.stderr


def test_a_planted_broken_anchor_fails_the_build(site_copy, tmp_path):
    page = site_copy / "docs" / "clerks.md"
    page.write_text(page.read_text(encoding="utf-8")
                    + "\nSee [exit codes](operator.md#no-such-section).\n", encoding="utf-8")
    done = build(site_copy, tmp_path / "site")
    assert done.returncode != 0
    assert "'#no-such-section'" in done.stderr, done.stderr


def test_a_page_missing_from_the_navigation_fails_the_build(site_copy, tmp_path):
    (site_copy / "docs" / "orphan.md").write_text("# Orphan\n", encoding="utf-8")
    done = build(site_copy, tmp_path / "site")
    assert done.returncode != 0
    assert "orphan.md" in done.stderr, done.stderr


# --- comments point to docs pages, not to the spec or to issue numbers ---------------------

DOC_REF = re.compile(r"docs/([a-z_]+\.md)(?:#([a-z0-9-]+))?")
CITATION = re.compile(r"SPEC ?§|\((?:see )?issue \d+\)|, issue \d+\)")
# code the parallel work of other branches owns today; its citations are theirs to move
NOT_YET = ("bcd35/report/", "bcd35/ingest/", "bench/", "bcd35/cli.py")


def anchors(page: Path) -> set[str]:
    """The ids of the page's headings: an explicit ``{#id}``, else MkDocs' slug of the title."""
    found = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^#+ (.*?)(?: \{#([a-z0-9-]+)\})?$", line)
        if heading:
            found.add(heading[2] or re.sub(r"[\s]+", "-", re.sub(r"[^\w\s-]", "",
                                                                 heading[1].lower())).strip("-"))
    return found


def code_files() -> list[Path]:
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    return [REPO / f for f in tracked  # this file plants faulty references in its own tests
            if (f.endswith((".py", ".sql", ".yml", ".yaml", ".example")) or f == "Makefile")
            and f != "tests/unit/test_docs_site.py"]


def broken_doc_refs(text: str) -> list[str]:
    bad = []
    for page, anchor in DOC_REF.findall(text):
        path = REPO / "docs" / page
        if not path.is_file() or (anchor and anchor not in anchors(path)):
            bad.append(f"docs/{page}" + (f"#{anchor}" if anchor else ""))
    return bad


def test_code_points_to_docs_pages_that_exist():
    bad = {str(f.relative_to(REPO)): refs for f in code_files()
           if (refs := broken_doc_refs(f.read_text(encoding="utf-8", errors="replace")))}
    assert not bad, bad


def test_a_reference_to_a_missing_page_or_anchor_is_caught():
    assert broken_doc_refs("see docs/operator.md#checks and docs/formats.md") == []
    assert broken_doc_refs("see docs/operator.md#no-such-part") == ["docs/operator.md#no-such-part"]
    assert broken_doc_refs("see docs/archive.md") == ["docs/archive.md"]


def test_code_cites_no_spec_section_and_no_issue_number():
    cited = {str(f.relative_to(REPO)): CITATION.findall(text) for f in code_files()
             if not str(f.relative_to(REPO)).startswith(NOT_YET)
             and CITATION.search(text := f.read_text(encoding="utf-8", errors="replace"))}
    assert not cited, cited
    assert CITATION.search("# the checks (SPEC §5)") and CITATION.search("(issue 7)")
