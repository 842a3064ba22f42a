"""``make docs`` and ``make docs-serve``: the MkDocs site and the dbt docs built into one folder
and served on localhost. The commands are read from the Makefile's recipes, so the test runs
what a reader runs (on a copy of a published home, a temporary site folder and a free port)."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.dbt.conftest import REPO, clean_env
from tests.unit.test_readme import make_targets


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def recipe(target: str, **variables: str) -> list[list[str]]:
    """The target's recipe lines as argument lists: ``$(RUN) x`` is this venv's ``x``."""
    commands = []
    for line in make_targets()[target]:
        line = re.sub(r"\$\((\w+)\)", lambda m: variables.get(m[1], m[0]), line.split("#")[0])
        words = line.split()
        assert words[0] == "$(RUN)", line  # every docs step runs in the project's environment
        program = words[1]
        commands.append([sys.executable, *words[2:]] if program == "python"
                        else [str(Path(sys.executable).with_name(program)), *words[2:]])
    return commands


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as page:
        assert page.status == 200
        return page.read()


def test_make_docs_builds_the_site_and_the_dbt_docs_and_serves_both(published_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(published_home, home, symlinks=True)
    site, port = tmp_path / "site", _free_port()
    names = {"HOME_DIR": str(home), "SITE_DIR": str(site), "DOCS_PORT": str(port)}
    for command in recipe("docs", **names):
        done = subprocess.run(command, cwd=REPO, env=clean_env(), capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
    assert (site / "index.html").is_file() and (site / "operator" / "index.html").is_file()
    assert (site / "dbt" / "index.html").is_file() and (site / "dbt" / "catalog.json").is_file()
    assert not list((site / "dbt").glob("*.duckdb"))  # the catalog's private copy stays home

    [serve] = recipe("docs-serve", **names)
    server = subprocess.Popen(serve, cwd=REPO, env=clean_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                home_page = _get(f"http://127.0.0.1:{port}/")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the docs site did not come up"
                time.sleep(0.2)
        assert b'href="dbt/index.html"' in home_page  # the site links the dbt docs
        assert b"dbt" in _get(f"http://127.0.0.1:{port}/dbt/index.html")
        manifest = json.loads(_get(f"http://127.0.0.1:{port}/dbt/manifest.json"))
        assert "model.bcd35.fct_meetings" in manifest["nodes"]
        assert b"Eight questions" in _get(f"http://127.0.0.1:{port}/analyst/")
    finally:
        server.terminate()
        server.wait(timeout=30)
    with pytest.raises(OSError):  # nothing listens after the server stops
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)


def test_serving_a_site_that_was_never_built_says_run_make_docs(tmp_path):
    [serve] = recipe("docs-serve", SITE_DIR=str(tmp_path / "site"), DOCS_PORT="1")
    done = subprocess.run(serve, cwd=REPO, env=clean_env(), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "make docs" in done.stderr
