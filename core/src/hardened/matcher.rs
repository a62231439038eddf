//! The hardened rules, compiled: a tool → rules index built once, then token
//! logic per command (no regular expressions).

use alloc::string::String;
use alloc::vec::Vec;

use super::normalise::{parse_program, parse_shell, switch_name, tool_name, Command, Evasions};
use super::rules::{HardenedRule, Scope, Shape, RENAMED, RENAME_WATCH, RULES};

/// A set of hardened rules, one bit per rule: bit `i` is [`RULES`]`[i]`, the
/// bit after the last is [`RENAMED`].
pub type RuleSet = u64;

/// The [`RuleSet`] bit of the renamed-binary rule.
pub const RENAMED_BIT: RuleSet = 1 << RULES.len();

/// Every hardened rule in bit order: [`RULES`], then [`RENAMED`].
pub fn all_rules() -> impl Iterator<Item = &'static HardenedRule> {
    RULES.iter().chain(core::iter::once(&RENAMED))
}

/// The rules of a set, in bit order.
pub fn rules_in(set: RuleSet) -> impl Iterator<Item = &'static HardenedRule> {
    all_rules()
        .enumerate()
        .filter(move |(i, _)| set & (1 << i) != 0)
        .map(|(_, r)| r)
}

/// What the hardened rules found in one process creation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HardenedHit {
    /// The rules that fired.
    pub rules: RuleSet,
    /// Obfuscations undone on the way (on the whole command line).
    pub evasions: Evasions,
    /// The image's `OriginalFileName` when it differs from its name (a
    /// renamed copy), else empty.
    pub original_file_name: String,
}

impl HardenedHit {
    /// Whether any rule fired.
    pub fn fired(&self) -> bool {
        self.rules != 0
    }

    /// The identifiers of the rules that fired, in rule order.
    pub fn ids(&self) -> impl Iterator<Item = &'static str> + '_ {
        rules_in(self.rules).map(|r| r.id)
    }

    /// The hit in words, for a detail panel: one line per rule that fired
    /// (`name (technique): why`), then the evasions undone and, for a
    /// renamed copy, what the image really is.
    ///
    /// ```
    /// use cmdhunt_core::hardened::HardenedRules;
    /// let hit = HardenedRules::new().shell("cmd /c n^e^t u^se^r bob pw /add");
    /// let words = hit.reasons();
    /// assert!(words[0].starts_with("net adds an account or a group member (T1136.001): "));
    /// assert_eq!(words.last().unwrap(), "evasions undone: carets inside words removed");
    /// ```
    pub fn reasons(&self) -> Vec<String> {
        let mut out: Vec<String> = rules_in(self.rules)
            .map(|r| alloc::format!("{} ({}): {}", r.name, r.technique, r.why))
            .collect();
        let undone: Vec<&str> = Evasions::ALL
            .iter()
            .filter(|(e, _, _)| self.evasions.contains(*e) && *e != Evasions::RENAMED)
            .map(|(_, _, words)| *words)
            .collect();
        if !undone.is_empty() {
            out.push(alloc::format!("evasions undone: {}", undone.join("; ")));
        }
        if !self.original_file_name.is_empty() {
            out.push(alloc::format!(
                "the image is a renamed copy of {} (OriginalFileName)",
                self.original_file_name
            ));
        }
        out
    }
}

