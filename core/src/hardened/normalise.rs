//! From a command line to the commands it runs, as `cmd.exe` would see them.
//!
//! The parity rule matches the text as written; an attacker only has to spell
//! it differently. This module undoes the spellings `cmd.exe` itself undoes:
//!
//! * `%VAR%`, `%VAR:~start,len%` and `%VAR:old=new%` for well-known Windows
//!   variables (`%LOCALAPPDATA:~-3,1%md` is `cmd`), only when the result does
//!   not depend on the user name;
//! * variables set on the same line (`set a=ne&& set b=t&& call %a%%b%`) and
//!   delayed expansion (`cmd /v:on /c "... !a!!b! ..."`);
//! * `^` escapes (`n^e^t u^se^r`), quotes inside tokens (`n"e"t`,
//!   `localgroup "Administrators"`), whitespace runs;
//! * `cmd`'s `/c` quote stripping, `&`, `&&`, `|`, `||` and `( )` blocks, and
//!   the commands inside `cmd /c`, `start`, `call`, `for ... do` and `if`;
//! * Unicode dashes and the fullwidth solidus at the start of a switch;
//! * the tool's path and extension (`C:\Windows\System32\reg.exe` is `reg`).
//!
//! Everything is lowercased. Output size is bounded (a hostile line cannot
//! make the expansion grow without limit) and nothing here panics.

use alloc::string::String;
use alloc::vec::Vec;

/// How deep commands nest (`cmd /c "cmd /c ..."`) before the rest is ignored.
const MAX_DEPTH: usize = 6;

/// The most bytes expansion may produce from one command line (beyond this,
/// the unexpanded text is kept).
const MAX_EXPANDED: usize = 64 << 10;

/// Wraps text that an obfuscating expansion produced (a substring of a
/// variable, a variable set on the same line), so the tokenizer knows the
/// token was built by it. Removed from the input first; never in a token.
const MARK: char = '\u{e000}';

/// Obfuscations undone while reading a command line, one bit each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Evasions(pub u8);

impl Evasions {
    /// `^` between two letters or digits (`n^e^t`).
    pub const CARETS: Evasions = Evasions(1);
    /// A quote inside a word (`n"e"t`).
    pub const QUOTES: Evasions = Evasions(2);
    /// `%VAR:~start,len%` or `%VAR:old=new%` of a well-known variable.
    pub const ENV_SUBSTRING: Evasions = Evasions(4);
    /// A variable set on the same line, read back with `%x%` or `!x!`.
    pub const VARIABLES: Evasions = Evasions(8);
    /// A switch written with a Unicode dash or the fullwidth solidus.
    pub const UNICODE_DASH: Evasions = Evasions(16);
    /// An image whose `OriginalFileName` names another program.
    pub const RENAMED: Evasions = Evasions(32);

    /// Every evasion with its name and words, in bit order.
    pub const ALL: [(Evasions, &'static str, &'static str); 6] = [
        (Self::CARETS, "carets", "carets inside words removed"),
        (Self::QUOTES, "quotes", "quotes inside words removed"),
        (
            Self::ENV_SUBSTRING,
            "env-substring",
            "environment-variable substring or substitution expanded",
        ),
        (
            Self::VARIABLES,
            "variables",
            "variables set on the same line expanded (delayed expansion)",
        ),
        (
            Self::UNICODE_DASH,
            "unicode-dash",
            "a switch written with a Unicode dash",
        ),
        (
            Self::RENAMED,
            "renamed",
            "the image is a renamed copy of a known program (OriginalFileName)",
        ),
    ];

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: Evasions) -> bool {
        self.0 & other.0 == other.0
    }

    /// Add `other`'s bits.
    pub fn insert(&mut self, other: Evasions) {
        self.0 |= other.0;
    }

    /// No evasion.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The names of the evasions set, in bit order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::ALL
            .into_iter()
            .filter(move |(e, _, _)| self.contains(*e))
            .map(|(_, name, _)| name)
    }
}

/// A redirection of a command's input or output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// `<` (input) rather than `>` / `>>` (output).
    pub input: bool,
    /// The file or device, lowercased, quotes removed.
    pub target: String,
}

/// One command as it would run: the tool, its arguments, its redirections.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Command {
    /// The tool: lowercase, no directory, no `.exe`/`.com` (`reg`, `net`, `echo`).
    pub tool: String,
    /// The arguments after the tool, lowercased, quotes and escapes removed.
    pub args: Vec<String>,
    /// Its redirections, in order.
    pub redirects: Vec<Redirect>,
    /// Whether the tool's name was only readable after undoing an evasion
    /// (carets, inside quotes, variable substrings, same-line variables).
    pub tool_obfuscated: bool,
}

