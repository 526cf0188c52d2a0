//! `timbrel map`: a 2-D map of a sample folder (HTML, optional PNG) with clusters and a
//! quality report; and `timbrel eval-features`: descriptor statistics against learned features
//! on labelled folders. The work is in `timbrel-map`; this file parses and reports.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use std::time::Instant;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use timbrel_map::describe::DescribeSettings;
use timbrel_map::{
    evaluate_features, ClusterCount, ClusterSpace, Collection, FeatureSet, MapOptions, Method,
    SampleMap,
};

/// Arguments of `timbrel map`.
#[derive(Debug, Args)]
pub struct MapArgs {
    /// Folder of audio files (WAV, FLAC, MP3, Ogg), walked recursively; symlinks are followed.
    /// Each file's parent folder is its label.
    dir: PathBuf,
    /// The HTML map to write (self-contained; audio is played from paths relative to it).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Also write a PNG scatter plot with a legend.
    #[arg(long, value_name = "FILE")]
    png: Option<PathBuf>,
    /// 2-D reduction.
    #[arg(long, value_enum, default_value_t = MethodArg::Umap)]
    method: MethodArg,
    /// Number of clusters, or `auto` (best silhouette over 2..=12).
    #[arg(long, value_name = "K|auto", default_value = "auto", value_parser = parse_clusters)]
    clusters: ClusterCount,
    /// Where k-means runs: the standardised feature space, or the 2-D map. Default: the map
    /// for umap and tsne (its islands; silhouette in the feature space favours coarse splits),
    /// the feature space for pca.
    #[arg(long, value_enum)]
    cluster_on: Option<SpaceArg>,
    /// Cosine (spherical) k-means on L2-normalised vectors.
    #[arg(long)]
    spherical: bool,
    /// Per-file features: descriptor statistics, or the autoencoder's learned features.
    #[arg(long, value_enum, default_value_t = FeaturesArg::Descriptors)]
    features: FeaturesArg,
    /// Keep the descriptor's level (loudness) dimensions.
    #[arg(long)]
    keep_level: bool,
    /// Seed of every random choice; the same folder and seed give the same map.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// Descriptor window, in samples at 44.1 kHz (64..=4096).
    #[arg(long, value_name = "N", default_value_t = DescribeSettings::default().analysis.window_ref_samples,
          value_parser = clap::value_parser!(u32).range(64..=4096))]
    window: u32,
}

/// Arguments of `timbrel eval-features`.
#[derive(Debug, Args)]
pub struct EvalFeaturesArgs {
    /// Folder with one sub-folder per label, walked recursively.
    dir: PathBuf,
    /// Seed of the autoencoder, k-means and silhouette sample.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// Descriptor window, in samples at 44.1 kHz (64..=4096).
    #[arg(long, value_name = "N", default_value_t = DescribeSettings::default().analysis.window_ref_samples,
          value_parser = clap::value_parser!(u32).range(64..=4096))]
    window: u32,
}

/// The 2-D reductions, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MethodArg {
    /// Principal components 1 and 2.
    Pca,
    /// Barnes-Hut t-SNE.
    Tsne,
    /// UMAP.
    Umap,
}

/// Feature sets, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FeaturesArg {
    /// The core's descriptor statistics.
    Descriptors,
    /// 12 autoencoder features of the first 60 ms of log-mel frames.
    Learned,
}

/// Clustering spaces, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SpaceArg {
    /// Standardised PCA feature space.
    Features,
    /// The 2-D map.
    Map,
}

/// Parses `auto` or a cluster count of at least 1.
fn parse_clusters(text: &str) -> Result<ClusterCount, String> {
    if text.eq_ignore_ascii_case("auto") {
        return Ok(ClusterCount::AUTO);
    }
    match text.parse::<usize>() {
        Ok(k) if k >= 1 => Ok(ClusterCount::Fixed(k)),
        _ => Err(format!(
            "expected `auto` or a number of clusters >= 1, got `{text}`"
        )),
    }
}

fn describe_settings(window: u32) -> DescribeSettings {
    let mut s = DescribeSettings::default();
    s.analysis.window_ref_samples = window;
    s
}

/// Walks and describes `dir` with a progress bar on stderr (hidden when stderr is not a
/// terminal), then prints the warnings for skipped files.
fn load(dir: &Path, settings: &DescribeSettings) -> anyhow::Result<Collection> {
    let bar = ProgressBar::hidden();
    if std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
    }
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} describing {pos}/{len} files [{bar:40}] {eta} left",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    let collection = Collection::load(dir, settings, |n| bar.set_length(n as u64), &|| bar.inc(1))?;
    bar.finish_and_clear();
    for w in &collection.warnings {
        eprintln!("timbrel: warning: {w}");
    }
    Ok(collection)
}

/// Runs `timbrel map`: writes the HTML (and the PNG if asked), prints the quality report.
pub fn run(args: &MapArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let options = MapOptions {
        method: match args.method {
            MethodArg::Pca => Method::Pca,
            MethodArg::Tsne => Method::Tsne,
            MethodArg::Umap => Method::Umap,
        },
        clusters: args.clusters,
        spherical: args.spherical,
        features: match args.features {
            FeaturesArg::Descriptors => FeatureSet::Descriptors,
            FeaturesArg::Learned => FeatureSet::Learned,
        },
        keep_level: args.keep_level,
        cluster_space: match (args.cluster_on, args.method) {
            (Some(SpaceArg::Features), _) | (None, MethodArg::Pca) => ClusterSpace::Features,
            (Some(SpaceArg::Map), _) | (None, _) => ClusterSpace::Map,
        },
        seed: args.seed,
    };
    let (html, png, options) = (&args.output, args.png.as_ref(), &options);
    let collection = load(&args.dir, &describe_settings(args.window))?;
    let mut map = SampleMap::build(&collection, options)?;
    let t = Instant::now();
    timbrel_map::html::write(&collection, &map, html)?;
    if let Some(png) = png {
        timbrel_map::png::write(&collection, &map, png)?;
    }
    map.timings.write = t.elapsed();
    write!(out, "{}", map.report(&collection))?;
    writeln!(
        out,
        "wrote {}{}",
        html.display(),
        png.map_or(String::new(), |p| format!(" and {}", p.display()))
    )?;
    Ok(())
}

/// Runs `timbrel eval-features`: prints one row per feature set.
pub fn run_eval(args: &EvalFeaturesArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let collection = load(&args.dir, &describe_settings(args.window))?;
    let t = Instant::now();
    let scores = evaluate_features(&collection, args.seed)?;
    writeln!(
        out,
        "{} files, {} folder labels; describe {:.2} s, evaluate {:.2} s",
        collection.files.len(),
        collection.labels.len(),
        collection.timings.describe.as_secs_f64(),
        t.elapsed().as_secs_f64()
    )?;
    writeln!(
        out,
        "features,dims,silhouette,knn5_loo_accuracy,kmeans_purity"
    )?;
    for s in scores {
        let sil = s
            .silhouette
            .map_or("n/a".to_string(), |v| format!("{v:.3}"));
        writeln!(
            out,
            "{},{},{},{:.3},{:.3}",
            s.features, s.dims, sil, s.knn_accuracy, s.purity
        )?;
    }
    Ok(())
}
