//! The search box's little language, parsed and evaluated here (pure, tested
//! natively; [`crate::view`] applies it to every row).
//!
//! - `word` or `"two words"`: a row whose time (as the table shows it:
//!   RFC 3339 UTC, and local with its offset when the grid shows local
//!   times), device, account, command line, parent, parent command line or
//!   file name contains it, ignoring case;
//! - `field:value` (or `field:"a value"`): that field contains the value;
//! - `field=value`: that field *is* the value, ignoring case (what a chart
//!   bar adds, so a click keeps exactly that host);
//! - `-term`, `-field:value`, `-field=value`: rows that do *not* match;
//! - terms are ANDed.
//!
//! Fields are the projected column names (any case: `DeviceName`,
//! `CertutilAbuse`, ...) and short aliases ([`FIELDS`]): `time`, `host`,
//! `user`, `cmd`, `parent`, `parentcmd`, `file` (the file the row came from),
//! `pattern` (a `SuspiciousPatterns` entry the command line has) and
//! `matched` (any pattern, parent or hardened rule that fired). Inside
//! quotes `""` stands for one `"`; backslashes are plain characters
//! (`"C:\Windows\"` is fine). A value with `\u{..}` also matches the
//! escaped text the table shows for control and bidi characters.
//!
//! Text that only looks like a field is left alone: `C:\Windows`, `https://x`
//! and `a=b` (an unknown name before `=`) are plain words. An unknown name
//! before `:` (`hots:srv`), an empty value, a lone `-` or an unclosed quote
//! is a [`QueryError`] with its position, which the page shows under the box
//! (the rows are then filtered as if the box were empty).
//!
//! ```
//! use cmdhunt_web::query::{parse, Field};
//! let q = parse(r#"reg -host=srv-01 parent:"word""#).expect("query");
//! assert_eq!(q.terms.len(), 3);
//! assert_eq!(q.terms[1].field, Some(Field::DeviceName));
//! assert!(q.terms[1].negated);
//! assert!(parse("hots:srv").is_err());
//! ```

use cmdhunt_core::display::{display_safe, needs_escape};
use cmdhunt_core::rule::{FLAGS, SUSPICIOUS_PARENTS, SUSPICIOUS_PATTERNS};
use cmdhunt_core::scan::FlaggedRow;
use cmdhunt_core::time::Timestamp;
use cmdhunt_core::tuning::Config;
use cmdhunt_core::why::Names;

/// What a field term looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `Timestamp`, as the table shows it.
    Timestamp,
    /// `DeviceName`.
    DeviceName,
    /// `AccountName`.
    AccountName,
    /// `ProcessCommandLine`.
    ProcessCommandLine,
    /// `InitiatingProcessFileName`.
    InitiatingProcessFileName,
    /// `InitiatingProcessCommandLine`.
    InitiatingProcessCommandLine,
    /// One of the five flags (rule order), `true` or `false`.
    Flag(usize),
    /// The name of the file the row came from.
    File,
    /// A `SuspiciousPatterns` entry the command line has.
    Pattern,
    /// Any pattern, parent or hardened rule that fired.
    Matched,
}

/// Every field name the box knows (lowercase), with its field. The
/// projected column names come first, then the aliases.
pub const FIELDS: [(&str, Field); 26] = [
    ("timestamp", Field::Timestamp),
    ("devicename", Field::DeviceName),
    ("accountname", Field::AccountName),
    ("processcommandline", Field::ProcessCommandLine),
    (
        "initiatingprocessfilename",
        Field::InitiatingProcessFileName,
    ),
    (
        "initiatingprocesscommandline",
        Field::InitiatingProcessCommandLine,
    ),
    ("certutilabuse", Field::Flag(0)),
    ("scheduledtask", Field::Flag(1)),
    ("usercreation", Field::Flag(2)),
    ("shadowdelete", Field::Flag(3)),
    ("suspiciousparent", Field::Flag(4)),
    ("sourcefile", Field::File),
    ("time", Field::Timestamp),
    ("host", Field::DeviceName),
    ("device", Field::DeviceName),
    ("user", Field::AccountName),
    ("account", Field::AccountName),
    ("cmd", Field::ProcessCommandLine),
    ("cmdline", Field::ProcessCommandLine),
    ("parent", Field::InitiatingProcessFileName),
    ("parentcmd", Field::InitiatingProcessCommandLine),
    ("file", Field::File),
    ("pattern", Field::Pattern),
    ("patterns", Field::Pattern),
    ("matched", Field::Matched),
    ("why", Field::Matched),
];

