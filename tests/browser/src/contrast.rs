//! An axe-style colour contrast check of the page as it is shown, run inside
//! the page (no network, no library): every visible text node (and the text
//! of inputs and selects) has its computed colour compared with its
//! effective background (the background colours of its ancestors, composited
//! from the first opaque one up), with WCAG 2.x's contrast ratio. Normal text
//! needs 4.5:1, large text (24 px, or 18.66 px bold) 3:1 (success criterion
//! 1.4.3). Disabled controls are exempt, as WCAG exempts them.

use serde::Deserialize;

use crate::page::Page;

/// Normal text's minimum contrast ratio (WCAG 1.4.3, level AA).
pub const NORMAL_MIN: f64 = 4.5;
/// Large text's minimum contrast ratio.
pub const LARGE_MIN: f64 = 3.0;

/// The check, a function body run by WebDriver: returns one object per
/// offending (element, colour, background) with its ratio and requirement.
const CONTRAST_JS: &str = r#"
const [normalMin, largeMin] = arguments;
const parse = c => {
  const m = /rgba?\(([^)]*)\)/.exec(c || '');
  if (!m) return null;
  const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
};
const over = (top, bottom) => {
  const a = top[3];
  return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
};
const background = el => {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const bg = parse(getComputedStyle(e).backgroundColor);
    if (bg && bg[3] > 0) { layers.push(bg); if (bg[3] >= 1) break; }
  }
  // Under everything: the canvas, white unless the root asks for dark.
  const dark = getComputedStyle(document.documentElement).colorScheme.includes('dark')
    && matchMedia('(prefers-color-scheme: dark)').matches;
  let result = dark ? [18, 18, 18, 1] : [255, 255, 255, 1];
  for (let i = layers.length - 1; i >= 0; i--) result = over(layers[i], result);
  return result;
};
const lum = c => {
  const ch = c.slice(0, 3).map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
};
const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
const hex = c => '#' + c.slice(0, 3).map(v => Math.round(v).toString(16).padStart(2, '0')).join('');
const where = el => {
  const parts = [];
  for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
    let s = e.tagName.toLowerCase();
    const id = e.getAttribute('data-testid');
    if (id) s += `[data-testid=${id}]`;
    else if (e.classList.length) s += '.' + Array.from(e.classList).join('.');
    parts.unshift(s);
  }
  return parts.join(' > ');
};
const visible = el => {
  if (!el.getClientRects().length) return false;
  const cs = getComputedStyle(el);
  if (cs.visibility !== 'visible') return false;
  for (let e = el; e; e = e.parentElement) if (Number(getComputedStyle(e).opacity) === 0) return false;
  return true;
};
const disabled = el => !!el.closest('button:disabled, input:disabled, select:disabled, textarea:disabled, [aria-disabled="true"]');
const seen = new Map();
const check = (el, text) => {
  if (disabled(el) || !visible(el) || el.closest('option, script, style, noscript')) return;
  const cs = getComputedStyle(el);
  const bg = background(el);
  let fg = parse(cs.color);
  if (!fg) return;
  fg = over(fg, bg);
  const size = parseFloat(cs.fontSize), bold = Number(cs.fontWeight) >= 700;
  const large = size >= 24 || (size >= 18.66 && bold);
  const need = large ? largeMin : normalMin;
  const r = ratio(fg, bg);
  if (r + 1e-9 >= need) return;
  const key = where(el) + hex(fg) + hex(bg);
  if (seen.has(key)) { seen.get(key).count += 1; return; }
  seen.set(key, { element: where(el), text: text.trim().slice(0, 60), color: hex(fg), background: hex(bg),
                  ratio: Math.round(r * 100) / 100, required: need, font_size: size, count: 1 });
};
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  if (!n.textContent.trim() || !n.parentElement) continue;
  const range = document.createRange();
  range.selectNodeContents(n);
  if (!Array.from(range.getClientRects()).some(r => r.width > 0 && r.height > 0)) continue;
  check(n.parentElement, n.textContent);
}
for (const el of document.querySelectorAll('input:not([type=checkbox]):not([type=radio]):not([type=file]):not([type=hidden]), select, textarea')) {
  check(el, el.value || el.getAttribute('placeholder') || '');
}
return Array.from(seen.values());
"#;

/// One element (with its colours) whose text is below its minimum ratio.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Offender {
    /// Where: up to four ancestors, by `data-testid` or classes.
    pub element: String,
    /// The first text found there (60 characters at most).
    pub text: String,
    /// The text colour (`#rrggbb`, composited on its background).
    pub color: String,
    /// The effective background colour.
    pub background: String,
    /// The contrast ratio, to two decimals.
    pub ratio: f64,
    /// The ratio it needs (4.5, or 3 for large text).
    pub required: f64,
    /// The computed font size in CSS pixels.
    pub font_size: f64,
    /// How many text nodes share this element path and these colours.
    pub count: u32,
}

impl std::fmt::Display for Offender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.2}:1 < {}:1  {} on {}  {}px  {}  {:?}{}",
            self.ratio,
            self.required,
            self.color,
            self.background,
            self.font_size,
            self.element,
            self.text,
            if self.count > 1 {
                format!(" (and {} more)", self.count - 1)
            } else {
                String::new()
            }
        )
    }
}

/// Every text on the page now whose contrast is below its minimum.
pub async fn offenders(page: &Page) -> Result<Vec<Offender>, crate::Error> {
    let value = page
        .js(
            CONTRAST_JS,
            vec![serde_json::json!(NORMAL_MIN), serde_json::json!(LARGE_MIN)],
        )
        .await?;
    Ok(serde_json::from_value(value)?)
}

/// The offenders as a report, one per line.
pub fn report(offenders: &[Offender]) -> String {
    offenders
        .iter()
        .map(|o| format!("  {o}"))
        .collect::<Vec<_>>()
        .join("\n")
}
