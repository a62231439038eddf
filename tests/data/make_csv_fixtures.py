#!/usr/bin/env python3
"""Re-shape real events from ../shared/data into the CSV export shapes that
shared/data lacks (see tests/data/README.md). Deterministic; run from the
repository root:

    python3 tests/data/make_csv_fixtures.py

Every value comes from a real event; only the layout (columns, header suffixes,
timestamp style, encoding, line ends) is changed, as the exporting tool would.
"""
import csv
import io
import os
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(ROOT, "..", "..", "..", "shared", "data")
NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"
csv.field_size_limit(1 << 30)


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def write(name, header, rows, encoding="utf-8", newline="\r\n", bom=False):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(header)
    w.writerows(rows)
    text = buf.getvalue()
    data = text.encode(encoding)
    if bom and encoding == "utf-8":
        data = b"\xef\xbb\xbf" + data
    with open(os.path.join(ROOT, name), "wb") as f:
        f.write(data)


def parse_pandas_time(text):
    # '2021-06-23 03:08:14.159814200+00:00' -> aware datetime (microseconds)
    base, frac_zone = text.split(".", 1)
    frac = frac_zone[:6]
    return datetime.strptime(base + "." + frac, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)


def mde_rows():
    """The cmd.exe rows of the Defender timeline export and their neighbours."""
    rows = read_csv(os.path.join(DATA, "defender", "mde_proc_cs1.csv"))
    keep = [r for i, r in enumerate(rows) if r["CreatedProcessName"].lower() == "cmd.exe" or i % 25 == 0]
    return keep


def sentinel_portal_utf16():
    """Sentinel portal 'Export to CSV' of DeviceProcessEvents: ' [UTC]' header
    suffixes, 'M/D/YYYY, h:mm:ss.fff AM' times, UTF-16 LE with BOM, CRLF."""
    header = [
        "TimeGenerated [UTC]", "DeviceName", "ActionType", "FileName", "FolderPath", "ProcessCommandLine",
        "AccountName", "InitiatingProcessFileName", "InitiatingProcessCommandLine", "Type",
    ]
    out = []
    for r in mde_rows():
        t = parse_pandas_time(r["CreatedProcessCreationTime"])
        hour12 = t.hour % 12 or 12
        stamp = f"{t.month}/{t.day}/{t.year}, {hour12}:{t.minute:02}:{t.second:02}.{t.microsecond // 1000:03} " + (
            "AM" if t.hour < 12 else "PM")
        out.append([
            stamp, r["ComputerDnsName"], "ProcessCreated", r["CreatedProcessName"],
            r["CreatedProcessFilePath"], r["CreatedProcessCommandLine"], r["CreatedProcessAccountName"],
            r["InitiatingProcessName"], r["Process_CommandLine"], "DeviceProcessEvents",
        ])
    data = io.StringIO()
    w = csv.writer(data, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(out)
    with open(os.path.join(ROOT, "sentinel_portal_utf16le.csv"), "wb") as f:
        f.write(b"\xff\xfe" + data.getvalue().encode("utf-16-le"))


def defender_portal():
    """Defender portal advanced-hunting CSV: 'Oct 9, 2024 2:41:10 PM' times,
    UTF-8 BOM, LF, columns in another order, extra columns."""
    header = [
        "DeviceId", "ProcessCommandLine", "FileName", "Timestamp", "InitiatingProcessFileName",
        "AccountName", "DeviceName", "InitiatingProcessCommandLine", "ReportId",
    ]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    out = []
    for r in mde_rows():
        t = parse_pandas_time(r["CreatedProcessCreationTime"])
        hour12 = t.hour % 12 or 12
        stamp = f"{months[t.month - 1]} {t.day}, {t.year} {hour12}:{t.minute:02}:{t.second:02} " + (
            "AM" if t.hour < 12 else "PM")
        out.append([
            r["MachineId"], r["CreatedProcessCommandLine"], r["CreatedProcessName"], stamp,
            r["InitiatingProcessName"], r["CreatedProcessAccountName"], r["ComputerDnsName"],
            r["Process_CommandLine"], r["ReportIndex"],
        ])
    write("defender_portal.csv", header, out, newline="\n", bom=True)


def sysmon_fields():
    """Sysmon event 1 fields as columns (what SIEM exports of Sysmon look
    like), from the PanacheSysmon Atomic Red Team run."""
    tree = ET.parse(os.path.join(DATA, "xml", "PanacheSysmon_vs_AtomicRedTeam01.events.xml"))
    header = ["UtcTime", "Computer", "EventID", "User", "Image", "CommandLine", "ParentImage", "ParentCommandLine",
              "ProcessId"]
    out = []
    for ev in tree.getroot():
        system = ev.find(NS + "System")
        if system.find(NS + "EventID").text != "1":
            continue
        data = {d.get("Name"): (d.text or "") for d in ev.find(NS + "EventData")}
        out.append([data.get("UtcTime", ""), system.find(NS + "Computer").text, "1", data.get("User", ""),
                    data.get("Image", ""), data.get("CommandLine", ""), data.get("ParentImage", ""),
                    data.get("ParentCommandLine", ""), data.get("ProcessId", "")])
    write("sysmon_fields.csv", header, out)


def security_4688_without_parent():
    """Sentinel SecurityEvent 4688 rows as older Windows logged them: no
    ParentProcessName column (the parent must be inferred from ProcessId)."""
    rows = read_csv(os.path.join(DATA, "defender", "processes_on_host.csv"))
    header = ["TimeGenerated", "Computer", "EventID", "SubjectUserName", "NewProcessId", "NewProcessName",
              "ProcessId", "CommandLine"]
    out = [[r[h] for h in header] for r in rows]
    write("security_4688_no_parent.csv", header, out, newline="\n")


if __name__ == "__main__":
    sentinel_portal_utf16()
    defender_portal()
    sysmon_fields()
    security_4688_without_parent()
