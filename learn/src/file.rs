//! The `.timbrel` model file: a versioned JSON envelope around a trained [`Model`], the analysis
//! settings its descriptors were computed with, and optionally the [`Dataset`] it was trained on.
//!
//! ```json
//! { "format": "timbrel-model", "format_version": 2, "layout_version": 1,
//!   "model_format_version": 3, "created_by": "timbrel 0.1.0",
//!   "analysis": { ... }, "model": { ... }, "dataset": { ... } }
//! ```
//!
//! Format 2 (written) stores the dataset's audio snippets as [`crate::snippet::Snippet`]s:
//! `{ "rate_hz", "peak", "data" }` with the 8-bit μ-law bytes as base64. Format 1 (read, and
//! migrated on reading) stored them as float arrays with `snippet_rate`; its
//! fixtures are in `learn/tests/fixtures/`. Models of format 1 and 2 (before ignore classes)
//! are read and migrated ([`ModelV1`], [`ModelV2`]); a class without `ignore` is not one.
//!
//! [`load`] and [`from_bytes`] check everything before returning anything: the size (before
//! reading the whole file), the JSON syntax, the `format` magic, the envelope, model and
//! descriptor-layout versions, the model's internals ([`Model::validate`]), the analysis
//! settings, the dataset, and that the dataset's classes are the model's. A file that passes can
//! be used without further checks: [`Model::classify`] cannot panic on it.
//!
//! Every [`FileError`] names the file and renders as one line.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;
use timbrel_core::analysis::{AnalysisSettings, SettingsError};

use crate::dataset::Dataset;
use crate::error::LearnError;
use crate::migrate::DatasetV1;
use crate::model::{Mismatch, Model};
use crate::model::{ModelV1, ModelV2};
use crate::snippet::Snippet;
use crate::version::{check_together, newer_hint, Inconsistent, Versions, LAYOUTS, MODEL_FORMATS};
use crate::{LAYOUT_VERSION, MODEL_FORMAT_VERSION};

/// The `format` field of every model file.
pub const MAGIC: &str = "timbrel-model";
/// Version of the envelope written by this build; bump when its fields change.
pub const FORMAT_VERSION: u32 = 2;
/// Oldest envelope version this build reads.
pub const OLDEST_FORMAT_VERSION: u32 = 1;
/// Largest model file accepted, in bytes. A model with a full dataset of 16 classes × 200 hits
/// without snippets is about 15 MB; 100 ms snippets add about 7 MB.
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// Usual file name extension (without the dot).
pub const EXTENSION: &str = "timbrel";

/// A model file's content.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFile {
    /// What wrote the file, e.g. `"timbrel 0.1.0"`; informative only.
    pub created_by: String,
    /// The analysis settings (detector and descriptor window) the training hits were analysed
    /// with; classify new audio with the same settings so its descriptors match.
    pub analysis: AnalysisSettings,
    /// The trained model.
    pub model: Model,
    /// The training set, when saved with the model (its snippets may have been stripped).
    pub dataset: Option<Dataset>,
}

impl ModelFile {
    /// A file for `model`, written by `created_by`, without dataset.
    pub fn new(created_by: impl Into<String>, analysis: AnalysisSettings, model: Model) -> Self {
        Self {
            created_by: created_by.into(),
            analysis,
            model,
            dataset: None,
        }
    }

    /// Removes the audio snippets of the dataset's examples (about 2 kB of JSON per example).
    pub fn strip_snippets(&mut self) {
        for e in self.dataset.iter_mut().flat_map(|d| d.examples.iter_mut()) {
            e.snippet = Snippet::default();
        }
    }

    /// Checks the dataset, the model and that they agree
    /// ([`crate::version::check_together`], as the project state does), then
    /// the analysis settings; the error says which part is wrong.
    pub fn validate(&self) -> Result<(), Invalid> {
        check_together(self.dataset.as_ref(), Some(&self.model))?;
        self.analysis.validate().map_err(Invalid::Analysis)
    }
}

