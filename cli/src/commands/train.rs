//! `timbrel train`: analyses labelled WAV files, trains a model and saves it as a `.timbrel` file.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use timbrel_learn::file::{self, ModelFile};
use timbrel_learn::{train, ModelKind};

use super::classes::{self, kind_name, ClassArgs};

/// Arguments of `timbrel train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub classes: ClassArgs,
    /// The model file to write (conventionally NAME.timbrel); replaced if it exists.
    #[arg(short, long, value_name = "MODEL")]
    pub output: PathBuf,
    /// Leave the training hits' descriptors out of the model file (smaller, but the model can
    /// then not be inspected or retrained without the audio).
    #[arg(long)]
    pub no_dataset: bool,
}

/// What `created_by` says in files this build writes.
pub fn created_by() -> String {
    format!("timbrel {}", env!("CARGO_PKG_VERSION"))
}

/// Trains, saves, and writes a short summary to `log` (stderr).
pub fn run(args: &TrainArgs, log: &mut impl Write) -> anyhow::Result<()> {
    let options = args.classes.analysis.options();
    let collected = classes::collect(&args.classes, &options)?;
    let data = &collected.dataset;
    let counts = data.counts();
    for (c, info) in data.classes.iter().enumerate() {
        writeln!(
            log,
            "{}: {} hits in {} files{}",
            info.name,
            counts[c],
            collected.files[c],
            if info.ignore { " (ignore class)" } else { "" }
        )?;
    }
    classes::write_extra_hits(&collected, log)?;
    let cfg = args.classes.config();
    let start = Instant::now();
    // NOTE: main prints only the outermost message, so the cause goes into it.
    let model = train(data, &cfg).map_err(|e| anyhow::anyhow!("training failed: {e}"))?;
    let train_s = start.elapsed().as_secs_f64();

    let mut model_file = ModelFile::new(created_by(), options.settings(), model);
    if !args.no_dataset {
        model_file.dataset = Some(collected.dataset.clone());
    }
    file::save(&args.output, &model_file)?;

    let model = &model_file.model;
    let report = model.report();
    let chosen = report.chosen();
    let tried = if cfg.kind == ModelKind::Auto {
        let names: Vec<&str> = report
            .candidates
            .iter()
            .map(|c| kind_name(c.kind))
            .collect();
        format!(" (auto, from {})", names.join(", "))
    } else {
        String::new()
    };
    writeln!(
        log,
        "model: {}{tried}; {}-fold cross-validated accuracy {:.1} %, ECE {:.3}",
        kind_name(model.kind()),
        report.cv_folds,
        100.0 * chosen.accuracy,
        chosen.ece
    )?;
    let (a, b) = model.pair();
    writeln!(
        log,
        "interpolation: {} = 0 to {} = 1; unknown above novelty {:.2} ({:.1} % of training hits)",
        data.classes[a].name,
        data.classes[b].name,
        model.unknown_threshold(),
        100.0 * report.loo_rejection
    )?;
    if !model.doubtful().is_empty() {
        classes::write_doubts(&collected, model, log)?;
    }
    let size = std::fs::metadata(&args.output).map_or(0, |m| m.len());
    writeln!(
        log,
        "analysed {} files in {:.2} s, trained in {:.2} s; wrote {} ({} KiB)",
        collected.files.iter().sum::<usize>(),
        collected.elapsed.as_secs_f64(),
        train_s,
        args.output.display(),
        size.div_ceil(1024)
    )?;
    Ok(())
}
