"""`bcd35 run` imports the audit's modules while dbt builds (docs/performance.md).

:func:`bcd35.preload.while_waiting` imports :data:`bcd35.preload.MODULES` in a thread while its
body waits on a child process, and only when the process runs the later stages too
(:func:`bcd35.preload.enable`, which ``run_nightly`` calls). A module of this test stands for
Great Expectations: it is imported, in another thread, by the end of the body when enabled,
and not at all otherwise (the planted fault: an executor's task process importing for
nothing).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bcd35 import preload
from bcd35.audit import gx


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module that records the thread importing it."""
    name = "bcd35_preload_stand_in"
    (tmp_path / f"{name}.py").write_text(
        "import threading\nIMPORTED_BY = threading.current_thread().name\nLOADED_BY = []\n"
        "def load():\n    LOADED_BY.append(threading.current_thread().name)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(preload, "MODULES", (name,))
    monkeypatch.setattr(preload, "_enabled", False)
    monkeypatch.delitem(sys.modules, name, raising=False)
    return name


def _wait_on_a_child() -> None:
    subprocess.run([sys.executable, "-c", "pass"], check=True)


def test_enabled_imports_in_another_thread_while_waiting(stand_in: str):
    preload.enable()
    with preload.while_waiting():
        _wait_on_a_child()
    module = sys.modules[stand_in]  # imported by the end of the body
    assert module.IMPORTED_BY == "bcd35-preload" != threading.current_thread().name


def test_planted_fault_not_enabled_imports_nothing(stand_in: str):
    with preload.while_waiting():
        _wait_on_a_child()
    assert stand_in not in sys.modules


def test_a_module_that_fails_to_import_is_left_to_its_stage(stand_in: str):
    # in this thread, so that an exception would reach the test (a thread's would not)
    preload._import(("bcd35_no_such_module", stand_in))  # does not raise
    assert stand_in not in sys.modules  # it stops at the first failure


def test_an_entry_with_a_function_imports_the_module_and_calls_it(stand_in: str):
    # how the audit's Great Expectations is preloaded (bcd35.audit.gx.import_gx)
    preload.enable()
    preload.MODULES = (f"{stand_in}:load",)  # the fixture's monkeypatch restores it
    with preload.while_waiting():
        _wait_on_a_child()
    assert sys.modules[stand_in].LOADED_BY == ["bcd35-preload"]


def test_planted_fault_an_entry_without_its_function_calls_nothing(stand_in: str):
    preload.enable()
    with preload.while_waiting():  # MODULES: the module alone
        _wait_on_a_child()
    assert sys.modules[stand_in].LOADED_BY == []


def test_the_audits_entry_names_what_the_audit_calls():
    name, _, function = preload.MODULES[0].partition(":")
    assert getattr(importlib.import_module(name), function) is gx.import_gx
