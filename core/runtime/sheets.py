"""Cell values for every workbook the application writes (exports, the upload template, the LAPOR!
hand-back, the rapor).

Complaint text and reference names come from citizens, upstreams and admins, so a value may hold
characters an XLSX cannot carry: openpyxl refuses C0 control characters (IllegalCharacterError, a 500
on every later download of the same rows), and writes lone surrogates or U+FFFE into XML that Excel
and openpyxl then cannot open. Text starting with "=" would become a formula.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.worksheet.worksheet import Worksheet
from pydantic_core import PydanticCustomError

# Everything outside XML 1.0's Char production (keeps tab, line feed and carriage return).
NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def cell_text(value: Any) -> Any:
    """`value` with the characters a workbook cannot hold removed; non-text values unchanged."""
    return NOT_XML_CHAR.sub("", value) if isinstance(value, str) else value


def refuse_unwritable(value: Any) -> Any:
    """For input models: text typed by staff with such characters (NUL, which PostgreSQL cannot store
    either) is refused, rather than changed behind their back."""
    if isinstance(value, str) and NOT_XML_CHAR.search(value):
        raise PydanticCustomError("control_character", "tidak boleh memuat karakter kendali (mis. NUL)")
    return value


def _as_text_cell(ws: Any, value: Any) -> Any:
    value = cell_text(value)
    if isinstance(value, str) and value.startswith("="):  # citizen text, never a formula
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def sheet_row(ws: Any, values: Iterable[Any]) -> list[Any]:
    """Values ready for `ws.append` (a normal or a write-only worksheet)."""
    return [_as_text_cell(ws, value) for value in values]


def put(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    """`ws.cell(row, column, value)` for text from outside: cleaned, and never a formula."""
    cell = ws.cell(row, column)
    cell.value = cell_text(value)
    if isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"
    return cell
