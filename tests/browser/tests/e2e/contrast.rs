//! Issue 13, item 6 (contrast, done-when: "axe-style contrast check
//! passes"): with two real exports read and a row's detail open, every
//! visible text on the page reaches WCAG's 4.5:1 (3:1 for large text)
//! against its effective background, in the light theme, the dark theme
//! (`prefers-color-scheme: dark`) and at 390 px, light and dark
//! ([`cmdhunt_e2e::contrast`]), then with a flag chip pressed. The grey "false" of the flag cells was
//! 3.74:1 (#7b8591 on white) before the theme's fix.

use cmdhunt_e2e::contrast::{self, offenders};
use cmdhunt_e2e::emulation::{set_theme, set_viewport, Theme, Viewport};
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::{ensure, on_both_targets, scene, Error};

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
    // A flag chip on (its pressed colours), both themes.
    set_viewport(page, Viewport::Desktop).await?;
    page.toggle_chip("SuspiciousParent", true).await?;
    for theme in Theme::BOTH {
        set_theme(page, theme).await?;
        let found = offenders(page).await?;
        if !found.is_empty() {
            failures.push(format!(
                "{} theme, a chip on:\n{}",
                theme.name(),
                contrast::report(&found)
            ));
        }
    }
    set_theme(page, Theme::Light).await?;
    ensure!(
        failures.is_empty(),
        "text below its contrast minimum:\n{}",
        failures.join("\n")
    );
    Ok(())
}

on_both_targets!(every_text_reaches_its_contrast);
