//! Assembling the two pages from `index.html` (the template at the root),
//! `static/style.css`, the JS (wasm-bindgen glue + `static/bootstrap.js`) and
//! the wasm: pure string work, tested here.
//!
//! * `cmdhunt.html`: one self-contained file for `file://`. The style is
//!   inline, the wasm sits base64-encoded in a non-executed
//!   `<script type="application/octet-stream">` block, the JS in one inline
//!   classic script allowed by its SHA-256 in the CSP.
//! * `index.html`: for `cargo xtask serve`; the same JS and wasm as files
//!   (`cmdhunt.js`, `cmdhunt_wasm.js`, `style.css`) allowed by `'self'`.
//!
//! Both CSPs forbid every connection (`connect-src 'none'`, `default-src 'none'`).

use crate::digest::csp_hash;

/// Marker replaced by the CSP meta element.
const CSP_MARK: &str = "<!-- cmdhunt:csp -->";
/// Marker replaced by the style.
const STYLE_MARK: &str = "<!-- cmdhunt:style -->";
/// Marker replaced by the scripts.
const SCRIPTS_MARK: &str = "<!-- cmdhunt:scripts -->";

/// The CSP of the single-file page, allowing exactly the inline script `app_js`.
pub fn single_file_csp(app_js: &str) -> String {
    format!(
        "default-src 'none'; script-src {} 'wasm-unsafe-eval'; style-src 'unsafe-inline'; \
         connect-src 'none'; img-src data:; worker-src blob:; base-uri 'none'; form-action 'none'",
        csp_hash(app_js)
    )
}

/// The CSP of the served page.
pub const SERVED_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; connect-src 'none'; img-src data:; worker-src 'self' blob:; \
     base-uri 'none'; form-action 'none'";

/// The HTTP headers a host must send with every file of `dist/` (they
/// cannot be `<meta>` tags): the served CSP plus `frame-ancestors 'none'`
/// (no other site may frame the page to trick the analyst into dropping
/// files on it), `X-Frame-Options: DENY` for browsers without
/// `frame-ancestors`, no MIME sniffing, no referrer. `cargo xtask serve`
/// sends them; `dist/_headers` lists them for static hosts that read that
/// file (Netlify, Cloudflare Pages), and the README for the others.
pub fn served_headers() -> Vec<(&'static str, String)> {
    vec![
        (
            "Content-Security-Policy",
            format!("{SERVED_CSP}; frame-ancestors 'none'"),
        ),
        ("X-Frame-Options", "DENY".to_owned()),
        ("X-Content-Type-Options", "nosniff".to_owned()),
        ("Referrer-Policy", "no-referrer".to_owned()),
    ]
}

/// `dist/_headers`: [`served_headers`] for every path, in the format static
/// hosts read (`/*`, then one indented `Name: value` per line).
pub fn headers_file() -> String {
    let mut out = String::from("/*\n");
    for (name, value) in served_headers() {
        out.push_str(&format!("  {name}: {value}\n"));
    }
    out
}

/// The page's assets.
pub struct Parts<'a> {
    /// `index.html` with its markers.
    pub template: &'a str,
    /// `static/style.css`.
    pub style: &'a str,
    /// Glue + bootstrap: one classic script.
    pub app_js: &'a str,
    /// The optimised wasm, base64.
    pub wasm_base64: &'a str,
}

fn fill(template: &str, csp: &str, style: &str, scripts: &str) -> Result<String, String> {
    for mark in [CSP_MARK, STYLE_MARK, SCRIPTS_MARK] {
        if template.matches(mark).count() != 1 {
            return Err(format!("index.html must contain {mark} exactly once"));
        }
    }
    let meta = format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n<link rel=\"icon\" href=\"data:,\">");
    Ok(template
        .replace(CSP_MARK, &meta)
        .replace(STYLE_MARK, style)
        .replace(SCRIPTS_MARK, scripts))
}

/// Text that would end or confuse an inline `<script>`/`<style>` element.
fn check_inline(what: &str, text: &str, end_tag: &str) -> Result<(), String> {
    let lower = text.to_ascii_lowercase();
    if lower.contains(end_tag) || lower.contains("<!--") {
        return Err(format!(
            "{what} contains `{end_tag}` or `<!--` and cannot be inlined"
        ));
    }
    Ok(())
}

