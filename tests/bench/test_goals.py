"""The benchmark's verdict: each goal's ratio in the summary, and a failing exit status when the
published KPIs differ from the pandas peer's (planted: one KPI off by one, one missing)."""

from __future__ import annotations

import pytest

from bench import run

OURS = {("bcd_0001", 2024, "meetings"): 12.0, ("bcd_0001", 2024, "reach"): 9960.0}
PEER = [["bcd_0001", 2024, "meetings", 12.0], ["bcd_0001", 2024, "reach", 9960.0]]


def night(size: str, kpi_check: dict) -> dict:
    phases = {name: {"seconds": 10.0, "peak_pss_mib": 2048.0}
              for name in ("ingest", "build", "audit", "publish", "report")}
    phases["ingest"]["csv_seconds"] = 6.0
    if size == "small":
        phases["airflow"] = {"dag_test_seconds": 30.0, "overhead_per_task_seconds": 1.0}
    return {"size": size, "night1": phases, "kpi_check": kpi_check,
            "baselines": {"baseline_limit": {"seconds": 3.0},
                          "baseline_pandas": {"seconds": 40.0}}}


def test_equal_kpis_pass() -> None:
    check = run.compare_kpis(OURS, PEER)
    assert check["compared"] == 2 and run.kpi_failure(check) is None


@pytest.mark.parametrize("peer", [
    [["bcd_0001", 2024, "meetings", 13.0], ["bcd_0001", 2024, "reach", 9960.0]],  # one differs
    [*PEER, ["bcd_0001", 2024, "shares", 5.0]],  # the peer has one we did not publish
    [["bcd_0002", 2024, "meetings", 12.0]],  # nothing in common
], ids=["value_differs", "kpi_missing", "nothing_compared"])
def test_differing_kpis_fail_the_run(peer: list, monkeypatch: pytest.MonkeyPatch,
                                     tmp_path) -> None:
    check = run.compare_kpis(OURS, peer)
    assert run.kpi_failure(check) is not None
    out = night("small", check)
    monkeypatch.setattr(run, "run", lambda *args, **kwargs: out)
    monkeypatch.setattr(run, "RESULTS", tmp_path)
    monkeypatch.setattr(run, "dag_parse_seconds", lambda home: {})
    out["summary"] = run.summarise(out)
    monkeypatch.setattr(run, "print_table", lambda out: None)
    assert run.main(["small"]) == 1
    assert out["summary"]["goals"]["kpis_equal_peer"]["met"] is False


def test_the_summary_carries_each_goal_with_its_ratio() -> None:
    out = night("small", run.compare_kpis(OURS, PEER))
    goals = run.summarise(out)["goals"]
    assert goals["csv_ingest_over_limit"] == {"value": 2.0, "target": 1.5, "ratio": 1.33,
                                              "met": False}
    # ingest + build = 20 s, the peer 40 s: 2×, the goal is 5×
    assert goals["pandas_over_ours"]["value"] == 2.0 and goals["pandas_over_ours"]["met"] is False
    assert goals["peak_pss_gib"]["value"] == 2.0 and goals["peak_pss_gib"]["met"] is True
    assert goals["single_committee_dag_test_seconds"]["value"] == 30.0
    assert goals["single_committee_dag_test_seconds"]["met"] is False
    assert goals["national_night1_minutes"]["value"] is None  # only measured at national
    assert goals["kpis_equal_peer"]["met"] is True
    national = run.summarise(night("national", run.compare_kpis(OURS, PEER)))["goals"]
    assert national["national_night1_minutes"]["value"] == round(50.0 / 60, 2)
    assert national["single_committee_dag_test_seconds"]["value"] is None