impl Field {
    /// The field called `name` (any case).
    pub fn from_name(name: &str) -> Option<Field> {
        let lower = name.to_ascii_lowercase();
        FIELDS.iter().find(|(n, _)| *n == lower).map(|(_, f)| *f)
    }

    /// The short name the page writes for it (`host`, `pattern`...).
    pub fn alias(self) -> &'static str {
        match self {
            Field::Timestamp => "time",
            Field::DeviceName => "host",
            Field::AccountName => "user",
            Field::ProcessCommandLine => "cmd",
            Field::InitiatingProcessFileName => "parent",
            Field::InitiatingProcessCommandLine => "parentcmd",
            Field::Flag(f) => FLAGS.get(f).map_or("flag", |d| d.name),
            Field::File => "file",
            Field::Pattern => "pattern",
            Field::Matched => "matched",
        }
    }
}

/// How a term compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// The text contains the value (`word`, `field:value`).
    Contains,
    /// The text is the value (`field=value`).
    Equals,
}

/// One term of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// `-`: rows that do not match.
    pub negated: bool,
    /// The field, `None` for a plain word (any text column, time, file name).
    pub field: Option<Field>,
    /// How it compares.
    pub op: Op,
    /// The value, lowercased.
    pub value: String,
    /// Where the term is in the text (bytes, `start..end`).
    pub span: (usize, usize),
}

/// A parsed search: every term must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    /// The terms, in the order written.
    pub terms: Vec<Term>,
}

/// Why the text is not a query, and where (a character position, from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// Character position of the problem, counted from 1.
    pub column: usize,
    /// What is wrong, in words.
    pub message: String,
}

impl core::fmt::Display for QueryError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "search, character {}: {}", self.column, self.message)
    }
}

/// Parse the search box's text (empty text: an empty query, every row).
pub fn parse(text: &str) -> Result<Query, QueryError> {
    let mut terms = Vec::new();
    let mut i = 0;
    let b = text.as_bytes();
    let err = |at: usize, message: String| QueryError {
        column: text[..at.min(text.len())].chars().count() + 1,
        message,
    };
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let negated = b[i] == b'-';
        if negated {
            i += 1;
            if i == b.len() || b[i].is_ascii_whitespace() {
                return Err(err(
                    start,
                    "a lone \"-\" excludes nothing: write -word or -field:value (quote \"-\" to search for a dash)".into(),
                ));
            }
        }
        // A field name: ASCII letters, digits and '_', starting with a letter.
        let name_end = if b[i].is_ascii_alphabetic() {
            i + b[i..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count()
        } else {
            i
        };
        let op_at = name_end;
        let field_term = if name_end > i && op_at < b.len() && matches!(b[op_at], b':' | b'=') {
            let name = &text[i..name_end];
            let after = b.get(op_at + 1).copied();
            match Field::from_name(name) {
                Some(field) => Some((field, b[op_at])),
                // `C:\x`, `https://x`, `a=b`: plain text.
                None if b[op_at] == b'='
                    || name.len() == 1
                    || matches!(after, Some(b'/' | b'\\')) =>
                {
                    None
                }
                None => {
                    return Err(err(
                        i,
                        format!(
                            "no field called {name:?}; fields: host, user, cmd, parent, parentcmd, time, file, pattern, matched or a column name (to search for the text, quote it: \"{name}:...\")"
                        ),
                    ))
                }
            }
        } else {
            None
        };
        let (field, op, value_at) = match field_term {
            Some((field, op)) => (
                Some(field),
                if op == b'=' { Op::Equals } else { Op::Contains },
                op_at + 1,
            ),
            None => (None, Op::Contains, i),
        };
        let was_quoted = b.get(value_at) == Some(&b'"');
        let (value, end) = if was_quoted {
            quoted(text, value_at).map_err(|at| {
                err(
                    at,
                    "this quote is never closed (write \"\" for a quote inside quotes)".into(),
                )
            })?
        } else {
            let end = value_at
                + b[value_at..]
                    .iter()
                    .take_while(|c| !c.is_ascii_whitespace())
                    .count();
            (text[value_at..end].to_owned(), end)
        };
        if end < b.len() && !b[end].is_ascii_whitespace() {
            return Err(err(
                end,
                "text right after a closing quote: leave a space between terms".into(),
            ));
        }
        if let Some(f) = field {
            if value.is_empty() && !(was_quoted && op == Op::Equals) {
                return Err(err(
                    value_at,
                    format!(
                        "{}: needs a value (write {}=\"\" for an empty one)",
                        &text[if negated { start + 1 } else { start }..op_at],
                        f.alias()
                    ),
                ));
            }
        }
        terms.push(Term {
            negated,
            field,
            op,
            value: value.to_lowercase(),
            span: (start, end),
        });
        i = end;
    }
    Ok(Query { terms })
}

