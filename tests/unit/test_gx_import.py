"""The audit imports Great Expectations without what GX imports for nothing
(``bcd35.audit.gx.DEFERRED_IMPORTS``, docs/performance.md#fixed-cost-of-a-small-night).

Each check runs in a fresh interpreter (this one may have imported anything already) and reports
whether GX's modules that import ``scipy.stats`` ran, and whether ``scipy.stats`` itself ran.
The planted fault is GX imported the plain way: ``scipy.stats`` runs, which is what the first
test must not see.
"""

from __future__ import annotations

import json
import subprocess
import sys

from bcd35.audit.gx import DEFERRED_IMPORTS

#: One of GX's modules that runs ``from scipy import stats`` at import.
GX_USER = "great_expectations.expectations.core.expect_column_kl_divergence_to_be_less_than"
#: A module of ``scipy.stats`` that only its body imports.
STATS_BODY = "scipy.stats._stats_py"

#: How the audit imports Great Expectations.
AUDIT_IMPORT = "from bcd35.audit.gx import import_gx\nimport_gx()\n"

REPORT = f"""
import json, sys
print(json.dumps({{"gx_user": {GX_USER!r} in sys.modules,
                  "stats_ran": {STATS_BODY!r} in sys.modules}}))
"""


def _after(code: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", "import sys\n" + code + REPORT],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.splitlines()[-1])


def test_the_audits_import_of_gx_leaves_scipy_stats_unrun():
    assert "scipy.stats" in DEFERRED_IMPORTS
    seen = _after(AUDIT_IMPORT)
    assert seen == {"gx_user": True, "stats_ran": False}


def test_planted_fault_gx_imported_the_plain_way_runs_scipy_stats():
    seen = _after("import great_expectations\n")
    assert seen == {"gx_user": True, "stats_ran": True}


def test_a_deferred_module_runs_whole_on_its_first_use():
    seen = _after(
        AUDIT_IMPORT +
        "import scipy.stats\nfrom scipy import stats\n"
        "assert stats is scipy.stats is sys.modules['scipy.stats']\n"
        "assert stats.norm.cdf(0.0) == 0.5, stats.norm.cdf(0.0)\n")
    assert seen == {"gx_user": True, "stats_ran": True}


def test_a_module_imported_already_is_left_as_it_is():
    # the process imported scipy.stats itself before the audit: nothing to defer, nothing
    # replaced
    seen = _after(
        "import scipy.stats\nbefore = sys.modules['scipy.stats']\n" +
        AUDIT_IMPORT +
        "assert sys.modules['scipy.stats'] is before\n")
    assert seen == {"gx_user": True, "stats_ran": True}


def test_a_module_that_cannot_be_found_is_left_alone():
    # a package that is not installed (or a module it does not have) defers nothing
    seen = _after(
        "from bcd35.audit.gx import defer_unused_imports\n"
        "defer_unused_imports(('bcd35_no_such_package.stats', 'json.no_such_module'))\n"
        "assert 'bcd35_no_such_package.stats' not in sys.modules\n"
        "assert 'json.no_such_module' not in sys.modules\n")
    assert seen == {"gx_user": False, "stats_ran": False}
