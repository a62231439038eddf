//! A tiny static file server for `dist/` on 127.0.0.1 (std only), one per
//! test, which also records every path the browser asked it for. It sends
//! the headers `dist/_headers` lists (written by `cargo xtask dist`: the CSP
//! with `frame-ancestors 'none'`, `X-Frame-Options: DENY`) with every
//! response, as a static host must; a directory without `_headers` is
//! served without them (the page's own refusal to run framed is tested so).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The server; stops when dropped.
pub struct StaticServer {
    port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<()>>,
}

/// The headers of a `_headers` file (`/*`, then indented `Name: value`
/// lines): every indented line's name and value.
pub fn parse_headers(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| l.starts_with([' ', '\t']))
        .filter_map(|l| l.trim().split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect()
}

impl StaticServer {
    /// Serve `root` on a free port of 127.0.0.1.
    pub fn start(root: &Path) -> Result<StaticServer, crate::Error> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let headers = Arc::new(
            std::fs::read_to_string(root.join("_headers"))
                .map(|t| parse_headers(&t))
                .unwrap_or_default(),
        );
        let thread = {
            let (root, stop, requests) = (root.to_path_buf(), stop.clone(), requests.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (root, requests, headers) =
                        (root.clone(), requests.clone(), headers.clone());
                    std::thread::spawn(move || {
                        let _ = serve(stream, &root, &requests, &headers);
                    });
                }
            })
        };
        Ok(StaticServer {
            port,
            stop,
            requests,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request line's path so far.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "csv" => "text/csv; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// `/a/b.js?x` -> `root/a/b.js`; `None` for anything leaving `root`.
fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    let relative = Path::new(path.trim_start_matches('/'));
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let mut full = root.join(relative);
    if path.ends_with('/') || path.is_empty() {
        full = full.join("index.html");
    }
    Some(full)
}

fn serve(
    stream: TcpStream,
    root: &Path,
    requests: &Mutex<Vec<String>>,
    headers: &[(String, String)],
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if let Ok(mut r) = requests.lock() {
        r.push(target.to_string());
    }
    let mut out = stream;
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let file = resolve(root, target).filter(|_| method == "GET" || method == "HEAD");
    match file.and_then(|f| std::fs::read(&f).ok().map(|b| (f, b))) {
        Some((file, body)) => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n{extra}Connection: close\r\n\r\n",
                content_type(&file),
                body.len()
            )?;
            if method == "GET" {
                out.write_all(&body)?;
            }
        }
        None => {
            let body = b"not found";
            write!(
                out,
                "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
                body.len()
            )?;
            out.write_all(body)?;
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_stays_inside_root() {
        let root = Path::new("/srv");
        for (target, want) in [
            ("/", Some("/srv/index.html")),
            ("/index.html?x=1", Some("/srv/index.html")),
            ("/a/b.wasm", Some("/srv/a/b.wasm")),
            ("/../etc/passwd", None),
            ("/a/../../x", None),
        ] {
            assert_eq!(resolve(root, target), want.map(PathBuf::from), "{target}");
        }
    }

    #[test]
    fn serves_files_and_records_requests() -> Result<(), crate::Error> {
        let dir = crate::tmp::TempDir::new("server")?;
        dir.write("index.html", b"<p>hi</p>")?;
        dir.write(
            "_headers",
            b"/*\n  X-Frame-Options: DENY\n  Content-Security-Policy: frame-ancestors 'none'\n",
        )?;
        let server = StaticServer::start(dir.path())?;
        let get = |path: &str| -> Result<String, crate::Error> {
            let mut s = TcpStream::connect(("127.0.0.1", server.port))?;
            write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n")?;
            let mut text = String::new();
            std::io::Read::read_to_string(&mut s, &mut text)?;
            Ok(text)
        };
        let ok = get("/")?;
        assert!(
            ok.starts_with("HTTP/1.1 200") && ok.ends_with("<p>hi</p>"),
            "{ok}"
        );
        assert!(ok.contains("text/html"));
        assert!(ok.contains("\r\nX-Frame-Options: DENY\r\n"), "{ok}");
        assert!(
            ok.contains("\r\nContent-Security-Policy: frame-ancestors 'none'\r\n"),
            "{ok}"
        );
        assert!(get("/missing.js")?.starts_with("HTTP/1.1 404"));
        assert_eq!(
            server.requests(),
            vec!["/".to_string(), "/missing.js".to_string()]
        );
        Ok(())
    }
}
