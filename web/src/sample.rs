//! The built-in sample export behind "Try the sample".
//!
//! `static/sample.csv` is a hand-written Defender `DeviceProcessEvents` export
//! (30 records, 15 flagged, every flag present, one row outside the default
//! 24-hour window, one command line carrying an `<img onerror>` XSS probe).

/// The sample's bytes.
pub const SAMPLE_CSV: &[u8] = include_bytes!("../../static/sample.csv");

/// The file name the sample is shown under.
pub const SAMPLE_NAME: &str = "sample.csv";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::scan_all;
    use cmdhunt_core::results::{select, Window};

    #[test]
    fn sample_has_every_flag_a_window_edge_and_the_xss_probe() {
        let (summary, rows) = scan_all(SAMPLE_CSV, 0, None);
        assert_eq!(summary.error, None);
        assert_eq!((summary.records, summary.skipped), (30, 0));
        assert_eq!((summary.shell, summary.flagged), (24, 15));
        assert!(
            summary.flag_counts.iter().all(|&n| n > 0),
            "{:?}",
            summary.flag_counts
        );
        let shown = select(&rows, &Window::default(), summary.newest);
        assert_eq!(shown.len(), 14, "the 2024-05-12 reg save is outside 24h");
        assert!(rows.iter().any(|r| r
            .event
            .process_command_line
            .contains("<img src=x onerror=alert(1)>")));
    }
}