impl Command {
    /// The switches: arguments starting with `/` or `-`, without the prefix,
    /// cut at `:` or `=` (`/grant:r` is `grant`).
    pub fn switches(&self) -> impl Iterator<Item = &str> {
        self.args.iter().filter_map(|a| switch_name(a))
    }

    /// The value of switch `name` (`/format:x.xsl` → `x.xsl`), if present.
    pub fn switch_value(&self, name: &str) -> Option<&str> {
        self.args.iter().find_map(|a| {
            let body = a.strip_prefix(['/', '-'])?;
            let cut = body.find([':', '='])?;
            (body[..cut] == *name).then(|| &body[cut + 1..])
        })
    }

    /// The positional arguments (not switches).
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.args
            .iter()
            .filter(|a| switch_name(a).is_none())
            .map(String::as_str)
    }
}

/// The switch name of an argument (`/add` → `add`, `-urlcache` → `urlcache`,
/// `/grant:r` → `grant`), or `None` for a positional argument.
pub fn switch_name(arg: &str) -> Option<&str> {
    let body = arg.strip_prefix(['/', '-'])?;
    let end = body.find([':', '=']).unwrap_or(body.len());
    (end > 0).then(|| &body[..end])
}

/// The tool a path or program name names: `C:\Windows\System32\REG.EXE` →
/// `reg`, `net1` → `net1`. Lowercase; `.exe` and `.com` dropped.
pub fn tool_name(program: &str) -> String {
    let base = program
        .trim_matches(|c: char| c == '"' || c.is_whitespace())
        .rsplit(['\\', '/'])
        .next()
        .unwrap_or("");
    let lower = base.to_lowercase();
    for ext in [".exe", ".com"] {
        if let Some(stem) = lower.strip_suffix(ext) {
            if !stem.is_empty() {
                return String::from(stem);
            }
        }
    }
    lower
}

/// The commands a `cmd.exe` command line runs (after `/c`, `/k` or `/r`),
/// nested shells included, and the evasions undone on the way.
///
/// ```
/// use cmdhunt_core::hardened::normalise::{parse_shell, Evasions};
/// let (cmds, ev) = parse_shell(r#"cmd.exe /c "n^e^t u^se^r  bob P@ss /ADD""#);
/// assert_eq!(cmds[0].tool, "net");
/// assert_eq!(cmds[0].args, ["user", "bob", "p@ss", "/add"]);
/// assert!(ev.contains(Evasions::CARETS));
/// ```
pub fn parse_shell(command_line: &str) -> (Vec<Command>, Evasions) {
    let mut evasions = Evasions::default();
    let clean = command_line.replace(MARK, "");
    let mut out = Vec::new();
    let expanded = expand(&clean, &mut evasions);
    shell_body(&expanded, 0, &mut out, &mut evasions);
    // Event viewers render `%` as `%%` (`%%temp%%`), and `%a%%b%` is two
    // references: both readings are kept when the line has `%%`.
    if clean.contains("%%") {
        let expanded = expand(&clean.replace("%%", "%"), &mut evasions);
        shell_body(&expanded, 0, &mut out, &mut evasions);
    }
    (out, evasions)
}

/// The command a program's own command line is (a child process of
/// `cmd.exe`): the first token, the program, is dropped; `tool` names the
/// image. No shell syntax applies (the shell has already consumed it).
pub fn parse_program(tool: &str, command_line: &str) -> Command {
    let mut evasions = Evasions::default();
    let tokens = tokenize(command_line, false, &mut evasions);
    let args = tokens.into_iter().skip(1).map(|t| t.text).collect();
    Command {
        tool: String::from(tool),
        args,
        redirects: Vec::new(),
        tool_obfuscated: false,
    }
}

