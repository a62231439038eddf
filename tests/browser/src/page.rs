//! The page under test, opened in a [`Browser`] and driven through its
//! `data-testid` hooks: file input, file lines, time window, flag chips,
//! sortable headers, the virtual table, exports, the summary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::server::StaticServer;
use crate::{dist, paths, Target};

/// How long the page may take to start, or to read the test files.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The rows of the results table in the DOM: `(row index, cell texts)`, the
/// index taken from `aria-rowindex` (header = 1, first row = 2). Cells
/// outside the projection marked `data-extra` (`Matched`, a group's count
/// and first seen) are left out: [`Page::extra_cells`] reads them.
const RENDERED_ROWS_JS: &str = r#"
const rows = document.querySelectorAll('[data-testid="results"] tbody tr[data-testid="result-row"]');
return Array.from(rows, r => [Number(r.getAttribute('aria-rowindex')) - 2,
  Array.from(r.cells).filter(c => !c.hasAttribute('data-extra')).map(c => c.textContent)]);
"#;

/// Every file line's name and status text.
const FILE_STATUS_JS: &str = r#"
return Array.from(document.querySelectorAll('[data-testid="file-line"]'), l => {
  const s = l.querySelector('[data-testid="file-status"]');
  return [l.getAttribute('data-file') || '', s ? s.textContent : ''];
});
"#;

/// The page open in a fresh browser.
pub struct Page {
    /// The browser.
    pub browser: Browser,
    /// The server of `dist/` (served target only).
    pub server: Option<StaticServer>,
    /// How the page was opened.
    pub target: Target,
    /// The URL opened.
    pub url: String,
}

impl Page {
    /// Build `dist/` if needed, start a browser (and a server for
    /// [`Target::Served`]) and open the page until its file input is there.
    pub async fn open(target: Target) -> Result<Page, crate::Error> {
        Page::open_with(target, &[]).await
    }

    /// [`Page::open`], with `init_scripts` run in every new document before
    /// the page's own scripts (to observe it, e.g. record the workers it starts).
    pub async fn open_with(target: Target, init_scripts: &[&str]) -> Result<Page, crate::Error> {
        dist::ensure_built()?;
        let browser = Browser::start().await?;
        for script in init_scripts {
            browser
                .cdp(
                    "Page.addScriptToEvaluateOnNewDocument",
                    json!({ "source": script }),
                )
                .await?;
        }
        let (server, url) = match target {
            Target::Served => {
                let server = StaticServer::start(&paths::dist_dir())?;
                let url = format!("{}/index.html", server.origin());
                (Some(server), url)
            }
            Target::SingleFile => {
                let file = paths::absolute(&dist::single_file())?;
                (None, format!("file://{}", file.display()))
            }
        };
        let page = Page {
            browser,
            server,
            target,
            url,
        };
        page.reopen().await?;
        Ok(page)
    }

    /// Load the page again (a clean state: no files, default window).
    pub async fn reopen(&self) -> Result<(), crate::Error> {
        self.browser.client.goto(&self.url).await?;
        self.wait_ready().await
    }

    /// Load the page again with `fragment` (`#...`) in its address.
    pub async fn reopen_with_fragment(&self, fragment: &str) -> Result<(), crate::Error> {
        // A new address (not only a new fragment) so the page really reloads.
        self.browser.client.goto("about:blank").await?;
        self.browser
            .client
            .goto(&format!("{}{fragment}", self.url))
            .await?;
        self.wait_ready().await
    }

    /// Choose the mode (`parity` or `hardened`) and wait until every file
    /// has been read again and the row count has settled.
    pub async fn choose_mode(&self, mode: &str) -> Result<(), crate::Error> {
        let files = self.file_statuses().await?.len();
        self.click(&format!("mode-{mode}")).await?;
        // The mode's meaning is rendered with the re-queued files.
        let hardened = mode == "hardened";
        self.until(&format!("mode {mode}"), Duration::from_secs(10), || async {
            let meaning = self.texts("mode-meaning").await?.join("");
            Ok((meaning.contains("hardened rows") == hardened).then_some(()))
        })
        .await?;
        self.render_barrier().await?;
        self.wait_files(files).await
    }

