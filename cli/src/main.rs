//! `timbrel`: the plugin's engine offline. Drum-hit onsets and descriptors from WAV files,
//! training, classifying and cross-validating hit classes, sample maps of a folder, and
//! benchmarks, all with the plugin's own analysis and learning.
//!
//! This file only parses arguments and reports errors; the work is in [`commands`] (one file
//! per subcommand) and WAV decoding in [`wav`].

mod commands;
mod wav;

use std::ffi::OsString;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use timbrel_core::analysis::{AnalysisSettings, DetectorKind, DetectorSettings};

use commands::{AnalysisOptions, DEFAULT_BLOCK};

/// Detects drum hits in WAV files, describes them, and trains, applies and checks hit classes,
/// with the same streaming analysis and learning the Timbrel plugin runs.
#[derive(Debug, Parser)]
#[command(name = "timbrel", version, propagate_version = true)]
#[command(after_help = "\
Examples:
  timbrel onsets snare.wav
  timbrel onsets --detector flux --block 64 overheads.wav
  timbrel features hits/*.wav > features.csv
  timbrel bench
  timbrel train -c center=hits/center -c edge='hits/edge-*.wav' -o snare.timbrel
  timbrel classify -m snare.timbrel take1.wav > take1.csv
  timbrel train -c center=hits/center -c edge=hits/edge -c kit=bleed/ --ignore kit -o snare.timbrel
  timbrel eval -c center=hits/center -c edge=hits/edge
  timbrel map samples/ -o map.html --png map.png

WAV input: 8/16/24/32-bit integer or 32-bit float, any channel count (mixed to mono).")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print one CSV row per detected hit:
    /// onset_s,ready_s,peak_dbfs,detection_dbfs,rise_db,mask_dbfs.
    ///
    /// onset_s is the refined onset time and ready_s the time at which the hit's descriptor was
    /// complete (onset + window, so ready_s - onset_s is the plugin's hit-to-descriptor latency),
    /// both in seconds with six decimals; peak_dbfs is the peak level in the analysis window.
    /// What the envelope detector saw when it fired: detection_dbfs its detection envelope,
    /// rise_db that envelope's rise over its slow average, mask_dbfs the retrigger mask it had
    /// to exceed (the flux detector reports -200 there).
    ///
    /// With --truth FILE.csv (a header with an onset_s column, in seconds, and optionally a
    /// target column, 1 for strokes of this drum and 0 for other pieces heard in it), lines
    /// starting with '#' follow the rows: recall, false detections (at no event), detections of
    /// other pieces' strokes, and the timing error.
    Onsets {
        /// The WAV file to analyse.
        file: PathBuf,
        /// Ground-truth CSV file to score the detections against.
        #[arg(long, value_name = "CSV")]
        truth: Option<PathBuf>,
        /// With --truth: how far a detection may be from the event it is matched to, in ms.
        #[arg(long, value_name = "MS", default_value_t = 10.0, requires = "truth",
              value_parser = parse_tolerance_ms)]
        tolerance: f64,
        #[command(flatten)]
        analysis: AnalysisArgs,
    },
    /// Print one CSV row per hit with its full descriptor: file,onset_s,<descriptor...>.
    ///
    /// Files are analysed in parallel; rows come out in argument order, and `file` is each path
    /// exactly as given (quoted if it contains a comma or a quote). A file that cannot be read
    /// is reported on stderr and skipped; the exit status is then 1.
    Features {
        /// The WAV files to analyse.
        #[arg(required = true)]
        files: Vec<OsString>,
        #[command(flatten)]
        analysis: AnalysisArgs,
    },
    /// Measure analysis speed on one core with synthesized audio in memory.
    ///
    /// Prints the descriptor throughput (hits per second of CPU time, descriptor extraction
    /// alone) and the real-time factor of the whole streaming pipeline (sanitise, high-pass,
    /// detector, onset refinement, descriptors) on a synthetic snare performance at 48 kHz in
    /// blocks of 512, with the plugin's default settings.
    Bench {
        /// Approximate measuring time, in seconds (at least 0.2; rendering the audio comes on
        /// top).
        #[arg(long, default_value_t = 2.0, value_parser = parse_seconds)]
        seconds: f64,
    },
    /// Train a model on labelled WAV files and save it (-c NAME=PATH per class).
    ///
    /// Prints a summary to stderr: hits per class, the classifier chosen, its cross-validated
    /// accuracy and calibration error (ECE), and timings. The analysis settings are stored in
    /// the model and reused by `classify`.
    Train(commands::train::TrainArgs),
    /// Print one CSV row per hit: file,onset_s,class,confidence,interpolation,p_CLASS...
    ///
    /// class is `unknown` for a hit unlike every trained class (confidence, interpolation and
    /// probabilities are still given); interpolation is 0 on the model's class A and 1 on B.
    /// Unreadable files are reported and skipped (exit status 1).
    Classify(commands::classify::ClassifyArgs),
    /// Cross-validate a classifier on labelled WAV files: accuracy, confusion matrix, ECE,
    /// doubtful hits and advice per class.
    Eval(commands::eval::EvalArgs),
    /// Map a folder of one-shots in 2-D (self-contained HTML, optional PNG), cluster them and
    /// report silhouettes, cluster purity per folder label and stage times.
    Map(commands::map::MapArgs),
    /// Compare descriptor statistics with learned (autoencoder) features on labelled folders
    /// (folder = label): silhouette, 5-NN leave-one-out accuracy, k-means purity.
    EvalFeatures(commands::map::EvalFeaturesArgs),
}

/// Analysis options shared by `onsets`, `features`, `train` and `eval`. Defaults are the core's
/// (the plugin's).
#[derive(Debug, Args)]
struct AnalysisArgs {
    /// Onset detector: envelope (lowest latency, for close mics) or flux (robust to bleed).
    #[arg(long, value_enum, default_value_t = Detector::Envelope)]
    detector: Detector,
    /// Samples per analyzer call, as a host's buffer size; results do not depend on it.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BLOCK as u32,
          value_parser = clap::value_parser!(u32).range(1..=1 << 20))]
    block: u32,
    /// Descriptor window, in samples at 44.1 kHz (64..=4096; scaled to the file's rate).
    #[arg(long, value_name = "N", default_value_t = AnalysisSettings::default().window_ref_samples,
          value_parser = clap::value_parser!(u32).range(64..=4096))]
    window: u32,
    /// Detection threshold, in dB (1..=40): envelope rise over its slow average, or the flux
    /// detector's adaptive threshold scale. Lower finds softer hits.
    #[arg(long, value_name = "DB", default_value_t = AnalysisSettings::default().detector.threshold_db,
          help_heading = "Detector tuning")]
    threshold: f32,
    /// Gate: no onset while the high-passed signal is below this level, in dBFS (-120..=0).
    #[arg(long, value_name = "DBFS", default_value_t = AnalysisSettings::default().detector.floor_dbfs,
          allow_negative_numbers = true, help_heading = "Detector tuning")]
    floor: f32,
    /// Minimum time between two onsets, in milliseconds (2..=1000).
    #[arg(long, value_name = "MS", default_value_t = AnalysisSettings::default().detector.min_interval_ms,
          help_heading = "Detector tuning")]
    min_interval: f32,
    /// Envelope detector: high-pass cutoff before the envelopes, in Hz (20..=8000).
    #[arg(long, value_name = "HZ", default_value_t = AnalysisSettings::default().detector.highpass_hz,
          help_heading = "Detector tuning")]
    highpass: f32,
    /// Envelope detector: time the retrigger mask takes to fall 20 dB after a hit, in
    /// milliseconds (5..=2000). Longer rejects more ringing and cymbal wash.
    #[arg(long, value_name = "MS", default_value_t = AnalysisSettings::default().detector.retrigger_decay_ms,
          help_heading = "Detector tuning")]
    retrigger_decay: f32,
    /// Learn gate, threshold and retrigger decay from each file's first 8 s (as the plugin's
    /// Learn levels) and use them instead of --floor, --threshold and --retrigger-decay.
    #[arg(long, help_heading = "Detector tuning")]
    learn_levels: bool,
}

/// The onset detectors, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Detector {
    /// Fast/slow envelope difference after a high-pass.
    Envelope,
    /// Spectral flux with adaptive whitening.
    Flux,
}

impl AnalysisArgs {
    /// The validated options; an out-of-range value exits like any other argument error.
    fn options(&self) -> AnalysisOptions {
        let settings = AnalysisSettings {
            detector: DetectorSettings {
                kind: match self.detector {
                    Detector::Envelope => DetectorKind::Envelope,
                    Detector::Flux => DetectorKind::Flux,
                },
                highpass_hz: self.highpass,
                threshold_db: self.threshold,
                floor_dbfs: self.floor,
                min_interval_ms: self.min_interval,
                retrigger_decay_ms: self.retrigger_decay,
            },
            window_ref_samples: self.window,
        };
        AnalysisOptions::new(settings, self.block as usize)
            .unwrap_or_else(|err| {
                Cli::command()
                    .error(clap::error::ErrorKind::ValueValidation, err)
                    .exit()
            })
            .with_learn_levels(self.learn_levels)
    }
}

/// Parses a matching tolerance: a positive, finite number of milliseconds up to one second.
fn parse_tolerance_ms(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 1000.0 => Ok(v),
        _ => Err(format!(
            "{text:?} is not a tolerance in milliseconds (0 < ms <= 1000)"
        )),
    }
}

/// Parses a positive, finite number of seconds.
fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 => Ok(s),
        _ => Err(format!(
            "expected a positive number of seconds, got `{text}`"
        )),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // NOTE: our errors already name their cause; `{:#}` would repeat it.
            eprintln!("timbrel: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one subcommand, writing its output to a buffered, locked stdout.
fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let code = match &cli.command {
        Command::Onsets {
            file,
            analysis,
            truth,
            tolerance,
        } => {
            let truth = truth.as_deref().map(|path| commands::onsets::Truth {
                path,
                tolerance_ms: *tolerance,
            });
            commands::onsets::run(file, &analysis.options(), truth.as_ref(), &mut out)?;
            ExitCode::SUCCESS
        }
        Command::Features { files, analysis } => {
            let failed = commands::features::run(files, &analysis.options(), &mut out, |err| {
                eprintln!("timbrel: {err}");
            })?;
            if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::Train(args) => {
            commands::train::run(args, &mut io::stderr().lock())?;
            ExitCode::SUCCESS
        }
        Command::Classify(args) => {
            let failed =
                commands::classify::run(args, &mut out, |err| eprintln!("timbrel: {err}"))?;
            if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::Eval(args) => {
            commands::eval::run(args, &mut out, &mut io::stderr().lock())?;
            ExitCode::SUCCESS
        }
        Command::Map(args) => {
            commands::map::run(args, &mut out)?;
            ExitCode::SUCCESS
        }
        Command::EvalFeatures(args) => {
            commands::map::run_eval(args, &mut out)?;
            ExitCode::SUCCESS
        }
        Command::Bench { seconds } => {
            let report = commands::bench::run(*seconds);
            writeln!(out, "{report}")?;
            ExitCode::SUCCESS
        }
    };
    out.flush()?;
    Ok(code)
}

/// Whether `err` is stdout closing early (`timbrel features ... | head`), which is not a failure.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
