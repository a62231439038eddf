//! The T1059.003 rule as data: the KQL text verbatim, its two lists, its five
//! flags, the projected columns and the sort.
//!
//! Nothing in this module runs; [`crate::matcher::CompiledRule`] compiles it.
//! Source: `shared/seed/T1059.003-windows-command-shell.txt` ("Detect Windows
//! Command Shell in Microsoft Sentinel").

/// The rule's KQL, exactly as published.
pub const KQL_TEXT: &str = include_str!("rule.kql");

/// MITRE ATT&CK technique the rule detects.
pub const TECHNIQUE: &str = "T1059.003";

/// Human title of the rule.
pub const TITLE: &str = "Detect Windows Command Shell (T1059.003) in Microsoft Sentinel";

/// Canonical ATT&CK reference.
pub const TECHNIQUE_URL: &str = "https://attack.mitre.org/techniques/T1059/003/";

/// Known false positives and tuning notes, from the published rule.
pub const FALSE_POSITIVES: [&str; 4] = [
    "System administrators using cmd.exe with certutil for legitimate certificate operations",
    "Deployment scripts that create scheduled tasks for software installation or patching",
    "Backup solutions that interact with VSS shadow copies during backup operations",
    "IT automation tools using batch files for endpoint configuration",
];

/// One entry of a `dynamic([...])` list: the literal as written in the KQL and
/// the string value it denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needle {
    /// The KQL string literal, quotes and escapes included (`"> \\\\pipe\\"`).
    pub literal: &'static str,
    /// The decoded value the operator compares with (`> \\pipe\`).
    pub value: &'static str,
}

const fn n(literal: &'static str, value: &'static str) -> Needle {
    Needle { literal, value }
}

/// `SuspiciousPatterns`: matched with `has_any` against `ProcessCommandLine`.
pub const SUSPICIOUS_PATTERNS: [Needle; 22] = [
    n(r#""certutil -urlcache""#, "certutil -urlcache"),
    n(r#""certutil -decode""#, "certutil -decode"),
    n(r#""certutil -encode""#, "certutil -encode"),
    n(r#""bitsadmin /transfer""#, "bitsadmin /transfer"),
    n(r#""bitsadmin /create""#, "bitsadmin /create"),
    n(r#""reg add""#, "reg add"),
    n(r#""reg delete""#, "reg delete"),
    n(r#""reg save""#, "reg save"),
    n(r#""schtasks /create""#, "schtasks /create"),
    n(r#""schtasks /change""#, "schtasks /change"),
    n(r#""net user /add""#, "net user /add"),
    n(
        r#""net localgroup administrators""#,
        "net localgroup administrators",
    ),
    n(r#""wmic process call create""#, "wmic process call create"),
    n(r#""wmic shadowcopy delete""#, "wmic shadowcopy delete"),
    n(r#""vssadmin delete shadows""#, "vssadmin delete shadows"),
    n(r#""bcdedit /set""#, "bcdedit /set"),
    n(r#""icacls /grant""#, "icacls /grant"),
    n(r#""takeown /f""#, "takeown /f"),
    n(r#""echo | set /p=""#, "echo | set /p="),
    n(r#""for /f""#, "for /f"),
    n(r#""ping -n 1 -w""#, "ping -n 1 -w"),
    n(r#""> \\\\pipe\\""#, r"> \\pipe\"),
];

/// `SuspiciousParents`: matched with `has_any` against `InitiatingProcessFileName`.
pub const SUSPICIOUS_PARENTS: [Needle; 9] = [
    n(r#""winword.exe""#, "winword.exe"),
    n(r#""excel.exe""#, "excel.exe"),
    n(r#""powerpnt.exe""#, "powerpnt.exe"),
    n(r#""outlook.exe""#, "outlook.exe"),
    n(r#""mshta.exe""#, "mshta.exe"),
    n(r#""wscript.exe""#, "wscript.exe"),
    n(r#""cscript.exe""#, "cscript.exe"),
    n(r#""rundll32.exe""#, "rundll32.exe"),
    n(r#""regsvr32.exe""#, "regsvr32.exe"),
];

/// The shell's image name, compared with `FileName =~ "cmd.exe"`.
pub const SHELL_FILE_NAME: &str = "cmd.exe";

/// The default look-back of `where Timestamp > ago(24h)`, in seconds.
pub const DEFAULT_WINDOW_SECS: i64 = 24 * 60 * 60;

/// The column a flag (or the rule's filter) is evaluated on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// `ProcessCommandLine`
    ProcessCommandLine,
    /// `InitiatingProcessFileName`
    InitiatingProcessFileName,
}

/// One `extend Flag = Column has_any (...)` line of the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagDef {
    /// The flag's column name in the projection (`CertutilAbuse`).
    pub name: &'static str,
    /// The column the flag looks at.
    pub column: Column,
    /// The needles, as values; each is one of [`SUSPICIOUS_PATTERNS`] or
    /// [`SUSPICIOUS_PARENTS`] (checked when the rule is compiled).
    pub needles: &'static [&'static str],
    /// What the flag means, for people.
    pub meaning: &'static str,
}

/// The five flags, in projection order.
pub const FLAGS: [FlagDef; 5] = [
    FlagDef {
        name: "CertutilAbuse",
        column: Column::ProcessCommandLine,
        needles: &["certutil -urlcache", "certutil -decode"],
        meaning: "certutil used as a download cradle or to decode a payload",
    },
    FlagDef {
        name: "ScheduledTask",
        column: Column::ProcessCommandLine,
        needles: &["schtasks /create"],
        meaning: "a scheduled task created from the shell (persistence)",
    },
    FlagDef {
        name: "UserCreation",
        column: Column::ProcessCommandLine,
        needles: &["net user /add"],
        meaning: "a local account created from the shell",
    },
    FlagDef {
        name: "ShadowDelete",
        column: Column::ProcessCommandLine,
        needles: &["vssadmin delete shadows", "wmic shadowcopy delete"],
        meaning: "volume shadow copies deleted (a ransomware precursor)",
    },
    FlagDef {
        name: "SuspiciousParent",
        column: Column::InitiatingProcessFileName,
        needles: &[
            "winword.exe",
            "excel.exe",
            "powerpnt.exe",
            "outlook.exe",
            "mshta.exe",
            "wscript.exe",
            "cscript.exe",
            "rundll32.exe",
            "regsvr32.exe",
        ],
        meaning: "cmd.exe started by an Office app, a script host, mshta, rundll32 or regsvr32",
    },
];

/// The `project` clause, in order.
pub const PROJECTED_COLUMNS: [&str; 11] = [
    "Timestamp",
    "DeviceName",
    "AccountName",
    "ProcessCommandLine",
    "InitiatingProcessFileName",
    "InitiatingProcessCommandLine",
    "CertutilAbuse",
    "ScheduledTask",
    "UserCreation",
    "ShadowDelete",
    "SuspiciousParent",
];

/// The `sort` clause: `sort by Timestamp desc` (Kusto puts nulls last).
pub const SORT: (&str, &str) = ("Timestamp", "desc");
