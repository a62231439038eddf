//! Issue 12 item 5's browser test: the validation view ("Validate against
//! the seed's tests") over real Atomic Red Team logs shows exactly what
//! `cmdhunt validate --format json` reports for the same files.

use std::path::PathBuf;
use std::time::Duration;

use cmdhunt_core::display::display_safe;
use cmdhunt_core::validation::Report;
use cmdhunt_e2e::page::{config_fragment, Page};
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, paths, reference, Error};
use serde_json::Value;

/// Sysmon logs of Atomic Red Team runs (vssadmin, schtasks, certutil), a
/// Security log with a command-line account creation (4720, 4732) and a
/// Defender export (connections, task and account events).
fn atomic_files() -> Vec<PathBuf> {
    vec![
        super::sysmon_evtx(),
        paths::shared_data(
            "sysmon-evtx/AutomatedTestingTools/panache_sysmon_vs_EDRTestingScript.evtx",
        ),
        paths::shared_data(
            "security-4688/TA0003-Persistence/T1136-Create account/ID4688-User creation via commandline.evtx",
        ),
        paths::shared_data("defender/advanced_hunting_test.csv"),
    ]
}

/// Per test, what the page's table shows: `number`, each signal's
/// `[mark, expected, count, first, close]`, the rule's line and its first row.
const TABLE_JS: &str = r#"
  const t = (root, id) => { const e = root.querySelector(`[data-testid="${id}"]`); return e ? e.textContent : null; };
  return Array.from(document.querySelectorAll('[data-testid^="vtest-"]'), test => ({
    number: Number(test.dataset.testid.slice(6)),
    signals: Array.from(test.querySelectorAll('[data-testid="vsignal"]'), s =>
      [t(s, 'vmark'), t(s, 'vexpected'), t(s, 'vcount'), t(s, 'vfirst'), t(s, 'vclose')]),
    rule: t(test, 'vrule'),
    rule_first: t(test, 'vrule-first'),
  }));"#;

/// The same, from the core's report, as the CLI's table words it.
fn expected_table(report: &Report) -> Value {
    let tests: Vec<Value> = report
        .tests
        .iter()
        .map(|t| {
            let signals: Vec<Value> = t
                .signals
                .iter()
                .map(|s| {
                    serde_json::json!([
                        if s.present { "yes" } else { "NO" },
                        s.expected,
                        s.count.to_string(),
                        s.first.as_ref().map(|e| display_safe(&e.to_string())),
                        s.note.as_deref().map(display_safe),
                    ])
                })
                .collect();
            let r = &t.rule;
            let rule = if r.fired {
                let more = if r.suppressed > 0 {
                    format!(" ({} more suppressed by the allowlist)", r.suppressed)
                } else {
                    String::new()
                };
                format!("{} fired on {} rows{more}", r.flag, r.rows)
            } else {
                format!(
                    "{} did not fire: {}",
                    r.flag,
                    display_safe(r.reason.as_deref().unwrap_or(""))
                )
            };
            serde_json::json!({
                "number": t.test.number,
                "signals": signals,
                "rule": rule,
                "rule_first": r.first.as_ref().filter(|_| r.fired).map(|e| display_safe(&e.to_string())),
            })
        })
        .collect();
    Value::Array(tests)
}

/// Wait until every file is in the validation table; its JSON.
async fn table_json(page: &Page) -> Result<String, Error> {
    page.until(
        "the validation table of every file",
        Duration::from_secs(60),
        || async {
            let left_out = page.texts("validation-left-out").await?;
            let json = page.texts("validation-json").await?;
            Ok((left_out.is_empty() && json.len() == 1).then(|| json.concat()))
        },
    )
    .await
}

