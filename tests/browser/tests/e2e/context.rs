//! The detail panel's process context on a real Sysmon log where the parent
//! chain exists (the Atomic Red Team run): before the second read, the
//! parent is the row's own fields'; after "Chain, nearby events and
//! children", the chain, the children, the nearby events and what was cut
//! are exactly `cmdhunt_core::context`'s for that row (a `ContextScan` over
//! the same file, run here), and the grandparent is the chain's.

use std::time::Duration;

use cmdhunt_core::context::{ContextScan, ProcessContext, Relative, Subject};
use cmdhunt_core::display::display_safe;
use cmdhunt_core::results::Window;
use cmdhunt_core::scan::FlaggedRow;
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};
use serde_json::{json, Value};

/// The core's context of `row` in the file at `bytes`.
fn core_context(bytes: &[u8], row: &FlaggedRow) -> ProcessContext {
    let mut scan = ContextScan::new(Subject::of(row), None);
    for chunk in bytes.chunks(64 << 10) {
        scan.push(chunk);
    }
    scan.finish()
}

/// What the section shows: for `testid`, each element's `data-record`
/// (or `data-pid`, `data-cut`) and its `.image` text.
const READ_JS: &str = r#"
const q = (id) => Array.from(document.querySelectorAll(`[data-testid="${id}"]`));
const items = (id) => q(id).map(e => [Number(e.dataset.record), (e.querySelector('.image') || {}).textContent || '']);
const one = (id) => { const e = q(id)[0]; return e ? { pid: e.dataset.pid ?? null, text: e.textContent, cut: e.dataset.cut ?? null, shown: e.dataset.shown ?? null, image: (e.querySelector('.image') || {}).textContent ?? null } : null; };
return {
  parent: one('context-parent'), grandparent: one('context-grandparent'),
  chain: items('context-link'), children: items('context-child'),
  nearby: q('context-near').map(e => Number(e.dataset.record)),
  childrenCount: one('context-children-count'), nearbyCount: one('context-nearby-count'),
  found: q('context-found').length, error: q('context-error').map(e => e.textContent),
};"#;

async fn read(page: &Page) -> Result<Value, Error> {
    page.js(READ_JS, vec![]).await
}

fn check_relative(shown: &Value, want: &Relative, what: &str) -> Result<(), Error> {
    if want.file_name.is_empty() {
        let text = shown["text"].as_str().unwrap_or_default();
        ensure!(
            text.starts_with("not known"),
            "{what}: not known, shown {text:?}"
        );
        return Ok(());
    }
    ensure_eq!(
        shown["image"].as_str(),
        Some(display_safe(&want.file_name).as_str()),
        "{what}: image"
    );
    ensure_eq!(
        shown["pid"].as_str().map(str::to_owned),
        want.pid.map(|p| p.to_string()),
        "{what}: pid"
    );
    let text = shown["text"].as_str().unwrap_or_default();
    ensure!(
        text.contains(&display_safe(&want.command_line)),
        "{what}: command line {:?} in {text:?}",
        want.command_line
    );
    Ok(())
}

/// Open the detail of the only row `search` leaves, check the section against
/// the core's context of `row`, before and after the second read.
async fn check_row(
    page: &Page,
    search: &str,
    bytes: &[u8],
    row: &FlaggedRow,
    shot: Option<&str>,
) -> Result<(), Error> {
    // A search that leaves the row alone; empty: the first row shown.
    if !search.is_empty() {
        page.set_value("search", search).await?;
        page.until("one row", Duration::from_secs(10), || async {
            Ok((page.flagged_count().await? == 1).then_some(()))
        })
        .await?;
        page.until("the row", Duration::from_secs(10), || async {
            Ok((page.texts("result-row").await?.len() == 1).then_some(()))
        })
        .await?;
    }
    page.click("result-row").await?;
    let want = core_context(bytes, row);
    // At once: the row's own fields.
    let before = page
        .until("the process context", Duration::from_secs(10), || async {
            let v = read(page).await?;
            Ok((!v["parent"].is_null()).then_some(v))
        })
        .await?;
    check_relative(
        &before["parent"],
        &want.subject.parent,
        "parent from the row",
    )?;
    check_relative(
        &before["grandparent"],
        &want.subject.grandparent,
        "grandparent from the row",
    )?;
    ensure_eq!(before["found"], json!(0), "nothing read yet");
    // On demand: the worker's second read.
    page.click("context-load").await?;
    let after = page
        .until("the second read", Duration::from_secs(60), || async {
            let v = read(page).await?;
            Ok(
                (v["found"] == json!(1) || v["error"].as_array().is_some_and(|e| !e.is_empty()))
                    .then_some(v),
            )
        })
        .await?;
    ensure_eq!(after["error"], json!([]), "no error");
    let links = |list: &[cmdhunt_core::context::Process]| -> Value {
        json!(list
            .iter()
            .map(|p| json!([p.position.record, display_safe(&p.file_name)]))
            .collect::<Vec<_>>())
    };
    ensure_eq!(after["chain"], links(&want.chain), "chain (record, image)");
    ensure_eq!(
        after["children"],
        links(&want.children),
        "children (record, image)"
    );
    ensure_eq!(
        after["childrenCount"]["cut"],
        json!(want.children_cut.to_string()),
        "children cut"
    );
    let near: Vec<u64> = want.nearby.iter().map(|n| n.position.record).collect();
    ensure_eq!(
        after["nearby"],
        json!(near),
        "nearby events (records, in time order)"
    );
    ensure_eq!(
        after["nearbyCount"]["cut"],
        json!(want.nearby_cut.to_string()),
        "nearby cut"
    );
    check_relative(&after["parent"], &want.parent(), "parent")?;
    check_relative(
        &after["grandparent"],
        &want.grandparent(),
        "grandparent from the chain",
    )?;
    if let Some(name) = shot {
        let js = "document.querySelector('[data-testid=\"context\"]').scrollIntoView();";
        page.js(js, vec![]).await?;
        page.screenshot(&super::screenshot_path(name)).await?;
    }
    page.click("detail-close").await?;
    Ok(())
}