impl From<Inconsistent> for Invalid {
    fn from(e: Inconsistent) -> Self {
        match e {
            Inconsistent::Dataset(e) => Invalid::Dataset(e),
            Inconsistent::Model(e) => Invalid::Model(e),
            Inconsistent::Mismatch(e) => Invalid::Mismatch(e),
        }
    }
}

/// What is wrong with a decoded (or about to be saved) [`ModelFile`].
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Invalid {
    /// The model failed [`Model::validate`].
    #[error("invalid model: {0}")]
    Model(LearnError),
    /// The analysis settings are out of range.
    #[error("invalid analysis settings: {0}")]
    Analysis(SettingsError),
    /// The dataset failed [`Dataset::validate`].
    #[error("invalid dataset: {0}")]
    Dataset(LearnError),
    /// The dataset's classes or pair are not the model's.
    #[error("{0}")]
    Mismatch(Mismatch),
    /// A version in the envelope disagrees with the one inside the model.
    #[error("envelope {what} {envelope} disagrees with the model's {model}")]
    Envelope {
        /// `"model_format_version"` or `"layout_version"`.
        what: &'static str,
        /// Value in the envelope.
        envelope: u64,
        /// Value in the model.
        model: u32,
    },
}

/// Why a model file could not be read or written. Every variant names the file and renders as
/// one line.
#[derive(Debug, Error)]
pub enum FileError {
    /// The file could not be opened, read or written.
    #[error("{}: cannot {action}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// `"open"`, `"read"`, `"write"`.
        action: &'static str,
        /// The underlying error.
        source: io::Error,
    },
    /// The file is larger than any model file.
    #[error("{}: {size} bytes is too large for a model file (at most {max})", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size, in bytes (at least this many when read from a stream).
        size: u64,
        /// [`MAX_FILE_BYTES`].
        max: u64,
    },
    /// Not a model file at all (empty, not JSON, not a JSON object, or another format).
    #[error("{}: not a timbrel model file ({reason})", path.display())]
    NotAModel {
        /// The file.
        path: PathBuf,
        /// What it is instead, e.g. `it is empty` or `format "foo", expected "timbrel-model"`.
        reason: String,
    },
    /// The JSON ends early.
    #[error("{}: truncated: the JSON ends early at line {line} column {column}", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Line (1-based) where it ends.
        line: usize,
        /// Column (1-based) where it ends.
        column: usize,
    },
    /// Malformed JSON.
    #[error("{}: corrupt JSON at line {line} column {column}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Line (1-based) of the error.
        line: usize,
        /// Column (1-based) of the error.
        column: usize,
        /// The parser's description.
        message: String,
    },
    /// A required envelope field is missing.
    #[error("{}: corrupt model file: no {field:?} field", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
        /// The field name.
        field: &'static str,
    },
    /// An envelope version this build does not read.
    #[error("{}: unsupported format version {found} (this timbrel reads versions {OLDEST_FORMAT_VERSION} to {supported}){}",
            path.display(), newer_hint(*found, *supported))]
    FormatVersion {
        /// The file.
        path: PathBuf,
        /// Version in the file.
        found: u64,
        /// [`FORMAT_VERSION`].
        supported: u32,
    },
    /// A model serialisation version this build does not read.
    #[error("{}: unsupported model version {found} (this timbrel reads version {supported}){}",
            path.display(), newer_hint(*found, *supported))]
    ModelVersion {
        /// The file.
        path: PathBuf,
        /// Version in the file.
        found: u64,
        /// [`MODEL_FORMAT_VERSION`].
        supported: u32,
    },
    /// The model was trained on descriptors of another layout.
    #[error("{}: descriptor layout {found}, expected {expected} (retrain the model with this version)", path.display())]
    Layout {
        /// The file.
        path: PathBuf,
        /// Layout in the file.
        found: u64,
        /// [`LAYOUT_VERSION`].
        expected: u32,
    },
    /// Well-formed JSON whose content does not have the model file's shape.
    #[error("{}: corrupt model file at line {line} column {column}: {message}", path.display())]
    Content {
        /// The file.
        path: PathBuf,
        /// Line (1-based) of the error.
        line: usize,
        /// Column (1-based) of the error.
        column: usize,
        /// The decoder's description (without position).
        message: String,
    },
    /// Decoded, but the values are inconsistent or out of range.
    #[error("{}: {problem}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: Invalid,
    },
}

