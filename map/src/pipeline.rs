//! The map pipeline: walk → decode + describe (parallel) → features → standardise + PCA →
//! 2-D reduction → clustering → quality. Writing HTML/PNG is in [`crate::html`] and
//! [`crate::png`].

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use timbrel_core::analysis::descriptor::level_indices;

use crate::cluster::{cluster, ClusterCount, Clustering, KMeansParams};
use crate::decode::read_mono;
use crate::describe::{DescribeSettings, Describer, FileDescription};
use crate::learned::{learned_features, AutoencoderParams};
use crate::linalg::{standardize, Matrix, Pca};
use crate::quality::{knn_loo_accuracy, Contingency, SilhouetteCache, SILHOUETTE_SAMPLE};
use crate::tsne::{tsne, TsneParams};
use crate::umap::{umap, UmapParams};
use crate::walk::{walk, SampleFile};
use crate::MapError;

/// Dimensions of the PCA space that clustering, neighbours and the HTML's distance colouring
/// use (fewer if the features have fewer).
pub const SPACE_DIMS: usize = 50;

/// The 2-D reduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// First two principal components (fast, linear).
    Pca,
    /// Barnes–Hut t-SNE.
    Tsne,
    /// UMAP (the default).
    #[default]
    Umap,
}

impl Method {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Method::Pca => "pca",
            Method::Tsne => "tsne",
            Method::Umap => "umap",
        }
    }
}

/// Which per-file features are mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FeatureSet {
    /// The core's descriptor (level dimensions dropped unless asked for).
    #[default]
    Descriptors,
    /// Autoencoder bottleneck features of the first 60 ms of log-mel frames.
    Learned,
}

impl FeatureSet {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            FeatureSet::Descriptors => "descriptors",
            FeatureSet::Learned => "learned",
        }
    }
}

/// Options of a map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapOptions {
    /// 2-D reduction.
    pub method: Method,
    /// Number of clusters.
    pub clusters: ClusterCount,
    /// Cosine k-means on L2-normalised vectors.
    pub spherical: bool,
    /// Features to map.
    pub features: FeatureSet,
    /// Keep the level (loudness) dimensions of the descriptor; by default they are dropped so
    /// that soft and hard hits of one sound land together.
    pub keep_level: bool,
    /// Where k-means runs: the standardised feature space or the 2-D map.
    pub cluster_space: ClusterSpace,
    /// Seed of every random choice (layout, clustering, silhouette sample, autoencoder).
    pub seed: u64,
}

/// The space that k-means (and the silhouette that picks k) works in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClusterSpace {
    /// The standardised PCA feature space ([`SPACE_DIMS`] components): clusters follow timbre
    /// distances directly.
    #[default]
    Features,
    /// The 2-D map: clusters follow the islands one sees (UMAP and t-SNE keep neighbourhoods,
    /// so on collections with nested groups this finds the finer groups).
    Map,
}

impl Default for MapOptions {
    /// UMAP, auto clusters, Euclidean, descriptors without level, seed 0.
    fn default() -> Self {
        Self {
            method: Method::Umap,
            clusters: ClusterCount::AUTO,
            spherical: false,
            features: FeatureSet::Descriptors,
            keep_level: false,
            cluster_space: ClusterSpace::Features,
            seed: 0,
        }
    }
}

/// Wall-clock time spent in each stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Timings {
    /// Walking the folder tree.
    pub walk: Duration,
    /// Decoding and describing all files (parallel).
    pub describe: Duration,
    /// Feature preparation: selection, standardisation, PCA (and autoencoder training).
    pub features: Duration,
    /// 2-D reduction.
    pub reduce: Duration,
    /// Clustering (including the choice of k).
    pub cluster: Duration,
    /// Quality metrics.
    pub quality: Duration,
    /// Writing the outputs (set by the caller).
    pub write: Duration,
}

