//! `timbrel features`: one CSV row per hit with its full descriptor, over many files.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use rayon::prelude::*;
use timbrel_core::analysis::descriptor::NAMES;

use super::{csv, AnalysisOptions, Runner};
use crate::wav::{self, WavError};

/// Files analysed in parallel before their rows are written out; bounds memory on huge batches
/// while keeping the output in argument order.
const BATCH: usize = 256;

/// The CSV header `features` prints: `file,onset_s,` then every descriptor name.
pub fn header() -> String {
    let mut header = String::from("file,onset_s");
    for name in NAMES {
        header.push(',');
        header.push_str(name);
    }
    header
}

/// Analyzes every file in `paths` (in parallel) and writes their rows to `out` in argument
/// order: `file` exactly as given, `onset_s` with six decimals, then the descriptor.
///
/// A file that cannot be read does not stop the others: its error is passed to `on_error` and
/// it contributes no rows. Returns the number of files that failed.
pub fn run(
    paths: &[OsString],
    options: &AnalysisOptions,
    out: &mut impl Write,
    mut on_error: impl FnMut(&WavError),
) -> std::io::Result<usize> {
    out.write_all(header().as_bytes())?;
    out.write_all(b"\n")?;
    // Analyzers are reused across files (and threads): building one allocates FFT plans and
    // windows that a one-shot's analysis would otherwise pay for every time.
    let pool: Mutex<Vec<Runner>> = Mutex::new(Vec::new());
    let mut failed = 0;
    for batch in paths.chunks(BATCH) {
        let results: Vec<Result<Vec<u8>, WavError>> = batch
            .par_iter()
            .map(|path| {
                let popped = pool.lock().map(|mut p| p.pop()).unwrap_or(None);
                let mut runner = popped.unwrap_or_else(|| Runner::new(options));
                let rows = file_rows(path, &mut runner);
                if let Ok(mut pool) = pool.lock() {
                    pool.push(runner);
                }
                rows
            })
            .collect();
        failed += super::write_rows(results, out, &mut on_error)?;
    }
    Ok(failed)
}

/// The CSV rows of one file.
fn file_rows(path: &OsString, runner: &mut Runner) -> Result<Vec<u8>, WavError> {
    let (samples, sample_rate) = wav::read_mono(Path::new(path))?;
    let mut field = Vec::new();
    csv::push_field(&mut field, path);
    let mut rows = Vec::with_capacity(1024);
    runner.run(&samples, sample_rate, |hit| {
        rows.extend_from_slice(&field);
        rows.push(b',');
        csv::push_seconds(&mut rows, hit.onset_sample, sample_rate);
        for &value in &hit.descriptor {
            rows.push(b',');
            csv::push_f32(&mut rows, value);
        }
        rows.push(b'\n');
    });
    Ok(rows)
}
