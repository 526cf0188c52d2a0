//! `timbrel eval`: cross-validates a classifier on labelled WAV files and prints accuracy, the
//! confusion matrix, calibration, the doubtful hits and advice per class.

use std::io::Write;
use std::time::Instant;

use clap::Args;
use timbrel_learn::evaluate;

use super::classes::{self, kind_name, ClassArgs, UNKNOWN};

/// Arguments of `timbrel eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub classes: ClassArgs,
}

/// Evaluates and writes the report to `out`; a one-line summary of the input goes to `log`.
pub fn run(args: &EvalArgs, out: &mut impl Write, log: &mut impl Write) -> anyhow::Result<()> {
    let options = args.classes.analysis.options();
    let collected = classes::collect(&args.classes, &options)?;
    let data = &collected.dataset;
    let counts = data.counts();
    let summary: Vec<String> = data
        .classes
        .iter()
        .enumerate()
        .map(|(c, info)| format!("{} {} hits", info.name, counts[c]))
        .collect();
    writeln!(
        log,
        "analysed {} files in {:.2} s: {}",
        collected.files.iter().sum::<usize>(),
        collected.elapsed.as_secs_f64(),
        summary.join(", ")
    )?;

    classes::write_extra_hits(&collected, log)?;
    let start = Instant::now();
    let e = evaluate(data, &args.classes.config())?;
    let how = if e.folds == e.examples.len() {
        "leave-one-out".to_string()
    } else {
        format!("{}-fold cross-validation", e.folds)
    };
    writeln!(
        out,
        "{} by {how} on {} hits ({:.2} s): accuracy {:.1} %, ECE {:.3}, log-loss {:.3}",
        kind_name(e.kind),
        e.examples.len(),
        start.elapsed().as_secs_f64(),
        100.0 * e.accuracy,
        e.ece,
        e.log_loss
    )?;

    // Confusion matrix, labelled, columns as wide as the longest name.
    let names: Vec<&str> = data.classes.iter().map(|c| c.name.as_str()).collect();
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    writeln!(
        out,
        "\nconfusion matrix (rows: true class, columns: predicted):"
    )?;
    write!(out, "{:width$}", "")?;
    for n in &names {
        write!(out, "  {n:>width$}")?;
    }
    writeln!(out, "  {:>7}", "error")?;
    for (c, row) in e.confusion.iter().enumerate() {
        write!(out, "{:<width$}", names[c])?;
        for v in row {
            write!(out, "  {v:>width$}")?;
        }
        match e.class_error[c] {
            Some(err) => writeln!(out, "  {:>6.1}%", 100.0 * err)?,
            None => writeln!(out, "  {:>7}", "-")?,
        }
    }

    let outliers: Vec<_> = e.examples.iter().filter(|r| r.outlier).collect();
    writeln!(
        out,
        "\ndoubtful hits ({}): file, onset_s, true class, predicted, why",
        outliers.len()
    )?;
    for r in outliers {
        let source = &collected.sources[r.index];
        let (predicted, why) = if r.predicted != r.class {
            (
                names[r.predicted],
                format!(
                    "misclassified: p({}) = {:.2}, novelty {:.2}",
                    names[r.class], r.probability, r.novelty
                ),
            )
        } else {
            (
                UNKNOWN,
                format!(
                    "unlike the training hits: novelty {:.2}, p({}) = {:.2}",
                    r.novelty, names[r.class], r.probability
                ),
            )
        };
        writeln!(
            out,
            "  {}, {:.6}, {}, {predicted}, {why}",
            source.file.display(),
            source.onset_s,
            names[r.class]
        )?;
    }

    // What training on all hits flags (and leaves out) when the model is trained.
    let model = timbrel_learn::train(data, &args.classes.config())?;
    writeln!(out)?;
    classes::write_doubts(&collected, &model, out)?;

    writeln!(out, "\nadvice:")?;
    if e.advice.is_empty() {
        writeln!(out, "  every class looks fine")?;
    }
    for advice in &e.advice {
        writeln!(out, "  - {advice}")?;
    }
    Ok(())
}