impl Timings {
    /// `(stage, seconds)` pairs in pipeline order.
    pub fn stages(&self) -> [(&'static str, f64); 7] {
        [
            ("walk", self.walk.as_secs_f64()),
            ("decode+describe", self.describe.as_secs_f64()),
            ("features", self.features.as_secs_f64()),
            ("reduce", self.reduce.as_secs_f64()),
            ("cluster", self.cluster.as_secs_f64()),
            ("quality", self.quality.as_secs_f64()),
            ("write", self.write.as_secs_f64()),
        ]
    }

    /// Sum of all stages.
    pub fn total(&self) -> Duration {
        self.walk
            + self.describe
            + self.features
            + self.reduce
            + self.cluster
            + self.quality
            + self.write
    }
}

/// A described collection: the files that could be used and the warnings for those that could
/// not.
#[derive(Debug, Clone)]
pub struct Collection {
    /// The walked folder.
    pub root: PathBuf,
    /// Usable files, sorted by relative path.
    pub files: Vec<SampleFile>,
    /// One description per file.
    pub descriptions: Vec<FileDescription>,
    /// Folder labels (sorted); `label_of[i]` indexes this.
    pub labels: Vec<String>,
    /// Label index of each file.
    pub label_of: Vec<usize>,
    /// Skipped files and folders, one message each.
    pub warnings: Vec<String>,
    /// Walk and describe times (the other stages are filled in by [`SampleMap::build`]).
    pub timings: Timings,
}

impl Collection {
    /// Walks `dir` and describes every audio file in parallel on the current rayon pool.
    /// `on_walked(n)` is called once with the number of files found, `on_file()` after each
    /// file (from worker threads). Unreadable files become warnings.
    pub fn load(
        dir: &Path,
        settings: &DescribeSettings,
        on_walked: impl FnOnce(usize),
        on_file: &(dyn Fn() + Sync),
    ) -> Result<Self, MapError> {
        if let Err(e) = settings.analysis.validate() {
            return Err(MapError::Option {
                name: "analysis",
                value: format!("{e}"),
                reason: "out of range",
            });
        }
        let t = Instant::now();
        let walked = walk(dir)?;
        let walk_time = t.elapsed();
        on_walked(walked.files.len());
        let t = Instant::now();
        let results: Vec<Result<FileDescription, MapError>> = walked
            .files
            .par_iter()
            .map_init(
                || Describer::new(*settings),
                |d, f| {
                    let r = read_mono(&f.path).map(|audio| d.describe(&audio));
                    on_file();
                    r
                },
            )
            .collect();
        let describe_time = t.elapsed();
        let mut warnings = walked.warnings;
        let mut files = Vec::new();
        let mut descriptions = Vec::new();
        for (f, r) in walked.files.into_iter().zip(results) {
            match r {
                Ok(d) => {
                    files.push(f);
                    descriptions.push(d);
                }
                Err(e) => warnings.push(format!("skipped {e}")),
            }
        }
        let mut labels: Vec<String> = files.iter().map(|f| f.label.clone()).collect();
        labels.sort();
        labels.dedup();
        let label_of = files
            .iter()
            .map(|f| labels.binary_search(&f.label).unwrap_or(0))
            .collect();
        Ok(Self {
            root: dir.to_path_buf(),
            files,
            descriptions,
            labels,
            label_of,
            warnings,
            timings: Timings {
                walk: walk_time,
                describe: describe_time,
                ..Timings::default()
            },
        })
    }

    /// The feature vectors of every file (rows), for `features`. Learned features train an
    /// autoencoder seeded with `seed`.
    pub fn features(&self, features: FeatureSet, keep_level: bool, seed: u64) -> Matrix {
        match features {
            FeatureSet::Descriptors => {
                let drop = level_indices();
                let rows: Vec<Vec<f32>> = self
                    .descriptions
                    .iter()
                    .map(|d| {
                        d.descriptor
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| keep_level || !drop.contains(i))
                            .map(|(_, v)| if v.is_finite() { *v } else { 0.0 })
                            .collect()
                    })
                    .collect();
                Matrix::from_rows(&rows)
            }
            FeatureSet::Learned => {
                let mel: Vec<Vec<f32>> = self.descriptions.iter().map(|d| d.mel.clone()).collect();
                let (f, _) = learned_features(
                    &mel,
                    &AutoencoderParams {
                        seed,
                        ..AutoencoderParams::default()
                    },
                );
                Matrix::from_rows(&f)
            }
        }
    }
}

