//! Issue 15: the page's wasm is built with SIMD (`+simd128`, web/README.md
//! "wasm SIMD"). A browser without wasm SIMD cannot compile it; the page
//! must say so in words, not fail with an obscure `CompileError` or a blank
//! page. Here the browser is made to answer "no" to the bootstrap's SIMD
//! probe (`WebAssembly.validate` returns false before the page's scripts
//! run), as a browser without SIMD answers.

use std::time::Duration;

use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::{ensure, on_both_targets, Error};
use serde_json::json;

async fn a_browser_without_simd_is_told_so(page: &Page) -> Result<(), Error> {
    // This page did start (the browser has SIMD): ready, no banner.
    let ready = page
        .js(
            "return document.documentElement.dataset.cmdhunt || null",
            vec![],
        )
        .await?;
    ensure!(ready == json!("ready"), "the page with SIMD: {ready}");
    page.browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": "WebAssembly.validate = () => false;" }),
        )
        .await?;
    page.browser.client.goto(&page.url).await?;
    let mut seen = json!(null);
    for _ in 0..50 {
        seen = page.boot_state().await?;
        if seen["state"] != json!(null) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ensure!(
        seen["state"] == json!("no-simd")
            && seen["input"] == json!(false)
            && seen["banner"].as_str().is_some_and(|b| b
                .contains("cmdhunt needs WebAssembly SIMD, which this browser does not support")),
        "without SIMD: {seen}"
    );
    Ok(())
}

on_both_targets!(a_browser_without_simd_is_told_so);