/// The quoted string starting at byte `at` (a `"`): its text (`""` read as
/// `"`) and the byte after the closing quote; `Err(at)` when never closed.
fn quoted(text: &str, at: usize) -> Result<(String, usize), usize> {
    let mut out = String::new();
    let mut chars = text[at + 1..].char_indices().peekable();
    while let Some((k, c)) = chars.next() {
        if c == '"' {
            if chars.peek().map(|(_, d)| *d) == Some('"') {
                chars.next();
                out.push('"');
                continue;
            }
            return Ok((out, at + 1 + k + 1));
        }
        out.push(c);
    }
    Err(at)
}

/// `value` as the box writes it: bare when it is a single plain word, else
/// in quotes with `""` for each `"`.
pub fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c.is_control());
    if plain {
        value.to_owned()
    } else {
        format!("\"{}\"", value.replace('"', "\"\""))
    }
}

/// The term a chart bar stands for: `field=value` (exact, any case).
pub fn equals_term(field: Field, value: &str) -> String {
    format!("{}={}", field.alias(), quote(value))
}

/// The search text with the term `field=value` added at the end, or, when
/// such a term (not negated, any case) is already there, removed: what a
/// chart bar's click does to the box.
pub fn toggle_equals(search: &str, field: Field, value: &str) -> String {
    let lower = value.to_lowercase();
    if let Ok(q) = parse(search) {
        if let Some(t) = q.terms.iter().find(|t| {
            !t.negated && t.field == Some(field) && t.op == Op::Equals && t.value == lower
        }) {
            let (a, b) = t.span;
            let joined = format!("{} {}", search[..a].trim_end(), search[b..].trim_start());
            return joined.trim().to_owned();
        }
    }
    let term = equals_term(field, value);
    if search.trim().is_empty() {
        term
    } else {
        format!("{} {term}", search.trim_end())
    }
}

/// What a query needs besides the row: the files' names (by id) and the
/// names of the rule's lists (for `pattern` and `matched`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// File names, by [`FlaggedRow::file`].
    pub files: Vec<String>,
    /// `SuspiciousPatterns` in use (tuned or the rule's).
    pub patterns: Vec<String>,
    /// `SuspiciousParents` in use.
    pub parents: Vec<String>,
    /// The grid shows local times: a time is matched as shown that way too.
    pub local_time: bool,
}

impl Default for Context {
    /// No file; the rule's own lists.
    fn default() -> Self {
        Context {
            files: Vec::new(),
            patterns: SUSPICIOUS_PATTERNS
                .iter()
                .map(|n| n.value.to_owned())
                .collect(),
            parents: SUSPICIOUS_PARENTS
                .iter()
                .map(|n| n.value.to_owned())
                .collect(),
            local_time: false,
        }
    }
}

impl Context {
    /// Take the lists of `config` (after a tuning change).
    pub fn set_lists(&mut self, config: &Config) {
        self.patterns.clone_from(&config.patterns);
        self.parents.clone_from(&config.parents);
    }

    /// Follow the grid's local-time choice; returns whether it changed.
    pub fn set_local_time(&mut self, on: bool) -> bool {
        std::mem::replace(&mut self.local_time, on) != on
    }
}

/// Minutes east of UTC of the browser's time zone at `t` (0 off the browser).
fn east_minutes(t: Timestamp) -> i32 {
    #[cfg(target_arch = "wasm32")]
    {
        let date = js_sys::Date::new(&crate::columns::unix_ms(t).into());
        -(date.get_timezone_offset() as i32)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = t;
        0
    }
}