/// Standardises `features` and projects them onto their first [`SPACE_DIMS`] principal
/// components. Returns the projection and the fraction of variance kept (0..1).
pub fn feature_space(features: &Matrix) -> (Matrix, f32) {
    let mut x = features.clone();
    standardize(&mut x);
    let pca = Pca::fit(&x, SPACE_DIMS.min(x.cols).min(x.rows.max(1)));
    (pca.transform(&x), pca.explained())
}

/// Quality of a map.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Quality {
    /// Silhouette of the folder labels in the feature space (−1..1); `None` with one folder.
    pub silhouette_labels: Option<f32>,
    /// Silhouette of the clusters in the clustered space (−1..1); `None` with one cluster.
    pub silhouette_clusters: Option<f32>,
    /// Silhouette of the folder labels on the 2-D map (−1..1).
    pub silhouette_labels_2d: Option<f32>,
    /// Cluster-by-label counts and purity.
    pub contingency: Contingency,
    /// Points the silhouettes were averaged over (a seeded sample above
    /// [`SILHOUETTE_SAMPLE`]).
    pub silhouette_points: usize,
}

/// A finished map.
#[derive(Debug, Clone)]
pub struct SampleMap {
    /// The options it was made with.
    pub options: MapOptions,
    /// 2-D position of each file (layout units).
    pub positions: Vec<[f32; 2]>,
    /// The clustering.
    pub clustering: Clustering,
    /// The PCA feature space (rows = files), used for distances.
    pub space: Matrix,
    /// Variance the PCA space keeps (0..1).
    pub explained: f32,
    /// Quality metrics.
    pub quality: Quality,
    /// Stage timings (walk and describe from the collection).
    pub timings: Timings,
}

impl SampleMap {
    /// Makes the map of a described collection.
    pub fn build(c: &Collection, options: &MapOptions) -> Result<Self, MapError> {
        let n = c.files.len();
        if n < 3 {
            return Err(MapError::TooFewFiles {
                dir: c.root.clone(),
                found: n,
                needed: 3,
            });
        }
        let mut timings = c.timings;
        let t = Instant::now();
        let features = c.features(options.features, options.keep_level, options.seed);
        let (space, explained) = feature_space(&features);
        timings.features = t.elapsed();

        let t = Instant::now();
        let positions = match options.method {
            Method::Pca => (0..n)
                .map(|i| [space.data[i * space.cols], space.data[i * space.cols + 1]])
                .collect(),
            Method::Tsne => tsne(
                &space,
                &TsneParams {
                    seed: options.seed,
                    ..TsneParams::default()
                },
            ),
            Method::Umap => umap(
                &space,
                &UmapParams {
                    seed: options.seed,
                    ..UmapParams::default()
                },
            ),
        };
        timings.reduce = t.elapsed();

        let t = Instant::now();
        let params = KMeansParams {
            spherical: options.spherical,
            seed: options.seed,
            ..KMeansParams::default()
        };
        let pos = Matrix {
            rows: n,
            cols: 2,
            data: positions.iter().flat_map(|p| *p).collect(),
        };
        let clustering = match options.cluster_space {
            ClusterSpace::Features => cluster(&space, options.clusters, &params)?,
            ClusterSpace::Map => cluster(&pos, options.clusters, &params)?,
        };
        timings.cluster = t.elapsed();

        let t = Instant::now();
        let cache = SilhouetteCache::new(&space, SILHOUETTE_SAMPLE, options.seed);
        let cache2d = SilhouetteCache::new(&pos, SILHOUETTE_SAMPLE, options.seed);
        let quality = Quality {
            silhouette_labels: cache.silhouette(&c.label_of),
            // NOTE: spherical clusters are scored in their own (normalised) space.
            silhouette_clusters: clustering.silhouette,
            silhouette_labels_2d: cache2d.silhouette(&c.label_of),
            contingency: Contingency::new(&clustering.labels, &c.label_of),
            silhouette_points: n.min(SILHOUETTE_SAMPLE),
        };
        timings.quality = t.elapsed();
        Ok(Self {
            options: *options,
            positions,
            clustering,
            space,
            explained,
            quality,
            timings,
        })
    }

