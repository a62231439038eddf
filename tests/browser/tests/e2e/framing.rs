//! Issue 10, item 9: no other page can frame cmdhunt. Served, every
//! response carries `Content-Security-Policy: ... frame-ancestors 'none'` and
//! `X-Frame-Options: DENY` (from `dist/_headers`, as `cargo xtask serve`
//! sends them), so a page of another origin framing it gets nothing; on a
//! host that sends no headers, and for the single file from disk, the page
//! itself refuses to run framed and says so.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::server::StaticServer;
use cmdhunt_e2e::tmp::TempDir;
use cmdhunt_e2e::{ensure, on_both_targets, paths, Error, Target};
use serde_json::{json, Value};

/// What the first frame of the current page shows: whether the page's
/// file input exists, its `data-cmdhunt` state and the banner text.
async fn inside_frame(page: &Page) -> Result<Value, Error> {
    page.browser.client.clone().enter_frame(0).await?;
    let seen = page.boot_state().await;
    page.browser.client.clone().enter_parent_frame().await?;
    seen
}

/// A page at `url` that frames `target`.
fn framer(dir: &TempDir, target: &str) -> Result<std::path::PathBuf, Error> {
    let html = format!(
        "<!doctype html><title>framer</title><iframe src=\"{target}\" width=\"1200\" height=\"800\"></iframe>"
    );
    dir.write("framer.html", html.as_bytes())
}

/// Open `url` and wait for its frame to settle.
async fn open_framer(page: &Page, url: &str) -> Result<(), Error> {
    page.browser.client.goto(url).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    Ok(())
}

fn refused(seen: &Value) -> bool {
    seen["input"] == json!(false)
        && seen["state"] == json!("framed")
        && seen["banner"]
            .as_str()
            .is_some_and(|b| b.contains("refuses to run inside a frame"))
}

async fn nobody_can_frame_the_page(page: &Page) -> Result<(), Error> {
    let dir = TempDir::new("framer")?;
    match page.target {
        Target::Served => {
            let server = page.server.as_ref().ok_or("no server")?;
            // The headers, as a static host must send them.
            let port = server.origin().rsplit(':').next().unwrap_or("").to_string();
            let mut s = TcpStream::connect(format!("127.0.0.1:{port}"))?;
            write!(s, "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")?;
            let mut response = String::new();
            s.read_to_string(&mut response)?;
            let head = response.split("\r\n\r\n").next().unwrap_or("");
            ensure!(
                head.contains("\r\nX-Frame-Options: DENY")
                    && head.contains("frame-ancestors 'none'")
                    && head.contains("connect-src 'none'"),
                "the served page's headers: {head}"
            );

            // Another origin (another port) frames it: the browser shows nothing of it.
            framer(&dir, &page.url)?;
            let other = StaticServer::start(dir.path())?;
            open_framer(page, &format!("{}/framer.html", other.origin())).await?;
            let seen = inside_frame(page).await?;
            ensure!(
                seen["input"] == json!(false) && seen["state"] != json!("ready"),
                "the framed page ran despite its headers: {seen}"
            );

            // A host that sends no headers: the page itself refuses.
            let bare = TempDir::new("bare-dist")?;
            for entry in std::fs::read_dir(paths::dist_dir())? {
                let entry = entry?;
                if entry.file_type()?.is_file() && entry.file_name() != "_headers" {
                    std::fs::copy(entry.path(), bare.path().join(entry.file_name()))?;
                }
            }
            let bare_server = StaticServer::start(bare.path())?;
            framer(&dir, &format!("{}/index.html", bare_server.origin()))?;
            open_framer(page, &format!("{}/framer.html", other.origin())).await?;
            let seen = inside_frame(page).await?;
            ensure!(refused(&seen), "framed without headers: {seen}");
        }
        Target::SingleFile => {
            let framer = framer(&dir, &page.url)?;
            open_framer(
                page,
                &format!("file://{}", paths::absolute(&framer)?.display()),
            )
            .await?;
            let seen = inside_frame(page).await?;
            ensure!(refused(&seen), "the single file framed: {seen}");
        }
    }
    // Opened directly, it runs.
    page.reopen().await?;
    Ok(())
}

on_both_targets!(nobody_can_frame_the_page);
