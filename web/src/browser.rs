//! Small browser services: the clock, reads of a file's slices, Blob
//! downloads, and the error banner shown when the page's wasm panics.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

/// Milliseconds since the Unix epoch (`Date.now()`).
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Resolves in a later task (`setTimeout(0)`): lets the browser render and
/// handle input between two pieces of work.
pub async fn next_task() {
    gloo_timers::future::TimeoutFuture::new(0).await;
}

/// Run `f` once, `delay_ms` from now (0 when negative), in a task of its
/// own. The timer is awaited rather than forgotten, so its callback is freed
/// once it has run.
pub fn later(delay_ms: i32, f: impl FnOnce() + 'static) {
    let delay_ms = u32::try_from(delay_ms).unwrap_or(0);
    wasm_bindgen_futures::spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(delay_ms).await;
        f();
    });
}

/// A read of bytes `start..end` of a file, under way from when it is made
/// ([`SliceRead::start`]), so several can be in flight before any is awaited.
pub enum SliceRead {
    /// An empty range: nothing to read.
    Empty,
    /// The read, under way.
    Reading(wasm_bindgen_futures::JsFuture),
    /// The slice could not be made.
    Failed,
}

impl SliceRead {
    /// Start reading bytes `start..end` of `file`.
    pub fn start(file: &web_sys::File, start: u64, end: u64) -> Self {
        if start >= end {
            return SliceRead::Empty;
        }
        match file.slice_with_f64_and_f64(start as f64, end as f64) {
            Ok(blob) => SliceRead::Reading(blob.array_buffer().into()),
            Err(_) => SliceRead::Failed,
        }
    }

    /// The bytes read, or `None` when they could not be.
    pub async fn bytes(self) -> Option<Vec<u8>> {
        match self {
            SliceRead::Empty => Some(Vec::new()),
            SliceRead::Reading(read) => Some(js_sys::Uint8Array::new(&read.await.ok()?).to_vec()),
            SliceRead::Failed => None,
        }
    }
}

/// Show `text` in the `#panic-banner` element (as text).
pub fn show_banner(text: &str) {
    let banner = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("panic-banner"));
    if let Some(banner) = banner {
        banner.set_text_content(Some(text));
        let _ = banner.remove_attribute("hidden");
    }
}

/// A panic on the page logs to the console and shows the banner instead of
/// leaving a dead page without a word.
pub fn install_panic_banner() {
    std::panic::set_hook(Box::new(|info| {
        let text = format!("cmdhunt hit an internal error and stopped: {info}. Reload the page to start again; your files were not sent anywhere.");
        web_sys::console::error_1(&JsValue::from_str(&text));
        show_banner(&text);
    }));
}

/// Offer `text` as a file download named `file_name` (a Blob URL clicked
/// through a temporary link; nothing leaves the machine).
pub fn download(text: &str, file_name: &str, mime: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let link: HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(file_name);
    link.click();
    // Revoke once the download has taken the Blob.
    later(10_000, move || {
        let _ = Url::revoke_object_url(&url);
    });
    Ok(())
}

/// The page's `localStorage` value under `key` (`None` when absent or when
/// storage is unavailable, as on some `file://` pages).
pub fn storage_get(key: &str) -> Option<String> {
    web_sys::window()?
        .local_storage()
        .ok()??
        .get_item(key)
        .ok()?
}

/// Store `value` under `key` in `localStorage`; the error says why not.
pub fn storage_set(key: &str, value: &str) -> Result<(), JsValue> {
    web_sys::window()
        .ok_or_else(|| JsValue::from_str("no window"))?
        .local_storage()?
        .ok_or_else(|| JsValue::from_str("no localStorage"))?
        .set_item(key, value)
}

/// The page URL's fragment (`#...`, empty when none).
pub fn location_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Set the page URL's fragment (no navigation, nothing is fetched).
pub fn set_location_hash(hash: &str) -> Result<(), JsValue> {
    web_sys::window()
        .ok_or_else(|| JsValue::from_str("no window"))?
        .location()
        .set_hash(hash)
}
