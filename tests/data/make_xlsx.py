#!/usr/bin/env python3
"""Write the XLSX fixtures (Defender portal "Export to Excel" shape) from CSV.

Run from the repository root: python3 tests/data/make_xlsx.py
Needs openpyxl 3.1.5 (pip install openpyxl==3.1.5). Output is deterministic
(fixed zip entry times and document properties).

- advanced_hunting_test.xlsx: ../shared/data/defender/advanced_hunting_test.csv,
  every cell as text except whole numbers (at most 15 digits, what Excel keeps
  exactly), which become number cells. Times stay text: Excel keeps only
  milliseconds, and these have 7 fractional digits.
- defender_portal.xlsx: tests/data/defender_portal.csv (real cmd.exe events),
  with Timestamp as real Excel date/time cells and ReportId as numbers.
- xlsx_missing_command_line.xlsx: a blank row, then the advanced-hunting
  header with ProcessCommandLine renamed, then 3 rows: the missing-column error.

The Rust tests decode each XLSX and its CSV and require the same rows.
"""

import csv
import datetime
import io
import os
import re
import zipfile

import openpyxl
import openpyxl.writer.excel

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "shared", "data")
FIXED = datetime.datetime(2024, 1, 1, 0, 0, 0)
WHOLE = re.compile(r"^-?(0|[1-9][0-9]{0,14})$")
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


class _FixedClock:
    """Stands in for the datetime module inside openpyxl's writer."""

    timezone = datetime.timezone

    class datetime:  # noqa: N801 - mirrors the module attribute
        @staticmethod
        def now(tz=None):
            return FIXED.replace(tzinfo=tz)


openpyxl.writer.excel.datetime = _FixedClock


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def save(wb, name):
    wb.properties.created = FIXED
    wb.properties.modified = FIXED
    raw = io.BytesIO()
    wb.save(raw)
    # Re-zip with fixed entry times so the bytes do not depend on the clock.
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, zipfile.ZipFile(
        out, "w", zipfile.ZIP_DEFLATED
    ) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(out.getvalue())


def number_or_text(value):
    return int(value) if WHOLE.match(value) else value


def advanced_hunting():
    header, rows = read_csv(os.path.join(DATA, "defender", "advanced_hunting_test.csv"))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(header)
    for row in rows:
        ws.append([number_or_text(v) for v in row])
    save(wb, "advanced_hunting_test.xlsx")


def portal_time(text):
    """'Jun 23, 2021 3:08:14 AM' -> datetime."""
    m = re.match(r"^(\w{3}) (\d+), (\d{4}) (\d+):(\d\d):(\d\d) (AM|PM)$", text)
    if not m:
        raise ValueError(text)
    mon, day, year, hour, minute, second, half = m.groups()
    hour = int(hour) % 12 + (12 if half == "PM" else 0)
    return datetime.datetime(int(year), MONTHS.index(mon) + 1, int(day), hour, int(minute), int(second))


def defender_portal():
    header, rows = read_csv(os.path.join(HERE, "defender_portal.csv"))
    time_col = header.index("Timestamp")
    report_col = header.index("ReportId")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(header)
    for row in rows:
        cells = list(row)
        cells[time_col] = portal_time(row[time_col])
        cells[report_col] = number_or_text(row[report_col])
        ws.append(cells)
        ws.cell(row=ws.max_row, column=time_col + 1).number_format = "yyyy-mm-dd hh:mm:ss"
    save(wb, "defender_portal.xlsx")


def missing_command_line():
    """A blank first row, then a header without ProcessCommandLine (renamed)."""
    header, rows = read_csv(os.path.join(DATA, "defender", "advanced_hunting_test.csv"))
    header = ["ProcessCmdLine" if h == "ProcessCommandLine" else h for h in header]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append([None])
    ws.append(header)
    for row in rows[:3]:
        ws.append([number_or_text(v) for v in row])
    save(wb, "xlsx_missing_command_line.xlsx")


if __name__ == "__main__":
    advanced_hunting()
    defender_portal()
    missing_command_line()