/// A query ready to test rows: the query and the list names, taken once.
pub struct Matcher<'a> {
    query: &'a Query,
    context: &'a Context,
    names: Names<'a>,
    /// Per term: could its value occur in a time's text (digits, `-:.tz`)?
    /// The time is formatted for a row only then.
    timelike: Vec<bool>,
}

impl<'a> Matcher<'a> {
    /// Prepare `query` for rows described by `context`.
    pub fn new(query: &'a Query, context: &'a Context) -> Self {
        Matcher {
            query,
            context,
            names: Names::from_lists(&context.patterns, &context.parents),
            timelike: query
                .terms
                .iter()
                .map(|t| t.value.bytes().all(|b| b"0123456789-+:.tz".contains(&b)))
                .collect(),
        }
    }

    /// Whether `row` satisfies every term.
    pub fn matches(&self, row: &FlaggedRow) -> bool {
        self.query
            .terms
            .iter()
            .zip(&self.timelike)
            .all(|(t, &timelike)| self.term(t, timelike, row) != t.negated)
    }

    fn term(&self, t: &Term, timelike: bool, row: &FlaggedRow) -> bool {
        let e = &row.event;
        let file = self
            .context
            .files
            .get(row.file as usize)
            .map_or("", String::as_str);
        let test = |text: &str| compare(text, &t.value, t.op);
        // The time as the grid shows it: UTC, and local when it shows local times.
        let time = || match e.timestamp {
            None => test(""),
            Some(ts) => {
                test(&ts.to_string())
                    || (self.context.local_time
                        && test(&crate::columns::local_text(ts, east_minutes(ts))))
            }
        };
        match t.field {
            None => {
                (timelike && time())
                    || [
                        &e.device_name,
                        &e.account_name,
                        &e.process_command_line,
                        &e.initiating_process_file_name,
                        &e.initiating_process_command_line,
                    ]
                    .into_iter()
                    .any(|s| test(s))
                    || test(file)
            }
            Some(Field::Timestamp) => timelike && time(),
            Some(Field::DeviceName) => test(&e.device_name),
            Some(Field::AccountName) => test(&e.account_name),
            Some(Field::ProcessCommandLine) => test(&e.process_command_line),
            Some(Field::InitiatingProcessFileName) => test(&e.initiating_process_file_name),
            Some(Field::InitiatingProcessCommandLine) => test(&e.initiating_process_command_line),
            Some(Field::Flag(f)) => test(if row.verdict.flags.0.get(f) == Some(&true) {
                "true"
            } else {
                "false"
            }),
            Some(Field::File) => test(file),
            Some(Field::Pattern) => self.names.why(row).patterns.into_iter().any(test),
            Some(Field::Matched) => {
                let why = self.names.why(row);
                why.patterns
                    .into_iter()
                    .chain(why.parents)
                    .chain(why.hardened)
                    .any(test)
            }
        }
    }
}

/// `text` against `value` (lowercase), as stored and, when the value
/// writes an escape, as shown (control and bidi characters escaped).
fn compare(text: &str, value: &str, op: Op) -> bool {
    let one = |text: &str| match op {
        Op::Contains => crate::view::contains_ci(text, value),
        Op::Equals if text.is_ascii() => text.eq_ignore_ascii_case(value),
        Op::Equals => text.to_lowercase() == value,
    };
    one(text)
        || (value.contains("\\u{") && text.chars().any(needs_escape) && one(&display_safe(text)))
}

