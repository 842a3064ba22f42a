"""Keep text cells of CSV and XLSX exports from ever being read as formulas (CSV injection).

A spreadsheet treats a cell typed as ``=…``, ``+…``, ``-…`` or ``@…`` (also after leading
spaces, or behind a tab or line break) as a formula: ``=HYPERLINK("http://evil","click")``
in a file name would become a live link. Two defences, one per format:

- CSV has no cell types: a text that looks like a formula gets a leading apostrophe
  (:func:`safe_text`, the OWASP recommendation), which Excel and LibreOffice show as text.
- XLSX cells are typed: a string cell is never evaluated, so the writers store the text
  unchanged as a string and also mark the cell ``quotePrefix`` (:data:`XLSX_TEXT`), so that
  editing the cell in Excel (F2, Enter) keeps it text.
"""

from __future__ import annotations

# Characters that start a formula, in ASCII and full width (IME input).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Control characters that some spreadsheets skip before looking for a formula.
CONTROL_TRIGGERS = ("\t", "\r", "\n", "\x0b", "\x0c")

# xlsxwriter format properties for every text cell of an export.
XLSX_TEXT = {"quote_prefix": True}


def looks_like_formula(value: str) -> bool:
    """True when a spreadsheet could read ``value`` as a formula."""
    if not value:
        return False
    if value.startswith(CONTROL_TRIGGERS):
        return True
    return value.lstrip().startswith(FORMULA_TRIGGERS)


def safe_text(value: str) -> str:
    """A CSV text field: an apostrophe before a text that a spreadsheet would read as a formula."""
    return "'" + value if looks_like_formula(value) else value