/// Well-known variables: name, value with `{u}` for the user name.
const KNOWN_VARS: [(&str, &str); 24] = [
    ("allusersprofile", r"C:\ProgramData"),
    ("appdata", r"C:\Users\{u}\AppData\Roaming"),
    ("commonprogramfiles", r"C:\Program Files\Common Files"),
    (
        "commonprogramfiles(x86)",
        r"C:\Program Files (x86)\Common Files",
    ),
    ("commonprogramw6432", r"C:\Program Files\Common Files"),
    ("comspec", r"C:\Windows\system32\cmd.exe"),
    ("homedrive", "C:"),
    ("homepath", r"\Users\{u}"),
    ("localappdata", r"C:\Users\{u}\AppData\Local"),
    ("os", "Windows_NT"),
    (
        "pathext",
        ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC",
    ),
    ("processor_architecture", "AMD64"),
    ("programdata", r"C:\ProgramData"),
    ("programfiles", r"C:\Program Files"),
    ("programfiles(x86)", r"C:\Program Files (x86)"),
    ("programw6432", r"C:\Program Files"),
    ("public", r"C:\Users\Public"),
    ("systemdrive", "C:"),
    ("systemroot", r"C:\Windows"),
    ("temp", r"C:\Users\{u}\AppData\Local\Temp"),
    ("tmp", r"C:\Users\{u}\AppData\Local\Temp"),
    ("userprofile", r"C:\Users\{u}"),
    ("windir", r"C:\Windows"),
    ("username", "{u}"),
];

/// A variable's value for two different user names: equal when it does not
/// depend on the user.
fn known_value(name: &str) -> Option<(String, String)> {
    let (_, template) = KNOWN_VARS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))?;
    Some((
        template.replace("{u}", "a"),
        template.replace("{u}", "bob.smith"),
    ))
}

/// Expand well-known and same-line variables. Bounded: past
/// [`MAX_EXPANDED`] bytes the text is kept as is.
fn expand(text: &str, evasions: &mut Evasions) -> String {
    let mut current = String::from(text);
    for _ in 0..3 {
        let sets = assignments(&current);
        let Some(next) = expand_once(&current, &sets, evasions) else {
            break;
        };
        if next == current || next.len() > MAX_EXPANDED {
            break;
        }
        current = next;
    }
    current
}

/// `set name=value` assignments on a line (names lowercased), later ones last.
fn assignments(text: &str) -> Vec<(String, String)> {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find("set").map(|i| i + from) {
        from = at + 3;
        let before_ok = at == 0
            || matches!(
                bytes[at - 1],
                b' ' | b'\t' | b'&' | b'|' | b'(' | b'"' | b'@'
            );
        let after_ok = matches!(bytes.get(at + 3), Some(b' ' | b'\t' | b'"'));
        if !before_ok || !after_ok {
            continue;
        }
        let mut rest = text[at + 3..].trim_start();
        for flag in ["/a ", "/A ", "/p ", "/P "] {
            rest = rest.strip_prefix(flag).unwrap_or(rest).trim_start();
        }
        let quoted = rest.starts_with('"');
        let body = if quoted { &rest[1..] } else { rest };
        let end = if quoted {
            body.find('"').unwrap_or(body.len())
        } else {
            body.find(['&', '|', ')', '"']).unwrap_or(body.len())
        };
        let Some((name, value)) = body[..end].split_once('=') else {
            continue;
        };
        let name = name.trim();
        let bad = name.starts_with('/') || name.contains(char::is_whitespace);
        if name.is_empty() || name.len() > 64 || bad {
            continue;
        }
        out.push((name.to_ascii_lowercase(), String::from(value)));
    }
    out
}

