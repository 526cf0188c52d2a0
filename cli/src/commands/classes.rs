//! Training classes from the command line, shared by `train` and `eval`: `-c NAME=PATH` specs,
//! finding their WAV files, and analysing every hit of every file into a [`Dataset`].

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use clap::{Args, ValueEnum};
use rayon::prelude::*;
use timbrel_core::analysis::HitRecord;
use timbrel_learn::dataset::{HAT_LEVEL_DB, PALETTE};
use timbrel_learn::{Dataset, Example, ModelKind, TrainConfig, MAX_CLASSES};

use super::{AnalysisOptions, Runner};
use crate::wav;

/// What `classify` prints for a hit that resembles no class; no class may be called this.
pub const UNKNOWN: &str = "unknown";
/// What `timbrel classify` prints for a hit like an ignore class (`--ignore`); reserved too.
pub const IGNORED: &str = "ignored";

/// One `-c NAME=PATH` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassSpec {
    /// The class name, trimmed.
    pub name: String,
    /// A WAV file, a folder or a glob pattern, as given.
    pub path: String,
}

/// Parses `NAME=PATH` (split at the first `=`).
fn parse_class_spec(text: &str) -> Result<ClassSpec, String> {
    match text.split_once('=') {
        Some((name, path)) if !name.trim().is_empty() && !path.is_empty() => Ok(ClassSpec {
            name: name.trim().to_string(),
            path: path.to_string(),
        }),
        _ => Err(format!("expected NAME=PATH, got `{text}`")),
    }
}

/// The classifiers, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    /// Try LDA, kNN and MLP; keep the one with the best cross-validated log-loss.
    Auto,
    /// Distance-weighted k nearest neighbours.
    Knn,
    /// One-hidden-layer perceptron (slowest to train).
    Mlp,
    /// Shrinkage linear discriminant.
    Lda,
}

impl From<ModelArg> for ModelKind {
    fn from(m: ModelArg) -> Self {
        match m {
            ModelArg::Auto => ModelKind::Auto,
            ModelArg::Knn => ModelKind::Knn,
            ModelArg::Mlp => ModelKind::Mlp,
            ModelArg::Lda => ModelKind::Lda,
        }
    }
}

/// The classifier's name as on the command line (`lda`).
pub fn kind_name(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::Auto => "auto",
        ModelKind::Knn => "knn",
        ModelKind::Mlp => "mlp",
        ModelKind::Lda => "lda",
    }
}

/// Classes, their audio, and training options: the arguments `train` and `eval` share.
#[derive(Debug, Args)]
pub struct ClassArgs {
    /// A class and its hits. PATH is a WAV file, a folder (searched recursively for .wav files,
    /// symlinks followed) or a glob pattern (quote it: 'hits/center-*.wav'). Every hit found in
    /// a file longer than 3 s (a take) is an example; a shorter file is a one-shot and gives one
    /// example, its strongest hit (see --every-hit). Repeat -c for more classes, or with the
    /// same NAME to add more files to a class. Classes keep the order they first appear in.
    #[arg(short = 'c', long = "class", value_name = "NAME=PATH", required = true,
          value_parser = parse_class_spec)]
    pub classes: Vec<ClassSpec>,
    /// The interpolation pair: interpolation is 0 on class A and 1 on class B [default: the
    /// first two classes that are not ignored].
    #[arg(long, value_name = "A,B")]
    pub pair: Option<String>,
    /// Make class NAME an "ignore" class: sounds that are not this drum (the rest of the kit,
    /// recorded on this drum's mic). Its hits are trained like any class's, but a hit that
    /// sounds like them is reported as ignored (`timbrel classify` prints `ignored`) and sends
    /// nothing. Repeat for more ignore classes.
    #[arg(long = "ignore", value_name = "NAME")]
    pub ignore: Vec<String>,
    /// Classifier.
    #[arg(long = "model", value_enum, value_name = "KIND", default_value_t = ModelArg::Auto)]
    pub kind: ModelArg,
    /// Take every hit of every file as an example, also of one-shots (files up to 3 s), whose
    /// strongest hit alone is taken otherwise.
    #[arg(long)]
    pub every_hit: bool,
    /// The takes were recorded while the rest of the kit played: a class's hits much softer
    /// than its loud ones and unlike them are taken for bleed and left out of training,
    /// however many (listed as "bleed?" among the doubtful hits).
    #[arg(long)]
    pub kit_playing: bool,
    /// Seed of every random choice (cross-validation folds, MLP initialisation); the same
    /// audio, options and seed give the same model.
    #[arg(long, value_name = "N", default_value_t = TrainConfig::default().seed)]
    pub seed: u64,
    #[command(flatten)]
    pub analysis: crate::AnalysisArgs,
}

