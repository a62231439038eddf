#!/usr/bin/env python3
"""Write tests/data/xss_corpus.csv: a Defender DeviceProcessEvents-shaped CSV
whose attacker-controlled fields (command lines, device, account and parent
names) hold markup, script URLs, attribute breakouts, bidi overrides, terminal
escapes and a 1 MiB command line. Every row is cmd.exe and is flagged by the
rule (a `reg add` command line or a winword.exe parent), so all of it reaches
the results table. Deterministic; run from the repository root:
    python3 tests/data/make_xss_corpus.py
"""
import csv

HEADER = [
    "Timestamp", "DeviceId", "DeviceName", "ActionType", "FileName", "FolderPath",
    "ProcessCommandLine", "AccountDomain", "AccountName", "InitiatingProcessFileName",
    "InitiatingProcessCommandLine", "ReportId",
]

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JS = "javascript:alert(1)"
ATTR = '" onmouseover="alert(1)'
RLO = "\u202e"

BIG = "cmd.exe /c reg add HKCU\\Software\\x /v big /d "
BIG += (SCRIPT + IMG) * ((1 << 20) // len(SCRIPT + IMG))

# (device, account, command line, parent, parent command line)
ROWS = [
    (SCRIPT, IMG, f"cmd.exe /c reg add HKCU\\Software\\{SCRIPT} /f", "explorer.exe", "explorer.exe"),
    (JS, SCRIPT, f"cmd.exe /c echo {IMG}", "WINWORD.EXE", f'"WINWORD.EXE" /n {JS}'),
    (ATTR, ATTR, f'cmd.exe /c reg add "HKCU\\x" /v "{ATTR}" /d "{ATTR}"', "explorer.exe", ATTR),
    (f"ws1{RLO}exe.1sw", f"bob{RLO}nimda", f"cmd.exe /c reg add HKCU\\x /d evil{RLO}fdp.exe", "explorer.exe", f"explorer{RLO}.exe"),
    ("ws-big", "bob", BIG, "explorer.exe", "explorer.exe"),
    ("ws2", "alice", "cmd.exe /c dir", "<svg onload=alert(1)>winword.exe", "<svg/onload=alert(1)>"),
    ("</td></tr><tr><td>", "'><script>alert(1)</script>", "cmd.exe /c reg add HKCU\\x /d '</textarea><script>alert(1)</script>", "explorer.exe", "{{7*7}} ${alert(1)}"),
    ('<iframe src="javascript:alert(1)">', "&lt;script&gt;alert(1)&lt;/script&gt;", "cmd.exe /c reg add HKCU\\x /d &amp;&lt;b&gt; &#60;i&#62;", "explorer.exe", "data:text/html,<script>alert(1)</script>"),
    ("ws3\x1b[2J\x1b[31m", "bob\x1b]0;owned\x07", "cmd.exe /c reg add HKCU\\x /d \x1b[1;31mred\x1b[0m \u2066isolate\u2069 \u200ftail", "explorer.exe", "\x1b[H"),
    ("ws4", "<style>*{display:none}</style>", "cmd.exe /c reg add HKCU\\x /d \"line one\r\nline two <b>bold</b>\"", "winword.exe", "winword.exe\r\n<script>alert(1)</script>"),
    ("ws5\u0301\u0301\u0301", "b\u200bob", "cmd.exe /c reg add HKCU\\x /d \U0001F4A3 <a href=\"javascript:alert(1)\">x</a>", "explorer.exe", "<a href=x>"),
]

with open("tests/data/xss_corpus.csv", "w", encoding="utf-8", newline="") as out:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(HEADER)
    for i, (device, account, cmd, parent, parent_cmd) in enumerate(ROWS):
        w.writerow([
            f"2024-05-01T10:{i:02d}:00Z", f"dev{i:02d}", device, "ProcessCreated", "cmd.exe",
            "C:\\Windows\\System32\\cmd.exe", cmd, "corp", account, parent, parent_cmd, str(1000 + i),
        ])
