#!/usr/bin/env python3
"""Write a Defender DeviceProcessEvents CSV in which every row is flagged.

Takes the first cmd.exe row of a cmdhunt-bench corpus (67 columns, ~1.4 KB)
as a template and varies time, device and command line, so each row carries
every original field, as real exports do.

    python3 web/perf/gen_flagged.py SOURCE.csv OUT.csv ROWS
"""
import csv
import sys

csv.field_size_limit(10**9)
source, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(source, newline="") as f:
    reader = csv.reader(f)
    header = next(reader)
    template = next(r for r in reader if r[header.index("FileName")].lower() == "cmd.exe")
col = {name: i for i, name in enumerate(header)}
patterns = ["reg add HKCU\\Run /v x", "schtasks /create /tn t", "certutil -urlcache -f http://x",
            "net user /add bob", "vssadmin delete shadows /all", "for /f %i in (a) do b"]
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(header)
    for i in range(count):
        row = list(template)
        row[col["Timestamp"]] = "2024-05-01T%02d:%02d:%02d.%03d0000Z" % (
            (i // 3600000) % 24, (i // 60000) % 60, (i // 1000) % 60, i % 1000)
        row[col["FileName"]] = "cmd.exe"
        row[col["DeviceName"]] = "ws-%05d.corp.contoso.com" % (i % 5000)
        row[col["ProcessCommandLine"]] = "cmd.exe /c %s %d" % (patterns[i % len(patterns)], i)
        w.writerow(row)
