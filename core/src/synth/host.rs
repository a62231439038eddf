//! A host's events, deterministic from a seed: Sysmon process creations
//! (event 1) and network connections (3), Security process creations (4688)
//! and logons (4624), as real logs hold them (the field names, order and
//! types of the shared Sysmon and Security logs).

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::evtx::{Provider, SynthEvent};
use super::value::{filetime_text, Guid, Sid, SynthValue, FILETIME_UNIX_EPOCH};
use crate::rule::{SUSPICIOUS_PARENTS, SUSPICIOUS_PATTERNS};

/// A small deterministic generator (xorshift64*, as the tests' `Rng`).
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    /// A generator from any seed (0 included: mixed by splitmix64, never 0).
    fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// True `percent` times in 100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// 2024-05-01T00:00:00Z as FILETIME ticks: where the events start.
pub const START_FILETIME: u64 = FILETIME_UNIX_EPOCH + 1_714_521_600 * 10_000_000;

const SYSMON: &str = "Microsoft-Windows-Sysmon";
const SYSMON_GUID: Guid = Guid(0x5770385f_c22a_43e0_bf4c_06f5698ffbd9);
const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";
const SECURITY: &str = "Microsoft-Windows-Security-Auditing";
const SECURITY_GUID: Guid = Guid(0x54849625_5478_4994_a5ba_3e3b0328c30d);

const HOSTS: [(&str, &str); 3] = [
    ("WS01", "ws01.corp.local"),
    ("WS02", "ws02.corp.local"),
    ("SRV-DB01", "srv-db01.corp.local"),
];
const USERS: [&str; 4] = ["alice", "bob", "svc_backup", "Administrator"];
const CMD: &str = r"C:\Windows\System32\cmd.exe";
const BENIGN_COMMANDS: [&str; 8] = [
    r"cmd.exe /c dir C:\Users\Public",
    r#""C:\Windows\system32\cmd.exe" /c echo %DATE% %TIME%"#,
    "cmd /c ipconfig /all",
    r"cmd.exe /c copy \\fs01\deploy\setup.bat %TEMP%\setup.bat",
    r"cmd.exe /c type C:\ProgramData\agent\agent.log",
    "cmd.exe /c net use",
    r"C:\Windows\system32\cmd.exe /d /c C:\Windows\system32\silcollector.cmd publish",
    "cmd.exe /c whoami /groups",
];
/// Command lines beyond ASCII (and one with a pattern in them).
const WIDE_COMMANDS: [&str; 4] = [
    r"cmd.exe /c echo Grüße > C:\Users\jürgen\résumé.txt",
    r"cmd.exe /c type C:\データ\メモ.txt",
    r"cmd.exe /c reg add HKCU\Software\Ünïcode /v Wert /d «ja» /f",
    r"cmd.exe /c copy C:\Tmp\отчёт.docx \\fs01\общий\",
];
const BENIGN_PARENTS: [&str; 4] = [
    r"C:\Windows\explorer.exe",
    r"C:\Windows\System32\svchost.exe",
    r"C:\Program Files\Agent\agent.exe",
    r"C:\Windows\System32\services.exe",
];
const OTHER_IMAGES: [&str; 6] = [
    r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
    r"C:\Windows\System32\conhost.exe",
    r"C:\Windows\System32\svchost.exe",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Windows\System32\taskhostw.exe",
    r"C:\Windows\System32\wbem\WmiPrvSE.exe",
];
const TAILS: [&str; 6] = [
    r"http://198.51.100.7/a.txt C:\Users\Public\a.exe",
    r"HKLM\Software\Microsoft\Windows\CurrentVersion\Run /v upd /d C:\tmp\u.exe /f",
    "/tn Updater /tr C:\\tmp\\u.exe /sc minute",
    "/all /quiet",
    r"C:\Windows\Temp\x",
    "",
];

/// What a process creation is made of.
struct Creation {
    image: String,
    command_line: String,
    parent: String,
    parent_command_line: String,
}

/// An endless stream of a host's events; see [`host_events`].
#[derive(Debug, Clone)]
pub struct HostEvents {
    rng: Rng,
    /// FILETIME of the last event.
    time: u64,
    /// Process ids handed out so far (grows).
    pid: u32,
}