    /// A plain-text quality report: silhouettes, the cluster-by-label table, stage times.
    pub fn report(&self, c: &Collection) -> String {
        let f = |s: Option<f32>| s.map_or("n/a".to_string(), |v| format!("{v:.3}"));
        let q = &self.quality;
        let mut s = format!(
            "{} files, {} folder label(s), {} clusters in the {} ({}{}), method {}, features {} (PCA space keeps {:.1} % of the variance)\n",
            c.files.len(),
            c.labels.len(),
            self.clustering.k,
            match self.options.cluster_space {
                ClusterSpace::Features => "feature space",
                ClusterSpace::Map => "2-D map",
            },
            if self.options.spherical { "spherical " } else { "" },
            match self.options.clusters {
                ClusterCount::Fixed(_) => "fixed".to_string(),
                ClusterCount::Auto { .. } => format!(
                    "auto by silhouette: {}",
                    self.clustering.tried.iter().map(|(k, s)| format!("k={k}:{s:.3}")).collect::<Vec<_>>().join(" ")
                ),
            },
            self.options.method.name(),
            self.options.features.name(),
            100.0 * self.explained,
        );
        s += &format!(
            "silhouette by folder label {} (2-D map {}), by cluster {}\n",
            f(q.silhouette_labels),
            f(q.silhouette_labels_2d),
            f(q.silhouette_clusters)
        );
        s += &q.contingency.table(&c.labels);
        s += "time:";
        for (name, secs) in self.timings.stages() {
            s += &format!(" {name} {secs:.2} s,");
        }
        s += &format!(" total {:.2} s\n", self.timings.total().as_secs_f64());
        s
    }
}

/// One feature set's scores on labelled folders.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FeatureScores {
    /// The feature set's name.
    pub features: &'static str,
    /// Dimensions of the feature vectors.
    pub dims: usize,
    /// Silhouette of the folder labels in the standardised PCA space (−1..1).
    pub silhouette: Option<f32>,
    /// 5-nearest-neighbour leave-one-out accuracy of the folder labels (0..1).
    pub knn_accuracy: f32,
    /// Purity of k-means with k = number of folders (0..1).
    pub purity: f32,
}

/// Compares descriptor statistics and learned features on a collection whose folders are the
/// labels: silhouette, kNN leave-one-out accuracy, cluster purity.
pub fn evaluate_features(c: &Collection, seed: u64) -> Result<Vec<FeatureScores>, MapError> {
    let n = c.files.len();
    let k = c.labels.len();
    if n < 3 || k < 2 {
        return Err(MapError::TooFewFiles {
            dir: c.root.clone(),
            found: n,
            needed: 3,
        });
    }
    let mut out = Vec::new();
    for (set, keep_level) in [
        (FeatureSet::Descriptors, false),
        (FeatureSet::Learned, false),
    ] {
        let features = c.features(set, keep_level, seed);
        let (space, _) = feature_space(&features);
        let cache = SilhouetteCache::new(&space, SILHOUETTE_SAMPLE, seed);
        let clustering = cluster(
            &space,
            ClusterCount::Fixed(k.min(n)),
            &KMeansParams {
                seed,
                ..Default::default()
            },
        )?;
        out.push(FeatureScores {
            features: set.name(),
            dims: features.cols,
            silhouette: cache.silhouette(&c.label_of),
            knn_accuracy: knn_loo_accuracy(&space, &c.label_of, 5),
            purity: Contingency::new(&clustering.labels, &c.label_of).purity,
        });
    }
    Ok(out)
}