/// Drop the logs, turn validation on (every file is read again), and
/// require the page's table and its JSON to be the core's (`cmdhunt
/// validate --format json` on the same files), and the logs to show what the
/// README says they hold.
async fn the_table_is_cmdhunt_validates(page: &Page) -> Result<(), Error> {
    let files = atomic_files();
    let (report, names) = reference::validate(&files)?;
    page.reopen().await?;
    page.upload(&files).await?;
    ensure!(
        page.texts("validation-json").await?.is_empty(),
        "no table before validation is asked for"
    );
    page.click("validate-toggle").await?;
    page.render_barrier().await?;
    page.wait_files(files.len()).await?;
    let json = table_json(page).await?;
    ensure_eq!(
        json,
        display_safe(&report.to_json(&names)),
        "the page's JSON is cmdhunt validate --format json"
    );
    let table = page.js(TABLE_JS, vec![]).await?;
    ensure_eq!(
        table,
        expected_table(&report),
        "the page's table is cmdhunt validate's"
    );
    // What the logs hold (README, "Validation"): vssadmin run with `.exe`,
    // so ShadowDelete does not fire; ScheduledTask fires; 4720 is there.
    let t = &report.tests;
    ensure!(
        t[1].signals[0].present && !t[1].rule.fired,
        "test 2: {:?}",
        t[1]
    );
    ensure!(t[2].rule.fired, "test 3: {:?}", t[2]);
    ensure!(t[3].signals[1].present, "test 4: {:?}", t[3]);
    ensure_eq!(
        page.texts("validation-files").await?.concat(),
        names
            .iter()
            .enumerate()
            .map(|(i, n)| format!("file {i}: {n}"))
            .collect::<String>(),
        "the table's files, in the order dropped"
    );
    page.js(
        "document.querySelector('[data-testid=\"validation\"]').scrollIntoView();",
        vec![],
    )
    .await?;
    page.screenshot(&super::screenshot_path(&format!(
        "validation-{}.png",
        page.label().replace(' ', "-")
    )))
    .await?;
    // Off: the table goes; on again: back.
    page.click("validate-toggle").await?;
    page.render_barrier().await?;
    ensure!(
        page.texts("validation-json").await?.is_empty(),
        "validation off hides the table"
    );
    page.click("validate-toggle").await?;
    page.render_barrier().await?;
    ensure_eq!(
        page.texts("validation-json").await?.concat(),
        display_safe(&report.to_json(&names)),
        "validation on again"
    );
    Ok(())
}

on_both_targets!(the_table_is_cmdhunt_validates);

/// With a config: the page's allowlist is judged as `cmdhunt validate
/// --config` judges it.
mod config {
    use super::*;
    use cmdhunt_core::tuning::Config;

    /// An allowlist entry that hides the scheduled-task rows of the logs.
    const CONFIG: &str = r#"{"version": 1, "allowlist": [{"id": "deploy-tasks",
        "reason": "deployment scripts create tasks",
        "when": [{"field": "ProcessCommandLine", "match": "has", "value": "schtasks"}]}]}"#;

    /// A page opened with the config's link, validation switched on before
    /// the logs are dropped (each file validated as it is first scanned):
    /// the table and JSON = `cmdhunt validate --config` on the same files:
    /// test 3's rows counted as suppressed, its reason naming the entry.
    async fn the_allowlist_is_judged_as_validate_config_does(page: &Page) -> Result<(), Error> {
        let files = atomic_files();
        let config = Config::parse(CONFIG)?;
        let (report, names) = reference::validate_with(&files, Some(&config))?;
        let test3 = &report.tests[2].rule;
        ensure!(
            !test3.fired && test3.suppressed > 0,
            "the entry should hide test 3's rows: {test3:?}"
        );
        ensure!(
            test3
                .reason
                .as_deref()
                .unwrap_or("")
                .contains("deploy-tasks"),
            "{test3:?}"
        );
        page.reopen_with_fragment(&config_fragment(&config)).await?;
        page.until("the linked config", Duration::from_secs(10), || async {
            Ok((page.texts("allow-id").await? == vec!["deploy-tasks".to_owned()]).then_some(()))
        })
        .await?;
        page.click("validate-toggle").await?;
        page.render_barrier().await?;
        page.upload(&files).await?;
        let json = table_json(page).await?;
        ensure_eq!(
            json,
            display_safe(&report.to_json(&names)),
            "the page's JSON is cmdhunt validate --config --format json"
        );
        let table = page.js(TABLE_JS, vec![]).await?;
        ensure_eq!(
            table,
            expected_table(&report),
            "the page's table is cmdhunt validate --config's"
        );
        Ok(())
    }

    on_both_targets!(the_allowlist_is_judged_as_validate_config_does);
}