impl ClassArgs {
    /// The training configuration: defaults with the chosen classifier and seed.
    pub fn config(&self) -> TrainConfig {
        TrainConfig {
            kind: self.kind.into(),
            seed: self.seed,
            kit_playing: self.kit_playing,
            ..TrainConfig::default()
        }
    }
}

/// Where a training example came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// The WAV file (as given, or as found in a folder or by a glob).
    pub file: PathBuf,
    /// Onset of the hit in the file, in seconds.
    pub onset_s: f64,
}

/// Files up to this long (seconds) are one-shots: their strongest hit is their one example.
pub const ONE_SHOT_MAX_S: f64 = 3.0;
/// Each file's hits get `time_s` = file number × this + onset (seconds), so that hits of
/// different files are never taken for retriggers of each other.
pub const FILE_TIME_SPACING_S: f64 = 1000.0;

/// The analysed classes.
#[derive(Debug)]
pub struct Collected {
    /// Classes in first-appearance order, every hit an example, the pair set.
    pub dataset: Dataset,
    /// `sources[i]` is where `dataset.examples[i]` came from.
    pub sources: Vec<Source>,
    /// Files read per class, indexed like the classes.
    pub files: Vec<usize>,
    /// One-shot files that held more than one hit: the file, the hits not taken (onsets in
    /// seconds) and the onset of the one taken.
    pub extra_hits: Vec<(PathBuf, Vec<f64>, f64)>,
    /// Wall time spent finding and analysing the files.
    pub elapsed: Duration,
}