/// A host's events, deterministic from `seed`: about 15% Sysmon 1 and 10%
/// Security 4688 process creations (half of them `cmd.exe`, of which about
/// a fifth carry one of the rule's `SuspiciousPatterns` and a tenth have a
/// `SuspiciousParents` parent; one in twenty a command line beyond ASCII),
/// 40% Security 4624 logons and 35% Sysmon 3 network connections (the
/// shared 256 MB log of real chunks: 18% process creations), on three
/// computers, 0 to 2 s apart from 2024-05-01T00:00:00Z.
pub fn host_events(seed: u64) -> HostEvents {
    HostEvents {
        rng: Rng::new(seed),
        time: START_FILETIME,
        pid: 1000,
    }
}

fn s(text: &str) -> SynthValue {
    SynthValue::Str(String::from(text))
}

fn z(text: &str) -> SynthValue {
    SynthValue::StrZ(String::from(text))
}

fn field(name: &str, value: SynthValue) -> (String, SynthValue) {
    (String::from(name), value)
}

/// The basename of a Windows path.
fn basename(path: &str) -> &str {
    path.rsplit('\\').next().unwrap_or(path)
}

impl HostEvents {
    fn guid(&mut self) -> Guid {
        Guid(u128::from(self.rng.next()) << 64 | u128::from(self.rng.next()))
    }

    fn new_pid(&mut self) -> u32 {
        self.pid = self.pid.wrapping_add(4 + 4 * self.rng.below(64) as u32);
        self.pid
    }

    /// A process creation: `cmd.exe` half the time.
    fn creation(&mut self) -> Creation {
        let rng = &mut self.rng;
        let parent = if rng.chance(10) {
            let p = SUSPICIOUS_PARENTS[rng.below(SUSPICIOUS_PARENTS.len())].value;
            format!(
                r"C:\Program Files\Microsoft Office\root\Office16\{}",
                p.to_uppercase()
            )
        } else {
            String::from(rng.pick(&BENIGN_PARENTS))
        };
        let parent_command_line = format!("\"{parent}\"");
        if rng.chance(50) {
            let command_line = match rng.below(100) {
                0..20 => {
                    let p = SUSPICIOUS_PATTERNS[rng.below(SUSPICIOUS_PATTERNS.len())].value;
                    format!("cmd.exe /c {p} {}", rng.pick(&TAILS))
                }
                20..25 => String::from(rng.pick(&WIDE_COMMANDS)),
                _ => String::from(rng.pick(&BENIGN_COMMANDS)),
            };
            Creation {
                image: String::from(CMD),
                command_line,
                parent,
                parent_command_line,
            }
        } else {
            let image = String::from(rng.pick(&OTHER_IMAGES));
            let command_line = format!("\"{image}\" -k netsvcs -p");
            Creation {
                image,
                command_line,
                parent,
                parent_command_line,
            }
        }
    }

    fn host(&mut self) -> (&'static str, &'static str) {
        HOSTS[self.rng.below(HOSTS.len())]
    }

    /// Sysmon's `UtcTime`: `2024-05-01 10:00:00.123`.
    fn utc_time(&self) -> String {
        let text = filetime_text(self.time);
        format!("{} {}", &text[..10], &text[11..23])
    }

    fn sysmon(
        &mut self,
        event_id: u16,
        task: u16,
        computer: &str,
        data: Vec<(String, SynthValue)>,
    ) -> SynthEvent {
        SynthEvent {
            provider: Provider {
                name: String::from(SYSMON),
                guid: SYSMON_GUID,
            },
            event_id,
            version: 5,
            level: 4,
            task,
            opcode: 0,
            keywords: 0x8000_0000_0000_0000,
            time: self.time,
            process_id: 2756,
            thread_id: 3632 + 4 * self.rng.below(8) as u32,
            channel: String::from(SYSMON_CHANNEL),
            computer: String::from(computer),
            user_sid: Some(Sid::new(5, &[18])),
            data,
        }
    }