    /// Put `path` in the file input with `data-testid` = `id` (not the
    /// drop zone's), as a user picking it would.
    pub async fn pick_into(&self, id: &str, path: &Path) -> Result<(), crate::Error> {
        let input = self
            .browser
            .client
            .find(Locator::Css(&format!("[data-testid=\"{id}\"]")))
            .await?;
        input
            .send_keys(&paths::absolute(path)?.display().to_string())
            .await?;
        Ok(())
    }

    /// End the browser session (always call it; a failed test still gets its
    /// browser stopped by `Drop`).
    pub async fn close(self) {
        self.browser.close().await;
    }

    /// Run a script (a function body) and return its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Result<Value, crate::Error> {
        Ok(self.browser.client.execute(script, args).await?)
    }

    /// How the page (or the frame entered) booted: `{input, state, banner}`:
    /// whether the file input exists, the root's `data-cmdhunt` state (null
    /// while booting) and the panic banner's text when it shows.
    pub async fn boot_state(&self) -> Result<Value, crate::Error> {
        self.js(
            r#"const b = document.getElementById('panic-banner');
               return { input: !!document.querySelector('[data-testid="file-input"]'),
                        state: document.documentElement.dataset.cmdhunt || null,
                        banner: b && !b.hidden ? b.textContent : null };"#,
            vec![],
        )
        .await
    }

    /// Poll `check` every 100 ms until it returns `Some`, or fail after
    /// `timeout` with `what` and the page's state.
    pub async fn until<T, F, Fut>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: F,
    ) -> Result<T, crate::Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>, crate::Error>>,
    {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = check().await? {
                return Ok(v);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} ({}): timed out after {timeout:?} waiting for {what}; {}",
                    self.url,
                    self.label(),
                    self.diagnose().await
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `served` or `single file`.
    pub fn label(&self) -> &'static str {
        match self.target {
            Target::Served => "served",
            Target::SingleFile => "single file",
        }
    }

    /// What the page shows that explains a failure: the error banner, file
    /// statuses, errors, and the console.
    pub async fn diagnose(&self) -> String {
        let state = self
            .js(
                r#"const b = document.getElementById('panic-banner');
                   const t = s => Array.from(document.querySelectorAll(s), e => e.textContent);
                   return { banner: b && !b.hidden ? b.textContent : null,
                            files: t('[data-testid="file-line"]'), errors: t('[data-testid="file-error"]'),
                            count: t('[data-testid="flagged-count"]'), app: (document.getElementById('app') || {}).childElementCount };"#,
                vec![],
            )
            .await
            .map(|v| v.to_string())
            .unwrap_or_else(|e| format!("(page state unreadable: {e})"));
        let console: Vec<String> = self
            .browser
            .log("browser")
            .await
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e.get("message").and_then(Value::as_str).map(str::to_string))
            .collect();
        format!("page state: {state}; console: {console:?}")
    }

    async fn wait_ready(&self) -> Result<(), crate::Error> {
        self.until("the page to start (its file input)", TIMEOUT, || async {
            let v = self
                .js(
                    "return !!document.querySelector('[data-testid=\"file-input\"]');",
                    vec![],
                )
                .await?;
            Ok(v.as_bool().unwrap_or(false).then_some(()))
        })
        .await
    }

    /// Pick `files` in the file input at once, then wait until every file
    /// line has finished (done, stopped on an error, or failed) and the row
    /// count has settled.
    pub async fn upload(&self, files: &[PathBuf]) -> Result<(), crate::Error> {
        let before = self.file_statuses().await?.len();
        self.pick(files).await?;
        self.wait_files(before + files.len()).await
    }

    /// Pick `files` in the file input at once, without waiting for anything.
    pub async fn pick(&self, files: &[PathBuf]) -> Result<(), crate::Error> {
        let mut absolute = Vec::new();
        for f in files {
            absolute.push(paths::absolute(f)?.display().to_string());
        }
        let input = self
            .browser
            .client
            .find(Locator::Css("[data-testid=\"file-input\"]"))
            .await?;
        input.send_keys(&absolute.join("\n")).await?;
        Ok(())
    }

    /// Set the value of the input with `data-testid` = `testid` as a user
    /// would leave it, firing `input` and `change`.
    pub async fn set_value(&self, testid: &str, value: &str) -> Result<(), crate::Error> {
        let found = self
            .js(
                r#"const e = document.querySelector(`[data-testid="${arguments[0]}"]`);
                   if (!e) return false;
                   e.value = arguments[1];
                   e.dispatchEvent(new Event('input', { bubbles: true }));
                   e.dispatchEvent(new Event('change', { bubbles: true }));
                   return true;"#,
                vec![json!(testid), json!(value)],
            )
            .await?;
        if found != json!(true) {
            return Err(format!("the page has no data-testid=\"{testid}\"").into());
        }
        Ok(())
    }

    /// Wait until the page lists `want` files, all finished (done, stopped
    /// on an error, failed or cancelled), and the row count has settled.
    pub async fn wait_files(&self, want: usize) -> Result<(), crate::Error> {
        self.until(&format!("{want} files to be read"), TIMEOUT, || async {
            let statuses = self.file_statuses().await?;
            let finished = statuses.len() >= want
                && statuses.iter().all(|(_, s)| {
                    !(s.is_empty() || s.starts_with("queued") || s.starts_with("reading"))
                });
            Ok(finished.then_some(()))
        })
        .await?;
        self.settled_count().await.map(|_| ())
    }

    /// Every file line: `(data-file name, status text)`.
    pub async fn file_statuses(&self) -> Result<Vec<(String, String)>, crate::Error> {
        let v = self.js(FILE_STATUS_JS, vec![]).await?;
        let lines = serde_json::from_value::<Vec<(String, String)>>(v)?;
        Ok(lines)
    }

    /// The number in `data-testid="flagged-count"`.
    pub async fn flagged_count(&self) -> Result<usize, crate::Error> {
        let v = self
            .js("const e = document.querySelector('[data-testid=\"flagged-count\"]'); return e ? e.textContent : null;", vec![])
            .await?;
        let text = v
            .as_str()
            .ok_or("the page has no data-testid=\"flagged-count\"")?;
        let digits: String = text
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(|c| c.is_ascii_digit() || *c == ',')
            .filter(char::is_ascii_digit)
            .collect();
        digits
            .parse()
            .map_err(|_| format!("flagged-count {text:?} holds no number").into())
    }

    /// Wait until the page has painted twice: a re-render scheduled by the
    /// last action (Yew renders in a microtask after the reducer) is in the
    /// DOM by then. Falls back after 2 s if frames are not delivered.
    pub async fn render_barrier(&self) -> Result<(), crate::Error> {
        self.browser
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   let sent = false; const once = () => { if (!sent) { sent = true; done(true); } };
                   requestAnimationFrame(() => requestAnimationFrame(once));
                   setTimeout(once, 2000);"#,
                vec![],
            )
            .await?;
        Ok(())
    }

    /// The flagged count once the last action is rendered and the number
    /// has read the same for 300 ms.
    pub async fn settled_count(&self) -> Result<usize, crate::Error> {
        self.render_barrier().await?;
        let deadline = Instant::now() + TIMEOUT;
        let (mut last, mut same) = (self.flagged_count().await?, 0);
        while same < 3 {
            if Instant::now() > deadline {
                return Err(format!(
                    "{}: the row count never settled; {}",
                    self.url,
                    self.diagnose().await
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            let n = self.flagged_count().await?;
            same = if n == last { same + 1 } else { 0 };
            last = n;
        }
        Ok(last)
    }

    /// Choose a time window option by its value (`newest`, `now`, `custom`, `all`).
    pub async fn choose_window(&self, value: &str) -> Result<(), crate::Error> {
        self.select("window-select", value).await?;
        self.until(
            &format!("the window select to read {value}"),
            TIMEOUT,
            || async {
                let v = self
                    .js(
                        "return document.querySelector('[data-testid=\"window-select\"]').value;",
                        vec![],
                    )
                    .await?;
                Ok((v.as_str() == Some(value)).then_some(()))
            },
        )
        .await
    }

    /// Choose a format in the (first) file's format override (`auto`, `csv`,
    /// `evtx`, ...): the page re-runs that file with it.
    pub async fn choose_format(&self, value: &str) -> Result<(), crate::Error> {
        self.select("format-select", value).await
    }

    /// Pick `value` in the (first) `<select>` with `data-testid` = `id`.
    async fn select(&self, id: &str, value: &str) -> Result<(), crate::Error> {
        let select = self
            .browser
            .client
            .find(Locator::Css(&format!("[data-testid=\"{id}\"]")))
            .await?;
        select.select_by_value(value).await?;
        Ok(())
    }

    /// The rows in the DOM now, by row index.
    pub async fn rendered_rows(&self) -> Result<Vec<(usize, Vec<String>)>, crate::Error> {
        let v = self.js(RENDERED_ROWS_JS, vec![]).await?;
        Ok(serde_json::from_value(v)?)
    }

    /// The `data-extra` cells of the rows in the DOM (`Matched`, a group's
    /// count and first seen): `(row index, [(data-extra, text)])`.
    pub async fn extra_cells(&self) -> Result<Vec<(usize, Vec<(String, String)>)>, crate::Error> {
        let v = self
            .js(
                r#"const rows = document.querySelectorAll('[data-testid="results"] tbody tr[data-testid="result-row"]');
                   return Array.from(rows, r => [Number(r.getAttribute('aria-rowindex')) - 2,
                     Array.from(r.querySelectorAll('[data-extra]'), c => [c.getAttribute('data-extra'), c.textContent])]);"#,
                vec![],
            )
            .await?;
        Ok(serde_json::from_value(v)?)
    }

    /// Scroll the table so row `index` is at the top.
    pub async fn scroll_to_row(&self, index: usize) -> Result<(), crate::Error> {
        self.js(
            r#"const s = document.querySelector('[data-testid="results-scroll"]');
               const row = document.querySelector('[data-testid="results"] tbody tr[data-testid="result-row"]');
               const h = row ? row.getBoundingClientRect().height : 30;
               s.scrollTop = arguments[0] * h; s.dispatchEvent(new Event('scroll'));"#,
            vec![json!(index)],
        )
        .await?;
        Ok(())
    }

    /// The first `n` rows shown (scrolling the virtual table as needed), then
    /// scrolled back to the top.
    pub async fn first_rows(&self, n: usize) -> Result<Vec<Vec<String>>, crate::Error> {
        self.rows_range(0, n).await
    }

    /// Rows `start..end` in display order (scrolling the virtual table as
    /// needed), then scrolled back to the top.
    pub async fn rows_range(
        &self,
        start: usize,
        end: usize,
    ) -> Result<Vec<Vec<String>>, crate::Error> {
        let mut seen: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        let mut next = start;
        if start > 0 {
            self.scroll_to_row(start).await?;
            self.wait_rendered(start).await?;
        }
        for _ in 0..(end - start.min(end) + 10) {
            for (i, cells) in self.rendered_rows().await? {
                seen.insert(i, cells);
            }
            while seen.contains_key(&next) {
                next += 1;
            }
            if next >= end {
                break;
            }
            self.scroll_to_row(next).await?;
            self.wait_rendered(next).await?;
        }
        self.scroll_to_row(0).await?;
        Ok((start..end).filter_map(|i| seen.remove(&i)).collect())
    }

    async fn wait_rendered(&self, row: usize) -> Result<(), crate::Error> {
        self.until(
            &format!("row {row} to be rendered"),
            Duration::from_secs(10),
            || async {
                let rows = self.rendered_rows().await?;
                Ok(rows.iter().any(|(i, _)| *i == row).then_some(()))
            },
        )
        .await
    }

    /// Every header: `(text, aria-sort)`.
    pub async fn headers(&self) -> Result<Vec<(String, String)>, crate::Error> {
        let v = self
            .js(
                r#"return Array.from(document.querySelectorAll('[data-testid="results"] thead th:not([data-extra])'),
                   th => [th.textContent.replace(/[▲▼]/g, '').trim(), th.getAttribute('aria-sort') || '']);"#,
                vec![],
            )
            .await?;
        Ok(serde_json::from_value(v)?)
    }

    /// Click header `col` and wait until its `aria-sort` reads `expect`.
    pub async fn sort_by(&self, col: usize, expect: &str) -> Result<(), crate::Error> {
        let headers = self
            .browser
            .client
            .find_all(Locator::Css(
                "[data-testid=\"results\"] thead th:not([data-extra])",
            ))
            .await?;
        let th = headers.get(col).ok_or_else(|| format!("no header {col}"))?;
        th.click().await?;
        self.until(
            &format!("header {col} to read aria-sort={expect}"),
            Duration::from_secs(10),
            || async {
                let h = self.headers().await?;
                Ok((h.get(col).map(|(_, a)| a.as_str()) == Some(expect)).then_some(()))
            },
        )
        .await
    }

    /// Click the chip of flag `name` and wait until `aria-pressed` reads `on`.
    pub async fn toggle_chip(&self, name: &str, on: bool) -> Result<(), crate::Error> {
        let css = format!("[data-testid=\"chip-{name}\"]");
        let chip = self.browser.client.find(Locator::Css(&css)).await?;
        chip.click().await?;
        let want = on.to_string();
        self.until(
            &format!("chip {name} pressed={on}"),
            Duration::from_secs(10),
            || async {
                Ok(
                    (chip.attr("aria-pressed").await?.as_deref() == Some(want.as_str()))
                        .then_some(()),
                )
            },
        )
        .await
    }

    /// Click the element with `data-testid` = `id`.
    pub async fn click(&self, id: &str) -> Result<(), crate::Error> {
        let el = self
            .browser
            .client
            .find(Locator::Css(&format!("[data-testid=\"{id}\"]")))
            .await?;
        el.click().await?;
        Ok(())
    }

    /// The text of every element with `data-testid` = `id`.
    pub async fn texts(&self, id: &str) -> Result<Vec<String>, crate::Error> {
        let v = self
            .js(
                "return Array.from(document.querySelectorAll(`[data-testid=\"${arguments[0]}\"]`), e => e.textContent);",
                vec![json!(id)],
            )
            .await?;
        Ok(serde_json::from_value(v)?)
    }

    /// The summary table: per file `(name, cells)` (format, records,
    /// process creations, cmd.exe, flagged, five flags, skipped, in window);
    /// the name without a partial file's "(partial: ...)" note.
    pub async fn summary_rows(&self) -> Result<Vec<(String, Vec<String>)>, crate::Error> {
        let v = self
            .js(
                r#"return Array.from(document.querySelectorAll('[data-testid="summary-row"]'), r => {
                     const th = r.querySelector('th').cloneNode(true);
                     th.querySelectorAll('[data-testid="summary-partial"]').forEach(n => n.remove());
                     return [th.textContent, Array.from(r.querySelectorAll('td'), c => c.textContent)];
                   });"#,
                vec![],
            )
            .await?;
        Ok(serde_json::from_value(v)?)
    }

    /// Save a PNG of the page to `path`, taken in a window tall enough to
    /// show the summary and the first table rows together.
    pub async fn screenshot(&self, path: &Path) -> Result<(), crate::Error> {
        let client = &self.browser.client;
        let (w, h) = client.get_window_size().await?;
        client.set_window_size(1400, 1600).await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = client.screenshot().await;
        client
            .set_window_size(u32::try_from(w)?, u32::try_from(h)?)
            .await?;
        let png = png?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png)?;
        Ok(())
    }
}

/// `config` as a `#config=` fragment (percent-encoded JSON), for
/// [`Page::reopen_with_fragment`].
pub fn config_fragment(config: &cmdhunt_core::tuning::Config) -> String {
    let mut out = String::from("#config=");
    for b in config.to_json().bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
