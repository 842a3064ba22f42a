"""The committed Great Expectations suites under ``expectations/`` (one per audited table)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bcd35.config import EXPECTATIONS_DIR


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    table: str  # "schema.table" of the candidate, or "python:<frame>" for computed frames
    blocking: bool
    row_label_vi: str
    row_label_en: str
    document: dict


def load_suites(directory: Path = EXPECTATIONS_DIR) -> list[SuiteSpec]:
    specs = []
    for path in sorted(directory.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        meta = doc["meta"]
        specs.append(SuiteSpec(
            name=doc["name"],
            table=meta["table"],
            blocking=bool(meta.get("blocking", True)),
            row_label_vi=meta.get("row_label_vi", ""),
            row_label_en=meta.get("row_label_en", ""),
            document=doc,
        ))
    if not specs:
        raise FileNotFoundError(f"no expectation suites in {directory}")
    return specs
