//! `cargo run -p cmdhunt-e2e --bin contrast`: the axe-style contrast check
//! of the page (no network) in the light and dark themes, on a desktop
//! window and at 390 px, with two real exports from `../shared/data` read
//! and a row's detail open. Prints every text below 4.5:1 (3:1 large) and
//! exits with 1 if there is one. Builds `dist/` first (`cargo xtask dist`)
//! unless `CMDHUNT_E2E_DIST` names a built page.

use cmdhunt_e2e::contrast::{offenders, report, LARGE_MIN, NORMAL_MIN};
use cmdhunt_e2e::emulation::{set_theme, set_viewport, Theme, Viewport};
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::{scene, Error, Target};

async fn check(page: &Page) -> Result<usize, Error> {
    scene::triage(page).await?;
    let mut total = 0;
    for viewport in [Viewport::Desktop, Viewport::Phone] {
        set_viewport(page, viewport).await?;
        for theme in Theme::BOTH {
            set_theme(page, theme).await?;
            let found = offenders(page).await?;
            total += found.len();
            if found.is_empty() {
                println!("{} theme, {}: ok", theme.name(), viewport.name());
            } else {
                println!(
                    "{} theme, {}: {} below the minimum\n{}",
                    theme.name(),
                    viewport.name(),
                    found.len(),
                    report(&found)
                );
            }
        }
    }
    Ok(total)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("contrast: every visible text against {NORMAL_MIN}:1 ({LARGE_MIN}:1 large text)");
    let page = match Page::open(Target::Served).await {
        Ok(page) => page,
        Err(e) => {
            eprintln!("contrast: could not open the page: {e}");
            std::process::exit(2);
        }
    };
    let result = check(&page).await;
    page.close().await;
    match result {
        Ok(0) => println!("contrast: pass"),
        Ok(n) => {
            println!("contrast: FAIL ({n} offenders)");
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("contrast: {e}");
            std::process::exit(2);
        }
    }
}