/// Finds every class's files, analyses them (in parallel, results in a fixed order) and
/// builds the dataset. Fails on an unreadable file (naming it), a class without hits, a path
/// that matches nothing, a bad class name, fewer than 2 classes or a bad `--pair`.
pub fn collect(args: &ClassArgs, options: &AnalysisOptions) -> anyhow::Result<Collected> {
    let start = Instant::now();
    let mut dataset = Dataset {
        classes: Vec::new(),
        examples: Vec::new(),
        pair: (0, 1),
    };
    let mut files: Vec<(usize, PathBuf)> = Vec::new();
    for spec in &args.classes {
        if spec.name.eq_ignore_ascii_case(UNKNOWN) {
            bail!("class name `{UNKNOWN}` is reserved: `timbrel classify` prints it for hits unlike every class");
        }
        if spec.name.eq_ignore_ascii_case(IGNORED) {
            bail!("class name `{IGNORED}` is reserved: `timbrel classify` prints it for hits like an ignore class");
        }
        let class = match dataset.class_index(&spec.name) {
            Some(c) => c,
            None => {
                let colour = PALETTE[dataset.classes.len() % MAX_CLASSES];
                dataset
                    .add_class(&spec.name, colour)
                    .map_err(|e| anyhow!("class `{}`: {e}", spec.name))?
            }
        };
        files.extend(expand(&spec.path)?.into_iter().map(|f| (class, f)));
    }
    let count = dataset.classes.len();
    if count < 2 {
        bail!("training needs at least 2 classes (-c NAME=PATH for each), got {count}");
    }
    for name in &args.ignore {
        let class = dataset.class_index(name).ok_or_else(|| {
            anyhow!(
                "--ignore: no class named `{name}` (classes: {})",
                class_names(&dataset)
            )
        })?;
        dataset.classes[class].ignore = true;
    }
    let drum = dataset.classes.iter().filter(|c| !c.ignore).count();
    if drum < 2 {
        bail!("training needs at least 2 classes that are not ignored, got {drum}");
    }
    dataset.pair = pair(&dataset, args.pair.as_deref())?;
    for c in [dataset.pair.0, dataset.pair.1] {
        if dataset.classes[c].ignore {
            bail!(
                "--pair: class `{}` is an ignore class; the pair must be two classes of the drum",
                dataset.classes[c].name
            );
        }
    }
    // Examples are grouped by class (argument order within a class), so interleaving the -c
    // arguments differently gives the same dataset and the same model.
    files.sort_by_key(|(class, _)| *class);

    // Per file: its length (s) and per hit its onset (s) and the analyzer's record (with the
    // descriptor under a synthetic hat).
    type Hits = (f64, Vec<(f64, HitRecord)>);
    let analysed: Vec<Result<Hits, wav::WavError>> = files
        .par_iter()
        .map_init(
            || Runner::new(options).with_hats(HAT_LEVEL_DB),
            |runner, (_, path)| {
                let (samples, rate) = wav::read_mono(path)?;
                let seconds = samples.len() as f64 / rate as f64;
                let mut hits = Vec::new();
                runner.run(&samples, rate, |hit| {
                    hits.push((hit.onset_sample as f64 / rate as f64, *hit));
                });
                Ok((seconds, hits))
            },
        )
        .collect();
    // NOTE: the first failing file in argument order is reported, whichever thread met it first.
    let hits = analysed.into_iter().collect::<Result<Vec<Hits>, _>>()?;

    let mut per_class = vec![0; count];
    let mut sources = Vec::new();
    let mut extra_hits = Vec::new();
    for (k, ((class, path), (seconds, mut hits))) in files.iter().zip(hits).enumerate() {
        per_class[*class] += 1;
        if !args.every_hit && seconds <= ONE_SHOT_MAX_S && hits.len() > 1 {
            let strongest = (0..hits.len())
                .max_by(|&a, &b| hits[a].1.rms_dbfs.total_cmp(&hits[b].1.rms_dbfs))
                .unwrap_or(0);
            let kept = hits.swap_remove(strongest);
            let mut others: Vec<f64> = hits.iter().map(|h| h.0).collect();
            others.sort_by(f64::total_cmp);
            extra_hits.push((path.clone(), others, kept.0));
            hits = vec![kept];
        }
        for (onset_s, hit) in hits {
            let time_s = k as f64 * FILE_TIME_SPACING_S + onset_s;
            let example = Example::from_hit(&hit, *class, time_s);
            dataset
                .add_example(example)
                .map_err(|e| anyhow!("{}: hit at {onset_s:.6} s: {e}", path.display()))?;
            sources.push(Source {
                file: path.clone(),
                onset_s,
            });
        }
    }
    let counts = dataset.counts();
    for (c, info) in dataset.classes.iter().enumerate() {
        if counts[c] == 0 {
            let first = files
                .iter()
                .find(|(k, _)| *k == c)
                .map(|(_, f)| f.display().to_string())
                .unwrap_or_default();
            bail!(
                "class `{}`: no hits found in its {} file(s) ({first}{}); check the files, or lower --threshold or --floor",
                info.name,
                per_class[c],
                if per_class[c] > 1 { ", ..." } else { "" }
            );
        }
    }
    Ok(Collected {
        dataset,
        sources,
        files: per_class,
        extra_hits,
        elapsed: start.elapsed(),
    })
}

/// Writes the one-shot files whose extra hits were not taken.
pub fn write_extra_hits(c: &Collected, log: &mut impl std::io::Write) -> std::io::Result<()> {
    for (file, others, kept) in &c.extra_hits {
        let at: Vec<String> = others.iter().map(|s| format!("{s:.3}")).collect();
        writeln!(
            log,
            "{}: one-shot with {} hits: took the strongest at {kept:.3} s, not the ones at {} s (--every-hit takes all)",
            file.display(),
            others.len() + 1,
            at.join(", ")
        )?;
    }
    Ok(())
}

/// Writes the training examples the model finds doubtful, with the reason, and whether
/// training left them out.
pub fn write_doubts(
    c: &Collected,
    model: &timbrel_learn::Model,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let doubts = model.doubtful();
    writeln!(
        out,
        "doubtful training hits ({}): file, onset_s, class, left out of training, why",
        doubts.len()
    )?;
    for d in doubts {
        let (Some(source), Some(example)) =
            (c.sources.get(d.index), c.dataset.examples.get(d.index))
        else {
            continue;
        };
        let why = match &d.reason {
            timbrel_learn::doubt::Reason::LikeOther { class } => format!(
                "sounds like {}: wrong label?",
                c.dataset
                    .classes
                    .get(*class)
                    .map_or("?", |c| c.name.as_str())
            ),
            r => r.to_string(),
        };
        writeln!(
            out,
            "  {}, {:.6}, {}, {}, {why}",
            source.file.display(),
            source.onset_s,
            c.dataset.classes[example.class].name,
            if d.left_out { "yes" } else { "no" }
        )?;
    }
    Ok(())
}