/// `cmdhunt.html`: everything inline.
pub fn single_file(p: &Parts) -> Result<String, String> {
    check_inline("the JS", p.app_js, "</script")?;
    check_inline("the style", p.style, "</style")?;
    let style = format!("<style>\n{}</style>", p.style);
    let scripts = format!(
        "<script type=\"application/octet-stream\" id=\"cmdhunt-wasm\">{}</script>\n\
         <script id=\"cmdhunt-app\">{}</script>",
        p.wasm_base64, p.app_js
    );
    fill(p.template, &single_file_csp(p.app_js), &style, &scripts)
}

/// `index.html` for the served folder (assets beside it).
pub fn served_index(template: &str) -> Result<String, String> {
    fill(
        template,
        SERVED_CSP,
        "<link rel=\"stylesheet\" href=\"style.css\">",
        "<script src=\"cmdhunt_wasm.js\"></script>\n<script src=\"cmdhunt.js\"></script>",
    )
}

/// `cmdhunt_wasm.js`: the wasm for the served page, as a script (the CSP
/// forbids fetching it).
pub fn wasm_script(wasm_base64: &str) -> String {
    format!("globalThis.CMDHUNT_WASM_BASE64 = \"{wasm_base64}\";\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::{base64, sha256};

    fn template() -> String {
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../index.html"))
            .expect("index.html")
    }

    #[test]
    fn single_file_hashes_exactly_its_inline_script() {
        let app_js = "console.log('hi');\n";
        let page = single_file(&Parts {
            template: &template(),
            style: "body{}",
            app_js,
            wasm_base64: "AGFzbQ==",
        })
        .expect("page");
        let start =
            page.find("id=\"cmdhunt-app\">").expect("app script") + "id=\"cmdhunt-app\">".len();
        let end = start + page[start..].find("</script>").expect("end");
        let inline = &page[start..end];
        assert_eq!(inline, app_js);
        let hash = format!("'sha256-{}'", base64(&sha256(inline.as_bytes())));
        assert!(page.contains(&format!("script-src {hash} 'wasm-unsafe-eval'")));
        for directive in [
            "default-src 'none'",
            "connect-src 'none'",
            "worker-src blob:",
            "base-uri 'none'",
            "form-action 'none'",
        ] {
            assert!(page.contains(directive), "{directive}");
        }
        assert!(page.contains(
            "<script type=\"application/octet-stream\" id=\"cmdhunt-wasm\">AGFzbQ==</script>"
        ));
        assert!(!page.contains("<!-- cmdhunt:"), "every marker replaced");
        assert!(!page.contains(" src=\""), "no external resource");
    }

    #[test]
    fn served_page_uses_self_and_still_forbids_connections() {
        let page = served_index(&template()).expect("page");
        assert!(page.contains("script-src 'self' 'wasm-unsafe-eval'"));
        assert!(page.contains("connect-src 'none'"));
        assert!(page.contains("src=\"cmdhunt.js\""));
    }

    #[test]
    fn the_served_headers_forbid_framing_and_connections() {
        let headers = served_headers();
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let csp = get("Content-Security-Policy");
        assert!(csp.starts_with(SERVED_CSP), "{csp}");
        assert!(csp.ends_with("; frame-ancestors 'none'"), "{csp}");
        assert_eq!(get("X-Frame-Options"), "DENY");
        let file = headers_file();
        assert!(file.starts_with("/*\n  Content-Security-Policy: default-src 'none';"));
        assert!(file.contains("\n  X-Frame-Options: DENY\n"));
    }

    #[test]
    fn refuses_what_cannot_be_inlined() {
        let t = template();
        let parts = |js| Parts {
            template: &t,
            style: "",
            app_js: js,
            wasm_base64: "",
        };
        assert!(single_file(&parts("a = '</SCRIPT>'")).is_err());
        assert!(single_file(&parts("a = '<!--'")).is_err());
        assert!(fill("no markers", "", "", "").is_err());
    }
}
