//! Where files come in: a drop zone, the file picker
//! (`data-testid="file-input"`), "Try the sample" and "Clear".

use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsValue;
use web_sys::{File, FileList, HtmlInputElement};
use yew::prelude::*;

use super::app::Ctx;
use crate::browser::SliceRead;
use crate::fingerprint;
use crate::sample::{SAMPLE_CSV, SAMPLE_NAME};
use crate::state::{Action, NewFile};

/// How many files' first and last 64 KiB are read at once when files are added.
const EDGE_READS_AT_ONCE: usize = 16;

/// The reads of a file's first and last 64 KiB, started now.
struct EdgeReads {
    head: SliceRead,
    tail: SliceRead,
    size: u64,
}

impl EdgeReads {
    fn start(file: &File) -> Self {
        let size = file.size() as u64;
        let [(h0, h1), (t0, t1)] = fingerprint::edges(size);
        EdgeReads {
            head: SliceRead::start(file, h0, h1),
            tail: SliceRead::start(file, t0, t1),
            size,
        }
    }

    /// The file's [`fingerprint::of`] its first and last 64 KiB, and its
    /// first bytes (the bridge plans a split with them); `None` when they
    /// cannot be read (the scan then reports why).
    async fn finish(self) -> Option<(u64, Vec<u8>)> {
        let head = self.head.bytes().await?;
        let tail = self.tail.bytes().await?;
        Some((fingerprint::of(self.size, &head, &tail), head))
    }
}

/// Fingerprint `files`, then register them with the workers' handle table
/// and the state in one go (ids stay in step with the handles however
/// many additions overlap).
fn add_files(ctx: &Ctx, files: Vec<File>) {
    if files.is_empty() {
        return;
    }
    let ctx = ctx.clone();
    wasm_bindgen_futures::spawn_local(async move {
        // The files' two reads at once, [`EDGE_READS_AT_ONCE`] files at a
        // time (a drop of thousands of files holds at most that many
        // 128 KiB), then their results in order.
        let mut entries = Vec::with_capacity(files.len());
        let mut heads = Vec::with_capacity(files.len());
        for batch in files.chunks(EDGE_READS_AT_ONCE) {
            let reads: Vec<EdgeReads> = batch.iter().map(EdgeReads::start).collect();
            for (f, read) in batch.iter().zip(reads) {
                let entry = NewFile::new(f.name(), f.size() as u64);
                let (entry, head) = match read.finish().await {
                    Some((fp, head)) => (entry.with_fingerprint(fp), Some(head)),
                    None => (entry, None),
                };
                entries.push(entry);
                heads.push(head);
            }
        }
        let base = ctx.state().files.len() as u32;
        {
            let mut workers = ctx.workers.borrow_mut();
            for (i, (f, head)) in files.iter().zip(heads).enumerate() {
                workers.add_file(base + i as u32, f.clone(), head);
            }
        }
        ctx.dispatch(Action::AddFiles(entries));
    });
}

fn list(files: Option<FileList>) -> Vec<File> {
    let Some(files) = files else {
        return Vec::new();
    };
    (0..files.length()).filter_map(|i| files.get(i)).collect()
}

/// The sample export as a `File`.
fn sample_file() -> Result<File, JsValue> {
    let bytes = Uint8Array::from(SAMPLE_CSV);
    File::new_with_u8_array_sequence(&Array::of1(&bytes), SAMPLE_NAME)
}

/// The input area.
#[function_component(DropZone)]
pub fn drop_zone() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return Html::default();
    };
    let over = use_state(|| false);

    let on_change = {
        let ctx = ctx.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            add_files(&ctx, list(input.files()));
            input.set_value(""); // picking the same file again re-adds it
        })
    };
    let on_drop = {
        let (ctx, over) = (ctx.clone(), over.clone());
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            over.set(false);
            add_files(&ctx, list(e.data_transfer().and_then(|d| d.files())));
        })
    };
    let on_drag_over = {
        let over = over.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            over.set(true);
        })
    };
    let on_drag_leave = {
        let over = over.clone();
        Callback::from(move |_: DragEvent| over.set(false))
    };
    let on_sample = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| match sample_file() {
            Ok(f) => add_files(&ctx, vec![f]),
            Err(e) => {
                crate::browser::show_banner(&format!("the sample could not be loaded: {e:?}"))
            }
        })
    };
    let on_clear = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| {
            ctx.workers.borrow_mut().clear();
            ctx.dispatch(Action::Clear);
        })
    };
    let has_files = !ctx.state().files.is_empty();
    html! {
        <section
            class={classes!("drop-zone", over.then_some("over"))}
            data-testid="drop-zone"
            aria-label="Add export files"
            ondrop={on_drop}
            ondragover={on_drag_over}
            ondragleave={on_drag_leave}
        >
            <p class="drop-hint">
                { "Drop exports here (one or many): Defender / Sentinel CSV or XLSX, Sysmon or Security EVTX, event XML, JSON." }
            </p>
            <label class="picker">
                { "Choose files: " }
                <input type="file" multiple=true data-testid="file-input" onchange={on_change} />
            </label>
            <button type="button" data-testid="sample-button" onclick={on_sample}>{ "Try the sample" }</button>
            if has_files {
                <button type="button" class="secondary" data-testid="clear-button" onclick={on_clear}>{ "Clear all" }</button>
            }
        </section>
    }
}