    fn security(
        &mut self,
        event_id: u16,
        task: u16,
        computer: &str,
        data: Vec<(String, SynthValue)>,
    ) -> SynthEvent {
        SynthEvent {
            provider: Provider {
                name: String::from(SECURITY),
                guid: SECURITY_GUID,
            },
            event_id,
            version: 2,
            level: 0,
            task,
            opcode: 0,
            keywords: 0x8020_0000_0000_0000,
            time: self.time,
            process_id: 4,
            thread_id: 2880 + 4 * self.rng.below(8) as u32,
            channel: String::from("Security"),
            computer: String::from(computer),
            user_sid: None,
            data,
        }
    }

    fn sysmon_1(&mut self) -> SynthEvent {
        let (domain, computer) = self.host();
        let c = self.creation();
        let user = format!("{domain}\\{}", self.rng.pick(&USERS));
        let name = basename(&c.image);
        let data = vec![
            field("RuleName", s("-")),
            field("UtcTime", SynthValue::Str(self.utc_time())),
            field("ProcessGuid", SynthValue::Guid(self.guid())),
            field("ProcessId", SynthValue::U32(self.new_pid())),
            field("Image", s(&c.image)),
            field("FileVersion", s("10.0.19041.746 (WinBuild.160101.0800)")),
            field("Description", s("Windows Command Processor")),
            field("Product", s("Microsoft® Windows® Operating System")),
            field("Company", s("Microsoft Corporation")),
            field("OriginalFileName", s(name)),
            field("CommandLine", SynthValue::Str(c.command_line)),
            field("CurrentDirectory", s(r"C:\Windows\system32\")),
            field("User", SynthValue::Str(user.clone())),
            field("LogonGuid", SynthValue::Guid(self.guid())),
            field(
                "LogonId",
                SynthValue::HexU64(0x3e7 + self.rng.below(1 << 20) as u64),
            ),
            field(
                "TerminalSessionId",
                SynthValue::U32(self.rng.below(3) as u32),
            ),
            field(
                "IntegrityLevel",
                s(self.rng.pick(&["High", "Medium", "System"])),
            ),
            field(
                "Hashes",
                SynthValue::Str(format!(
                    "SHA256={:016X}{:016X}{:016X}{:016X}",
                    self.rng.next(),
                    self.rng.next(),
                    self.rng.next(),
                    self.rng.next()
                )),
            ),
            field("ParentProcessGuid", SynthValue::Guid(self.guid())),
            field("ParentProcessId", SynthValue::U32(self.new_pid())),
            field("ParentImage", SynthValue::Str(c.parent)),
            field("ParentCommandLine", SynthValue::Str(c.parent_command_line)),
            field("ParentUser", SynthValue::Str(user)),
        ];
        self.sysmon(1, 1, computer, data)
    }

    fn sysmon_3(&mut self) -> SynthEvent {
        let (domain, computer) = self.host();
        let image = self.rng.pick(&OTHER_IMAGES);
        let port = [443u16, 80, 445, 3389, 5985][self.rng.below(5)];
        let data = vec![
            field("RuleName", s("-")),
            field("UtcTime", SynthValue::Str(self.utc_time())),
            field("ProcessGuid", SynthValue::Guid(self.guid())),
            field("ProcessId", SynthValue::U32(self.new_pid())),
            field("Image", s(image)),
            field(
                "User",
                SynthValue::Str(format!("{domain}\\{}", self.rng.pick(&USERS))),
            ),
            field("Protocol", s("tcp")),
            field("Initiated", SynthValue::Bool(true)),
            field("SourceIsIpv6", SynthValue::Bool(false)),
            field(
                "SourceIp",
                SynthValue::Str(format!("10.0.0.{}", 10 + self.rng.below(200))),
            ),
            field("SourceHostname", s(computer)),
            field(
                "SourcePort",
                SynthValue::U16(49152 + self.rng.below(16000) as u16),
            ),
            field("SourcePortName", s("-")),
            field("DestinationIsIpv6", SynthValue::Bool(false)),
            field(
                "DestinationIp",
                SynthValue::Str(format!("203.0.113.{}", self.rng.below(250))),
            ),
            field("DestinationHostname", s("-")),
            field("DestinationPort", SynthValue::U16(port)),
            field(
                "DestinationPortName",
                s(if port == 443 { "https" } else { "-" }),
            ),
        ];
        self.sysmon(3, 3, computer, data)
    }

    fn security_4688(&mut self) -> SynthEvent {
        let (domain, computer) = self.host();
        let c = self.creation();
        let user = self.rng.pick(&USERS);
        let data = vec![
            field("SubjectUserSid", SynthValue::Sid(self.user_sid())),
            field("SubjectUserName", z(user)),
            field("SubjectDomainName", z(domain)),
            field(
                "SubjectLogonId",
                SynthValue::HexU64(0x3e7 + self.rng.below(1 << 20) as u64),
            ),
            field("NewProcessId", SynthValue::SizeT(u64::from(self.new_pid()))),
            field("NewProcessName", z(&c.image)),
            field(
                "TokenElevationType",
                z(self.rng.pick(&["%%1936", "%%1937", "%%1938"])),
            ),
            field("ProcessId", SynthValue::SizeT(u64::from(self.new_pid()))),
            field("CommandLine", SynthValue::StrZ(c.command_line)),
            field("TargetUserSid", SynthValue::Sid(Sid::new(0, &[0]))),
            field("TargetUserName", z("-")),
            field("TargetDomainName", z("-")),
            field("TargetLogonId", SynthValue::HexU64(0)),
            field("ParentProcessName", SynthValue::StrZ(c.parent)),
            field("MandatoryLabel", SynthValue::Sid(Sid::new(16, &[12288]))),
        ];
        self.security(4688, 13312, computer, data)
    }

    fn security_4624(&mut self) -> SynthEvent {
        let (domain, computer) = self.host();
        let data = vec![
            field("SubjectUserSid", SynthValue::Sid(Sid::new(5, &[18]))),
            field("SubjectUserName", z(&format!("{domain}$"))),
            field("SubjectDomainName", z("CORP")),
            field("SubjectLogonId", SynthValue::HexU64(0x3e7)),
            field("TargetUserSid", SynthValue::Sid(self.user_sid())),
            field("TargetUserName", z(self.rng.pick(&USERS))),
            field("TargetDomainName", z("CORP")),
            field(
                "TargetLogonId",
                SynthValue::HexU64(self.rng.next() & 0xff_ffff),
            ),
            field(
                "LogonType",
                SynthValue::U32([2u32, 3, 5, 10][self.rng.below(4)]),
            ),
            field("LogonProcessName", z("User32 ")),
            field("AuthenticationPackageName", z("Negotiate")),
            field("WorkstationName", z(domain)),
            field("LogonGuid", SynthValue::Guid(self.guid())),
            field("TransmittedServices", z("-")),
            field("LmPackageName", z("-")),
            field("KeyLength", SynthValue::U32(0)),
            field("ProcessId", SynthValue::SizeT(0x2a4)),
            field("ProcessName", z(r"C:\Windows\System32\svchost.exe")),
            field("IpAddress", z("127.0.0.1")),
            field("IpPort", z("0")),
            field("ImpersonationLevel", z("%%1833")),
            field("RestrictedAdminMode", z("-")),
            field("TargetOutboundUserName", z("-")),
            field("TargetOutboundDomainName", z("-")),
            field("VirtualAccount", z("%%1843")),
            field("TargetLinkedLogonId", SynthValue::HexU64(0)),
            field("ElevatedToken", z("%%1842")),
        ];
        self.security(4624, 12544, computer, data)
    }

    /// A domain user's SID.
    fn user_sid(&mut self) -> Sid {
        Sid::new(
            5,
            &[
                21,
                4_230_534_742,
                2_542_757_381,
                3_142_984_815,
                1104 + self.rng.below(8) as u32,
            ],
        )
    }
}

impl Iterator for HostEvents {
    type Item = SynthEvent;

    fn next(&mut self) -> Option<SynthEvent> {
        self.time += self.rng.below(20_000_000) as u64;
        Some(match self.rng.below(100) {
            0..15 => self.sysmon_1(),
            15..25 => self.security_4688(),
            25..65 => self.security_4624(),
            _ => self.sysmon_3(),
        })
    }
}
