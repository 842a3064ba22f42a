"""``bcd35 run`` does not pass on warnings of Airflow's libraries that ask its operator for
something they cannot and need not do (``orchestrate.LIBRARY_WARNINGS``).

Each case imports Airflow's in-process Execution API in a fresh Python, as ``dag.test()``
does on the first task of a night: Airflow's logging then prints Python's warnings as
``[py.warnings]`` lines. The night itself is checked by ``demo_home`` in ``tests/conftest.py``.
"""

from __future__ import annotations

import subprocess
import sys

from tests.support import clean_env

SCRIPT = """
import sys
from bcd35 import orchestrate
if sys.argv[1] == "quiet":
    orchestrate.quiet_library_warnings()
import airflow.api_fastapi.execution_api.app
"""


def _import_execution_api(mode: str) -> str:
    env = clean_env()
    proc = subprocess.run([sys.executable, "-c", SCRIPT, mode], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def test_the_execution_api_imports_without_a_warning_for_the_operator():
    assert "Warning" not in _import_execution_api("quiet")


def test_the_warning_is_there_to_keep_out():
    """Without the filter the import does warn: the case above can fail (and once a new
    Starlette stops warning, this says that the filter can go)."""
    assert "StarletteDeprecationWarning" in _import_execution_api("loud")
