//! What the `.timbrel` model file ([`crate::file`]) and the project state ([`crate::state`])
//! share about reading what an older or newer build saved: the range of versions a reader
//! accepts, the hint that a version comes from a newer build, and the consistency check a
//! decoded dataset and model pass together.
//!
//! The version numbers themselves live with what they describe: the descriptor layout
//! ([`crate::LAYOUT_VERSION`]) in the core, the model format ([`crate::MODEL_FORMAT_VERSION`])
//! with the model, the file envelope and the state format in their modules.

use crate::dataset::Dataset;
use crate::error::LearnError;
use crate::model::{Mismatch, Model, MODEL_FORMAT_VERSION, OLDEST_MODEL_FORMAT_VERSION};
use crate::LAYOUT_VERSION;

/// The versions of one format that a reader accepts: `oldest..=current`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Versions {
    /// Oldest version read (older ones are migrated on reading).
    pub oldest: u32,
    /// The version this build writes, the newest it reads.
    pub current: u32,
}

impl Versions {
    /// The versions `oldest..=current`.
    pub const fn new(oldest: u32, current: u32) -> Self {
        Self { oldest, current }
    }

    /// Whether a stored version (any number a file may hold) is read.
    pub fn reads(self, found: u64) -> bool {
        (self.oldest as u64..=self.current as u64).contains(&found)
    }
}

/// The model formats this build reads (older ones are migrated, see [`crate::model::ModelV1`]).
pub const MODEL_FORMATS: Versions =
    Versions::new(OLDEST_MODEL_FORMAT_VERSION, MODEL_FORMAT_VERSION);
/// The descriptor layouts this build reads: only the one it computes.
pub const LAYOUTS: Versions = Versions::new(LAYOUT_VERSION, LAYOUT_VERSION);

/// Whether version `found` was written by a build newer than one that reads up to `supported`
/// (then the data is not damaged: a newer build reads it).
pub fn written_by_newer(found: u64, supported: u32) -> bool {
    found > supported as u64
}

/// The end of an error message about version `found`: `"; it was written by a newer timbrel"`
/// when [`written_by_newer`], else nothing.
pub fn newer_hint(found: u64, supported: u32) -> &'static str {
    if written_by_newer(found, supported) {
        "; it was written by a newer timbrel"
    } else {
        ""
    }
}

/// Which part of a dataset and model read together is wrong (the first check that failed).
#[derive(Debug, Clone, PartialEq)]
pub enum Inconsistent {
    /// The dataset failed [`Dataset::validate`].
    Dataset(LearnError),
    /// The model failed [`Model::validate`].
    Model(LearnError),
    /// The model was not trained on the dataset's classes or pair.
    Mismatch(Mismatch),
}

/// Checks a decoded (or about to be saved) dataset and model, whichever are there: the
/// dataset, the model, then that the model was trained on the dataset's classes and pair.
/// After it succeeds both can be used without further checks.
pub fn check_together(
    dataset: Option<&Dataset>,
    model: Option<&Model>,
) -> Result<(), Inconsistent> {
    if let Some(d) = dataset {
        d.validate().map_err(Inconsistent::Dataset)?;
    }
    if let Some(m) = model {
        m.validate().map_err(Inconsistent::Model)?;
        if let Some(d) = dataset {
            m.check_dataset(d).map_err(Inconsistent::Mismatch)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_hints() {
        let v = Versions::new(2, 3);
        assert!(!v.reads(1) && v.reads(2) && v.reads(3) && !v.reads(4) && !v.reads(u64::MAX));
        assert!(MODEL_FORMATS.reads(OLDEST_MODEL_FORMAT_VERSION as u64));
        assert!(!LAYOUTS.reads(LAYOUT_VERSION as u64 + 1));
        assert!(written_by_newer(4, 3) && !written_by_newer(3, 3) && !written_by_newer(0, 3));
        assert_eq!(newer_hint(3, 3), "");
        assert!(newer_hint(9, 3).contains("newer"));
        assert_eq!(check_together(None, None), Ok(()));
    }
}