async fn context_section_is_the_cores_context(page: &Page) -> Result<(), Error> {
    let file = super::sysmon_evtx();
    let bytes = std::fs::read(&file)?;
    let reference = Reference::scan_one(&file)?;
    page.upload(std::slice::from_ref(&file)).await?;
    page.wait_files(1).await?;
    page.choose_window("all").await?;
    let rows = reference.select(&Window::All);
    // The newest row: a chain two levels deep (powershell.exe, then cmd.exe)
    // and one child, reg.exe; an earlier child of a process with the same
    // pid is not its child.
    let newest = rows[0];
    let ctx = core_context(&bytes, newest);
    ensure!(
        ctx.chain.len() >= 2 && !ctx.children.is_empty(),
        "the newest row has a chain and children"
    );
    check_row(page, "SYSTEM_HIVE", &bytes, newest, Some("context.png")).await?;
    // The ping sweep: more children and nearby events than are kept.
    let sweep = rows
        .iter()
        .find(|r| r.event.process_command_line.contains("for /l"))
        .ok_or("the ping sweep row")?;
    let ctx = core_context(&bytes, sweep);
    ensure!(
        ctx.children_cut > 0 && ctx.nearby_cut > 0,
        "the sweep's context is cut"
    );
    check_row(page, "for /l", &bytes, sweep, None).await?;
    // A Defender export names the grandparent in the row itself
    // (InitiatingProcessParent*): shown before any second read.
    page.reopen().await?;
    let file = super::mde_proc();
    let bytes = std::fs::read(&file)?;
    let reference = Reference::scan_one(&file)?;
    page.upload(std::slice::from_ref(&file)).await?;
    page.wait_files(1).await?;
    page.choose_window("all").await?;
    let newest = reference.select(&Window::All)[0];
    ensure!(
        !Subject::of(newest).grandparent.file_name.is_empty(),
        "the Defender row names its grandparent"
    );
    check_row(page, "", &bytes, newest, None).await?;
    vanished(page).await
}

/// A file deleted after it was scanned: the second read says why it
/// stopped, and that it did not meet the row.
async fn vanished(page: &Page) -> Result<(), Error> {
    page.reopen().await?;
    let dir = cmdhunt_e2e::tmp::TempDir::new("context")?;
    let copy = dir.write("vanishing.evtx", &std::fs::read(super::sysmon_evtx())?)?;
    page.upload(std::slice::from_ref(&copy)).await?;
    page.wait_files(1).await?;
    page.choose_window("all").await?;
    std::fs::remove_file(&copy)?;
    page.click("result-row").await?;
    page.until("the context section", Duration::from_secs(10), || async {
        Ok((!page.texts("context-load").await?.is_empty()).then_some(()))
    })
    .await?;
    page.click("context-load").await?;
    let errors = page
        .until("the read error", Duration::from_secs(60), || async {
            let e = page.texts("context-error").await?;
            Ok((!e.is_empty()).then_some(e))
        })
        .await?;
    ensure!(
        errors
            .iter()
            .any(|e| e.contains("could not be read") && e.contains("NotFoundError")),
        "the error names the cause: {errors:?}"
    );
    ensure_eq!(
        page.texts("context-missing").await?.len(),
        1,
        "the row was not met"
    );
    Ok(())
}

on_both_targets!(context_section_is_the_cores_context);