/// The query in words, for the line under the box (`None` for a plain
/// word or none: the box says it all then).
pub fn describe(query: &Query) -> Option<String> {
    let plain =
        query.terms.len() <= 1 && query.terms.iter().all(|t| t.field.is_none() && !t.negated);
    if plain {
        return None;
    }
    let parts: Vec<String> = query
        .terms
        .iter()
        .map(|t| {
            let what = match (t.field, t.op) {
                (None, _) => format!("any column contains {}", quote(&t.value)),
                (Some(f), Op::Contains) => format!("{} contains {}", f.alias(), quote(&t.value)),
                (Some(f), Op::Equals) => format!("{} is {}", f.alias(), quote(&t.value)),
            };
            if t.negated {
                format!("not ({what})")
            } else {
                what
            }
        })
        .collect();
    Some(format!("Rows where {}.", parts.join(" and ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{sample_csv, scan_all};

    /// (text, terms as (negated, field alias or "", op, value)) or the error column.
    #[test]
    fn parse_table() {
        type T = (bool, &'static str, Op, String);
        type Want = (bool, &'static str, Op, &'static str);
        let ok: &[(&str, &[Want])] = &[
            ("", &[]),
            ("   ", &[]),
            ("RunDLL32", &[(false, "", Op::Contains, "rundll32")]),
            (
                "reg add",
                &[
                    (false, "", Op::Contains, "reg"),
                    (false, "", Op::Contains, "add"),
                ],
            ),
            ("\"reg add\"", &[(false, "", Op::Contains, "reg add")]),
            ("-urlcache", &[(true, "", Op::Contains, "urlcache")]),
            ("\"-urlcache\"", &[(false, "", Op::Contains, "-urlcache")]),
            ("host:SRV-01", &[(false, "host", Op::Contains, "srv-01")]),
            ("HOST=srv-01", &[(false, "host", Op::Equals, "srv-01")]),
            ("DeviceName:x", &[(false, "host", Op::Contains, "x")]),
            ("-user=system", &[(true, "user", Op::Equals, "system")]),
            (
                "parent:\"WINWORD.EXE\" cmd:\"a \"\"b\"\"\"",
                &[
                    (false, "parent", Op::Contains, "winword.exe"),
                    (false, "cmd", Op::Contains, "a \"b\""),
                ],
            ),
            ("host=\"\"", &[(false, "host", Op::Equals, "")]),
            ("C:\\Windows", &[(false, "", Op::Contains, "c:\\windows")]),
            (
                "https://x.test/a",
                &[(false, "", Op::Contains, "https://x.test/a")],
            ),
            ("a=b", &[(false, "", Op::Contains, "a=b")]),
            (
                "x=1 set",
                &[
                    (false, "", Op::Contains, "x=1"),
                    (false, "", Op::Contains, "set"),
                ],
            ),
            ("\"C:\\dir\\\"", &[(false, "", Op::Contains, "c:\\dir\\")]),
            (
                "time:2021-06-23T15",
                &[(false, "time", Op::Contains, "2021-06-23t15")],
            ),
            ("file:mde", &[(false, "file", Op::Contains, "mde")]),
            (
                "pattern=\"reg add\"",
                &[(false, "pattern", Op::Equals, "reg add")],
            ),
            (
                "shadowdelete:true",
                &[(false, "ShadowDelete", Op::Contains, "true")],
            ),
            ("a-b", &[(false, "", Op::Contains, "a-b")]),
        ];
        for (text, want) in ok {
            let q = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let got: Vec<T> = q
                .terms
                .iter()
                .map(|t| {
                    (
                        t.negated,
                        t.field.map_or("", Field::alias),
                        t.op,
                        t.value.clone(),
                    )
                })
                .collect();
            let want: Vec<T> = want
                .iter()
                .map(|&(n, f, op, v)| (n, f, op, v.to_owned()))
                .collect();
            assert_eq!(got, want, "{text}");
        }
        let bad: &[(&str, usize, &str)] = &[
            ("-", 1, "lone"),
            ("reg - add", 5, "lone"),
            ("hots:srv", 1, "no field called \"hots\""),
            ("-hots:srv", 2, "no field"),
            ("host:", 6, "needs a value"),
            ("host= x", 6, "needs a value"),
            ("ok host: x", 9, "needs a value"),
            ("\"reg add", 1, "never closed"),
            ("host:\"srv", 6, "never closed"),
            ("\"a\"b", 4, "right after a closing quote"),
            ("é hots:x", 3, "no field"),
        ];
        for (text, column, words) in bad {
            let e = parse(text).expect_err(text);
            assert_eq!(e.column, *column, "{text}: {e}");
            assert!(e.message.contains(words), "{text}: {e}");
        }
    }

    #[test]
    fn every_field_name_parses_and_columns_are_all_there() {
        for (name, field) in FIELDS {
            assert_eq!(Field::from_name(&name.to_uppercase()), Some(field));
        }
        for col in cmdhunt_core::rule::PROJECTED_COLUMNS {
            assert!(Field::from_name(col).is_some(), "{col}");
        }
    }

    #[test]
    fn toggling_a_bar_adds_then_removes_its_term() {
        for (before, field, value, after) in [
            ("", Field::DeviceName, "srv-01", "host=srv-01"),
            ("reg", Field::DeviceName, "srv 01", "reg host=\"srv 01\""),
            ("reg host=SRV-01 -x", Field::DeviceName, "srv-01", "reg -x"),
            ("host=srv-01", Field::DeviceName, "srv-01", ""),
            (
                "-host=srv-01",
                Field::DeviceName,
                "srv-01",
                "-host=srv-01 host=srv-01",
            ),
            ("a", Field::Pattern, "reg add", "a pattern=\"reg add\""),
            ("a pattern=\"reg add\" b", Field::Pattern, "REG ADD", "a b"),
            ("x", Field::AccountName, "", "x user=\"\""),
            ("x user=\"\"", Field::AccountName, "", "x"),
            ("\"unclosed", Field::DeviceName, "h", "\"unclosed host=h"),
            ("", Field::File, "say \"hi\"", "file=\"say \"\"hi\"\"\""),
        ] {
            let got = toggle_equals(before, field, value);
            assert_eq!(got, after, "{before} + {value}");
        }
        // What is added parses back to the exact value.
        let q = parse(&equals_term(Field::File, "say \"hi\" now")).expect("query");
        assert_eq!(q.terms[0].value, "say \"hi\" now");
    }

    #[test]
    fn matching_on_the_sample() {
        let (_, rows) = scan_all(sample_csv(), 0, None);
        let context = Context {
            files: vec!["contoso-part1.csv".into()],
            ..Context::default()
        };
        let count = |text: &str| {
            let q = parse(text).expect(text);
            let m = Matcher::new(&q, &context);
            rows.iter().filter(|r| m.matches(r)).count()
        };
        let n = rows.len();
        let host = rows[0].event.device_name.clone();
        let with_host = rows
            .iter()
            .filter(|r| r.event.device_name.eq_ignore_ascii_case(&host))
            .count();
        assert!(with_host > 0 && with_host < n);
        let reg_add = rows
            .iter()
            .filter(|r| {
                r.event
                    .process_command_line
                    .to_lowercase()
                    .contains("reg add")
            })
            .count();
        assert!(reg_add > 0);
        let day = rows[0].event.timestamp.expect("time").to_string()[..10].to_owned();
        let on_day = rows
            .iter()
            .filter(|r| {
                r.event
                    .timestamp
                    .is_some_and(|t| t.to_string().starts_with(&day))
            })
            .count();
        let shadow = rows.iter().filter(|r| r.verdict.flags.0[3]).count();
        for (text, want) in [
            ("", n),
            ("contoso-PART1", n),
            ("file:part1", n),
            ("-file:part1", 0),
            (&format!("host={}", host.to_uppercase()), with_host),
            (&format!("-host={host}"), n - with_host),
            (&format!("host={host} -host={host}"), 0),
            ("pattern=\"reg add\"", reg_add),
            ("matched:\"reg add\"", reg_add),
            ("cmd:\"reg add\"", reg_add),
            (&day, on_day),
            (&format!("time:{day}"), on_day),
            ("ShadowDelete=true", shadow),
            ("shadowdelete=false", n - shadow),
            ("no-such-text-anywhere", 0),
        ] {
            assert_eq!(count(text), want, "{text}");
        }
    }

    #[test]
    fn with_local_time_a_time_matches_as_shown_too() {
        let (_, rows) = scan_all(sample_csv(), 0, None);
        let t = rows[0].event.timestamp.expect("time");
        let mut context = Context::default();
        // Natively the zone is UTC: the local text ends in +00:00, not Z.
        let local = crate::columns::local_text(t, 0);
        assert!(local.ends_with("+00:00"), "{local}");
        let q = parse(&format!("time:{local}")).expect("query");
        assert!(!Matcher::new(&q, &context).matches(&rows[0]));
        assert!(context.set_local_time(true) && !context.set_local_time(true));
        assert!(Matcher::new(&q, &context).matches(&rows[0]));
        let utc = parse(&format!("time={t}")).expect("query");
        assert!(
            Matcher::new(&utc, &context).matches(&rows[0]),
            "UTC still matches"
        );
    }

    #[test]
    fn describe_says_what_the_box_does() {
        assert_eq!(describe(&parse("reg").expect("q")), None);
        assert_eq!(
            describe(&parse("reg -host=\"a b\" cmd:x").expect("q")).as_deref(),
            Some(
                "Rows where any column contains reg and not (host is \"a b\") and cmd contains x."
            )
        );
    }
}
