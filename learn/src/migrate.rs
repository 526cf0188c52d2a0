//! Readers of superseded formats, migrated to the current types.
//!
//! Format 1 — the `.timbrel` file's `format_version` 1, and the plugin's persisted `dataset`
//! field before project-state format 2 ([`crate::state`]) — stored each example's snippet as an
//! array of floats plus `snippet_rate`. [`DatasetV1::migrate`] encodes those snippets as
//! [`Snippet`]s; everything else is unchanged. Fixtures of format 1 are in
//! `learn/tests/fixtures/`.
//!
//! Before model format 3 and project-state format 3, a class had no `ignore` flag
//! ([`ClassInfoV2`]); JSON files read the missing flag as false, postcard payloads of those
//! formats are read with the old class type.

use serde::Deserialize;

use crate::dataset::{ClassInfo, Dataset, Example};

/// A class as model formats 1–2 and project-state formats 1–2 stored it (no `ignore` flag).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ClassInfoV2 {
    name: String,
    color: [u8; 3],
    anchor: Option<f32>,
}

impl From<ClassInfoV2> for ClassInfo {
    fn from(c: ClassInfoV2) -> Self {
        ClassInfo {
            name: c.name,
            color: c.color,
            anchor: c.anchor,
            ignore: false,
        }
    }
}

/// The current classes from old ones.
pub(crate) fn classes(old: Vec<ClassInfoV2>) -> Vec<ClassInfo> {
    old.into_iter().map(ClassInfo::from).collect()
}
use crate::snippet::Snippet;

/// A format-1 dataset, as serialised by `serde_json`.
#[derive(Debug, Deserialize)]
pub(crate) struct DatasetV1 {
    classes: Vec<ClassInfoV2>,
    examples: Vec<ExampleV1>,
    pair: (usize, usize),
}

/// A format-1 example.
#[derive(Debug, Deserialize)]
struct ExampleV1 {
    descriptor: Vec<f32>,
    class: usize,
    level_dbfs: f32,
    time_s: f64,
    /// Mono audio, full scale ±1.
    snippet: Vec<f32>,
    /// Sample rate of `snippet`, in Hz (0 without snippet).
    snippet_rate: f32,
}

impl DatasetV1 {
    /// The current dataset: snippets encoded with [`Snippet::encode`] (one whose rate is out of
    /// range is dropped, one longer than a second is cut). Not validated: run
    /// [`Dataset::validate`] on the result.
    pub(crate) fn migrate(self) -> Dataset {
        let examples = self
            .examples
            .into_iter()
            .map(|e| Example {
                snippet: Snippet::encode(&e.snippet, e.snippet_rate),
                descriptor: e.descriptor,
                class: e.class,
                level_dbfs: e.level_dbfs,
                time_s: e.time_s,
                hat_descriptor: None,
            })
            .collect();
        Dataset {
            classes: classes(self.classes),
            examples,
            pair: self.pair,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DESCRIPTOR_LEN;

    #[test]
    fn format_1_snippets_are_encoded() {
        let tone: Vec<f32> = (0..4800).map(|i| 0.5 * (i as f32 * 0.05).sin()).collect();
        let v = serde_json::json!({
            "classes": [{"name": "a", "color": [1, 2, 3], "anchor": null}, {"name": "b", "color": [4, 5, 6], "anchor": 0.5}],
            "examples": [
                {"descriptor": vec![0.5; DESCRIPTOR_LEN], "class": 1, "level_dbfs": -12.0, "time_s": 3.5,
                 "snippet": tone, "snippet_rate": 48000.0},
                {"descriptor": vec![0.25; DESCRIPTOR_LEN], "class": 0, "level_dbfs": -20.0, "time_s": 4.0,
                 "snippet": [], "snippet_rate": 0.0},
                {"descriptor": vec![0.25; DESCRIPTOR_LEN], "class": 0, "level_dbfs": -20.0, "time_s": 4.0,
                 "snippet": [0.5, 0.25], "snippet_rate": 0.0},
            ],
            "pair": [1, 0],
        });
        let d = DatasetV1::deserialize(&v).unwrap().migrate();
        d.validate().unwrap();
        assert_eq!(d.pair, (1, 0));
        assert_eq!(d.classes[1].anchor, Some(0.5));
        let e = &d.examples[0];
        assert_eq!(
            (e.class, e.level_dbfs, e.time_s, e.descriptor[0]),
            (1, -12.0, 3.5, 0.5)
        );
        assert_eq!((e.snippet.rate_hz(), e.snippet.len()), (16_000.0, 1600));
        assert_eq!(e.snippet, Snippet::encode(&tone, 48_000.0));
        assert!(d.examples[1].snippet.is_empty());
        // A snippet without a usable rate is dropped, the example kept.
        assert!(d.examples[2].snippet.is_empty());
    }
}
