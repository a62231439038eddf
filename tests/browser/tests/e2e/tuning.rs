//! Issue 12 (page): the allowlist suppresses exactly the rows it names,
//! counted per entry as the core counts them (`Allowlist::apply`) and
//! viewable ("show suppressed"); an entry survives a reload
//! (`localStorage`); the config exported as a file, cleared and imported
//! back is the same config; a `#config=` link loads a config (and a bad one
//! shows the core's error with its JSON path); "Export KQL" / "Export
//! Sigma" give the text `cmdhunt rule --config FILE --as kql|sigma` writes.

use cmdhunt_core::results::Window;
use cmdhunt_core::time::Timestamp;
use cmdhunt_core::tuning::{kql, sigma, Config, Field};
use cmdhunt_e2e::page::{config_fragment, Page};
use cmdhunt_e2e::reference::{cell_texts, Reference};
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};

use super::export::download;

/// The config with one allowlist entry: `field =~ value`.
fn entry_config(field: Field, value: &str) -> Result<Config, Error> {
    let json = serde_json::json!({
        "version": 1,
        "allowlist": [{
            "id": "lab-host",
            "reason": "the lab's test host",
            "when": [{"field": field.name(), "match": "=~", "value": value}],
        }],
    });
    Ok(Config::parse(&json.to_string())?)
}

/// Fill the allowlist form and add the entry `field =~ value`.
async fn add_entry(page: &Page, field: Field, value: &str) -> Result<(), Error> {
    page.set_value("allow-new-id", "lab-host").await?;
    page.set_value("allow-new-field", field.name()).await?;
    page.set_value("allow-new-kind", "=~").await?;
    page.set_value("allow-new-value", value).await?;
    page.set_value("allow-new-reason", "the lab's test host")
        .await?;
    page.click("allow-add").await?;
    page.render_barrier().await?;
    Ok(())
}

async fn one_number(page: &Page, id: &str) -> Result<u64, Error> {
    let texts = page.texts(id).await?;
    ensure_eq!(texts.len(), 1, "elements {id}");
    Ok(texts[0].trim().parse()?)
}