/// One pass over `%...%` and `!...!` references; `None` when nothing changed.
fn expand_once(text: &str, sets: &[(String, String)], evasions: &mut Evasions) -> Option<String> {
    if !text.contains(['%', '!']) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut rest = text;
    while let Some(open) = rest.find(['%', '!']) {
        let delim = rest.as_bytes()[open];
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find(delim as char);
        let resolved = close.and_then(|c| resolve(&after[..c], delim == b'!', sets, evasions));
        match (close, resolved) {
            (Some(c), Some(value)) => {
                out.push_str(&value);
                rest = &after[c + 1..];
                changed = true;
            }
            _ => {
                out.push(delim as char);
                rest = after;
            }
        }
        if out.len() > MAX_EXPANDED {
            return None;
        }
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// The value of one reference body (`name`, `name:~a,b`, `name:old=new`);
/// `None` when the name is unknown or the result depends on the user name.
fn resolve(
    body: &str,
    delayed: bool,
    sets: &[(String, String)],
    evasions: &mut Evasions,
) -> Option<String> {
    if body.is_empty() || body.len() > 200 || body.contains(['\n', '\r']) {
        return None;
    }
    let (name, op) = match body.find(':') {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let name = name.trim_end();
    let set = sets
        .iter()
        .rev()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone());
    let (a, b, from_set) = match set {
        Some(v) => (v.clone(), v, true),
        None if delayed => return None,
        None => {
            let (a, b) = known_value(name)?;
            (a, b, false)
        }
    };
    let value = match op {
        None if from_set => a,
        None => return (a == b).then_some(a),
        Some(op) => {
            let (x, y) = (apply_op(&a, op)?, apply_op(&b, op)?);
            (x == y).then_some(x)?
        }
    };
    evasions.insert(if from_set {
        Evasions::VARIABLES
    } else {
        Evasions::ENV_SUBSTRING
    });
    Some(alloc::format!("{MARK}{value}{MARK}"))
}

/// `~start[,len]` (negative counts from the end) or `old=new` (`*old=new`
/// replaces through the first `old`), as `cmd` applies them.
fn apply_op(value: &str, op: &str) -> Option<String> {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len() as i64;
    if let Some(range) = op.strip_prefix('~') {
        let (start, len) = match range.split_once(',') {
            Some((s, l)) => (
                s.trim().parse::<i64>().ok()?,
                Some(l.trim().parse::<i64>().ok()?),
            ),
            None => (range.trim().parse::<i64>().ok()?, None),
        };
        let start = if start < 0 {
            n.saturating_add(start).max(0)
        } else {
            start.min(n)
        };
        let end = match len {
            None => n,
            Some(l) if l < 0 => n.saturating_add(l).max(start),
            Some(l) => start.saturating_add(l).min(n),
        };
        return Some(chars[start as usize..end as usize].iter().collect());
    }
    let (old, new) = op.split_once('=')?;
    // Byte offsets of the lowercased text are the original's only for ASCII.
    if old.is_empty() || !old.is_ascii() || !value.is_ascii() {
        return None;
    }
    let lower = value.to_lowercase();
    if let Some(old) = old.strip_prefix('*') {
        let at = lower.find(&old.to_lowercase())?;
        return Some(alloc::format!("{new}{}", &value[at + old.len()..]));
    }
    let old_lower = old.to_lowercase();
    let mut out = String::new();
    let mut rest = value;
    let mut rest_lower = lower.as_str();
    while let Some(at) = rest_lower.find(&old_lower) {
        out.push_str(&rest[..at]);
        out.push_str(new);
        rest = &rest[at + old.len()..];
        rest_lower = &rest_lower[at + old_lower.len()..];
    }
    out.push_str(rest);
    Some(out)
}

/// The commands after a `cmd` invocation's `/c`, `/k` or `/r` in `text`
/// (which starts with the program itself).
fn shell_body(text: &str, depth: usize, out: &mut Vec<Command>, evasions: &mut Evasions) {
    if depth >= MAX_DEPTH {
        return;
    }
    let Some(body) = after_run_switch(text) else {
        return;
    };
    let body = strip_outer_quotes(body.trim_start());
    commands(&body, depth, out, evasions);
}

/// The text after the first `/c`, `/k` or `/r` switch (cmd accepts it glued:
/// `/c"dir"`), outside quotes.
fn after_run_switch(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut quoted = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'/' if !quoted => {
                let next = bytes.get(i + 1).map(u8::to_ascii_lowercase);
                if matches!(next, Some(b'c' | b'k' | b'r')) {
                    return Some(&text[i + 2..]);
                }
            }
            _ => {}
        }
    }
    None
}

/// `cmd`'s rule for the text after `/c`: unless it is exactly one quoted
/// program name, a leading quote and the last quote on the line are removed.
fn strip_outer_quotes(body: &str) -> String {
    let Some(inner) = body.strip_prefix('"') else {
        return String::from(body);
    };
    // cmd keeps the quotes of `"C:\Program Files\x.exe"` alone on the line;
    // a quoted program path followed by arguments is kept too (read as the
    // author meant it, where cmd would strip the first and last quote).
    let end = inner.find('"').unwrap_or(inner.len());
    let first = inner[..end].to_ascii_lowercase();
    let program = [".exe", ".com", ".bat", ".cmd"]
        .iter()
        .any(|e| first.ends_with(e));
    if program && !first.contains(['&', '<', '>', '|', '^']) {
        return String::from(body);
    }
    match inner.rfind('"') {
        Some(last) => alloc::format!("{}{}", &inner[..last], &inner[last + 1..]),
        None => String::from(inner),
    }
}

