//! Models of formats 1 to 4, as serialised, and their migration to today's [`Model`]: they
//! keep scoring as they did.
//!
//! Formats 3 and 4 are today's fields without the ignore discriminant ([`ModelV4`]).
//!
//! Both formats store the same fields in the same order: classes without the `ignore` flag
//! ([`ClassInfoV2`]), no separate classifier classes (every trained class was one). Format 1
//! kept format 1's novelty scorer and no doubtful examples; format 2 a [`NoveltyScorer`] and
//! the doubtful examples. One generic type, [`OldModel`], reads both.

use super::classifier::Classifier;
use super::fitted::{full_hat_width, Model, NoveltyScorer};
use super::train::TrainReport;
use super::MODEL_FORMAT_VERSION;
use crate::dataset::ClassInfo;
use crate::doubt::Doubt;
use crate::interpolation::Interpolator;
use crate::migrate::{self, ClassInfoV2};
use crate::novelty::v1::NoveltyV1;
use crate::pca::Pca;
use crate::scaler::Scaler;
use serde::Deserialize;

/// A model of format 1 (format 1's novelty scorer, no doubtful examples).
pub type ModelV1 = OldModel<NoveltyV1, NoDoubts>;
/// A model of format 2 (novelty against the region the classes span, doubtful examples).
pub type ModelV2 = OldModel<NoveltyScorer, Vec<Doubt>>;

/// A model of an older format, as serialised: `N` is the novelty scorer that format stored
/// (it tells the format, see [`StoredNovelty`]), `D` its doubtful examples.
#[derive(Debug, Deserialize)]
pub struct OldModel<N, D> {
    format_version: u32,
    layout_version: u32,
    classes: Vec<ClassInfoV2>,
    pair: (usize, usize),
    trained: Vec<u8>,
    scaler: Scaler,
    pca: Pca,
    classifier: Classifier,
    temperature: f32,
    novelty: N,
    unknown_threshold: f32,
    interpolation: Interpolator,
    report: TrainReport,
    /// Format 1 had no such field: [`NoDoubts`] takes no bytes in postcard, and the JSON key
    /// is absent.
    #[serde(default)]
    doubtful: D,
}

/// The doubtful examples of a format-1 model: there were none (serialised as nothing).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct NoDoubts;

impl From<NoDoubts> for Vec<Doubt> {
    fn from(_: NoDoubts) -> Self {
        Vec::new()
    }
}

/// The novelty scorer as an older model format stored it.
pub trait StoredNovelty {
    /// The model format that stored this scorer.
    const FORMAT: u32;
    /// Today's [`NoveltyScorer`] that scores as the stored one did.
    fn into_scorer(self) -> NoveltyScorer;
}

impl StoredNovelty for NoveltyV1 {
    const FORMAT: u32 = 1;
    fn into_scorer(self) -> NoveltyScorer {
        NoveltyScorer::V1(self)
    }
}

impl StoredNovelty for NoveltyScorer {
    const FORMAT: u32 = 2;
    fn into_scorer(self) -> NoveltyScorer {
        self
    }
}

impl<N: StoredNovelty, D: Into<Vec<Doubt>>> OldModel<N, D> {
    /// The format version it was stored with.
    pub fn format_version(&self) -> u32 {
        self.format_version
    }

    /// The current model, scoring as its format did (validate it before use). A stored version
    /// other than the format's own (`N::FORMAT`) is kept, so that [`Model::validate`] names it.
    pub fn migrate(self) -> Model {
        Model {
            format_version: if self.format_version == N::FORMAT {
                MODEL_FORMAT_VERSION
            } else {
                self.format_version
            },
            layout_version: self.layout_version,
            classes: migrate::classes(self.classes),
            pair: self.pair,
            drum: self.trained.clone(),
            trained: self.trained,
            scaler: self.scaler,
            pca: self.pca,
            classifier: self.classifier,
            temperature: self.temperature,
            novelty: self.novelty.into_scorer(),
            unknown_threshold: self.unknown_threshold,
            interpolation: self.interpolation,
            report: self.report,
            doubtful: self.doubtful.into(),
            ignore_rule: None,
            hat_width: full_hat_width(),
        }
    }
}

/// A model of format 3 or 4, as serialised: today's fields up to the doubtful examples, no
/// ignore discriminant.
#[derive(Debug, Deserialize)]
pub struct ModelV4 {
    format_version: u32,
    layout_version: u32,
    classes: Vec<ClassInfo>,
    pair: (usize, usize),
    trained: Vec<u8>,
    drum: Vec<u8>,
    scaler: Scaler,
    pca: Pca,
    classifier: Classifier,
    temperature: f32,
    novelty: NoveltyScorer,
    unknown_threshold: f32,
    interpolation: Interpolator,
    report: TrainReport,
    doubtful: Vec<Doubt>,
}

impl ModelV4 {
    /// The current model, scoring as it did (validate it before use). Formats 3 and 4 become
    /// today's; another stored version is kept, so that [`Model::validate`] names it.
    pub fn migrate(self) -> Model {
        Model {
            format_version: if (3..=4).contains(&self.format_version) {
                MODEL_FORMAT_VERSION
            } else {
                self.format_version
            },
            layout_version: self.layout_version,
            classes: self.classes,
            pair: self.pair,
            trained: self.trained,
            drum: self.drum,
            scaler: self.scaler,
            pca: self.pca,
            classifier: self.classifier,
            temperature: self.temperature,
            novelty: self.novelty,
            unknown_threshold: self.unknown_threshold,
            interpolation: self.interpolation,
            report: self.report,
            doubtful: self.doubtful,
            ignore_rule: None,
            hat_width: full_hat_width(),
        }
    }
}
