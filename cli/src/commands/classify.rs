//! `timbrel classify`: one CSV row per hit with its class, confidence, interpolation and
//! class probabilities, from a model written by `timbrel train`.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use rayon::prelude::*;
use timbrel_learn::{file, Model, NewStroke, Prediction};

use super::classes::{IGNORED, UNKNOWN};
use super::{csv, AnalysisOptions, Runner, DEFAULT_BLOCK};
use crate::wav::{self, WavError};

/// Files analysed in parallel before their rows are written out (as in `features`).
const BATCH: usize = 256;

/// Arguments of `timbrel classify`.
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// The model file (written by `timbrel train`). Its analysis settings (detector, window)
    /// are used, so that descriptors match the training hits.
    #[arg(short, long, value_name = "MODEL")]
    pub model: PathBuf,
    /// The WAV files to classify.
    #[arg(required = true)]
    pub files: Vec<OsString>,
    /// Samples per analyzer call, as a host's buffer size; results do not depend on it.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BLOCK as u32,
          value_parser = clap::value_parser!(u32).range(1..=1 << 20))]
    pub block: u32,
    /// A hit is only one of the drum's classes when its body band (150 Hz-1 kHz) rose at least
    /// this many dB over the 10 ms before it (the plugin's `New stroke`): `auto` asks 6 dB of
    /// a model with an ignore class and nothing of one without, `off` nothing. Hi-hats and
    /// cymbals over the drum's ringing rise little; so do ghost notes in an accent's tail.
    #[arg(long, value_name = "auto|off|DB", default_value = "auto", value_parser = new_stroke)]
    pub new_stroke: NewStroke,
}

/// Parses `--new-stroke`: `auto`, `off` or a number from 0 to 60 dB.
fn new_stroke(s: &str) -> Result<NewStroke, String> {
    match s.trim() {
        t if t.eq_ignore_ascii_case("auto") => Ok(NewStroke::Auto),
        t if t.eq_ignore_ascii_case("off") => Ok(NewStroke::Off),
        t => {
            let v: f32 = t
                .parse()
                .map_err(|_| format!("`{s}` is not auto, off or a number of dB"))?;
            if (0.0..=60.0).contains(&v) {
                Ok(NewStroke::Db(v))
            } else {
                Err(format!("{v} dB is outside 0..=60"))
            }
        }
    }
}

/// The CSV header: `file,onset_s,class,confidence,interpolation,` then `p_<class>` per class.
pub fn header(model: &Model) -> Vec<u8> {
    let mut out = b"file,onset_s,class,confidence,interpolation".to_vec();
    for class in model.classes() {
        out.push(b',');
        csv::push_field(&mut out, OsStr::new(&format!("p_{}", class.name)));
    }
    out.push(b'\n');
    out
}

/// Loads the model and classifies every hit of every file (files in parallel, rows in argument
/// order). A file that cannot be read is passed to `on_error` and skipped; returns how many
/// were. A model that cannot be loaded fails the whole command.
pub fn run(
    args: &ClassifyArgs,
    out: &mut impl Write,
    mut on_error: impl FnMut(&WavError),
) -> anyhow::Result<usize> {
    let model_file = file::load(&args.model)?;
    let model = &model_file.model;
    let options = AnalysisOptions::new(model_file.analysis, args.block as usize)?;
    out.write_all(&header(model))?;
    let names: Vec<Vec<u8>> = model
        .classes()
        .iter()
        .map(|c| {
            let mut field = Vec::new();
            csv::push_field(&mut field, OsStr::new(&c.name));
            field
        })
        .collect();
    let mut failed = 0;
    for batch in args.files.chunks(BATCH) {
        let results: Vec<Result<Vec<u8>, WavError>> = batch
            .par_iter()
            .map_init(
                || Runner::new(&options),
                |runner, path| file_rows(path, runner, model, &names, args.new_stroke),
            )
            .collect();
        failed += super::write_rows(results, out, &mut on_error)?;
    }
    Ok(failed)
}

/// Appends `value` with four decimals (probabilities and interpolation, 0..1).
fn push_unit(out: &mut Vec<u8>, value: f32) {
    // NOTE: writing to a Vec<u8> cannot fail.
    let _ = write!(out, "{value:.4}");
}

/// The CSV rows of one file.
fn file_rows(
    path: &OsString,
    runner: &mut Runner,
    model: &Model,
    names: &[Vec<u8>],
    new_stroke: NewStroke,
) -> Result<Vec<u8>, WavError> {
    let (samples, sample_rate) = wav::read_mono(Path::new(path))?;
    let mut field = Vec::new();
    csv::push_field(&mut field, path);
    let mut rows = Vec::with_capacity(256);
    let mut p = Prediction::default();
    runner.run(&samples, sample_rate, |hit| {
        model.classify_hit(hit, 1.0, new_stroke, &mut p);
        rows.extend_from_slice(&field);
        rows.push(b',');
        csv::push_seconds(&mut rows, hit.onset_sample, sample_rate);
        rows.push(b',');
        match p.best {
            Some(c) => rows.extend_from_slice(&names[c as usize]),
            None if p.ignored => rows.extend_from_slice(IGNORED.as_bytes()),
            None => rows.extend_from_slice(UNKNOWN.as_bytes()),
        }
        rows.push(b',');
        push_unit(&mut rows, p.confidence);
        rows.push(b',');
        push_unit(&mut rows, p.interpolation);
        for &prob in &p.probabilities[..names.len()] {
            rows.push(b',');
            push_unit(&mut rows, prob);
        }
        rows.push(b'\n');
    });
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_stroke_reads_auto_off_and_decibels() {
        assert_eq!(new_stroke("auto"), Ok(NewStroke::Auto));
        assert_eq!(new_stroke(" OFF "), Ok(NewStroke::Off));
        assert_eq!(new_stroke("6"), Ok(NewStroke::Db(6.0)));
        assert_eq!(new_stroke("0"), Ok(NewStroke::Db(0.0)));
        let bad = new_stroke("-3").unwrap_err();
        assert!(bad.contains("-3"), "{bad}");
        let bad = new_stroke("loud").unwrap_err();
        assert!(bad.contains("loud"), "{bad}");
    }
}