/// The pair named by `--pair A,B`, or the first two classes.
/// The class names, comma-separated.
fn class_names(dataset: &Dataset) -> String {
    dataset
        .classes
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn pair(dataset: &Dataset, arg: Option<&str>) -> anyhow::Result<(usize, usize)> {
    let Some(text) = arg else {
        let mut drum = (0..dataset.classes.len()).filter(|&c| !dataset.classes[c].ignore);
        return Ok((drum.next().unwrap_or(0), drum.next().unwrap_or(1)));
    };
    let names = || class_names(dataset);
    let (a, b) = text
        .split_once(',')
        .ok_or_else(|| anyhow!("--pair: expected A,B (two class names), got `{text}`"))?;
    let find = |name: &str| {
        dataset.class_index(name).ok_or_else(|| {
            anyhow!(
                "--pair: no class named `{}` (classes: {})",
                name.trim(),
                names()
            )
        })
    };
    let (a, b) = (find(a)?, find(b)?);
    if a == b {
        bail!("--pair: A and B must be two different classes, got `{text}`");
    }
    Ok((a, b))
}

/// Whether `text` has glob metacharacters.
fn is_pattern(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// Whether `path` has a `.wav` extension (any case).
fn is_wav(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("wav"))
}

/// The WAV files a PATH argument stands for, sorted: the file itself, every `.wav` under a
/// folder (recursively, following symlinks), or the files (and folders, walked) a glob
/// pattern matches.
pub fn expand(text: &str) -> anyhow::Result<Vec<PathBuf>> {
    let path = Path::new(text);
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            let found = walk(path)?;
            if found.is_empty() {
                bail!("{text}: no .wav files in this folder");
            }
            Ok(found)
        }
        Ok(_) => Ok(vec![path.to_path_buf()]),
        Err(_) if is_pattern(text) => {
            let entries =
                glob::glob(text).map_err(|e| anyhow!("{text}: invalid glob pattern: {e}"))?;
            let mut found = Vec::new();
            for entry in entries {
                let entry = entry
                    .map_err(|e| anyhow!("{}: cannot read: {}", e.path().display(), e.error()))?;
                if entry.is_dir() {
                    found.extend(walk(&entry)?);
                } else if entry.is_file() {
                    found.push(entry);
                }
            }
            found.sort();
            if found.is_empty() {
                bail!("{text}: the pattern matches no files");
            }
            Ok(found)
        }
        Err(e) => bail!("{text}: cannot open: {e}"),
    }
}

/// Every `.wav` file under `dir`, recursively, following symlinks, sorted by path.
fn walk(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(true) {
        let entry = entry.map_err(|e| {
            let at = e.path().unwrap_or(dir).display().to_string();
            match e.loop_ancestor() {
                Some(_) => anyhow!("{at}: symlink loop"),
                None => anyhow!(
                    "{at}: cannot read: {}",
                    e.io_error().map_or(e.to_string(), |io| io.to_string())
                ),
            }
        })?;
        if entry.file_type().is_file() && is_wav(entry.path()) {
            found.push(entry.into_path());
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_specs_split_at_the_first_equals_sign() {
        assert_eq!(
            parse_class_spec(" edge =a=b.wav"),
            Ok(ClassSpec {
                name: "edge".into(),
                path: "a=b.wav".into()
            })
        );
        assert!(parse_class_spec("edge").is_err());
        assert!(parse_class_spec("=x.wav").is_err());
        assert!(parse_class_spec("edge=").is_err());
    }

    #[test]
    fn patterns_are_recognised() {
        assert!(is_pattern("hits/*.wav"));
        assert!(is_pattern("hit[0-9].wav"));
        assert!(!is_pattern("hits/center.wav"));
        assert!(is_wav(Path::new("a/B.WAV")));
        assert!(!is_wav(Path::new("a/b.flac")));
    }
}
