"""Cells of every .xlsx and .csv the platform writes: text that a spreadsheet would run as a formula stays text.

A city typed as `=HYPERLINK("http://evil.example","福州")` must reach the reader's Excel as those characters, not
as a link (formula or CSV injection). Cells beginning with = + - @ (or a tab or carriage return, which some
programs skip before looking) are escaped: in .csv with a leading apostrophe (OWASP's advice), in .xlsx as a text
cell with Excel's quote prefix (the apostrophe is not part of the value, so the text reads and re-imports as typed).
"""
from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def csv_cell(value):
    """A value for csv.writer: formula-like text gets a leading apostrophe."""
    return "'" + value if is_formula_like(value) else value


def append_row(sheet, values) -> list:
    """sheet.append for text from people: characters .xlsx cannot hold dropped, formula-like text kept as text."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # openpyxl only where a workbook is written (memory)

    sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values])
    cells = list(sheet[sheet.max_row])
    for cell in cells:
        if is_formula_like(cell.value):
            cell.data_type = "s"  # written as a string, never as <f>
            cell.quotePrefix = True
    return cells