/// The hardened rule set, compiled once ([`HardenedRules::new`]) and shared
/// by every scan, like [`crate::matcher::CompiledRule`].
///
/// ```
/// use cmdhunt_core::hardened::HardenedRules;
/// let rules = HardenedRules::new();
/// // A cmd.exe command line the parity rule misses (`reg.exe`, carets, doubled spaces):
/// let hit = rules.shell(r#"cmd.exe /c "R^E^G.exe  ADD HKCU\Software\Microsoft\Windows\CurrentVersion\Run /v x /d y""#);
/// assert_eq!(hit.ids().collect::<Vec<_>>(), ["reg-modify", "obfuscated-command"]);
/// // A LOLBin started by cmd.exe:
/// let hit = rules.child("rundll32.exe", None, r#"rundll32.exe advpack.dll,LaunchINFSection C:\x\a.inf,DefaultInstall_SingleUser,1,"#);
/// assert_eq!(hit.ids().collect::<Vec<_>>(), ["rundll32-proxy"]);
/// // A browser's native-messaging host bridged to pipes is not a pipe write:
/// assert!(!rules.shell(r#"cmd.exe /d /c "C:\p\host.exe" chrome-extension://x/ < \\.\pipe\in > \\.\pipe\out"#).fired());
/// ```
#[derive(Debug, Clone)]
pub struct HardenedRules {
    /// Tool name → the rules about it, sorted by name.
    by_tool: Vec<(&'static str, RuleSet)>,
    /// Rules about any command in a shell line (no tool list).
    any_tool: RuleSet,
}

impl Default for HardenedRules {
    fn default() -> Self {
        Self::new()
    }
}

impl HardenedRules {
    /// Compile [`RULES`].
    pub fn new() -> Self {
        let mut by_tool: Vec<(&'static str, RuleSet)> = Vec::new();
        let mut any_tool = 0;
        for (i, rule) in RULES.iter().enumerate() {
            if rule.tools.is_empty() {
                any_tool |= 1 << i;
            }
            for &tool in rule.tools {
                match by_tool.iter_mut().find(|(t, _)| *t == tool) {
                    Some((_, set)) => *set |= 1 << i,
                    None => by_tool.push((tool, 1 << i)),
                }
            }
        }
        by_tool.sort_unstable_by_key(|(t, _)| *t);
        HardenedRules { by_tool, any_tool }
    }

    /// The rules about `tool` (a canonical name).
    fn rules_for(&self, tool: &str) -> RuleSet {
        self.by_tool
            .binary_search_by(|(t, _)| (*t).cmp(tool))
            .map_or(0, |i| self.by_tool[i].1)
    }

    /// Whether some rule is about `tool` (a canonical name, see
    /// [`tool_name`]): the processes started by `cmd.exe` worth reading.
    pub fn watches(&self, tool: &str) -> bool {
        self.rules_for(tool) != 0
    }

    /// The rules a `cmd.exe` command line fires: every command it runs
    /// (nested shells included), read after undoing evasions.
    pub fn shell(&self, command_line: &str) -> HardenedHit {
        let (commands, evasions) = parse_shell(command_line);
        let mut rules = 0;
        for command in &commands {
            rules |= self.fire(command, self.rules_for(&command.tool) | self.any_tool, true);
        }
        HardenedHit {
            rules,
            evasions: if rules != 0 {
                evasions
            } else {
                Evasions::default()
            },
            original_file_name: String::new(),
        }
    }

    /// The rules a process started by `cmd.exe` fires: `image` is its file
    /// name, `original` its `OriginalFileName` when the export has one.
    ///
    /// A renamed copy (the original names `cmd.exe` or a watched tool, the
    /// image another name) fires the renamed-binary rule and is read as the
    /// original program; a renamed `cmd.exe` is read as a shell.
    pub fn child(&self, image: &str, original: Option<&str>, command_line: &str) -> HardenedHit {
        let image_tool = tool_name(image);
        let original_tool = original.map(tool_name).filter(|o| {
            !o.is_empty()
                && *o != image_tool
                && (RENAME_WATCH.contains(&o.as_str()) || self.watches(o))
        });
        let Some(original_tool) = original_tool else {
            if !self.watches(&image_tool) {
                return HardenedHit::default();
            }
            let command = parse_program(&image_tool, command_line);
            return HardenedHit {
                rules: self.fire(&command, self.rules_for(&image_tool), false),
                ..HardenedHit::default()
            };
        };
        let mut hit = if original_tool == "cmd" {
            self.shell(command_line)
        } else {
            let command = parse_program(&original_tool, command_line);
            HardenedHit {
                rules: self.fire(&command, self.rules_for(&original_tool), false),
                ..HardenedHit::default()
            }
        };
        hit.rules |= RENAMED_BIT;
        hit.evasions.insert(Evasions::RENAMED);
        hit.original_file_name = String::from(original.unwrap_or_default());
        hit
    }

    /// The rules of `candidates` whose shapes hold for `command`.
    fn fire(&self, command: &Command, candidates: RuleSet, in_shell: bool) -> RuleSet {
        let mut fired = 0;
        for (i, rule) in RULES.iter().enumerate() {
            if candidates & (1 << i) == 0 || (rule.scope == Scope::Shell && !in_shell) {
                continue;
            }
            if rule.shapes.iter().any(|s| holds(s, command)) {
                fired |= 1 << i;
            }
        }
        fired
    }
}

/// Does `shape` hold for `c`?
fn holds(shape: &Shape, c: &Command) -> bool {
    let any_in = |text: &str, list: &[&str]| list.iter().any(|n| text.contains(n));
    match *shape {
        Shape::Switch(list) => c.switches().any(|s| list.contains(&s)),
        Shape::SwitchPrefixOf(word) => c.switches().any(|s| word.starts_with(s)),
        Shape::Verb(list) => c.words().next().is_some_and(|w| list.contains(&w)),
        Shape::Words(list) => {
            let mut want = list.iter().peekable();
            for w in c.words() {
                if want.peek().is_some_and(|x| **x == w) {
                    want.next();
                }
            }
            want.peek().is_none()
        }
        Shape::VerbAndSwitch(verbs, switches) => {
            c.words().next().is_some_and(|w| verbs.contains(&w))
                && c.switches().any(|s| switches.contains(&s))
        }
        Shape::ArgContains(list) => c.args.iter().any(|a| any_in(a, list)),
        Shape::FirstWordContains(list) => c.words().next().is_some_and(|w| any_in(w, list)),
        Shape::ArgEndsWith(list) => c.args.iter().any(|a| {
            let a = a.trim_end_matches(['"', '\'']).replace('/', "\\");
            list.iter().any(|n| a.ends_with(n))
        }),
        Shape::Abbreviated(list) => {
            let mut want = list.iter().peekable();
            for w in c.words() {
                if want
                    .peek()
                    .is_some_and(|x| !w.is_empty() && x.starts_with(w))
                {
                    want.next();
                }
            }
            want.peek().is_none()
        }
        Shape::SwitchNotFrom(tool, list) => {
            c.tool != tool && c.switches().any(|s| list.contains(&s))
        }
        Shape::SwitchThenNot(switch, prefix) => c
            .args
            .iter()
            .position(|a| switch_name(a) == Some(switch) && !a.contains([':', '=']))
            .and_then(|i| c.args.get(i + 1))
            .and_then(|next| next.split_whitespace().next())
            // `@path`-style words are the tool's variables, not a program.
            .is_some_and(|program| !program.starts_with('@') && tool_name(program) != prefix),
        Shape::EachWordOf(groups) => groups.iter().all(|g| c.words().any(|w| g.contains(&w))),
        Shape::ArgsContainEach(groups) => {
            let mut joined = c.args.join(" ");
            joined.push(' ');
            groups.iter().all(|g| any_in(&joined, g))
        }
        Shape::SwitchValueContains(name, list) => {
            c.switch_value(name).is_some_and(|v| any_in(v, list))
        }
        Shape::ClockTime => c.words().any(is_clock_time),
        Shape::Always => true,
        Shape::All(shapes) => shapes.iter().all(|s| holds(s, c)),
        Shape::Not(shape) => !holds(shape, c),
        Shape::FirstWordNot(prefix) => c.words().next().is_some_and(|w| !w.starts_with(prefix)),
        Shape::CopiesWatchedProgram => copies_watched_program(c),
        Shape::ReadsFile => c.redirects.iter().any(|r| r.input && !is_pipe(&r.target)),
        Shape::RedirectContains(list) => c
            .redirects
            .iter()
            .any(|r| !r.input && any_in(&r.target, list)),
        Shape::RedirectEndsWith(list) => c.redirects.iter().any(|r| {
            let target = r.target.trim_end_matches(['"', ' ']);
            !r.input && list.iter().any(|n| target.ends_with(n))
        }),
        Shape::RedirectToStream => c.redirects.iter().any(|r| !r.input && is_stream(&r.target)),
        Shape::WritesToPipe => {
            let pipe = |input: bool| {
                c.redirects
                    .iter()
                    .any(|r| r.input == input && is_pipe(&r.target))
            };
            pipe(false) && !pipe(true)
        }
        Shape::RedirectToAdminShare => c
            .redirects
            .iter()
            .any(|r| !r.input && is_admin_share(&r.target)),
        Shape::ObfuscatedName => c.tool_obfuscated,
    }
}

/// `copy C:\Windows\System32\cmd.exe C:\Temp\lsass.exe`: a program the
/// rules watch, copied to a file of another name (a folder is not a rename).
fn copies_watched_program(c: &Command) -> bool {
    let mut words = c.words();
    let (Some(source), Some(target)) = (words.next(), words.next()) else {
        return false;
    };
    let (from, to) = (file_part(source), file_part(target));
    let program = from.ends_with(".exe") || from.ends_with(".com");
    let named_file = to.contains('.') && !to.ends_with('.');
    let name = tool_name(from);
    let watched = RENAME_WATCH.contains(&name.as_str())
        || RULES.iter().any(|r| r.tools.contains(&name.as_str()));
    program && named_file && watched && tool_name(to) != name
}

/// The last path component (`C:\Temp\a.exe` → `a.exe`).
fn file_part(path: &str) -> &str {
    path.trim_end_matches('"')
        .rsplit(['\\', '/'])
        .next()
        .unwrap_or("")
}

/// `C:\x\a.txt:evil.exe`: a named stream after the drive letter's colon.
fn is_stream(target: &str) -> bool {
    let t = target.trim_matches('"');
    let rest = match t.as_bytes() {
        [d, b':', ..] if d.is_ascii_alphabetic() => &t[2..],
        _ => t,
    };
    // A stream name has no path separator (`%C:\Windows%\x` is not one).
    rest.split_once(':').is_some_and(|(file, stream)| {
        !file.is_empty() && !stream.is_empty() && !stream.contains(['\\', '/'])
    })
}

/// `\\.\pipe\name`, `\\host\pipe\name`.
fn is_pipe(target: &str) -> bool {
    target
        .strip_prefix(r"\\")
        .and_then(|rest| rest.split_once('\\'))
        .is_some_and(|(_, path)| path.starts_with(r"pipe\"))
}

/// `\\host\ADMIN$\...`, `\\host\C$\...`.
fn is_admin_share(target: &str) -> bool {
    let Some(rest) = target.strip_prefix(r"\\") else {
        return false;
    };
    let mut parts = rest.split('\\');
    let (Some(host), Some(share)) = (parts.next(), parts.next()) else {
        return false;
    };
    let drive = share.len() == 2
        && share.starts_with(|c: char| c.is_ascii_alphabetic())
        && share.ends_with('$');
    !host.is_empty() && (share == "admin$" || drive)
}

/// `13:20`, `9:05`, `13:20:00`, optionally followed by `am`/`pm`.
fn is_clock_time(word: &str) -> bool {
    let word = word.trim_end_matches("am").trim_end_matches("pm");
    let parts: Vec<&str> = word.split(':').collect();
    (2..=3).contains(&parts.len())
        && parts[0].len() <= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()))
}