/// One token of a command, with where it came from.
#[derive(Debug, Clone)]
struct Token {
    /// Lowercased text, quotes and escapes removed.
    text: String,
    /// Byte range in the source text.
    start: usize,
    end: usize,
    /// Whether an obfuscation (caret or quote inside a word) was undone in it.
    obfuscated: bool,
}

/// Split `text` into commands on `&`, `&&`, `|`, `||` and block parentheses
/// (outside quotes, not escaped), and read each.
fn commands(text: &str, depth: usize, out: &mut Vec<Command>, evasions: &mut Evasions) {
    let bytes = text.as_bytes();
    let mut quoted = false;
    let mut start = 0;
    let mut blocks = 0usize;
    let mut at_command_start = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'^' if !quoted => {
                i += 2;
                at_command_start = false;
                continue;
            }
            b'"' => quoted = !quoted,
            b'&' | b'|' if !quoted && !after_redirect(bytes, i) => {
                command(&text[start..i], depth, out, evasions);
                while i + 1 < bytes.len() && bytes[i + 1] == b {
                    i += 1;
                }
                start = i + 1;
                at_command_start = true;
                i += 1;
                continue;
            }
            b'(' if !quoted && at_command_start => {
                blocks += 1;
                start = i + 1;
                i += 1;
                continue;
            }
            b')' if !quoted && blocks > 0 => {
                command(&text[start..i], depth, out, evasions);
                blocks -= 1;
                start = i + 1;
                at_command_start = true;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b',' | b';' | b'=' | b'@' if at_command_start => {}
            _ => at_command_start = false,
        }
        i += 1;
    }
    if start < text.len() {
        command(&text[start..], depth, out, evasions);
    }
}

/// Whether the byte at `i` follows `>` or `<` (`2>&1`: not an operator).
fn after_redirect(bytes: &[u8], i: usize) -> bool {
    i > 0 && matches!(bytes[i - 1], b'>' | b'<')
}

/// Read one command's text: tool, arguments and redirections; nested
/// commands (`cmd /c`, `start`, `call`, `for ... do`, `if`) are read too.
fn command(text: &str, depth: usize, out: &mut Vec<Command>, evasions: &mut Evasions) {
    if depth >= MAX_DEPTH {
        return;
    }
    let trimmed =
        text.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '=' | '@'));
    let offset = text.len() - trimmed.len();
    let (tokens, redirects) = tokens_and_redirects(trimmed, evasions);
    let Some(first) = tokens.first() else {
        return;
    };
    let tool = tool_name(&first.text);
    let rest_from = |i: usize| -> &str { tokens.get(i).map_or("", |t| &text[offset + t.start..]) };
    match tool.as_str() {
        "cmd" => {
            shell_body(&text[offset..], depth + 1, out, evasions);
        }
        "call" => command(rest_from(1), depth + 1, out, evasions),
        "start" => {
            // `start ["title"] [/options] command`: skip the options and a quoted title.
            let mut i = 1;
            while let Some(t) = tokens.get(i) {
                let raw = &trimmed[t.start..t.end];
                let is_title = i == 1 && raw.starts_with('"');
                if t.text.starts_with('/') || is_title {
                    i += 1;
                } else {
                    break;
                }
            }
            command(rest_from(i), depth + 1, out, evasions);
        }
        "for" => {
            if let Some(i) = tokens.iter().position(|t| t.text == "do") {
                commands(rest_from(i + 1), depth + 1, out, evasions);
            }
        }
        "if" => {
            let mut i = 1;
            while tokens
                .get(i)
                .is_some_and(|t| t.text == "not" || t.text == "/i")
            {
                i += 1;
            }
            match tokens.get(i).map(|t| t.text.as_str()) {
                Some("exist" | "defined" | "errorlevel" | "cmdextversion") => i += 2,
                Some(t) if t.contains("==") => i += 1,
                Some(_) => i += 3,
                None => return,
            }
            // `if ... (block) else (block)`: the splitter reads the blocks.
            commands(rest_from(i), depth + 1, out, evasions);
        }
        _ => {}
    }
    out.push(Command {
        tool,
        args: tokens.iter().skip(1).map(|t| t.text.clone()).collect(),
        redirects,
        tool_obfuscated: first.obfuscated,
    });
}

