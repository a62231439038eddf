//! Issue test 6: the page requests nothing but its own files. Every request
//! in Chromium's performance log (`Network.requestWillBeSent`) while loading,
//! reading real files, filtering, exporting and opening a row is to the
//! test's server on 127.0.0.1 (served) or the page's own file (file://), or
//! a `blob:`/`data:` URL; the CSP meta tag forbids connections.

use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::{ensure, on_both_targets, paths, Error, Target};

async fn only_its_own_files(page: &Page) -> Result<(), Error> {
    // Drop what the fresh browser loaded before the page (its new-tab page),
    // then load the page again: from here on every request is the page's.
    page.browser.requested_urls().await?;
    page.reopen().await?;
    let csp = page
        .js(
            "const m = document.querySelector('meta[http-equiv=\"Content-Security-Policy\" i]'); return m ? m.content : null;",
            vec![],
        )
        .await?;
    let csp = csp
        .as_str()
        .ok_or("the page has no Content-Security-Policy meta tag")?
        .to_string();
    ensure!(
        csp.contains("connect-src 'none'"),
        "the CSP lacks connect-src 'none': {csp}"
    );
    // ... and 'none' alone: with another source beside it, 'none' is ignored.
    let connect: Vec<&str> = csp
        .split(';')
        .map(str::split_whitespace)
        .filter_map(|mut d| (d.next() == Some("connect-src")).then(|| d.collect()))
        .next()
        .unwrap_or_default();
    ensure!(
        connect == ["'none'"],
        "connect-src should be exactly 'none': {connect:?} in {csp}"
    );

    page.upload(&[super::mde_proc(), super::sysmon_evtx()])
        .await?;
    page.choose_window("all").await?;
    page.settled_count().await?;
    page.sort_by(1, "ascending").await?;
    page.click("export-csv").await?;
    page.browser
        .wait_for_download("cmdhunt-results.csv", std::time::Duration::from_secs(20))
        .await?;
    page.browser
        .client
        .find(fantoccini::Locator::Css("[data-testid=\"result-row\"]"))
        .await?
        .click()
        .await?;

    let urls = page.browser.requested_urls().await?;
    ensure!(
        !urls.is_empty(),
        "the performance log recorded no request at all (not even the page)"
    );
    let own: Box<dyn Fn(&str) -> bool> = match page.target {
        Target::Served => {
            let origin = format!(
                "{}/",
                page.server.as_ref().map(|s| s.origin()).unwrap_or_default()
            );
            Box::new(move |u: &str| u.starts_with(&origin))
        }
        Target::SingleFile => {
            let me = page.url.clone();
            Box::new(move |u: &str| u.split('#').next() == Some(me.as_str()))
        }
    };
    ensure!(
        urls.iter().any(|u| own(u)),
        "the page's own load is missing from the log: {urls:?}"
    );
    let foreign: Vec<&String> = urls
        .iter()
        .filter(|u| !(own(u) || u.starts_with("blob:") || u.starts_with("data:")))
        .collect();
    ensure!(
        foreign.is_empty(),
        "requests to anything but the page's own files: {foreign:?}"
    );

    if let Some(server) = &page.server {
        let dist = paths::dist_dir();
        for path in server.requests() {
            let file = path.split('?').next().unwrap_or("").trim_start_matches('/');
            let file = if file.is_empty() { "index.html" } else { file };
            ensure!(
                dist.join(file).is_file(),
                "the page asked for {path}, which dist/ does not have"
            );
        }
    }
    Ok(())
}

on_both_targets!(only_its_own_files);
