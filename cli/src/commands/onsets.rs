//! `timbrel onsets`: one CSV row per detected hit of one file, with what the detector saw, and
//! optionally a score against a ground-truth file.

use std::io::Write;
use std::path::Path;

use super::{csv, truth, AnalysisOptions, Runner};
use crate::wav;

/// The exact CSV header `onsets` prints.
pub const HEADER: &str = "onset_s,ready_s,peak_dbfs,detection_dbfs,rise_db,mask_dbfs";

/// Scoring against a ground truth: the file and the matching tolerance.
#[derive(Debug, Clone)]
pub struct Truth<'a> {
    /// The ground-truth CSV file (see [`truth`]).
    pub path: &'a Path,
    /// Largest distance between a detection and the event it is matched to, in milliseconds.
    pub tolerance_ms: f64,
}

/// Reads `path` and writes one row per hit to `out` (then, with `truth`, the score as `# `
/// lines).
///
/// `onset_s` is the refined onset and `ready_s` the moment the descriptor was complete, both
/// `sample / sample_rate` with six decimals; `peak_dbfs` is the peak level in the analysis
/// window, in dBFS. The envelope detector's view when it fired: `detection_dbfs` the level of
/// its detection envelope (mean square of the high-passed signal, dBFS), `rise_db` how far that
/// stood over its slow average (dB; the threshold is the least), `mask_dbfs` the retrigger mask
/// it had to exceed (dBFS). The flux detector reports -200 in these three columns.
pub fn run(
    path: &Path,
    options: &AnalysisOptions,
    truth: Option<&Truth<'_>>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    // The ground truth is read first, so that a bad file is reported before any output.
    let events = truth.map(|t| truth::read(t.path)).transpose()?;
    let (samples, sample_rate) = wav::read_mono(path)?;
    let mut runner = Runner::new(options);
    let mut buf = Vec::with_capacity(64 * 1024);
    buf.extend_from_slice(HEADER.as_bytes());
    buf.push(b'\n');
    let mut onsets_s = Vec::new();
    runner.run(&samples, sample_rate, |hit| {
        onsets_s.push(hit.onset_sample as f64 / sample_rate as f64);
        csv::push_seconds(&mut buf, hit.onset_sample, sample_rate);
        buf.push(b',');
        csv::push_seconds(&mut buf, hit.ready_sample, sample_rate);
        buf.push(b',');
        csv::push_db(&mut buf, hit.peak_dbfs);
        for v in [
            hit.detection.level_dbfs,
            hit.detection.rise_db,
            hit.detection.mask_dbfs,
        ] {
            buf.push(b',');
            csv::push_db(&mut buf, v);
        }
        buf.push(b'\n');
    });
    if let Some(learned) = runner.learned() {
        match learned {
            Ok(l) => eprintln!("timbrel: learned {l}"),
            Err(e) => eprintln!("timbrel: levels not learned ({e}); the given settings are used"),
        }
    }
    if let (Some(t), Some(events)) = (truth, events) {
        let s = truth::score(&onsets_s, &events, t.tolerance_ms / 1000.0);
        buf.extend_from_slice(s.summary(t.tolerance_ms).as_bytes());
    }
    out.write_all(&buf)?;
    Ok(())
}
