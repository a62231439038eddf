//! Issue 13, item 6 (contrast, done-when: "axe-style contrast check
//! passes"): with two real exports read and a row's detail open, every
//! visible text on the page reaches WCAG's 4.5:1 (3:1 for large text)
//! against its effective background, in the light theme, the dark theme
//! (`prefers-color-scheme: dark`) and at 390 px, light and dark
//! ([`cmdhunt_e2e::contrast`]); then, desktop, light and dark, with a flag
//! chip pressed, with identical rows grouped, and in hardened mode. The grey "false" of the flag cells was
//! 3.74:1 (#7b8591 on white) before the theme's fix.

use cmdhunt_e2e::contrast::{self, offenders};
use cmdhunt_e2e::emulation::{set_theme, set_viewport, Theme, Viewport};
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::{ensure, on_both_targets, scene, Error};

/// Check the page in both themes (desktop), adding what fails to `failures`.
async fn check_both(page: &Page, what: &str, failures: &mut Vec<String>) -> Result<(), Error> {
    for theme in Theme::BOTH {
        set_theme(page, theme).await?;
        let found = offenders(page).await?;
        if !found.is_empty() {
            failures.push(format!(
                "{} theme, {what}:\n{}",
                theme.name(),
                contrast::report(&found)
            ));
        }
    }
    Ok(())
}

async fn every_text_reaches_its_contrast(page: &Page) -> Result<(), Error> {
    scene::triage(page).await?;
    let mut failures = Vec::new();
    for viewport in [Viewport::Desktop, Viewport::Phone] {
        set_viewport(page, viewport).await?;
        for theme in Theme::BOTH {
            set_theme(page, theme).await?;
            // The check must have looked at the flag cells ("false" included).
            let falses = page
                .js(
                    "return document.querySelectorAll('td.flag.off').length;",
                    vec![],
                )
                .await?;
            ensure!(
                falses.as_u64().unwrap_or(0) > 0,
                "the table should show flag cells reading false"
            );
            // The theme is really applied: the page's background follows it.
            let bg = page
                .js(
                    "const c = getComputedStyle(document.documentElement).backgroundColor.match(/\\d+/g).slice(0, 3).map(Number); return c[0] + c[1] + c[2];",
                    vec![],
                )
                .await?
                .as_u64()
                .unwrap_or(0);
            ensure!(
                (theme == Theme::Dark) == (bg < 200),
                "{} theme: the page's background sums to {bg} (of 765)",
                theme.name()
            );
            let found = offenders(page).await?;
            if !found.is_empty() {
                failures.push(format!(
                    "{} theme, {}:\n{}",
                    theme.name(),
                    viewport.name(),
                    contrast::report(&found)
                ));
            }
        }
    }
    // More states, both themes: a flag chip pressed; identical rows
    // grouped; hardened mode (its Detection badges and detail).
    set_viewport(page, Viewport::Desktop).await?;
    page.toggle_chip("SuspiciousParent", true).await?;
    check_both(page, "a chip on", &mut failures).await?;
    page.toggle_chip("SuspiciousParent", false).await?;
    page.click("group-toggle").await?;
    page.render_barrier().await?;
    ensure!(
        !page.texts("group-row").await?.is_empty(),
        "the table should show group lines"
    );
    check_both(page, "rows grouped", &mut failures).await?;
    page.click("group-toggle").await?;
    page.choose_mode("hardened").await?;
    scene::open_first_row(page).await?;
    ensure!(
        !page.texts("detection").await?.is_empty()
            && !page.texts("detail-hardened").await?.is_empty(),
        "the table should show Detection cells and the detail its hardened part"
    );
    check_both(page, "hardened mode", &mut failures).await?;
    set_theme(page, Theme::Light).await?;
    ensure!(
        failures.is_empty(),
        "text below its contrast minimum:\n{}",
        failures.join("\n")
    );
    Ok(())
}

on_both_targets!(every_text_reaches_its_contrast);
