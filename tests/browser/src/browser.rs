//! One headless Chromium per test, driven through its own chromedriver on a
//! free port, with a fresh profile, a download directory, the flags that keep
//! Chromium itself off the network, and the performance log switched on (so a
//! test can list every request the page made).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use crate::tmp::TempDir;

/// The Chromium binary (`CMDHUNT_CHROMIUM`, default `/usr/bin/chromium`).
fn chromium_path() -> String {
    std::env::var("CMDHUNT_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// The chromedriver binary (`CHROMEDRIVER`, default `/usr/bin/chromedriver`).
fn chromedriver_path() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

/// Chromium's flags: the shared ones (`tests/browser/chromium-args.txt`:
/// headless, and no traffic of Chromium's own, every host but 127.0.0.1
/// resolving to nothing), the window's size, and the profile.
pub fn chromium_args(profile: &Path) -> Vec<String> {
    include_str!("../chromium-args.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .chain(["--window-size=1400,1000", "--disable-dev-shm-usage"])
        .map(str::to_owned)
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect()
}

fn free_port() -> Result<u16, crate::Error> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A WebDriver command fantoccini has no method for: `POST` `body` to
/// `/session/{id}/{path}`.
#[derive(Debug)]
struct SessionPost {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or(""),
            self.path
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// A running browser session.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    driver: Child,
    port: u16,
    session: Option<String>,
    downloads: TempDir,
    _profile: TempDir,
}

impl Browser {
    /// Start chromedriver and a fresh headless Chromium.
    pub async fn start() -> Result<Browser, crate::Error> {
        let profile = TempDir::new("profile")?;
        let downloads = TempDir::new("downloads")?;
        let port = free_port()?;
        let driver_path = chromedriver_path();
        let mut driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!(
                    "could not start {driver_path}: {e} (run `bash scripts/setup.sh --browser`)"
                )
            })?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                let _ = driver.kill();
                let _ = driver.wait();
                return Err(
                    format!("{driver_path} did not listen on port {port} within 20 s").into(),
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let download_dir = downloads.path().display().to_string();
        let caps = json!({
            "browserName": "chrome",
            "unhandledPromptBehavior": "ignore",
            "goog:loggingPrefs": { "performance": "ALL", "browser": "ALL" },
            "goog:chromeOptions": {
                "binary": chromium_path(),
                "args": chromium_args(profile.path()),
                "prefs": {
                    "download.default_directory": download_dir,
                    "download.prompt_for_download": false,
                    "download.directory_upgrade": true,
                    "safebrowsing.enabled": false,
                },
                "perfLoggingPrefs": { "enableNetwork": true, "enablePage": false },
            },
        });
        let Value::Object(caps) = caps else {
            return Err("capabilities are not an object".into());
        };
        let caps: Capabilities = caps;
        let client = match ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => c,
            Err(e) => {
                let _ = driver.kill();
                let _ = driver.wait();
                return Err(format!("could not start Chromium through chromedriver: {e}").into());
            }
        };
        let session = client.session_id().await.ok().flatten();
        let browser = Browser {
            client,
            driver,
            port,
            session,
            downloads,
            _profile: profile,
        };
        // Headless Chromium also takes its download directory from the DevTools protocol.
        browser
            .cdp(
                "Browser.setDownloadBehavior",
                json!({ "behavior": "allow", "downloadPath": download_dir, "eventsEnabled": false }),
            )
            .await?;
        Ok(browser)
    }

    /// Run a DevTools protocol command through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Result<Value, crate::Error> {
        let body = json!({ "cmd": cmd, "params": params });
        Ok(self
            .client
            .issue_cmd(SessionPost {
                path: "goog/cdp/execute",
                body,
            })
            .await?)
    }

    /// Take (and clear) chromedriver's log of `kind` (`performance`, `browser`).
    pub async fn log(&self, kind: &str) -> Result<Vec<Value>, crate::Error> {
        let value = self
            .client
            .issue_cmd(SessionPost {
                path: "se/log",
                body: json!({ "type": kind }),
            })
            .await?;
        match value {
            Value::Array(entries) => Ok(entries),
            other => Err(format!("the {kind} log is not a list: {other}").into()),
        }
    }

    /// Every URL the page requested since the last call: the
    /// `Network.requestWillBeSent` events of the performance log.
    pub async fn requested_urls(&self) -> Result<Vec<String>, crate::Error> {
        let mut urls = Vec::new();
        for entry in self.log("performance").await? {
            let Some(message) = entry.get("message").and_then(Value::as_str) else {
                continue;
            };
            let message: Value = serde_json::from_str(message)?;
            let inner = message.get("message").unwrap_or(&Value::Null);
            if inner.get("method").and_then(Value::as_str) == Some("Network.requestWillBeSent") {
                if let Some(url) = inner.pointer("/params/request/url").and_then(Value::as_str) {
                    urls.push(url.to_string());
                }
            }
        }
        Ok(urls)
    }

    /// The download directory.
    pub fn download_dir(&self) -> &Path {
        self.downloads.path()
    }

    /// Wait up to `timeout` for a finished download called `name`.
    pub async fn wait_for_download(
        &self,
        name: &str,
        timeout: Duration,
    ) -> Result<PathBuf, crate::Error> {
        let path = self.download_dir().join(name);
        let partial = self.download_dir().join(format!("{name}.crdownload"));
        let deadline = Instant::now() + timeout;
        loop {
            if path.is_file() && !partial.exists() {
                return Ok(path);
            }
            if Instant::now() > deadline {
                let seen: Vec<String> = std::fs::read_dir(self.download_dir())?
                    .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                    .collect();
                return Err(format!(
                    "no download {name} within {timeout:?}; the download folder holds {seen:?}"
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// End the session (Chromium exits) and stop chromedriver.
    pub async fn close(mut self) {
        let client = self.client.clone();
        if tokio::time::timeout(Duration::from_secs(10), client.close())
            .await
            .is_ok()
        {
            self.session = None;
        }
        stop_driver(&mut self.driver);
    }
}

/// SIGTERM first (chromedriver then ends its Chromium), SIGKILL after 3 s.
fn stop_driver(driver: &mut Child) {
    if let Ok(Some(_)) = driver.try_wait() {
        return;
    }
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(driver.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = driver.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = driver.kill();
    let _ = driver.wait();
}

/// `DELETE /session/{id}` by hand (Drop cannot await): chromedriver then
/// quits its Chromium.
fn delete_session(port: u16, session: &str) {
    use std::io::{Read, Write};
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!("DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    if s.write_all(request.as_bytes()).is_ok() {
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            delete_session(self.port, &session);
        }
        stop_driver(&mut self.driver);
    }
}
