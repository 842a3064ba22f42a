"""``bcd35 run`` ends its process itself once the night is over (bcd35.cli.end_process): what
``atexit`` holds still runs and the output still arrives, only the interpreter's teardown of
every loaded module is skipped (docs/performance.md#fixed-cost-of-a-small-night)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import atexit, sys
from pathlib import Path
from bcd35.cli import end_process

atexit.register(lambda: Path(sys.argv[1]).write_text("atexit ran"))
sys.stdout.write("OK: run published")  # no newline: still buffered
print("warning on stderr", file=sys.stderr, end="")
end_process(3)
print("never printed")
"""


def test_end_process_runs_atexit_flushes_output_and_keeps_the_exit_code(tmp_path: Path):
    marker = tmp_path / "marker"
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(marker)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 3
    assert proc.stdout == "OK: run published"
    assert proc.stderr.endswith("warning on stderr")
    assert marker.read_text() == "atexit ran"
