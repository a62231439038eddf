//! Issue test 7: files that cannot be read (random bytes, an empty file)
//! each show an error naming the file, and a good file picked with them
//! still produces its rows.

use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::reference::Reference;
use cmdhunt_e2e::tmp::TempDir;
use cmdhunt_e2e::{ensure, ensure_eq, on_both_targets, Error};

/// Deterministic noise (xorshift64), never valid text.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8 | 0x80
        })
        .collect()
}

async fn unreadable_files_are_named(page: &Page) -> Result<(), Error> {
    let dir = TempDir::new("bad")?;
    let garbage = dir.write("garbage-export.csv", &noise(20_000))?;
    let empty = dir.write("empty-export.csv", b"")?;
    for bad in [&garbage, &empty] {
        let r = Reference::scan_one(bad)?;
        ensure!(
            r.files.iter().all(|(_, s)| s.error.is_some()),
            "core: {} should be unreadable",
            bad.display()
        );
    }
    let good = super::mde_proc();
    let reference = Reference::scan_one(&good)?;

    page.upload(&[garbage.clone(), empty.clone(), good.clone()])
        .await?;
    page.choose_window("all").await?;
    ensure_eq!(
        page.settled_count().await?,
        reference.count_all_time(),
        "rows of the good file"
    );
    let errors = page.texts("file-error").await?;
    for name in ["garbage-export.csv", "empty-export.csv"] {
        ensure!(
            errors.iter().any(|e| e.contains(name)),
            "no error names {name}: {errors:?}"
        );
    }
    ensure!(
        !errors.iter().any(|e| e.contains("mde_proc_cs1.csv")),
        "the good file is reported as an error: {errors:?}"
    );
    let statuses = page.file_statuses().await?;
    let good_status = statuses
        .iter()
        .find(|(n, _)| n == "mde_proc_cs1.csv")
        .map(|(_, s)| s.as_str());
    ensure_eq!(
        good_status,
        Some("done"),
        "status of the good file ({statuses:?})"
    );

    // Only bad files: each line says why beside its status, and the table
    // does not invite the analyst to "add files or try the sample".
    page.reopen().await?;
    page.upload(&[garbage, empty]).await?;
    let statuses = page.file_statuses().await?;
    for (name, reason) in [
        ("garbage-export.csv", "unrecognised format"),
        ("empty-export.csv", "the file is empty"),
    ] {
        let status = statuses
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.as_str())
            .unwrap_or_default();
        ensure!(
            status.starts_with("stopped on an error: ") && status.contains(reason),
            "the status of {name} gives the reason ({reason}): {status:?}"
        );
    }
    let empty_table = page.texts("no-rows").await?.concat();
    ensure!(
        !empty_table.contains("try the sample")
            && empty_table.contains("no file could be read")
            && empty_table.contains("garbage-export.csv: unrecognised format"),
        "the empty table says why: {empty_table:?}"
    );
    Ok(())
}

on_both_targets!(unreadable_files_are_named);