/// The tokens of one command, with its redirections taken out.
fn tokens_and_redirects(text: &str, evasions: &mut Evasions) -> (Vec<Token>, Vec<Redirect>) {
    let all = tokenize(text, true, evasions);
    let mut tokens = Vec::new();
    let mut redirects = Vec::new();
    let mut it = all.into_iter().peekable();
    while let Some(t) = it.next() {
        let Some(op_at) = t
            .text
            .find(['<', '>'])
            .filter(|_| is_operator_token(text, &t))
        else {
            tokens.push(t);
            continue;
        };
        let input = t.text[op_at..].starts_with('<');
        let handle_part = &t.text[..op_at];
        if !handle_part.is_empty() && !handle_part.bytes().all(|b| b.is_ascii_digit()) {
            // `word>file`: the word is an argument.
            tokens.push(Token {
                text: String::from(handle_part),
                ..t.clone()
            });
        }
        let target_part = t.text[op_at..].trim_start_matches(['<', '>']);
        if target_part.starts_with('&') {
            continue; // `2>&1`
        }
        let target = if target_part.is_empty() {
            match it.next() {
                Some(next) => next.text,
                None => continue,
            }
        } else {
            String::from(target_part)
        };
        redirects.push(Redirect { input, target });
    }
    (tokens, redirects)
}

/// Whether the `<` / `>` in a token was outside quotes and unescaped in the
/// source (so it is a redirection, not text).
fn is_operator_token(source: &str, t: &Token) -> bool {
    let raw = &source[t.start..t.end];
    let mut quoted = false;
    let mut escaped = false;
    for c in raw.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '^' if !quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' | '>' if !quoted => return true,
            _ => {}
        }
    }
    false
}

/// Whitespace-separated tokens; quotes group and are dropped; with `shell`,
/// `^` escapes the next character outside quotes. Lowercased; a Unicode dash
/// or fullwidth solidus opening a token becomes `-` or `/`.
fn tokenize(text: &str, shell: bool, evasions: &mut Evasions) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut token = String::new();
        let mut quoted = false;
        let mut obfuscated = false;
        let mut end = start;
        let mut prev: Option<char> = None;
        while let Some(&(at, c)) = chars.peek() {
            if c.is_whitespace() && !quoted {
                break;
            }
            chars.next();
            end = at + c.len_utf8();
            match c {
                MARK => obfuscated = true,
                '"' => {
                    quoted = !quoted;
                    let next = chars.peek().map(|&(_, n)| n);
                    if prev.is_some_and(char::is_alphanumeric)
                        && next.is_some_and(char::is_alphanumeric)
                    {
                        obfuscated = true;
                        evasions.insert(Evasions::QUOTES);
                    }
                }
                '^' if shell && !quoted => {
                    if let Some((at, escaped)) = chars.next() {
                        end = at + escaped.len_utf8();
                        if prev.is_some_and(char::is_alphanumeric) && escaped.is_alphanumeric() {
                            obfuscated = true;
                            evasions.insert(Evasions::CARETS);
                        }
                        token.extend(escaped.to_lowercase());
                        prev = Some(escaped);
                    }
                }
                _ => {
                    let c = if token.is_empty() {
                        switch_prefix(c, evasions)
                    } else {
                        c
                    };
                    token.extend(c.to_lowercase());
                    prev = Some(c);
                }
            }
        }
        out.push(Token {
            text: token,
            start,
            end,
            obfuscated,
        });
    }
    out
}

