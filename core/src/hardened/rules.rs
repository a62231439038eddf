//! The hardened rule set as data: what each rule looks for and why, in words.
//!
//! A rule names the tools it is about (canonical names: lowercase, no path,
//! no `.exe`, see [`super::normalise::tool_name`]) and the argument shapes
//! that make a run of them suspicious. It is evaluated on every command a
//! `cmd.exe` command line runs (after [`super::normalise`] undid carets,
//! quotes, variable tricks and switch spellings), and on processes whose
//! parent is `cmd.exe` (their image, or the `OriginalFileName` of a renamed
//! copy, is the tool).
//!
//! Nothing here runs; [`super::HardenedRules::new`] checks and compiles it.

/// An argument shape: when a run of the rule's tool is suspicious.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Any of these switches (`/x`, `-x`, `/x:value`), any order.
    Switch(&'static [&'static str]),
    /// A switch whose name is a prefix (at least one letter) of this word, as
    /// PowerShell reads parameters (`-e`, `-enc`, `-EncodedCommand`).
    SwitchPrefixOf(&'static str),
    /// The first positional argument is one of these (`reg add`).
    Verb(&'static [&'static str]),
    /// These positional arguments in this order, anything between
    /// (`wmic /node:x process call create`).
    Words(&'static [&'static str]),
    /// A positional argument from the first list and a switch from the second
    /// (`net user bob pw /add`).
    VerbAndSwitch(&'static [&'static str], &'static [&'static str]),
    /// An argument containing one of these (lowercase) texts.
    ArgContains(&'static [&'static str]),
    /// The first positional argument (a DLL path, say) contains one of these.
    FirstWordContains(&'static [&'static str]),
    /// An argument ends with one of these (`\config\sam`).
    ArgEndsWith(&'static [&'static str]),
    /// These words in order, each possibly abbreviated to a prefix, as netsh
    /// reads them (`netsh f s o d` is `firewall set opmode disable`).
    Abbreviated(&'static [&'static str]),
    /// One of these switches on a tool other than the named one (a renamed
    /// copy used with the original's switches).
    SwitchNotFrom(&'static str, &'static [&'static str]),
    /// The argument after this switch starts with a program other than this
    /// tool (`forfiles /c calc.exe`, not `/c "cmd /c del @path"` nor
    /// `/c "C:\Windows\System32\cmd.exe /c ..."`).
    SwitchThenNot(&'static str, &'static str),
    /// For each list, a positional argument equal to one of its words
    /// (`sc stop WinDefend`: a security service and a stopping verb).
    EachWordOf(&'static [&'static [&'static str]]),
    /// The arguments, joined, contain a text from each list.
    ArgsContainEach(&'static [&'static [&'static str]]),
    /// The value of a switch (`/format:VALUE`) contains one of these texts.
    SwitchValueContains(&'static str, &'static [&'static str]),
    /// A positional argument that is a clock time (`13:20`).
    ClockTime,
    /// Any run of the tool.
    Always,
    /// Every one of these shapes holds.
    All(&'static [Shape]),
    /// This shape does not hold.
    Not(&'static Shape),
    /// The first positional argument exists and does not start with this
    /// text (`conhost calc.exe`, not the console host's own `0xffffffff -ForceV1`).
    FirstWordNot(&'static str),
    /// The first positional argument is the path of a program these rules
    /// watch (or of [`RENAME_WATCH`]) and the second names another file: a
    /// system binary copied under a new name.
    CopiesWatchedProgram,
    /// The command reads its input from a file (`cmd < script.txt`), not a pipe.
    ReadsFile,
    /// Output redirected to a file whose path contains one of these texts.
    RedirectContains(&'static [&'static str]),
    /// Output redirected to a file whose path ends with one of these (`.vbs`).
    RedirectEndsWith(&'static [&'static str]),
    /// Output redirected into an NTFS alternate data stream (`> a.txt:evil.exe`).
    RedirectToStream,
    /// The command's output goes to a named pipe (`> \\.\pipe\x`) while its
    /// input does not come from one: a write into a pipe, as the named-pipe
    /// impersonation trick does. (A program bridged to pipes on both sides,
    /// as browser native-messaging hosts are, is not this.)
    WritesToPipe,
    /// The command's output goes to an administrative share
    /// (`1> \\127.0.0.1\ADMIN$\__x 2>&1`, remote-execution tools).
    RedirectToAdminShare,
    /// The tool's own name was only readable after undoing an obfuscation
    /// (carets, quotes inside it, a variable substring, a same-line variable).
    ObfuscatedName,
}

/// Where a rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Commands inside a `cmd.exe` command line and processes started by `cmd.exe`.
    Both,
    /// Commands inside a `cmd.exe` command line only (shell syntax: redirections, names).
    Shell,
}

/// One hardened rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HardenedRule {
    /// Stable identifier (`reg-modify`), as the CLI's `Rules` column prints it.
    pub id: &'static str,
    /// A short name for people.
    pub name: &'static str,
    /// Why a hit matters, in words.
    pub why: &'static str,
    /// The MITRE ATT&CK technique the behaviour belongs to.
    pub technique: &'static str,
    /// The parity rule's pattern this rule generalises, if any.
    pub generalises: Option<&'static str>,
    /// The tools (canonical names); empty for any tool.
    pub tools: &'static [&'static str],
    /// Suspicious when any of these shapes holds.
    pub shapes: &'static [Shape],
    /// Where it applies.
    pub scope: Scope,
}

/// Paths attackers drop payloads in, and remote locations (lowercase).
pub const STAGING: &[&str] = &[
    r"\appdata\",
    r"\temp\",
    r"\tmp\",
    r"\users\public\",
    r"\programdata\",
    r"\downloads\",
    r"\desktop\",
    r"\perflogs\",
    r"\windows\tasks\",
    r"\\",
    "http://",
    "https://",
];

/// Security services an intruder stops or disables (lowercase names).
const SECURITY_SERVICES: &[&str] = &[
    "windefend",
    "sense",
    "mpssvc",
    "wscsvc",
    "wdnissvc",
    "wdboot",
    "wdfilter",
    "securityhealthservice",
    "sysmon",
    "eventlog",
];

/// Where installed programs live: a DLL loaded from elsewhere was put there
/// by someone (lowercase).
const SYSTEM_DIRS: &[&str] = &[r"\windows\", r"\program files", r"\programdata\microsoft\"];

/// `rundll32` entry points that proxy execution (LOLBAS), lowercase.
const RUNDLL32_PROXIES: &[&str] = &[
    "launchinfsection",
    "registerocx",
    "installhinfsection",
    "setupinfobjectinstallaction",
    "openurl",
    "fileprotocolhandler",
    "routethecall",
    "launchapplication",
    "minidump",
    "runhtmlapplication",
    "shellexec_rundll",
    "shopenverbapplication",
    "installscreensaver",
    "javascript:",
    "vbscript:",
];

use Scope::{Both, Shell};
use Shape::*;

/// The hardened rules, in report order. Identifiers are stable.
pub const RULES: [HardenedRule; 58] = [
    HardenedRule {
        id: "certutil-download",
        name: "certutil downloads a file",
        why: "certutil fetching a URL (-urlcache, -verifyctl) is a download cradle",
        technique: "T1105",
        generalises: Some("certutil -urlcache"),
        tools: &["certutil"],
        shapes: &[Switch(&["urlcache", "verifyctl"])],
        scope: Both,
    },
    HardenedRule {
        id: "certutil-codec",
        name: "certutil encodes or decodes a file",
        why: "certutil -decode/-encode hides or unpacks a payload in base64 or hex",
        technique: "T1140",
        generalises: Some("certutil -decode"),
        tools: &["certutil"],
        shapes: &[Switch(&["decode", "decodehex", "encode", "encodehex"])],
        scope: Both,
    },
    HardenedRule {
        id: "bitsadmin-job",
        name: "bitsadmin creates a transfer job",
        why: "a BITS job downloads a payload or runs a command when it completes",
        technique: "T1197",
        generalises: Some("bitsadmin /transfer"),
        tools: &["bitsadmin"],
        shapes: &[Switch(&["transfer", "create", "addfile", "setnotifycmdline"])],
        scope: Both,
    },
    HardenedRule {
        id: "reg-modify",
        name: "reg changes or dumps the registry",
        why: "reg add/delete/import/copy changes persistence or security settings; reg save dumps hives (SAM, SYSTEM) for credentials",
        technique: "T1112",
        generalises: Some("reg add"),
        tools: &["reg"],
        shapes: &[Verb(&["add", "delete", "save", "import", "copy", "restore", "load"])],
        scope: Both,
    },
    HardenedRule {
        id: "schtasks-create",
        name: "schtasks creates or changes a task",
        why: "a scheduled task is persistence or a way to run as SYSTEM",
        technique: "T1053.005",
        generalises: Some("schtasks /create"),
        tools: &["schtasks"],
        shapes: &[Switch(&["create", "change"])],
        scope: Both,
    },
    HardenedRule {
        id: "at-schedule",
        name: "at schedules a command",
        why: "the legacy at scheduler runs a command later, often as SYSTEM",
        technique: "T1053.002",
        generalises: None,
        tools: &["at"],
        shapes: &[ClockTime, Switch(&["interactive", "every", "next"])],
        scope: Both,
    },
    HardenedRule {
        id: "net-user-add",
        name: "net adds an account or a group member",
        why: "a new local account or group membership is persistence or privilege",
        technique: "T1136.001",
        generalises: Some("net user /add"),
        tools: &["net", "net1"],
        shapes: &[VerbAndSwitch(&["user", "localgroup", "group"], &["add"])],
        scope: Both,
    },
    HardenedRule {
        id: "net-admin-group",
        name: "net reads or changes the administrators groups",
        why: "the local administrators (or Domain/Enterprise Admins) group is what an intruder enumerates and joins",
        technique: "T1069.001",
        generalises: Some("net localgroup administrators"),
        tools: &["net", "net1"],
        shapes: &[
            Words(&["localgroup", "administrators"]),
            Words(&["group", "domain admins"]),
            Words(&["group", "enterprise admins"]),
        ],
        scope: Both,
    },
    HardenedRule {
        id: "wmic-process-create",
        name: "wmic starts a process",
        why: "wmic process call create runs a program locally or on another host (/node:)",
        technique: "T1047",
        generalises: Some("wmic process call create"),
        tools: &["wmic"],
        shapes: &[Words(&["process", "call", "create"])],
        scope: Both,
    },
    HardenedRule {
        id: "wmic-xsl",
        name: "wmic runs a stylesheet",
        why: "wmic /format: with an XSL file or URL runs script in the stylesheet",
        technique: "T1220",
        generalises: None,
        tools: &["wmic"],
        shapes: &[SwitchValueContains("format", &[".xsl", "://", r"\\"])],
        scope: Both,
    },
    HardenedRule {
        id: "wmic-shadowcopy-delete",
        name: "wmic deletes shadow copies",
        why: "deleting volume shadow copies prevents recovery (ransomware)",
        technique: "T1490",
        generalises: Some("wmic shadowcopy delete"),
        tools: &["wmic"],
        shapes: &[Words(&["shadowcopy", "delete"])],
        scope: Both,
    },
    HardenedRule {
        id: "vssadmin-delete",
        name: "vssadmin deletes or shrinks shadow copies",
        why: "deleting shadow copies, or shrinking their storage so they are dropped, prevents recovery (ransomware)",
        technique: "T1490",
        generalises: Some("vssadmin delete shadows"),
        tools: &["vssadmin"],
        shapes: &[Words(&["delete", "shadows"]), Words(&["resize", "shadowstorage"])],
        scope: Both,
    },
    HardenedRule {
        id: "wbadmin-delete",
        name: "wbadmin deletes backups",
        why: "deleting the backup catalog or backups prevents recovery (ransomware)",
        technique: "T1490",
        generalises: None,
        tools: &["wbadmin"],
        shapes: &[Verb(&["delete"])],
        scope: Both,
    },
    HardenedRule {
        id: "bcdedit-set",
        name: "bcdedit changes boot settings",
        why: "bcdedit /set disables recovery or boot protections (ransomware, bootkits)",
        technique: "T1490",
        generalises: Some("bcdedit /set"),
        tools: &["bcdedit"],
        shapes: &[Switch(&["set", "deletevalue"])],
        scope: Both,
    },
    HardenedRule {
        id: "icacls-grant",
        name: "icacls grants access",
        why: "granting rights (often Everyone:F) opens files or services to tampering",
        technique: "T1222.001",
        generalises: Some("icacls /grant"),
        tools: &["icacls", "cacls"],
        shapes: &[Switch(&["grant", "setowner", "g"])],
        scope: Both,
    },
    HardenedRule {
        id: "takeown",
        name: "takeown takes ownership",
        why: "taking ownership of system files precedes replacing or deleting them",
        technique: "T1222.001",
        generalises: Some("takeown /f"),
        tools: &["takeown"],
        shapes: &[Switch(&["f"])],
        scope: Both,
    },
    HardenedRule {
        id: "rundll32-proxy",
        name: "rundll32 proxies execution",
        why: "rundll32 with a script URL, a LOLBAS entry point (advpack, url.dll, zipfldr, comsvcs MiniDump...) or a DLL from outside Windows and Program Files runs code under a signed binary",
        technique: "T1218.011",
        generalises: None,
        tools: &["rundll32"],
        shapes: &[
            ArgContains(RUNDLL32_PROXIES),
            FirstWordContains(STAGING),
            All(&[FirstWordContains(&["\\"]), Not(&FirstWordContains(SYSTEM_DIRS))]),
        ],
        scope: Both,
    },
    HardenedRule {
        id: "regsvr32-scriptlet",
        name: "regsvr32 loads a scriptlet or a staged DLL",
        why: "regsvr32 /i: with scrobj.dll, a .sct or a URL (Squiblydoo), or a DLL from a staging path or outside Windows and Program Files, runs code under a signed binary",
        technique: "T1218.010",
        generalises: None,
        tools: &["regsvr32"],
        shapes: &[
            ArgContains(&["scrobj", ".sct"]),
            ArgContains(STAGING),
            All(&[FirstWordContains(&["\\"]), Not(&FirstWordContains(SYSTEM_DIRS))]),
        ],
        scope: Both,
    },
    HardenedRule {
        id: "mshta-script",
        name: "mshta runs script or a remote HTA",
        why: "mshta with javascript:/vbscript:, a URL or an .hta runs script outside the browser",
        technique: "T1218.005",
        generalises: None,
        tools: &["mshta"],
        shapes: &[ArgContains(&["javascript:", "vbscript:", "about:", "http://", "https://", ".hta"])],
        scope: Both,
    },
    HardenedRule {
        id: "cmstp-inf",
        name: "cmstp or InfDefaultInstall installs an INF",
        why: "cmstp or InfDefaultInstall with an .inf runs its commands (cmstp can bypass UAC)",
        technique: "T1218.003",
        generalises: None,
        tools: &["cmstp", "infdefaultinstall"],
        shapes: &[ArgContains(&[".inf"])],
        scope: Both,
    },
    HardenedRule {
        id: "hh-remote",
        name: "hh opens a remote or staged help file",
        why: "a compiled help file (.chm) from a URL or a staging path runs script",
        technique: "T1218.001",
        generalises: None,
        tools: &["hh"],
        shapes: &[ArgContains(STAGING), Switch(&["decompile"])],
        scope: Both,
    },
    HardenedRule {
        id: "msiexec-remote",
        name: "msiexec installs from a URL or registers a DLL",
        why: "msiexec with a URL installs a remote package; /y and /z run a DLL's registration code",
        technique: "T1218.007",
        generalises: None,
        tools: &["msiexec"],
        shapes: &[ArgContains(&["http://", "https://"]), Switch(&["y", "z"])],
        scope: Both,
    },
    HardenedRule {
        id: "odbcconf-dll",
        name: "odbcconf registers a DLL",
        why: "odbcconf REGSVR or a response file (.rsp) loads a DLL under a signed binary",
        technique: "T1218.008",
        generalises: None,
        tools: &["odbcconf"],
        shapes: &[ArgContains(&["regsvr", ".rsp"])],
        scope: Both,
    },
    HardenedRule {
        id: "pcalua-exec",
        name: "pcalua runs a program",
        why: "the Program Compatibility Assistant (-a) starts a program, hiding its real parent",
        technique: "T1202",
        generalises: None,
        tools: &["pcalua"],
        shapes: &[Switch(&["a"])],
        scope: Both,
    },
    HardenedRule {
        id: "dotnet-proxy",
        name: ".NET installer tools run an assembly",
        why: "installutil, regasm or regsvcs with /u runs an assembly's code under a signed binary",
        technique: "T1218.009",
        generalises: None,
        tools: &["installutil", "regasm", "regsvcs"],
        shapes: &[Switch(&["u"])],
        scope: Both,
    },
    HardenedRule {
        id: "msxsl-script",
        name: "msxsl runs a stylesheet",
        why: "msxsl (not part of Windows) runs script embedded in an XSL stylesheet",
        technique: "T1220",
        generalises: None,
        tools: &["msxsl"],
        shapes: &[Always],
        scope: Both,
    },
    HardenedRule {
        id: "powershell-encoded",
        name: "PowerShell runs an encoded command or a download cradle",
        why: "an encoded command (-enc) hides what runs; a web download piped into Invoke-Expression runs a remote script",
        technique: "T1059.001",
        generalises: None,
        tools: &["powershell", "pwsh"],
        shapes: &[
            SwitchPrefixOf("encodedcommand"),
            Switch(&["ec"]),
            ArgsContainEach(&[
                &["iex", "invoke-expression"],
                &["downloadstring", "net.webclient", "invoke-webrequest", "iwr ", "irm ", "invoke-restmethod"],
            ]),
        ],
        scope: Both,
    },
    HardenedRule {
        id: "certutil-renamed",
        name: "certutil's download or decode switches on another program",
        why: "-urlcache, -verifyctl or -decode on a program not named certutil is a renamed certutil copy",
        technique: "T1036.003",
        generalises: Some("certutil -decode"),
        tools: &[],
        shapes: &[SwitchNotFrom("certutil", &["urlcache", "verifyctl", "decode", "decodehex"])],
        scope: Shell,
    },
    HardenedRule {
        id: "sc-service",
        name: "sc creates or repoints a service",
        why: "a new service, a changed binPath, failure command or security descriptor is persistence or privilege",
        technique: "T1543.003",
        generalises: None,
        tools: &["sc"],
        shapes: &[
            Words(&["create"]),
            Words(&["sdset"]),
            ArgContains(&["binpath", "command="]),
        ],
        scope: Both,
    },
    HardenedRule {
        id: "security-service-stop",
        name: "a security service stopped or disabled",
        why: "stopping, deleting or disabling Defender, the firewall, Sysmon or the event log blinds defenders",
        technique: "T1562.001",
        generalises: None,
        tools: &["sc", "net", "net1"],
        shapes: &[EachWordOf(&[SECURITY_SERVICES, &["stop", "delete", "disabled"]])],
        scope: Both,
    },
    HardenedRule {
        id: "netsh-tamper",
        name: "netsh turns the firewall off, forwards ports or loads a helper",
        why: "a disabled firewall, a port proxy (RDP tunnelling) or a netsh helper DLL (persistence)",
        technique: "T1562.004",
        generalises: None,
        tools: &["netsh"],
        shapes: &[
            Abbreviated(&["firewall", "set", "opmode", "disable"]),
            Abbreviated(&["advfirewall", "set", "state", "off"]),
            Abbreviated(&["interface", "portproxy", "add"]),
            Abbreviated(&["add", "helper"]),
        ],
        scope: Both,
    },
    HardenedRule {
        id: "log-tamper",
        name: "event logs or auditing cleared or disabled",
        why: "wevtutil cl, auditpol /clear or /success:disable, IIS logging off or fsutil usn deletejournal erases or stops the evidence",
        technique: "T1070.001",
        generalises: None,
        tools: &["wevtutil", "auditpol", "appcmd", "fsutil"],
        shapes: &[
            Words(&["usn", "deletejournal"]),
            Verb(&["cl", "clear-log"]),
            Switch(&["clear", "remove"]),
            SwitchValueContains("success", &["disable"]),
            SwitchValueContains("failure", &["disable"]),
            SwitchValueContains("dontlog", &["true"]),
        ],
        scope: Both,
    },
    HardenedRule {
        id: "defender-tamper",
        name: "Defender preferences weakened",
        why: "Set-MpPreference/Add-MpPreference disabling a protection or adding an exclusion blinds the antivirus",
        technique: "T1562.001",
        generalises: None,
        tools: &["powershell", "pwsh"],
        shapes: &[ArgsContainEach(&[
            &["set-mppreference", "add-mppreference"],
            &["disable", "exclusion"],
        ])],
        scope: Both,
    },
    HardenedRule {
        id: "fltmc-unload",
        name: "a filter driver unloaded",
        why: "fltmc unload removes a security filter driver (Sysmon, antivirus)",
        technique: "T1562.001",
        generalises: None,
        tools: &["fltmc"],
        shapes: &[Verb(&["unload", "detach"])],
        scope: Both,
    },
    HardenedRule {
        id: "lsass-dump",
        name: "LSASS memory dumped",
        why: "a dump of lsass.exe (procdump -ma lsass, createdump, rdrleakdiag /fullmemdmp) holds the logged-on users' credentials",
        technique: "T1003.001",
        generalises: None,
        tools: &["procdump", "procdump64", "createdump", "rdrleakdiag"],
        shapes: &[ArgContains(&["lsass"]), Switch(&["fullmemdmp"])],
        scope: Both,
    },
    HardenedRule {
        id: "ntds-dump",
        name: "the domain database staged for theft",
        why: "an NTDS install-from-media copy (ntdsutil ifm), a diskshadow script (/s) or a new shadow copy (vssadmin create shadow, wmic shadowcopy call create) stages ntds.dit and the hives for theft",
        technique: "T1003.003",
        generalises: None,
        tools: &["ntdsutil", "diskshadow", "vssadmin", "wmic"],
        shapes: &[
            ArgContains(&["ifm"]),
            Words(&["create", "shadow"]),
            Words(&["shadowcopy", "call", "create"]),
            All(&[Switch(&["s"]), ArgContains(&[".txt", ".dsh"])]),
        ],
        scope: Both,
    },
    HardenedRule {
        id: "credential-copy",
        name: "a credential store copied",
        why: "copying ntds.dit or the SAM, SYSTEM or SECURITY hive, or copying or linking out of a volume shadow copy, yields credentials offline",
        technique: "T1003.002",
        generalises: None,
        tools: &["copy", "xcopy", "robocopy", "esentutl", "mklink"],
        shapes: &[
            ArgContains(&["harddiskvolumeshadowcopy"]),ArgEndsWith(&[r"\ntds.dit", r"\config\sam", r"\config\system", r"\config\security"])],
        scope: Both,
    },
    HardenedRule {
        id: "dnscmd-plugin",
        name: "a DNS server plugin DLL set",
        why: "dnscmd /serverlevelplugindll makes the DNS service (SYSTEM, often on a domain controller) load a DLL",
        technique: "T1574",
        generalises: None,
        tools: &["dnscmd"],
        shapes: &[ArgContains(&["serverlevelplugindll"])],
        scope: Both,
    },
    HardenedRule {
        id: "script-host-remote",
        name: "a script host runs a remote script or scriptlet",
        why: "cscript/wscript with a URL or a script: moniker (pubprn.vbs) runs remote code under a signed host",
        technique: "T1216.001",
        generalises: None,
        tools: &["cscript", "wscript"],
        shapes: &[ArgContains(&["script:", "http://", "https://", ".sct"])],
        scope: Both,
    },
    HardenedRule {
        id: "forfiles-exec",
        name: "forfiles runs a program",
        why: "forfiles /c starting a program directly (not cmd /c) hides the real parent",
        technique: "T1202",
        generalises: None,
        tools: &["forfiles"],
        shapes: &[SwitchThenNot("c", "cmd")],
        scope: Both,
    },
    HardenedRule {
        id: "binary-copy",
        name: "a system binary copied under another name",
        why: "copying cmd.exe, certutil.exe or another watched program to a new name (lsass.exe, tcm.tmp) evades name-based rules",
        technique: "T1036.003",
        generalises: None,
        tools: &["copy", "xcopy", "move", "robocopy"],
        shapes: &[CopiesWatchedProgram],
        scope: Both,
    },
    HardenedRule {
        id: "curl-download",
        name: "curl downloads a payload",
        why: "curl saving a URL (-o/-O) as a program or script, or into a staging folder, is a download cradle",
        technique: "T1105",
        generalises: Some("certutil -urlcache"),
        tools: &["curl"],
        shapes: &[All(&[
            Switch(&["o", "-output", "-remote-name"]),
            ArgContains(&["http://", "https://", "ftp://"]),
            ArgContains(&[
                ".exe", ".dll", ".ps1", ".bat", ".vbs", ".hta", ".js", ".scr", ".msi", ".sct", ".cpl",
                r"\users\public\", r"\appdata\", r"\temp\", r"\programdata\",
            ]),
        ])],
        scope: Both,
    },
    HardenedRule {
        id: "admin-share-logon",
        name: "net use of an administrative share",
        why: "mapping C$, ADMIN$ or IPC$ on another host (often with a password on the line) is lateral movement",
        technique: "T1021.002",
        generalises: None,
        tools: &["net", "net1"],
        shapes: &[All(&[Verb(&["use"]), ArgContains(&[r"\c$", r"\admin$", r"\ipc$"])])],
        scope: Both,
    },
    HardenedRule {
        id: "accessibility-hijack",
        name: "an accessibility program replaced",
        why: "copying or linking a program over sethc, utilman, osk, magnify, narrator, displayswitch or atbroker gives a SYSTEM shell at the logon screen",
        technique: "T1546.008",
        generalises: None,
        tools: &["copy", "xcopy", "move", "mklink", "replace"],
        shapes: &[ArgEndsWith(&[
            r"\sethc.exe", r"\utilman.exe", r"\osk.exe", r"\magnify.exe", r"\narrator.exe",
            r"\displayswitch.exe", r"\atbroker.exe",
        ])],
        scope: Both,
    },
    HardenedRule {
        id: "conhost-proxy",
        name: "conhost starts a program",
        why: "conhost.exe given a program (conhost --headless powershell) hides the real parent",
        technique: "T1202",
        generalises: None,
        tools: &["conhost"],
        shapes: &[All(&[
            FirstWordNot("0x"),
            // ConPTY's own headless console (`--headless --width 80 --signal 0x..`).
            Not(&Switch(&["-width", "-height", "-signal", "-server", "-feature", "forcev1"])),
        ])],
        scope: Both,
    },
    HardenedRule {
        id: "cmd-stdin-script",
        name: "the shell reads its commands from a file",
        why: "cmd < file runs a script without a .bat or .cmd on any command line",
        technique: "T1059.003",
        generalises: None,
        tools: &["cmd"],
        shapes: &[ReadsFile],
        scope: Shell,
    },
    HardenedRule {
        id: "script-drop",
        name: "the shell writes a script or drops into Startup",
        why: "echo redirected into a .vbs/.js/.hta/.ps1/.wsf file, or anything written into a Startup folder, stages code to run",
        technique: "T1059.005",
        generalises: None,
        tools: &[],
        shapes: &[
            RedirectEndsWith(&[".vbs", ".vbe", ".js", ".jse", ".wsf", ".hta", ".ps1"]),
            RedirectContains(&[r"\start menu\programs\startup\"]),
            ArgContains(&[r"\start menu\programs\startup\"]),
        ],
        scope: Shell,
    },
    HardenedRule {
        id: "ads-write",
        name: "output written into an alternate data stream",
        why: "redirecting into file.txt:name hides a payload in an NTFS alternate data stream",
        technique: "T1564.004",
        generalises: None,
        tools: &[],
        shapes: &[RedirectToStream],
        scope: Shell,
    },
    HardenedRule {
        id: "lolbin-download",
        name: "a signed tool fetches a file",
        why: "desktopimgdownldr /lockscreenurl:, MpCmdRun -DownloadFile, certreq -Post or finger fetch a payload; expand, extrac32, esentutl or replace copy one from a share",
        technique: "T1105",
        generalises: Some("certutil -urlcache"),
        tools: &["desktopimgdownldr", "mpcmdrun", "certreq", "finger", "expand", "extrac32", "esentutl", "replace"],
        shapes: &[
            All(&[Not(&Switch(&["vss"])), ArgContains(&["http://", "https://"])]),
            All(&[Not(&Switch(&["vss"])), FirstWordContains(&[r"\\"])]),
            All(&[Switch(&["downloadfile"]), ArgContains(&["url"])]),
        ],
        scope: Both,
    },
    HardenedRule {
        id: "credential-search",
        name: "files searched for passwords",
        why: "findstr /s or reg query /s for password strings (GPP cpassword in SYSVOL), netsh wlan ... key=clear or vaultcmd /listcreds harvests stored credentials",
        technique: "T1552.001",
        generalises: None,
        tools: &["findstr", "netsh", "reg", "vaultcmd"],
        shapes: &[
            All(&[Switch(&["s", "si"]), ArgContains(&["pass", "pwd"])]),
            ArgContains(&["key=clear"]),
            Switch(&["listcreds"]),
        ],
        scope: Both,
    },
    HardenedRule {
        id: "mavinject-dll",
        name: "mavinject injects a DLL",
        why: "mavinject /INJECTRUNNING loads a DLL into a running process under a signed binary",
        technique: "T1218.013",
        generalises: None,
        tools: &["mavinject"],
        shapes: &[Switch(&["injectrunning", "hmodule"])],
        scope: Both,
    },
    HardenedRule {
        id: "assoc-change",
        name: "a file association changed",
        why: "assoc .ext=type makes opening a file run something else (persistence)",
        technique: "T1546.001",
        generalises: None,
        tools: &["assoc"],
        shapes: &[ArgContains(&["="])],
        scope: Both,
    },
    HardenedRule {
        id: "shim-install",
        name: "an application shim installed",
        why: "sdbinst installs a shim database that injects code into a program at start",
        technique: "T1546.011",
        generalises: None,
        tools: &["sdbinst"],
        shapes: &[ArgContains(&[".sdb"])],
        scope: Both,
    },
    HardenedRule {
        id: "uac-bypass-launch",
        name: "an auto-elevating program started from the shell",
        why: "fodhelper, computerdefaults, wsreset or sdclt /kickoffelev started by cmd.exe follow a hijacked registry key to run elevated (UAC bypass)",
        technique: "T1548.002",
        generalises: None,
        tools: &["fodhelper", "computerdefaults", "wsreset", "sdclt"],
        shapes: &[Not(&Switch(&["configure", "?"]))],
        scope: Both,
    },
    HardenedRule {
        id: "rdp-hijack",
        name: "an RDP session taken over",
        why: "tscon N /dest:... (as SYSTEM) attaches another user's session without their password",
        technique: "T1563.002",
        generalises: None,
        tools: &["tscon"],
        shapes: &[Switch(&["dest"])],
        scope: Both,
    },
    HardenedRule {
        id: "pipe-write",
        name: "the shell writes into a named pipe",
        why: "cmd writing into \\\\.\\pipe\\name (echo x > \\\\.\\pipe\\name) is the named-pipe impersonation step of getsystem",
        technique: "T1134.001",
        generalises: Some(r"> \\pipe\"),
        tools: &[],
        shapes: &[WritesToPipe],
        scope: Shell,
    },
    HardenedRule {
        id: "admin-share-output",
        name: "output captured on an administrative share",
        why: "redirecting output to \\\\host\\ADMIN$ or C$ is how remote-execution tools (wmiexec, smbexec) read results",
        technique: "T1021.002",
        generalises: None,
        tools: &[],
        shapes: &[RedirectToAdminShare],
        scope: Shell,
    },
    HardenedRule {
        id: "obfuscated-command",
        name: "a command name hidden by obfuscation",
        why: "a command's name spelled with carets, quotes inside it, a variable substring (%LOCALAPPDATA:~-3,1%md) or a variable set on the same line hides it from literal matching",
        technique: "T1027.010",
        generalises: None,
        tools: &[],
        shapes: &[ObfuscatedName],
        scope: Shell,
    },
];

/// Programs besides the rules' tools whose renamed copies are suspicious
/// children of `cmd.exe` (download, script and recon tools), canonical names.
pub const RENAME_WATCH: &[&str] = &[
    "cmd",
    "curl",
    "ftp",
    "msdt",
    "adfind",
    "wmic",
    "powershell",
    "pwsh",
];

/// The renamed-binary rule's identifier (it is about the image, not its arguments).
pub const RENAMED_ID: &str = "renamed-binary";

/// The renamed-binary rule: a process whose image name is not its
/// `OriginalFileName`, when that names a tool of [`RULES`] or of [`RENAME_WATCH`].
pub const RENAMED: HardenedRule = HardenedRule {
    id: RENAMED_ID,
    name: "a renamed system tool",
    why: "the image's OriginalFileName is cmd.exe, a tool these rules watch or a download/script/recon tool (RENAME_WATCH), under another name: renaming hides it from name-based rules",
    technique: "T1036.003",
    generalises: None,
    tools: &[],
    shapes: &[],
    scope: Both,
};
