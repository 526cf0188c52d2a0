//! `timbrel onsets`: one CSV row per detected hit of one file.

use std::io::Write;
use std::path::Path;

use super::{csv, AnalysisOptions, Runner};
use crate::wav;

/// The exact CSV header `onsets` prints.
pub const HEADER: &str = "onset_s,ready_s,peak_dbfs";

/// Reads `path` and writes `onset_s,ready_s,peak_dbfs` rows for every hit to `out`.
///
/// `onset_s` is the refined onset and `ready_s` the moment the descriptor was complete, both
/// `sample / sample_rate` with six decimals; `peak_dbfs` is the peak level in the analysis
/// window, in dBFS.
pub fn run(path: &Path, options: &AnalysisOptions, out: &mut impl Write) -> anyhow::Result<()> {
    let (samples, sample_rate) = wav::read_mono(path)?;
    let mut runner = Runner::new(options);
    let mut buf = Vec::with_capacity(64 * 1024);
    buf.extend_from_slice(HEADER.as_bytes());
    buf.push(b'\n');
    runner.run(&samples, sample_rate, |hit| {
        csv::push_seconds(&mut buf, hit.onset_sample, sample_rate);
        buf.push(b',');
        csv::push_seconds(&mut buf, hit.ready_sample, sample_rate);
        buf.push(b',');
        csv::push_db(&mut buf, hit.peak_dbfs);
        buf.push(b'\n');
    });
    out.write_all(&buf)?;
    Ok(())
}
