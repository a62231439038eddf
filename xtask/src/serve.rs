//! `cargo xtask serve`: a tiny static file server for `dist/` on
//! 127.0.0.1 only (std only; GET and HEAD; no directory listing, no path
//! outside `dist/`). Every response carries the page's security headers
//! ([`crate::page::served_headers`]: the CSP with `frame-ancestors 'none'`,
//! `X-Frame-Options: DENY`), which a `<meta>` CSP cannot express.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};

/// The content type of a file name.
pub fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

/// The file under `dir` that a request path names, or `None` when the path
/// is not a plain relative path (`..`, odd characters, a query is dropped).
pub fn resolve(dir: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?.trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    let ok = path.split('/').all(|seg| {
        !seg.is_empty()
            && seg != ".."
            && seg != "."
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    });
    ok.then(|| dir.join(path))
}

fn respond(stream: &mut TcpStream, dir: &Path) -> std::io::Result<()> {
    let mut line = String::new();
    let mut reader = BufReader::new(stream.try_clone()?);
    reader.read_line(&mut line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let file = resolve(dir, target).filter(|p| p.is_file());
    let (status, body, kind) = match (method, &file) {
        ("GET" | "HEAD", Some(p)) => (
            "200 OK",
            std::fs::read(p)?,
            content_type(&p.to_string_lossy()),
        ),
        ("GET" | "HEAD", None) => ("404 Not Found", b"not found\n".to_vec(), "text/plain"),
        _ => (
            "405 Method Not Allowed",
            b"GET only\n".to_vec(),
            "text/plain",
        ),
    };
    eprintln!("xtask serve: {method} {target} -> {status}");
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n",
        body.len()
    );
    for (name, value) in crate::page::served_headers() {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    if method != "HEAD" {
        stream.write_all(&body)?;
    }
    stream.flush()
}

/// Serve `dir` at `http://127.0.0.1:port` until killed.
pub fn serve(dir: &Path, port: u16) -> Result<(), String> {
    if !dir.join("index.html").is_file() {
        return Err(format!(
            "{} has no index.html: run `cargo xtask dist` first",
            dir.display()
        ));
    }
    let listener =
        TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("127.0.0.1:{port}: {e}"))?;
    eprintln!(
        "xtask: serving {} at http://127.0.0.1:{port}/ (Ctrl-C to stop)",
        dir.display()
    );
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let dir = dir.to_path_buf();
        std::thread::spawn(move || {
            if let Err(e) = respond(&mut stream, &dir) {
                eprintln!("xtask serve: {e}");
            }
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_table() {
        let d = Path::new("/d");
        for (target, want) in [
            ("/", Some("/d/index.html")),
            ("/cmdhunt.js?v=1", Some("/d/cmdhunt.js")),
            ("/a/b.css", Some("/d/a/b.css")),
            ("/../etc/passwd", None),
            ("/a/../../x", None),
            ("//x", Some("/d/x")),
            ("/%2e%2e/x", None),
            ("/a b", None),
        ] {
            assert_eq!(resolve(d, target), want.map(PathBuf::from), "{target}");
        }
    }

    #[test]
    fn serves_a_file_and_refuses_escapes_over_loopback() {
        let dir = std::env::temp_dir().join(format!("xtask-serve-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("index.html"), "<p>hi</p>").expect("write");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let d = dir.clone();
        std::thread::spawn(move || {
            for s in listener.incoming().take(2) {
                let _ = respond(&mut s.expect("stream"), &d);
            }
        });
        let get = |path: &str| {
            let mut s = TcpStream::connect(addr).expect("connect");
            write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").expect("send");
            let mut out = String::new();
            std::io::Read::read_to_string(&mut s, &mut out).expect("read");
            out
        };
        let ok = get("/");
        assert!(
            ok.starts_with("HTTP/1.1 200 OK") && ok.ends_with("<p>hi</p>"),
            "{ok}"
        );
        assert!(ok.contains("Content-Type: text/html"));
        // The page must not be framed by another site: headers, since a
        // <meta> CSP cannot carry frame-ancestors.
        assert!(
            ok.contains("\r\nContent-Security-Policy: default-src 'none';")
                && ok.contains("; frame-ancestors 'none'\r\n"),
            "{ok}"
        );
        assert!(ok.contains("\r\nX-Frame-Options: DENY\r\n"), "{ok}");
        let missing = get("/../Cargo.toml");
        assert!(missing.starts_with("HTTP/1.1 404"));
        assert!(
            missing.contains("\r\nX-Frame-Options: DENY\r\n"),
            "{missing}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
