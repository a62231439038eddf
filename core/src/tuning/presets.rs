//! Allowlist presets for the four false-positive classes the published rule
//! names ([`crate::rule::FALSE_POSITIVES`]), written as ordinary config
//! entries and **disabled**: each is a starting point to narrow (add the
//! hosts, accounts or product names of *your* estate) before enabling.

use alloc::string::String;
use alloc::vec::Vec;

use super::allowlist::{AllowEntry, Condition, Field, MatchKind};

/// `(id, reason, [(field, kind, value)])` of each preset, in the order of
/// the rule's false-positive notes.
type Preset = (
    &'static str,
    &'static str,
    &'static [(Field, MatchKind, &'static str)],
);

const PRESETS: [Preset; 4] = [
    (
        "preset-certutil-certificates",
        "System administrators using cmd.exe with certutil for legitimate certificate operations: \
         -encode/-decode of certificate files, clearing the URL cache. Narrow to your admin accounts before enabling.",
        &[(
            Field::ProcessCommandLine,
            MatchKind::Regex,
            r"(?i)\bcertutil(?:\.exe)?\x22?\s+-(?:urlcache\s+(?:\*|crl|ocsp)\s+delete|(?:en|de)code\s+\x22?[^\x22\s]+\.(?:cer|crt|pem|der|p7b|csr|req)\b)",
        )],
    ),
    (
        "preset-deployment-scheduled-tasks",
        "Deployment scripts that create scheduled tasks for software installation or patching \
         (ConfigMgr, MSI, Intune). Replace the parents with your deployment tool's before enabling.",
        &[
            (Field::ProcessCommandLine, MatchKind::Has, "schtasks /create"),
            (
                Field::InitiatingProcessFileName,
                MatchKind::Regex,
                r"(?i)^(?:ccmexec|tsmanager|msiexec|intunemanagementextension|agentexecutor)\.exe$",
            ),
        ],
    ),
    (
        "preset-backup-vss",
        "Backup solutions that interact with VSS shadow copies during backup operations. \
         Replace the parents with your backup product's processes before enabling.",
        &[
            (
                Field::ProcessCommandLine,
                MatchKind::Regex,
                r"(?i)\bvssadmin(?:\.exe)?\x22?\s+delete\s+shadows\b|\bwmic(?:\.exe)?\x22?\s+shadowcopy\s+delete\b",
            ),
            (
                Field::InitiatingProcessFileName,
                MatchKind::Regex,
                r"(?i)^(?:veeamagent|veeam\.endpoint\.service|wbengine|wbadmin|beremote|dsmc|cvd)\.exe$",
            ),
        ],
    ),
    (
        "preset-it-automation-batch",
        "IT automation tools using batch files for endpoint configuration (ConfigMgr, RMM agents, \
         Puppet, Chef, Salt). Replace the parents with your tools' before enabling.",
        &[
            (
                Field::InitiatingProcessFileName,
                MatchKind::Regex,
                r"(?i)^(?:ccmexec|ltsvc|agentmon|puppet|chef-client|salt-minion)\.exe$",
            ),
            (
                Field::ProcessCommandLine,
                MatchKind::Regex,
                r"(?i)\.(?:bat|cmd)(?:\x22|\s|$)",
            ),
        ],
    ),
];

/// The four presets as allowlist entries, disabled.
///
/// ```
/// let presets = cmdhunt_core::tuning::presets();
/// assert_eq!(presets.len(), 4);
/// assert!(presets.iter().all(|p| !p.enabled));
/// ```
pub fn presets() -> Vec<AllowEntry> {
    PRESETS
        .iter()
        .map(|(id, reason, when)| AllowEntry {
            id: (*id).into(),
            reason: String::from(*reason),
            enabled: false,
            expires: None,
            when: when
                .iter()
                .map(|&(field, kind, value)| {
                    Condition::new(field, kind, value).expect("the presets' patterns compile")
                })
                .collect(),
        })
        .collect()
}