/// A dash-like character opening a token, as the ASCII switch prefix.
fn switch_prefix(c: char, evasions: &mut Evasions) -> char {
    match c {
        '\u{2010}'..='\u{2015}'
        | '\u{2212}'
        | '\u{fe58}'
        | '\u{fe63}'
        | '\u{ff0d}'
        | '\u{00ad}' => {
            evasions.insert(Evasions::UNICODE_DASH);
            '-'
        }
        '\u{ff0f}' | '\u{2215}' | '\u{2044}' => {
            evasions.insert(Evasions::UNICODE_DASH);
            '/'
        }
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(line: &str) -> Vec<(String, Vec<String>)> {
        parse_shell(line)
            .0
            .into_iter()
            .map(|c| (c.tool, c.args))
            .collect()
    }

    fn tools(line: &str) -> Vec<String> {
        shell(line).into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn commands_are_split_and_nested_shells_read() {
        // (command line, the tools of the commands it runs, in reading order)
        let cases: &[(&str, &[&str])] = &[
            (
                r#"cmd.exe /c "reg add HKCU\x & whoami""#,
                &["reg", "whoami"],
            ),
            (
                r#"cmd /c dir && net user || echo x | find "a""#,
                &["dir", "net", "echo", "find"],
            ),
            (
                r#""C:\Windows\system32\cmd.exe" /c "cmd.exe /c net view""#,
                &["net", "cmd"],
            ),
            (
                r#"cmd /c start /b /min mshta https://x/y"#,
                &["mshta", "start"],
            ),
            (
                r#"cmd /c start "title" reg save hklm\sam s"#,
                &["reg", "start"],
            ),
            (
                r#"cmd /c call %COMSPEC% /c whoami"#,
                &["whoami", "cmd", "call"],
            ),
            (
                r#"cmd /c for /f %i in (a) do reg delete x"#,
                &["reg", "for"],
            ),
            (r#"cmd /c if exist x reg add y"#, &["reg", "if"]),
            (r#"cmd /c (reg add x) & (net user)"#, &["reg", "net"]),
            (r#"cmd.exe /S /D /c" dir c: /b /s .docx ""#, &["dir"]),
            (r#"cmd.exe"#, &[]),
            (r#"cmd /c echo a ^& net user"#, &["echo"]),
            (r#"cmd /c "echo a ^> \\.\pipe\x""#, &["echo"]),
        ];
        for (line, want) in cases {
            assert_eq!(tools(line), *want, "{line}");
        }
    }

    #[test]
    fn quotes_after_slash_c_follow_cmds_rule() {
        let cases: &[(&str, &str)] = &[
            (r#""C:\Program Files\x.exe""#, r#""C:\Program Files\x.exe""#),
            (
                r#""C:\a b\host.exe" arg < x"#,
                r#""C:\a b\host.exe" arg < x"#,
            ),
            (r#""abc def""#, "abc def"),
            (r#""reg add x""#, "reg add x"),
            (r#""a" "b""#, r#"a" "b"#),
            (r#"plain"#, "plain"),
        ];
        for (body, want) in cases {
            assert_eq!(strip_outer_quotes(body), *want, "{body}");
        }
    }

    #[test]
    fn evasions_are_undone_and_named() {
        // (command line, tool, args, evasions expected)
        let cases: &[(&str, &str, &[&str], Evasions)] = &[
            (r"cmd /c n^e^t u^se^r", "net", &["user"], Evasions::CARETS),
            (r#"cmd /c n"e"t user"#, "net", &["user"], Evasions::QUOTES),
            (
                r#"cmd /c net localgroup "Administrators" x /add"#,
                "net",
                &["localgroup", "administrators", "x", "/add"],
                Evasions(0),
            ),
            (
                r"cmd /c %LOCALAPPDATA:~-3,1%md /c whoami",
                "whoami",
                &[],
                Evasions::ENV_SUBSTRING,
            ),
            (
                r"cmd /c %comspec:~-7,3% user",
                "cmd",
                &["user"],
                Evasions::ENV_SUBSTRING,
            ),
            (r"cmd /c reg  add   x", "reg", &["add", "x"], Evasions(0)),
            (
                "cmd /c certutil \u{2013}urlcache \u{2014}f u",
                "certutil",
                &["-urlcache", "-f", "u"],
                Evasions::UNICODE_DASH,
            ),
            (
                "cmd /c icacls x \u{ff0f}grant y",
                "icacls",
                &["x", "/grant", "y"],
                Evasions::UNICODE_DASH,
            ),
            (
                r"cmd /c C:\Windows\System32\REG.EXE ADD x",
                "reg",
                &["add", "x"],
                Evasions(0),
            ),
            (
                r#"cmd /v:on /c "set a=ne&& set b=t&& !a!!b! user""#,
                "net",
                &["user"],
                Evasions::VARIABLES,
            ),
            (
                r"cmd /c set x=vssadmin&& call %x% delete shadows",
                "vssadmin",
                &["delete", "shadows"],
                Evasions::VARIABLES,
            ),
            (
                r"cmd /c %windir%\system32\bcdedit.exe /set",
                "bcdedit",
                &["/set"],
                Evasions(0),
            ),
            (r"cmd /c %%temp%%\a.exe", "a", &[], Evasions(0)),
        ];
        for (line, tool, args, ev) in cases {
            let (cmds, got) = parse_shell(line);
            let found = cmds.iter().find(|c| c.tool == *tool);
            let Some(c) = found else {
                panic!("{line}: no {tool} in {cmds:?}");
            };
            assert_eq!(c.args, *args, "{line}");
            assert_eq!(got, *ev, "{line}");
        }
    }

    #[test]
    fn user_dependent_substrings_stay_unexpanded() {
        // `%USERPROFILE:~9,1%` is a letter of the user name: unknowable.
        let (cmds, ev) = parse_shell(r"cmd /c %USERPROFILE:~9,1%et user");
        assert_eq!(cmds[0].tool, "%userprofile:~9,1%et");
        assert!(ev.is_empty());
        // An unknown variable stays as written.
        assert_eq!(tools(r"cmd /c %FOO%\x.exe"), ["x"]);
    }

    #[test]
    fn redirections_are_separated_from_arguments() {
        let (cmds, _) = parse_shell(
            r#"cmd /d /c "C:\a\host.exe" chrome-extension://x/ < \\.\pipe\in > \\.\pipe\out"#,
        );
        assert_eq!(cmds[0].tool, "host");
        assert_eq!(cmds[0].args, ["chrome-extension://x/"]);
        let targets: Vec<(bool, &str)> = cmds[0]
            .redirects
            .iter()
            .map(|r| (r.input, r.target.as_str()))
            .collect();
        assert_eq!(targets, [(true, r"\\.\pipe\in"), (false, r"\\.\pipe\out")]);
        let (cmds, _) = parse_shell(r"cmd.exe /Q /c cd 1> \\127.0.0.1\ADMIN$\__1 2>&1");
        assert_eq!(cmds[0].redirects.len(), 1);
        assert_eq!(cmds[0].redirects[0].target, r"\\127.0.0.1\admin$\__1");
        let (cmds, _) = parse_shell(r"cmd /c echo x>\\.\pipe\y");
        assert_eq!(
            (
                cmds[0].args.as_slice(),
                cmds[0].redirects[0].target.as_str()
            ),
            (&[String::from("x")][..], r"\\.\pipe\y")
        );
    }

    #[test]
    fn switches_words_and_values() {
        let c = parse_program(
            "wmic",
            r#"wmic /node:"localhost" process call create "calc.exe" /format:x.xsl"#,
        );
        assert_eq!(
            c.words().collect::<Vec<_>>(),
            ["process", "call", "create", "calc.exe"]
        );
        assert_eq!(c.switches().collect::<Vec<_>>(), ["node", "format"]);
        assert_eq!(c.switch_value("format"), Some("x.xsl"));
        assert_eq!(c.switch_value("nope"), None);
        assert_eq!(tool_name(r#""C:\Windows\System32\net1.exe""#), "net1");
        assert_eq!(tool_name("PING.EXE"), "ping");
        assert_eq!(tool_name(".exe"), ".exe");
    }

    #[test]
    fn hostile_input_is_bounded_and_never_panics() {
        let bomb = alloc::format!(
            "cmd /v:on /c \"set a=%a%%a%%a%%a%&& {}\"",
            "%a%".repeat(2000)
        );
        let _ = parse_shell(&bomb);
        for line in [
            "",
            "^",
            "\"",
            "%",
            "%:~",
            "%comspec:~x,y%",
            "!",
            "cmd /c ^",
            "cmd /c \"",
            "cmd /c >",
            "cmd /c (((",
            "cmd /c )))",
            "/c/c/c/c/c/c/c/c/c/c",
            "cmd /c é^é\u{2013}",
        ] {
            let _ = parse_shell(line);
            let _ = parse_program("x", line);
        }
        // Random lines over cmd's special characters (a fixed xorshift seed):
        // every one is read without a panic, whatever it holds.
        let alphabet: Vec<char> = "^\"%!&|<>():~,=;/-\\@ \tacdegmnrstux01\u{2013}\u{e000}\u{ff0f}é"
            .chars()
            .collect();
        let rules = crate::hardened::HardenedRules::new();
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..5000 {
            let len = (next() % 120) as usize;
            let mut line = String::from(if next() % 2 == 0 { "cmd /c " } else { "" });
            for _ in 0..len {
                line.push(alphabet[(next() % alphabet.len() as u64) as usize]);
            }
            let _ = parse_shell(&line);
            let _ = parse_program("x", &line);
            let _ = rules.shell(&line);
            let _ = rules.child("rundll32.exe", Some("cmd.exe"), &line);
            let _ = rules.child("svc.exe", Some("CertUtil.exe"), &line);
        }
        let deep = "cmd /c ".repeat(100) + "reg add x";
        assert!(parse_shell(&deep).0.len() <= MAX_DEPTH + 1);
    }
}