/// The envelope as written.
#[derive(Serialize)]
struct EnvelopeOut<'a> {
    format: &'static str,
    format_version: u32,
    layout_version: u32,
    model_format_version: u32,
    created_by: &'a str,
    analysis: &'a AnalysisSettings,
    model: &'a Model,
    #[serde(skip_serializing_if = "Option::is_none")]
    dataset: Option<&'a Dataset>,
}

/// The envelope fields checked before the rest is decoded; anything else is skipped.
#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    format_version: Option<u64>,
    layout_version: Option<u64>,
    model_format_version: Option<u64>,
}

/// The envelope as read (the versions were checked with [`Header`]); `D` is the dataset of the
/// file's format version.
#[derive(Deserialize)]
struct EnvelopeIn<D, M = Model> {
    created_by: String,
    analysis: AnalysisSettings,
    model: M,
    #[serde(default = "none")]
    dataset: Option<D>,
}

fn none<D>() -> Option<D> {
    None
}

impl<D, M> EnvelopeIn<D, M> {
    /// The same envelope with its model and dataset migrated to today's types.
    fn migrate(
        self,
        model: impl FnOnce(M) -> Model,
        dataset: impl FnOnce(D) -> Dataset,
    ) -> EnvelopeIn<Dataset> {
        EnvelopeIn {
            created_by: self.created_by,
            analysis: self.analysis,
            model: model(self.model),
            dataset: self.dataset.map(dataset),
        }
    }
}

/// Serialises `file` (compact JSON) after checking it with [`ModelFile::validate`], so that a
/// file that could not be loaded back is never written.
pub fn to_bytes(file: &ModelFile) -> Result<Vec<u8>, Invalid> {
    file.validate()?;
    let envelope = EnvelopeOut {
        format: MAGIC,
        format_version: FORMAT_VERSION,
        layout_version: file.model.layout_version(),
        model_format_version: file.model.format_version(),
        created_by: &file.created_by,
        analysis: &file.analysis,
        model: &file.model,
        dataset: file.dataset.as_ref(),
    };
    // NOTE: serialising plain structs of numbers and strings into memory cannot fail; non-finite
    // numbers (which JSON cannot hold) were ruled out by `validate`.
    Ok(serde_json::to_vec(&envelope).expect("model serialises"))
}

/// Writes `file` to `path`: validated, written to a temporary file next to it, then renamed,
/// so that an interrupted save never leaves a half-written model behind.
pub fn save(path: &Path, file: &ModelFile) -> Result<(), FileError> {
    let bytes = to_bytes(file).map_err(|problem| FileError::Invalid {
        path: path.to_path_buf(),
        problem,
    })?;
    let io = |source| FileError::Io {
        path: path.to_path_buf(),
        action: "write",
        source,
    };
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".partial");
    let tmp = path.with_file_name(tmp_name);
    let result = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(&bytes)?;
        f.sync_all()
    });
    if let Err(e) = result.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(())
}