async fn allowlist_suppresses_counts_persists_and_round_trips(page: &Page) -> Result<(), Error> {
    let file = super::mde_proc();
    let reference = Reference::scan_one(&file)?;
    let rows = reference.select(&Window::All);
    ensure!(rows.len() > 1, "the file should have flagged rows");
    // The first column of the newest row that splits the rows in two; the
    // core's answer: which rows the entry suppresses, counted.
    let order: Vec<usize> = (0..reference.rows.len()).collect();
    let (field, value, config, applied) = Field::ALL
        .into_iter()
        .find_map(|field| {
            let value = field.of(&rows[0].event).to_owned();
            let config = entry_config(field, &value).ok()?;
            let applied = config
                .allowlist
                .apply(&reference.rows, &order, Timestamp(0));
            (!applied.kept.is_empty() && !applied.suppressed.is_empty())
                .then_some((field, value, config, applied))
        })
        .ok_or("no column of the newest row splits the rows")?;
    let (kept, suppressed) = (applied.kept.len(), applied.suppressed.len());

    page.upload(std::slice::from_ref(&file)).await?;
    page.choose_window("all").await?;
    ensure_eq!(page.settled_count().await?, rows.len(), "rows before");
    add_entry(page, field, &value).await?;
    ensure_eq!(page.settled_count().await?, kept, "rows kept");
    ensure_eq!(
        one_number(page, "allow-count").await?,
        applied.counts[0],
        "entry's count"
    );
    ensure_eq!(
        one_number(page, "suppressed-count").await? as usize,
        suppressed,
        "suppressed"
    );
    page.click("show-suppressed").await?;
    ensure_eq!(
        page.settled_count().await?,
        suppressed,
        "rows shown as suppressed"
    );
    let mut shown = page.rows_range(0, suppressed).await?;
    shown.sort();
    let mut want: Vec<Vec<String>> = applied
        .suppressed
        .iter()
        .map(|&i| {
            let mut cells = cell_texts(&reference.rows[i]);
            cells.push("lab-host".into());
            cells
        })
        .collect();
    want.sort();
    ensure_eq!(shown, want, "the suppressed rows, each with its entry");
    page.click("show-suppressed").await?;
    ensure_eq!(page.settled_count().await?, kept, "kept rows again");

    // Reload: the entry is still there (localStorage), and applies again.
    page.reopen().await?;
    ensure_eq!(
        page.texts("allow-id").await?,
        vec!["lab-host".to_owned()],
        "entry after reload"
    );
    page.upload(std::slice::from_ref(&file)).await?;
    page.choose_window("all").await?;
    ensure_eq!(page.settled_count().await?, kept, "rows kept after reload");

    // Export, reset, import: the same config.
    let exported = download(page, "export-config", "cmdhunt-config.json").await?;
    ensure_eq!(Config::parse(&exported)?, config, "exported config");
    page.click("reset-config").await?;
    page.render_barrier().await?;
    ensure!(
        page.texts("allow-id").await?.is_empty(),
        "entries after reset"
    );
    ensure_eq!(page.settled_count().await?, rows.len(), "rows after reset");
    let saved = cmdhunt_e2e::tmp::TempDir::new("config")?;
    let path = saved.path().join("cmdhunt-config.json");
    std::fs::write(&path, &exported)?;
    page.pick_into("import-config", &path).await?;
    page.until(
        "the imported entry",
        std::time::Duration::from_secs(10),
        || async {
            Ok((page.texts("allow-id").await? == vec!["lab-host".to_owned()]).then_some(()))
        },
    )
    .await?;
    ensure_eq!(page.settled_count().await?, kept, "rows kept after import");

    // A malformed config: the core's error with its JSON path; nothing changes.
    std::fs::write(&path, r#"{"version": 1, "allowlist": [{"id": "x"}]}"#)?;
    page.pick_into("import-config", &path).await?;
    page.until(
        "the import error",
        std::time::Duration::from_secs(10),
        || async {
            let e = page.texts("config-error").await?.join("");
            Ok(e.contains("$.allowlist[0]").then_some(()))
        },
    )
    .await?;
    ensure_eq!(
        page.texts("allow-id").await?,
        vec!["lab-host".to_owned()],
        "entry after a bad import"
    );
    Ok(())
}

on_both_targets!(allowlist_suppresses_counts_persists_and_round_trips);

pub(crate) mod link {
    use super::*;

    async fn a_link_loads_a_config_and_the_rule_exports_follow(page: &Page) -> Result<(), Error> {
        let mut config = entry_config(Field::DeviceName, "build01")?;
        config.patterns.push("whoami /all".into());
        config.parents.retain(|p| p != "winword.exe");
        let config = Config::parse(&config.to_json())?;
        page.reopen_with_fragment(&config_fragment(&config)).await?;
        page.until(
            "the linked config",
            std::time::Duration::from_secs(10),
            || async {
                Ok((page.texts("allow-id").await? == vec!["lab-host".to_owned()]).then_some(()))
            },
        )
        .await?;
        let patterns = page.texts("rule-patterns").await?.join("");
        ensure!(
            patterns.contains("whoami /all"),
            "rule panel's patterns: {patterns:?}"
        );
        let parents = page.texts("rule-parents").await?.join("");
        ensure!(
            !parents.contains("winword.exe"),
            "rule panel's parents: {parents:?}"
        );
        let shown_kql = page.texts("kql").await?.join("");
        let want_kql = kql::render(&config, Timestamp(0));
        ensure_eq!(shown_kql, want_kql, "the rule panel's KQL");
        ensure_eq!(
            download(page, "export-kql", "cmdhunt-rule.kql").await?,
            want_kql,
            "Export KQL"
        );
        ensure_eq!(
            download(page, "export-sigma", "cmdhunt-rule.yml").await?,
            sigma::render(&config, Timestamp(0)),
            "Export Sigma"
        );
        // The page's own link carries the same config.
        page.click("config-link").await?;
        page.render_barrier().await?;
        let hash: String = serde_json::from_value(page.js("return location.hash;", vec![]).await?)?;
        ensure!(hash.starts_with("#config="), "{hash:?}");
        page.reopen_with_fragment(&hash).await?;
        let exported = download(page, "export-config", "cmdhunt-config.json").await?;
        ensure_eq!(
            Config::parse(&exported)?,
            config,
            "config after the page's own link"
        );

        // A link with a config this build cannot read says why (its JSON path).
        page.reopen_with_fragment("#config=%7B%22version%22%3A%202%7D")
            .await?;
        page.until(
            "the link's error",
            std::time::Duration::from_secs(10),
            || async {
                let e = page.texts("config-error").await?.join("");
                Ok(e.contains("$.version").then_some(()))
            },
        )
        .await?;
        Ok(())
    }

    on_both_targets!(a_link_loads_a_config_and_the_rule_exports_follow);
}

pub(crate) mod lists {
    use super::*;
    use cmdhunt_core::matcher::CompiledRule;
    use cmdhunt_core::rule::SUSPICIOUS_PATTERNS;

    async fn removing_a_pattern_rescans_with_the_tuned_rule(page: &Page) -> Result<(), Error> {
        let file = super::super::mde_proc();
        let published = Reference::scan_one(&file)?;
        // The first pattern some row of the file matched.
        let i = (0..SUSPICIOUS_PATTERNS.len())
            .find(|&i| {
                published
                    .rows
                    .iter()
                    .any(|r| r.verdict.patterns & (1 << i) != 0)
            })
            .ok_or("no pattern matched a row of the file")?;
        let mut config = Config::default();
        config.patterns.remove(i);
        let rule = CompiledRule::from_lists(&config.patterns, &config.parents)
            .map_err(|e| e.to_string())?;
        let tuned = Reference::scan_tuned(std::slice::from_ref(&file), &rule)?;
        ensure!(
            tuned.count_all_time() < published.count_all_time(),
            "removing {:?} should lose rows",
            SUSPICIOUS_PATTERNS[i].value
        );

        page.upload(std::slice::from_ref(&file)).await?;
        page.choose_window("all").await?;
        ensure_eq!(
            page.settled_count().await?,
            published.count_all_time(),
            "rows before"
        );
        page.click(&format!("pattern-remove-{i}")).await?;
        page.render_barrier().await?;
        page.wait_files(1).await?;
        ensure_eq!(
            page.settled_count().await?,
            tuned.count_all_time(),
            "rows with the tuned lists"
        );
        let patterns = page.texts("rule-patterns").await?.join("");
        ensure_eq!(
            patterns,
            config.patterns.join(", "),
            "the rule panel's SuspiciousPatterns"
        );
        let kql = page.texts("kql").await?.join("");
        ensure_eq!(
            kql,
            kql::render(&config, Timestamp(0)),
            "the rule panel's KQL"
        );
        // Added back (at the end): the published rows again.
        page.set_value("pattern-new", SUSPICIOUS_PATTERNS[i].value)
            .await?;
        page.click("pattern-add").await?;
        page.render_barrier().await?;
        page.wait_files(1).await?;
        ensure_eq!(
            page.settled_count().await?,
            published.count_all_time(),
            "rows after re-adding"
        );
        Ok(())
    }

    on_both_targets!(removing_a_pattern_rescans_with_the_tuned_rule);
}