/// Reads and fully checks the model file at `path`. Files larger than [`MAX_FILE_BYTES`] are
/// refused before they are read.
pub fn load(path: &Path) -> Result<ModelFile, FileError> {
    let io = |action, source| FileError::Io {
        path: path.to_path_buf(),
        action,
        source,
    };
    let file = std::fs::File::open(path).map_err(|e| io("open", e))?;
    let size = file.metadata().map_err(|e| io("read", e))?.len();
    if size > MAX_FILE_BYTES {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            size,
            max: MAX_FILE_BYTES,
        });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // NOTE: `take` guards against files that grow while read, and special files whose
    // metadata says 0 bytes.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io("read", e))?;
    from_bytes(&bytes, path)
}

/// Decodes and fully checks a model file held in memory; `path` only names it in errors.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<ModelFile, FileError> {
    let path_buf = || path.to_path_buf();
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(FileError::TooLarge {
            path: path_buf(),
            size: bytes.len() as u64,
            max: MAX_FILE_BYTES,
        });
    }
    let not_a_model = |reason: &str| FileError::NotAModel {
        path: path_buf(),
        reason: reason.to_string(),
    };
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Err(not_a_model("it is empty")),
        Some(b'{') => {}
        Some(_) => return Err(not_a_model("it is not a JSON object")),
    }
    let json_error = |e: serde_json::Error| {
        let (line, column) = (e.line(), e.column());
        match e.classify() {
            serde_json::error::Category::Eof => FileError::Truncated {
                path: path_buf(),
                line,
                column,
            },
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                FileError::Syntax {
                    path: path_buf(),
                    line,
                    column,
                    message: message_of(&e),
                }
            }
            serde_json::error::Category::Data => FileError::Content {
                path: path_buf(),
                line,
                column,
                message: message_of(&e),
            },
        }
    };
    let header: Header = serde_json::from_slice(bytes).map_err(json_error)?;
    match header.format.as_deref() {
        Some(MAGIC) => {}
        Some(other) => {
            return Err(not_a_model(&format!(
                "format {other:?}, expected {MAGIC:?}"
            )))
        }
        None => return Err(not_a_model("it has no \"format\" field")),
    }
    let missing = |field| FileError::Missing {
        path: path_buf(),
        field,
    };
    let version = header
        .format_version
        .ok_or_else(|| missing("format_version"))?;
    if !Versions::new(OLDEST_FORMAT_VERSION, FORMAT_VERSION).reads(version) {
        return Err(FileError::FormatVersion {
            path: path_buf(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let model_version = header
        .model_format_version
        .ok_or_else(|| missing("model_format_version"))?;
    if !MODEL_FORMATS.reads(model_version) {
        return Err(FileError::ModelVersion {
            path: path_buf(),
            found: model_version,
            supported: MODEL_FORMAT_VERSION,
        });
    }
    let layout = header
        .layout_version
        .ok_or_else(|| missing("layout_version"))?;
    if !LAYOUTS.reads(layout) {
        return Err(FileError::Layout {
            path: path_buf(),
            found: layout,
            expected: LAYOUT_VERSION,
        });
    }
    // The model's own format version, as stored (a format-1 model is migrated after decoding).
    let (envelope, stored_model_version): (EnvelopeIn<Dataset>, u32) = if version == 1 {
        let v1: EnvelopeIn<DatasetV1, ModelV1> =
            serde_json::from_slice(bytes).map_err(json_error)?;
        let stored = v1.model.format_version();
        (v1.migrate(ModelV1::migrate, DatasetV1::migrate), stored)
    } else if model_version == 1 {
        let e: EnvelopeIn<Dataset, ModelV1> = serde_json::from_slice(bytes).map_err(json_error)?;
        let stored = e.model.format_version();
        (e.migrate(ModelV1::migrate, |d| d), stored)
    } else if model_version == 2 {
        let e: EnvelopeIn<Dataset, ModelV2> = serde_json::from_slice(bytes).map_err(json_error)?;
        let stored = e.model.format_version();
        (e.migrate(ModelV2::migrate, |d| d), stored)
    } else {
        let e: EnvelopeIn<Dataset> = serde_json::from_slice(bytes).map_err(json_error)?;
        let stored = e.model.format_version();
        (e.migrate(Model::upgraded_from_format_4, |d| d), stored)
    };
    let invalid = |problem| FileError::Invalid {
        path: path_buf(),
        problem,
    };
    // The model carries its own versions too; both must agree with the envelope.
    if stored_model_version as u64 != model_version {
        let model = stored_model_version;
        return Err(invalid(Invalid::Envelope {
            what: "model_format_version",
            envelope: model_version,
            model,
        }));
    }
    if envelope.model.layout_version() as u64 != layout {
        let model = envelope.model.layout_version();
        return Err(invalid(Invalid::Envelope {
            what: "layout_version",
            envelope: layout,
            model,
        }));
    }
    let file = ModelFile {
        created_by: envelope.created_by,
        analysis: envelope.analysis,
        model: envelope.model,
        dataset: envelope.dataset,
    };
    file.validate().map_err(invalid)?;
    Ok(file)
}

/// A serde_json error's message without its " at line L column C" suffix (reported apart).
fn message_of(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Example;
    use crate::{train, TrainConfig, DESCRIPTOR_LEN};

    fn dataset() -> Dataset {
        let mut rng = fastrand::Rng::with_seed(5);
        let mut d = Dataset::default();
        for class in 0..2 {
            for i in 0..12 {
                let x: Vec<f32> = (0..DESCRIPTOR_LEN)
                    .map(|j| rng.f32() + if j % 5 == 0 { 3.0 * class as f32 } else { 0.0 })
                    .collect();
                let mut e = Example::new(&x, class, -20.0, i as f64);
                e.snippet = Snippet::encode(&[0.25, -0.5, 0.125], 44_100.0);
                d.add_example(e).unwrap();
            }
        }
        d
    }

    fn model_file() -> ModelFile {
        let d = dataset();
        let cfg = TrainConfig {
            kind: crate::ModelKind::Lda,
            ..TrainConfig::default()
        };
        let model = train(&d, &cfg).unwrap();
        let mut f = ModelFile::new("timbrel test", AnalysisSettings::default(), model);
        f.dataset = Some(d);
        f
    }

    fn name() -> &'static Path {
        Path::new("model.timbrel")
    }

    /// The file's JSON with `edit` applied.
    fn edited(f: &ModelFile, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
        let mut v: serde_json::Value = serde_json::from_slice(&to_bytes(f).unwrap()).unwrap();
        edit(&mut v);
        serde_json::to_vec(&v).unwrap()
    }

    fn err(bytes: &[u8]) -> FileError {
        match from_bytes(bytes, name()) {
            Ok(_) => panic!("accepted a bad file"),
            Err(e) => {
                let line = e.to_string();
                assert!(line.starts_with("model.timbrel: "), "{line}");
                assert!(!line.contains('\n'), "{line}");
                e
            }
        }
    }

    #[test]
    fn round_trip_in_memory_and_on_disk() {
        let f = model_file();
        let bytes = to_bytes(&f).unwrap();
        assert!(bytes.starts_with(br#"{"format":"timbrel-model","format_version":2,"#));
        assert_eq!(from_bytes(&bytes, name()).unwrap(), f);
        let dir = std::env::temp_dir().join(format!("timbrel-file-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.timbrel");
        save(&path, &f).unwrap();
        let back = load(&path).unwrap();
        assert_eq!(back, f);
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        // Without the dataset, and with stripped snippets.
        let mut g = f.clone();
        g.strip_snippets();
        assert!(g
            .dataset
            .as_ref()
            .unwrap()
            .examples
            .iter()
            .all(|e| e.snippet.is_empty()));
        assert_eq!(from_bytes(&to_bytes(&g).unwrap(), name()).unwrap(), g);
        g.dataset = None;
        assert_eq!(from_bytes(&to_bytes(&g).unwrap(), name()).unwrap(), g);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_and_oversized_files_are_refused() {
        let dir = std::env::temp_dir().join(format!("timbrel-file-big-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        match load(&dir.join("absent.timbrel")) {
            Err(FileError::Io { action: "open", .. }) => {}
            other => panic!("{other:?}"),
        }
        // A sparse file: its size is checked before anything is read.
        let big = dir.join("big.timbrel");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(MAX_FILE_BYTES + 1)
            .unwrap();
        match load(&big) {
            Err(FileError::TooLarge { size, max, .. }) => {
                assert_eq!((size, max), (MAX_FILE_BYTES + 1, MAX_FILE_BYTES))
            }
            other => panic!("{other:?}"),
        }
        std::fs::remove_dir_all(&dir).unwrap();
        let huge = vec![b' '; MAX_FILE_BYTES as usize + 1];
        assert!(matches!(err(&huge), FileError::TooLarge { .. }));
    }

    #[test]
    fn wrong_magic_and_versions_are_named() {
        let f = model_file();
        let e = err(&edited(&f, |v| v["format"] = "something-else".into()));
        assert!(
            matches!(&e, FileError::NotAModel { reason, .. } if reason.contains("something-else")),
            "{e}"
        );
        let e = err(&edited(&f, |v| {
            v.as_object_mut().unwrap().remove("format");
        }));
        assert!(matches!(e, FileError::NotAModel { .. }), "{e}");
        let e = err(&edited(&f, |v| v["format_version"] = 7.into()));
        assert!(
            matches!(
                e,
                FileError::FormatVersion {
                    found: 7,
                    supported: 2,
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(
            e.to_string(),
            "model.timbrel: unsupported format version 7 (this timbrel reads versions 1 to 2); it was written by a newer timbrel"
        );
        let e = err(&edited(&f, |v| v["format_version"] = 0.into()));
        assert_eq!(
            e.to_string(),
            "model.timbrel: unsupported format version 0 (this timbrel reads versions 1 to 2)"
        );
        // A format-2 dataset under a format-1 envelope (or the reverse) is a content error.
        let e = err(&edited(&f, |v| v["format_version"] = 1.into()));
        assert!(matches!(e, FileError::Content { .. }), "{e}");
        let e = err(&edited(&f, |v| v["model_format_version"] = 6.into()));
        assert!(
            matches!(
                e,
                FileError::ModelVersion {
                    found: 6,
                    supported: 5,
                    ..
                }
            ),
            "{e}"
        );
        let e = err(&edited(&f, |v| v["layout_version"] = 2.into()));
        assert!(
            matches!(
                e,
                FileError::Layout {
                    found: 2,
                    expected: 1,
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(
            e.to_string(),
            "model.timbrel: descriptor layout 2, expected 1 (retrain the model with this version)"
        );
        let e = err(&edited(&f, |v| {
            v.as_object_mut().unwrap().remove("format_version");
        }));
        assert!(
            matches!(
                e,
                FileError::Missing {
                    field: "format_version",
                    ..
                }
            ),
            "{e}"
        );
        // The model's own versions must agree with the envelope.
        let e = err(&edited(&f, |v| v["model"]["layout_version"] = 2.into()));
        assert!(
            matches!(
                e,
                FileError::Invalid {
                    problem: Invalid::Envelope {
                        what: "layout_version",
                        ..
                    },
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn truncated_files_are_reported_at_every_cut() {
        let bytes = to_bytes(&model_file()).unwrap();
        let n = bytes.len();
        for cut in [1, 2, 10, 40, 100, 1000, n / 3, n / 2, n - 100, n - 2, n - 1] {
            match err(&bytes[..cut]) {
                FileError::Truncated { line, column, .. } => assert!(line >= 1 && column >= 1),
                // A cut inside a number or a literal may read as a syntax error.
                FileError::Syntax { .. } => {}
                other => panic!("cut {cut}: {other}"),
            }
        }
        assert!(matches!(err(&bytes[..0]), FileError::NotAModel { .. }));
        // A cut inside a snippet's base64 text.
        let inside = bytes.windows(8).position(|w| w == br#""data":""#).unwrap() + 10;
        let e = err(&bytes[..inside]);
        assert!(e.to_string().contains("truncated"), "{e}");
    }

    #[test]
    fn garbage_never_panics() {
        let bytes = to_bytes(&model_file()).unwrap();
        let mut rng = fastrand::Rng::with_seed(11);
        for len in [1, 7, 100, 5000] {
            let junk: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            let _ = err(&junk);
            // Garbage after an opening brace reaches the JSON parser.
            let mut braced = b"{".to_vec();
            braced.extend_from_slice(&junk);
            let _ = err(&braced);
        }
        // Random byte flips in a valid file: either still valid (a flipped digit) or an error.
        for _ in 0..200 {
            let mut b = bytes.clone();
            for _ in 0..3 {
                let i = rng.usize(..b.len());
                b[i] = rng.u8(..);
            }
            if let Err(e) = from_bytes(&b, name()) {
                assert!(!e.to_string().contains('\n'));
            }
        }
        assert!(matches!(
            err(b"RIFF\0\0\0\0WAVE"),
            FileError::NotAModel { .. }
        ));
        assert!(matches!(err(b"[1, 2]"), FileError::NotAModel { .. }));
        // Deep nesting hits serde_json's recursion limit instead of the stack.
        let deep = format!("{{\"a\":{}", "[".repeat(100_000));
        let _ = err(deep.as_bytes());
    }

    #[test]
    fn bad_values_inside_the_model_are_caught() {
        let f = model_file();
        // JSON cannot hold NaN, but 1e300 decodes to an infinite f32.
        let e = err(&edited(&f, |v| v["model"]["temperature"] = 1e300.into()));
        assert!(
            matches!(
                e,
                FileError::Invalid {
                    problem: Invalid::Model(_),
                    ..
                }
            ),
            "{e}"
        );
        let e = err(&edited(&f, |v| {
            v["model"]["temperature"] = serde_json::Value::Null
        }));
        assert!(matches!(e, FileError::Content { .. }), "{e}");
        let e = err(&edited(&f, |v| {
            v["model"]["scaler"] = serde_json::json!({"junk": 1})
        }));
        assert!(matches!(e, FileError::Content { .. }), "{e}");
        let e = err(&edited(&f, |v| {
            v["analysis"]["window_ref_samples"] = 5.into()
        }));
        assert!(
            matches!(
                e,
                FileError::Invalid {
                    problem: Invalid::Analysis(_),
                    ..
                }
            ),
            "{e}"
        );
        let e = err(&edited(&f, |v| {
            v["dataset"]["examples"][0]["descriptor"][3] = 1e300.into()
        }));
        assert!(
            matches!(
                e,
                FileError::Invalid {
                    problem: Invalid::Dataset(_),
                    ..
                }
            ),
            "{e}"
        );
        let e = err(&edited(&f, |v| {
            v["dataset"]["classes"][1]["name"] = "rim".into()
        }));
        assert!(
            matches!(
                e,
                FileError::Invalid {
                    problem: Invalid::Mismatch(Mismatch::Classes { .. }),
                    ..
                }
            ),
            "{e}"
        );
        let e = err(&edited(&f, |v| {
            v["dataset"]["pair"] = serde_json::json!([1, 0])
        }));
        assert!(
            matches!(
                e,
                FileError::Invalid {
                    problem: Invalid::Mismatch(Mismatch::Pair { .. }),
                    ..
                }
            ),
            "{e}"
        );
        // A model that fails validation is never written.
        let mut g = f.clone();
        g.dataset.as_mut().unwrap().classes[0].name = "other".into();
        assert!(matches!(
            to_bytes(&g),
            Err(Invalid::Mismatch(Mismatch::Classes { .. }))
        ));
    }
}
