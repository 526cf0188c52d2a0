//! The project state: the [`Dataset`] and its trained [`Model`] as one string, kept by the
//! plugin in the host's project (a persisted field of the plugin state).
//!
//! # Format 4 (written)
//!
//! ```text
//! timbrel-state:4:<layout>:<model>:<base64>
//! ```
//!
//! A readable prefix — the magic [`MAGIC`], the state format [`STATE_FORMAT_VERSION`], the
//! descriptor layout [`LAYOUT_VERSION`] and the model format [`MODEL_FORMAT_VERSION`], as
//! decimal numbers, each followed by `:` — then base64 (standard alphabet, padded) of one zstd
//! frame that records its content size, holding the postcard encoding of the payload
//! `(dataset, model: Option<bytes>, hats)`. The dataset is packed column-wise (module `pack`:
//! descriptor byte planes, snippet μ-law codes as first differences) so that zstd compresses it
//! better; `hats` are the examples' hat descriptors (`Example::hat_descriptor`), packed the same
//! way. The model is postcard-encoded into its own bytes, so that a later build can tell the
//! dataset from a model it no longer reads. Floats are raw IEEE-754 bits: the restored model
//! gives bit-identical outputs and needs no retraining.
//!
//! 16 classes × 100 hits with 100 ms snippets recorded at 48 kHz (or 96 kHz) and a kNN model
//! encode to about 6.3 MB with their hat descriptors (4.5 MB without; see `timbrel bench` and
//! the `state` criterion bench).
//!
//! # Format 3 (read only)
//!
//! The same as format 4 without `hats` (read as examples without hat descriptors).
//!
//! # Format 2 (read only)
//!
//! The same as format 3, but the classes had no `ignore` flag (read as not ignored).
//!
//! # Format 1 (read only)
//!
//! Before format 2 the plugin persisted the plain `serde_json` of its dataset: a JSON object with
//! `classes`, `examples` (snippets as float arrays with `snippet_rate`) and `pair`. It is
//! migrated on reading (module `migrate`): snippets are encoded, and there is no model, so the
//! plugin retrains.
//!
//! # What this build cannot read
//!
//! [`restore_str`] (the plugin's restore) reads a state whose model format is not
//! [`MODEL_FORMAT_VERSION`] without its model: the dataset is decoded and checked as usual, and
//! [`Restored::model_left_out`] says why the model is missing, so the plugin retrains. A newer
//! state format or descriptor layout is refused ([`StateError::written_by_newer`] tells it from
//! damage); the plugin then keeps the text and saves it back unchanged. Encoded formats from 2
//! up to [`STATE_FORMAT_VERSION`] are read, so a later bump keeps reading format 2 (see the
//! `a_future_bump_keeps_reading_todays_states` test and `learn/tests/fixtures.rs`).
//!
//! # Checks
//!
//! [`decode_str`] and [`decode_value`] check everything before returning anything: the encoded
//! length ([`MAX_ENCODED_BYTES`]), the magic and the three versions (before decoding any base64),
//! the content size the zstd frame claims ([`MAX_PAYLOAD_BYTES`], before allocating),
//! postcard's structure (its length prefixes never allocate more than the input holds), no
//! trailing bytes, [`Dataset::validate`], [`Model::validate`], and that the model was trained
//! on the dataset's classes and pair. A state that passes can be used without further checks.
//! [`encode`] runs the same checks first, so a state that could not be read back is never
//! written. Every [`StateError`] renders as one line.

use std::fmt::Write as _;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::dataset::Dataset;
use crate::error::LearnError;
use crate::migrate::{ClassInfoV2, DatasetV1};
use crate::model::{Mismatch, Model};
use crate::model::{ModelV1, ModelV2, ModelV4};
use crate::pack::{self, HatsIn, HatsOut, PackedIn, PackedOut};
use crate::version::{self, check_together, newer_hint, Inconsistent, Versions};
use crate::{LAYOUT_VERSION, MODEL_FORMAT_VERSION, OLDEST_MODEL_FORMAT_VERSION};

/// First field of every encoded state.
pub const MAGIC: &str = "timbrel-state";
/// State format written by this build (format 1 is the legacy JSON object, format 2 the
/// classes without ignore flag, format 3 the examples without hat descriptors; all read only).
pub const STATE_FORMAT_VERSION: u32 = 4;
/// Oldest state format this build reads.
pub const OLDEST_STATE_FORMAT_VERSION: u32 = 1;
/// Descriptor layout of format-1 states (they did not record it).
const LEGACY_LAYOUT_VERSION: u32 = 1;
/// Largest decompressed payload, in bytes. 16 classes × 100 hits with 100 ms snippets and a
/// kNN model take 6.6 MB (about 4 kB a hit, 1.1 kB of it the hat descriptor); this leaves room
/// for more than 15 000 hits.
pub const MAX_PAYLOAD_BYTES: usize = 64 << 20;
/// Longest encoded state accepted, in bytes: the prefix and the base64 of an incompressible
/// payload of [`MAX_PAYLOAD_BYTES`] (with more room than zstd's worst-case expansion).
pub const MAX_ENCODED_BYTES: usize =
    64 + (MAX_PAYLOAD_BYTES + MAX_PAYLOAD_BYTES / 128 + 1024).div_ceil(3) * 4;
/// Longest JSON text accepted by [`decode_str`]. Format 1 stored snippets as float text, about
/// 11 bytes per sample: 16 × 100 hits with 100 ms at 48 kHz are about 90 MB.
pub const MAX_JSON_BYTES: usize = 256 << 20;
/// zstd compression level of [`encode`]. On the 16 × 100-hit benchmark state (4.8 MB payload)
/// level 1 took 14 ms for 3.36 MB, level 3 30 ms for 3.31 MB: 1.5 % is not worth twice the time.
pub const ZSTD_LEVEL: i32 = 1;
/// Longest header (magic and versions) shown in an error, in bytes.
const SHOWN_HEADER_BYTES: usize = 48;

/// Everything the plugin keeps in the project.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProjectState {
    /// The classes, examples and interpolation pair.
    pub dataset: Dataset,
    /// The model trained on `dataset` (same classes and pair), if any; without one the plugin
    /// retrains after restoring.
    pub model: Option<Model>,
}

/// Why a project state could not be encoded or decoded. Every variant renders as one line and
/// carries the offending values.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StateError {
    /// Too large to be a project state; refused before decoding.
    #[error("{what} of {size} bytes is too large for a project state (at most {max})")]
    TooLarge {
        /// `"encoded state"`, `"JSON text"` or `"payload"`.
        what: &'static str,
        /// The size, in bytes (for a payload, the size its zstd frame claims).
        size: u64,
        /// The limit, in bytes.
        max: u64,
    },
    /// Not a project state at all.
    #[error("not a timbrel project state ({reason})")]
    NotAState {
        /// What it is instead, e.g. `a JSON number` or `it starts with "hello"`.
        reason: String,
    },
    /// The magic is there but the versions are not three `:`-terminated decimal numbers.
    #[error("corrupt project state header {header:?} (expected \"timbrel-state:<format>:<layout>:<model>:\")")]
    Header {
        /// The start of the text (at most 48 bytes).
        header: String,
    },
    /// A state format this build does not read.
    #[error("unsupported project state format version {found} (this timbrel reads versions 1 to {supported}){}",
            newer_hint(*found, *supported))]
    FormatVersion {
        /// Version in the state.
        found: u64,
        /// [`STATE_FORMAT_VERSION`].
        supported: u32,
    },
    /// The examples' descriptors have another layout than this build computes.
    #[error("project state has descriptor layout {found}, this timbrel computes layout {expected}{}",
            if version::written_by_newer(*found, *expected) { newer_hint(*found, *expected) } else { " (record the hits again)" })]
    Layout {
        /// Layout in the state.
        found: u64,
        /// [`LAYOUT_VERSION`].
        expected: u32,
    },
    /// A model format this build does not read.
    #[error("project state has model format version {found} (this timbrel reads version {supported}){}",
            newer_hint(*found, *supported))]
    ModelVersion {
        /// Version in the state.
        found: u64,
        /// [`MODEL_FORMAT_VERSION`].
        supported: u32,
    },
    /// A layer of the encoding is damaged.
    #[error("corrupt project state: {layer}: {message}")]
    Corrupt {
        /// `"base64"`, `"zstd"`, `"payload"` or `"model"`.
        layer: &'static str,
        /// The decoder's description.
        message: String,
    },
    /// Bytes left after the payload.
    #[error("corrupt project state: {count} bytes after the payload")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// A format-1 JSON object of the wrong shape.
    #[error("corrupt format-1 project state: {message}")]
    Legacy {
        /// serde_json's description.
        message: String,
    },
    /// The dataset failed [`Dataset::validate`].
    #[error("invalid dataset in project state: {0}")]
    Dataset(LearnError),
    /// The model failed [`Model::validate`].
    #[error("invalid model in project state: {0}")]
    Model(LearnError),
    /// The model was not trained on the dataset's classes or pair.
    #[error("project state: {0}")]
    Mismatch(Mismatch),
    /// Serialising failed (it does not for valid states).
    #[error("cannot encode project state: {message}")]
    Encode {
        /// The serialiser's description.
        message: String,
    },
}

impl StateError {
    /// Whether the state was written by a newer Timbrel: a state format, descriptor layout or
    /// model format above this build's. Such a state is not damaged; a newer build reads it.
    pub fn written_by_newer(&self) -> bool {
        match *self {
            StateError::FormatVersion { found, supported }
            | StateError::ModelVersion { found, supported }
            | StateError::Layout {
                found,
                expected: supported,
            } => version::written_by_newer(found, supported),
            _ => false,
        }
    }
}

impl From<Inconsistent> for StateError {
    fn from(e: Inconsistent) -> Self {
        match e {
            Inconsistent::Dataset(e) => StateError::Dataset(e),
            Inconsistent::Model(e) => StateError::Model(e),
            Inconsistent::Mismatch(e) => StateError::Mismatch(e),
        }
    }
}

/// The payload as written.
#[derive(Serialize)]
struct PayloadOut<'a> {
    dataset: PackedOut<'a>,
    model: Option<Bytes<'a>>,
    hats: HatsOut,
}

/// Bytes serialised as bytes (a length and the raw bytes), not as a sequence of numbers.
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// The payload as read; `C` is the class type of the state format read.
#[derive(Deserialize)]
struct PayloadIn<'a, C = crate::dataset::ClassInfo> {
    #[serde(borrow)]
    dataset: PackedIn<'a, C>,
    #[serde(borrow)]
    model: Option<&'a [u8]>,
}

/// The payload of format 4 on, as read.
#[derive(Deserialize)]
struct PayloadWithHats<'a> {
    #[serde(borrow)]
    dataset: PackedIn<'a>,
    #[serde(borrow)]
    model: Option<&'a [u8]>,
    #[serde(borrow)]
    hats: HatsIn<'a>,
}

/// Checks the dataset, the model and that they agree.
fn check(dataset: &Dataset, model: Option<&Model>) -> Result<(), StateError> {
    Ok(check_together(Some(dataset), model)?)
}

/// Encodes `state` as format [`STATE_FORMAT_VERSION`] after running every check [`decode_str`]
/// runs, so that the result always decodes to an equal state.
pub fn encode(state: &ProjectState) -> Result<String, StateError> {
    check(&state.dataset, state.model.as_ref())?;
    let encode_error = |e: postcard::Error| StateError::Encode {
        message: e.to_string(),
    };
    let model = state
        .model
        .as_ref()
        .map(postcard::to_allocvec)
        .transpose()
        .map_err(encode_error)?;
    let payload = PayloadOut {
        dataset: pack::pack(&state.dataset),
        model: model.as_deref().map(Bytes),
        hats: pack::pack_hats(&state.dataset),
    };
    let payload = postcard::to_allocvec(&payload).map_err(encode_error)?;
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(StateError::TooLarge {
            what: "payload",
            size: payload.len() as u64,
            max: MAX_PAYLOAD_BYTES as u64,
        });
    }
    // The frame carries a checksum of the payload (zstd's XXH64 check), so that damage to the
    // stored text that still decodes is caught instead of restoring altered hits or a different
    // model. States saved without it (before 0.1.0 was released) still load.
    let encode_error_zstd = |e: std::io::Error| StateError::Encode {
        message: e.to_string(),
    };
    let mut compressor = zstd::bulk::Compressor::new(ZSTD_LEVEL).map_err(encode_error_zstd)?;
    compressor
        .set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(true))
        .map_err(encode_error_zstd)?;
    let packed = compressor.compress(&payload).map_err(encode_error_zstd)?;
    let mut out = String::with_capacity(32 + packed.len().div_ceil(3) * 4);
    // NOTE: writing into a String cannot fail.
    let _ = write!(
        out,
        "{MAGIC}:{STATE_FORMAT_VERSION}:{LAYOUT_VERSION}:{MODEL_FORMAT_VERSION}:"
    );
    base64::engine::general_purpose::STANDARD.encode_string(&packed, &mut out);
    Ok(out)
}

/// A restored project state and, when its model was left out, why.
#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    /// The dataset, and the model when it could be used.
    pub state: ProjectState,
    /// Why the saved model was left out ([`StateError::ModelVersion`]: a model format this build
    /// does not read), or `None` when the state came back whole. Without the model the plugin
    /// retrains on the dataset.
    pub model_left_out: Option<StateError>,
}

/// The format versions a decoder reads.
#[derive(Debug, Clone, Copy)]
struct Readable {
    /// The state format (format 1 is read separately, as JSON).
    state: u32,
    /// The descriptor layout.
    layout: u32,
    /// The model format.
    model: u32,
    /// Whether a model of another format leaves the dataset usable (`true`) or refuses the
    /// state (`false`).
    keep_dataset: bool,
}

impl Readable {
    /// What [`decode_str`] reads: this build's versions, everything or nothing.
    const STRICT: Readable = Readable {
        state: STATE_FORMAT_VERSION,
        layout: LAYOUT_VERSION,
        model: MODEL_FORMAT_VERSION,
        keep_dataset: false,
    };
    /// What [`restore_str`] reads: this build's versions, and the dataset of a state whose
    /// model format is another.
    const KEEP_DATASET: Readable = Readable {
        keep_dataset: true,
        ..Readable::STRICT
    };
}

/// Decodes and fully checks a project state given as text: an encoded state (format 2), or
/// the JSON text of a persisted field — a quoted encoded state, or a format-1 dataset object.
pub fn decode_str(text: &str) -> Result<ProjectState, StateError> {
    decode_text(text, Readable::STRICT).map(|r| r.state)
}

/// As [`decode_str`], but a state whose model format this build does not read (written by a
/// newer or an older Timbrel) still gives its dataset, fully checked, without the model: the
/// caller retrains. Every other problem refuses the state, as in [`decode_str`].
pub fn restore_str(text: &str) -> Result<Restored, StateError> {
    decode_text(text, Readable::KEEP_DATASET)
}

fn decode_text(text: &str, readable: Readable) -> Result<Restored, StateError> {
    if text.starts_with(MAGIC) {
        return decode_encoded(text, readable);
    }
    match text.trim_start().as_bytes().first() {
        Some(b'{' | b'"') => {}
        None => {
            return Err(StateError::NotAState {
                reason: "it is empty".into(),
            })
        }
        Some(_) => {
            return Err(StateError::NotAState {
                reason: format!("it starts with {:?}", start_of(text)),
            })
        }
    }
    if text.len() > MAX_JSON_BYTES {
        return Err(StateError::TooLarge {
            what: "JSON text",
            size: text.len() as u64,
            max: MAX_JSON_BYTES as u64,
        });
    }
    if text.trim_start().starts_with('"') {
        let inner: String = serde_json::from_str(text).map_err(|e| StateError::NotAState {
            reason: e.to_string(),
        })?;
        return decode_encoded(&inner, readable);
    }
    // NOTE: parsed straight into the format-1 types, not through a `serde_json::Value` (which
    // would take several times the text's size for its float arrays).
    let legacy: DatasetV1 = serde_json::from_str(text).map_err(|e| StateError::Legacy {
        message: e.to_string(),
    })?;
    migrate(legacy).map(whole)
}

/// A state that came back whole.
fn whole(state: ProjectState) -> Restored {
    Restored {
        state,
        model_left_out: None,
    }
}

/// Decodes and fully checks a project state held as a JSON value (the plugin's persisted
/// field): a string holding an encoded state (format 2), or a format-1 dataset object.
pub fn decode_value(value: &serde_json::Value) -> Result<ProjectState, StateError> {
    use serde_json::Value;
    let not = |what: &str| {
        Err(StateError::NotAState {
            reason: format!("a JSON {what}"),
        })
    };
    match value {
        Value::String(s) => decode_encoded(s, Readable::STRICT).map(|r| r.state),
        Value::Object(_) => {
            let legacy = DatasetV1::deserialize(value).map_err(|e| StateError::Legacy {
                message: e.to_string(),
            })?;
            migrate(legacy)
        }
        Value::Null => not("null"),
        Value::Bool(_) => not("boolean"),
        Value::Number(_) => not("number"),
        Value::Array(_) => not("array"),
    }
}

/// A format-1 dataset, migrated and checked.
fn migrate(legacy: DatasetV1) -> Result<ProjectState, StateError> {
    if LEGACY_LAYOUT_VERSION != LAYOUT_VERSION {
        return Err(StateError::Layout {
            found: LEGACY_LAYOUT_VERSION as u64,
            expected: LAYOUT_VERSION,
        });
    }
    let dataset = legacy.migrate();
    check(&dataset, None)?;
    Ok(ProjectState {
        dataset,
        model: None,
    })
}

/// At most [`SHOWN_HEADER_BYTES`] of `text`, cut at a character boundary.
fn start_of(text: &str) -> &str {
    let mut end = text.len().min(SHOWN_HEADER_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Splits `magic:a:b:c:rest` into the three versions and the rest.
fn parse_header(text: &str) -> Result<([u64; 3], &str), StateError> {
    let header_error = || StateError::Header {
        header: start_of(text).to_string(),
    };
    let mut rest = text
        .strip_prefix(MAGIC)
        .and_then(|r| r.strip_prefix(':'))
        .ok_or_else(header_error)?;
    let mut versions = [0; 3];
    for v in &mut versions {
        let (digits, tail) = rest.split_once(':').ok_or_else(header_error)?;
        if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(header_error());
        }
        *v = digits.parse().map_err(|_| header_error())?;
        rest = tail;
    }
    Ok((versions, rest))
}

/// Decodes format 2 (see the module docs).
fn decode_encoded(text: &str, readable: Readable) -> Result<Restored, StateError> {
    if text.len() > MAX_ENCODED_BYTES {
        return Err(StateError::TooLarge {
            what: "encoded state",
            size: text.len() as u64,
            max: MAX_ENCODED_BYTES as u64,
        });
    }
    if !text.starts_with(MAGIC) {
        return Err(StateError::NotAState {
            reason: format!("it starts with {:?}", start_of(text)),
        });
    }
    let ([format, layout, model_format], body) = parse_header(text)?;
    // NOTE: every encoded format from 2 on is read; a later build keeps reading today's (see
    // `a_future_bump_keeps_reading_todays_states`).
    if !Versions::new(2, readable.state).reads(format) {
        return Err(StateError::FormatVersion {
            found: format,
            supported: readable.state,
        });
    }
    if layout != readable.layout as u64 {
        return Err(StateError::Layout {
            found: layout,
            expected: readable.layout,
        });
    }
    // The model is kept in its own bytes so that a build that cannot read it keeps the dataset.
    // Model formats from OLDEST_MODEL_FORMAT_VERSION to this build's are read (older ones are
    // migrated).
    let model_left_out = (!Versions::new(OLDEST_MODEL_FORMAT_VERSION, readable.model)
        .reads(model_format))
    .then_some(StateError::ModelVersion {
        found: model_format,
        supported: readable.model,
    });
    if let (Some(e), false) = (&model_left_out, readable.keep_dataset) {
        return Err(e.clone());
    }
    let corrupt = |layer, message: String| StateError::Corrupt { layer, message };
    let packed = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| corrupt("base64", e.to_string()))?;
    let size = match zstd::zstd_safe::get_frame_content_size(&packed) {
        Ok(Some(size)) => size,
        Ok(None) => {
            return Err(corrupt(
                "zstd",
                "the frame does not record its content size".into(),
            ))
        }
        Err(_) => return Err(corrupt("zstd", "not a zstd frame".into())),
    };
    if size > MAX_PAYLOAD_BYTES as u64 {
        return Err(StateError::TooLarge {
            what: "payload",
            size,
            max: MAX_PAYLOAD_BYTES as u64,
        });
    }
    // NOTE: the capacity bounds the output, whatever the frames hold.
    let payload = zstd::bulk::decompress(&packed, size as usize)
        .map_err(|e| corrupt("zstd", e.to_string()))?;
    let payload_error = |e: postcard::Error| corrupt("payload", e.to_string());
    let (dataset, model, rest) = if format == 2 {
        let (p, rest): (PayloadIn<ClassInfoV2>, _) =
            postcard::take_from_bytes(&payload).map_err(payload_error)?;
        (pack::unpack(p.dataset), p.model, rest)
    } else if format == 3 {
        let (p, rest): (PayloadIn, _) =
            postcard::take_from_bytes(&payload).map_err(payload_error)?;
        (pack::unpack(p.dataset), p.model, rest)
    } else {
        let (p, rest): (PayloadWithHats, _) =
            postcard::take_from_bytes(&payload).map_err(payload_error)?;
        let dataset =
            pack::unpack(p.dataset).and_then(|mut d| pack::unpack_hats(&mut d, p.hats).map(|()| d));
        (dataset, p.model, rest)
    };
    if !rest.is_empty() {
        return Err(StateError::TrailingBytes { count: rest.len() });
    }
    let dataset = dataset.map_err(|message| corrupt("payload", message))?;
    // Only a model that is there can be left out.
    let model_left_out = model_left_out.filter(|_| model.is_some());
    let model = match model {
        None => None,
        Some(_) if model_left_out.is_some() => None,
        Some(bytes) => {
            let (model, rest): (Model, _) = if model_format == 1 {
                postcard::take_from_bytes::<ModelV1>(bytes).map(|(m, r)| (m.migrate(), r))
            } else if model_format == 2 {
                postcard::take_from_bytes::<ModelV2>(bytes).map(|(m, r)| (m.migrate(), r))
            } else if model_format <= 4 {
                postcard::take_from_bytes::<ModelV4>(bytes).map(|(m, r)| (m.migrate(), r))
            } else {
                postcard::take_from_bytes::<Model>(bytes)
            }
            .map_err(|e| corrupt("model", e.to_string()))?;
            if !rest.is_empty() {
                return Err(corrupt(
                    "model",
                    format!("{} bytes after the model", rest.len()),
                ));
            }
            Some(model)
        }
    };
    check(&dataset, model.as_ref())?;
    Ok(Restored {
        state: ProjectState { dataset, model },
        model_left_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Example;
    use crate::snippet::Snippet;
    use crate::{train, ModelKind, Prediction, TrainConfig, DESCRIPTOR_LEN};

    fn dataset() -> Dataset {
        let mut rng = fastrand::Rng::with_seed(21);
        let mut d = Dataset::default();
        for class in 0..2 {
            for i in 0..10 {
                let x: Vec<f32> = (0..DESCRIPTOR_LEN)
                    .map(|j| rng.f32() + if j % 7 == 0 { 2.0 * class as f32 } else { 0.0 })
                    .collect();
                let mut e = Example::new(&x, class, -20.0 - i as f32, i as f64);
                let audio: Vec<f32> = (0..480)
                    .map(|k| (0.3 * (k as f32 * 0.1).sin()) * (-(k as f32) / 100.0).exp())
                    .collect();
                e.snippet = Snippet::encode(&audio, 48_000.0);
                d.add_example(e).unwrap();
            }
        }
        d
    }

    fn state() -> ProjectState {
        let dataset = dataset();
        let model = train(
            &dataset,
            &TrainConfig {
                kind: ModelKind::Knn,
                ..TrainConfig::default()
            },
        )
        .unwrap();
        ProjectState {
            dataset,
            model: Some(model),
        }
    }

    /// `encoded` with its payload replaced by the postcard of `dataset` and `model` bytes.
    fn with_payload(dataset: &Dataset, model: Option<&[u8]>, trailing: &[u8]) -> String {
        let mut payload = postcard::to_allocvec(&PayloadOut {
            dataset: pack::pack(dataset),
            model: model.map(Bytes),
            hats: pack::pack_hats(dataset),
        })
        .unwrap();
        payload.extend_from_slice(trailing);
        let packed = zstd::bulk::compress(&payload, 1).unwrap();
        format!(
            "timbrel-state:4:1:{MODEL_FORMAT_VERSION}:{}",
            base64::engine::general_purpose::STANDARD.encode(packed)
        )
    }

    /// A zstd frame header (single segment, 8-byte content size) claiming `size` bytes.
    fn frame_claiming(size: u64) -> Vec<u8> {
        let mut f = vec![0x28, 0xb5, 0x2f, 0xfd, 0xe0];
        f.extend_from_slice(&size.to_le_bytes());
        f
    }

    fn one_line(e: StateError) -> StateError {
        assert!(!e.to_string().contains('\n'), "{e}");
        e
    }

    fn err(text: &str) -> StateError {
        one_line(decode_str(text).expect_err("accepted a bad state"))
    }

    #[test]
    fn round_trip_gives_bit_identical_outputs() {
        let s = state();
        let text = encode(&s).unwrap();
        assert!(text.starts_with("timbrel-state:4:1:5:"), "{}", &text[..30]);
        let back = decode_str(&text).unwrap();
        assert_eq!(back, s);
        assert_eq!(
            decode_value(&serde_json::Value::String(text.clone())).unwrap(),
            s
        );
        // As the persisted field's JSON text.
        assert_eq!(
            decode_str(&serde_json::to_string(&text).unwrap()).unwrap(),
            s
        );
        let (mut p, mut q) = (Prediction::default(), Prediction::default());
        for e in &s.dataset.examples {
            s.model.as_ref().unwrap().classify(&e.descriptor, &mut p);
            back.model.as_ref().unwrap().classify(&e.descriptor, &mut q);
            assert_eq!(format!("{p:?}"), format!("{q:?}"));
        }
        // Without a model.
        let bare = ProjectState { model: None, ..s };
        assert_eq!(decode_str(&encode(&bare).unwrap()).unwrap(), bare);
        let empty = ProjectState::default();
        assert_eq!(decode_str(&encode(&empty).unwrap()).unwrap(), empty);
    }

    /// `with_payload` with `model_format` in the header instead of 1.
    fn with_model_format(dataset: &Dataset, model: Option<&[u8]>, model_format: u32) -> String {
        with_payload(dataset, model, &[]).replacen(
            &format!("timbrel-state:{STATE_FORMAT_VERSION}:1:{MODEL_FORMAT_VERSION}:"),
            &format!("timbrel-state:{STATE_FORMAT_VERSION}:1:{model_format}:"),
            1,
        )
    }

    #[test]
    fn another_model_format_keeps_the_dataset() {
        let s = state();
        // A newer model: bytes this build cannot read.
        let next = MODEL_FORMAT_VERSION + 1;
        let newer = with_model_format(&s.dataset, Some(&[0xff; 40]), next);
        let e = err(&newer);
        assert_eq!(
            e,
            StateError::ModelVersion {
                found: next as u64,
                supported: MODEL_FORMAT_VERSION
            }
        );
        assert!(e.written_by_newer());
        let r = restore_str(&newer).unwrap();
        assert_eq!(r.state.dataset, s.dataset);
        assert_eq!(r.state.model, None);
        assert_eq!(r.model_left_out, Some(e));
        // Quoted, as the persisted field holds it.
        assert_eq!(
            restore_str(&serde_json::to_string(&newer).unwrap()).unwrap(),
            r
        );
        // An older model format, the same; without a model nothing is left out.
        assert!(
            restore_str(&with_model_format(&s.dataset, Some(&[1, 2]), 0))
                .unwrap()
                .model_left_out
                .is_some_and(|e| !e.written_by_newer())
        );
        let bare = restore_str(&with_model_format(&s.dataset, None, next)).unwrap();
        assert_eq!(
            (bare.state.dataset, bare.model_left_out),
            (s.dataset.clone(), None)
        );
        // A readable state comes back whole; a damaged dataset is still refused.
        let text = encode(&s).unwrap();
        assert_eq!(restore_str(&text).unwrap(), whole(s.clone()));
        let mut bad = s.dataset.clone();
        bad.examples[1].descriptor[0] = f32::NAN;
        assert!(matches!(
            restore_str(&with_model_format(&bad, Some(&[0xff]), next)),
            Err(StateError::Dataset(_))
        ));
        // Newer state formats and layouts are refused whole, and say so.
        let (f, m) = (STATE_FORMAT_VERSION, MODEL_FORMAT_VERSION);
        for newer in [
            format!("timbrel-state:{}:1:{m}:AAAA", f + 1),
            format!("timbrel-state:{f}:2:{m}:AAAA"),
        ] {
            let e = restore_str(&newer).unwrap_err();
            assert!(e.written_by_newer(), "{e}");
        }
        assert!(!restore_str(&format!("timbrel-state:{f}:1:{m}:***"))
            .unwrap_err()
            .written_by_newer());
    }

    /// A later build with a higher state format and model format (same layout: the recorded
    /// descriptors stay usable) reads today's states: the dataset always, the model when its
    /// format is still read.
    #[test]
    fn a_future_bump_keeps_reading_todays_states() {
        let s = state();
        let today = encode(&s).unwrap();
        let later = |state, model| Readable {
            state,
            layout: LAYOUT_VERSION,
            model,
            keep_dataset: true,
        };
        let r = decode_encoded(
            &today,
            later(STATE_FORMAT_VERSION + 1, MODEL_FORMAT_VERSION),
        )
        .unwrap();
        assert_eq!(r, whole(s.clone()));
        // A later model format still reads today's (older formats from
        // OLDEST_MODEL_FORMAT_VERSION on are migrated).
        let r = decode_encoded(
            &today,
            later(STATE_FORMAT_VERSION + 1, MODEL_FORMAT_VERSION + 1),
        )
        .unwrap();
        assert_eq!(r, whole(s.clone()));
    }

    #[test]
    fn any_changed_character_of_the_body_is_refused() {
        let text = encode(&state()).unwrap();
        let body = text.rfind(':').unwrap() + 1;
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut accepted = Vec::new();
        let positions = (body..text.len()).step_by(7).chain([body, text.len() - 1]);
        for (n, i) in positions.enumerate() {
            let mut bytes = text.clone().into_bytes();
            let old = bytes[i];
            let Some(k) = alphabet.iter().position(|&c| c == old) else {
                continue; // padding
            };
            bytes[i] = alphabet[(k + 1 + n % 63) % 64];
            let changed = String::from_utf8(bytes).unwrap();
            if decode_str(&changed).is_ok() {
                accepted.push(i - body);
            }
        }
        // The zstd checksum catches what still decompresses.
        assert!(
            accepted.is_empty(),
            "changes accepted at body offsets {accepted:?}"
        );
    }

    #[test]
    fn legacy_objects_are_migrated() {
        let d = dataset();
        let mut v = serde_json::to_value(&d).unwrap();
        for (e, x) in v["examples"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .zip(&d.examples)
        {
            e["snippet"] = serde_json::json!(x.snippet.decode());
            e["snippet_rate"] = x.snippet.rate_hz().into();
        }
        let s = decode_value(&v).unwrap();
        assert!(s.model.is_none());
        assert_eq!(s.dataset.classes, d.classes);
        assert_eq!(s.dataset.examples.len(), d.examples.len());
        assert_eq!(s.dataset.examples[3].descriptor, d.examples[3].descriptor);
        assert_eq!(s.dataset.examples[3].snippet.rate_hz(), 16_000.0);
        assert_eq!(decode_str(&v.to_string()).unwrap(), s);
        // A legacy object with a broken example is refused, naming it.
        v["examples"][2]["class"] = 9.into();
        let e = one_line(decode_value(&v).unwrap_err());
        assert_eq!(
            e,
            StateError::Dataset(LearnError::ClassOutOfRange { class: 9, count: 2 })
        );
        v["examples"][2]["class"] = "x".into();
        assert!(matches!(
            one_line(decode_value(&v).unwrap_err()),
            StateError::Legacy { .. }
        ));
    }

    #[test]
    fn versions_are_checked_before_the_body() {
        let e = err("timbrel-state:5:1:1:!!!!");
        assert_eq!(
            e,
            StateError::FormatVersion {
                found: 5,
                supported: 4
            }
        );
        assert_eq!(
            e.to_string(),
            "unsupported project state format version 5 (this timbrel reads versions 1 to 4); it was written by a newer timbrel"
        );
        assert_eq!(
            err("timbrel-state:1:1:1:"),
            StateError::FormatVersion {
                found: 1,
                supported: 4
            }
        );
        let e = err("timbrel-state:2:2:1:!!");
        assert_eq!(
            e,
            StateError::Layout {
                found: 2,
                expected: 1
            }
        );
        assert!(e.to_string().ends_with("written by a newer timbrel"), "{e}");
        assert!(err("timbrel-state:2:0:1:")
            .to_string()
            .ends_with("(record the hits again)"));
        let e = err("timbrel-state:2:1:7:");
        assert_eq!(
            e,
            StateError::ModelVersion {
                found: 7,
                supported: 5
            }
        );
        assert!(e.to_string().contains("newer timbrel"), "{e}");
        for bad in [
            "timbrel-state",
            "timbrel-state:",
            "timbrel-state:2:1:",
            "timbrel-state:x:1:1:",
            "timbrel-state:2:1:1",
            "timbrel-state:-2:1:1:",
            "timbrel-state:99999999999:1:1:",
            "timbrel-statesque:2:1:1:",
        ] {
            assert!(matches!(err(bad), StateError::Header { .. }), "{bad}");
        }
        assert!(matches!(
            err("timbrel-state:2:1:1:***"),
            StateError::Corrupt {
                layer: "base64",
                ..
            }
        ));
        assert!(matches!(
            err("timbrel-state:2:1:1:AAAAAAAA"),
            StateError::Corrupt { layer: "zstd", .. }
        ));
    }

    #[test]
    fn other_values_are_not_states() {
        for (v, what) in [
            (serde_json::json!(null), "null"),
            (serde_json::json!(3), "number"),
            (serde_json::json!([1]), "array"),
            (serde_json::json!(true), "boolean"),
        ] {
            let e = one_line(decode_value(&v).unwrap_err());
            assert_eq!(
                e,
                StateError::NotAState {
                    reason: format!("a JSON {what}")
                }
            );
        }
        assert!(matches!(
            decode_value(&"hello".into()),
            Err(StateError::NotAState { .. })
        ));
        assert_eq!(
            err(""),
            StateError::NotAState {
                reason: "it is empty".into()
            }
        );
        assert!(matches!(err("hello"), StateError::NotAState { .. }));
        assert!(matches!(
            err("\"unterminated"),
            StateError::NotAState { .. }
        ));
        assert!(matches!(err("{\"classes\": 5}"), StateError::Legacy { .. }));
        // The shown start of a bad text is cut at a character boundary.
        let long = "é".repeat(100);
        assert!(matches!(err(&long), StateError::NotAState { reason } if reason.len() < 70));
    }

    #[test]
    fn inconsistent_payloads_are_refused() {
        let s = state();
        let model = postcard::to_allocvec(s.model.as_ref().unwrap()).unwrap();
        // Fine as built.
        decode_str(&with_payload(&s.dataset, Some(&model), &[])).unwrap();
        assert_eq!(
            err(&with_payload(&s.dataset, Some(&model), &[0, 0])),
            StateError::TrailingBytes { count: 2 }
        );
        let mut renamed = s.dataset.clone();
        renamed.classes[1].name = "rim".into();
        let e = err(&with_payload(&renamed, Some(&model), &[]));
        assert!(
            matches!(e, StateError::Mismatch(Mismatch::Classes { .. })),
            "{e}"
        );
        assert!(e.to_string().contains("rim"), "{e}");
        let mut swapped = s.dataset.clone();
        swapped.pair = (1, 0);
        assert!(matches!(
            err(&with_payload(&swapped, Some(&model), &[])),
            StateError::Mismatch(Mismatch::Pair { .. })
        ));
        let mut bad = s.dataset.clone();
        bad.examples[4].descriptor[9] = f32::INFINITY;
        assert!(matches!(
            err(&with_payload(&bad, None, &[])),
            StateError::Dataset(LearnError::NonFinite { .. })
        ));
        assert!(matches!(
            err(&with_payload(
                &s.dataset,
                Some(&model[..model.len() / 2]),
                &[]
            )),
            StateError::Corrupt { layer: "model", .. }
        ));
        let mut long_model = model.clone();
        long_model.push(0);
        assert!(matches!(
            err(&with_payload(&s.dataset, Some(&long_model), &[])),
            StateError::Corrupt { layer: "model", .. }
        ));
        let mut v = serde_json::to_value(s.model.as_ref().unwrap()).unwrap();
        v["temperature"] = (-1.0).into();
        let broken: Model = serde_json::from_value(v).unwrap();
        let bytes = postcard::to_allocvec(&broken).unwrap();
        assert!(matches!(
            err(&with_payload(&s.dataset, Some(&bytes), &[])),
            StateError::Model(_)
        ));
        // encode refuses what decode would refuse.
        let stale = ProjectState {
            dataset: renamed,
            model: s.model.clone(),
        };
        assert!(matches!(encode(&stale), Err(StateError::Mismatch(_))));
        let mut nan = s.clone();
        nan.dataset.examples[0].level_dbfs = f32::NAN;
        assert!(matches!(encode(&nan), Err(StateError::Dataset(_))));
    }

    #[test]
    fn sizes_are_refused_before_decoding() {
        let big = format!("timbrel-state:2:1:1:{}", "A".repeat(MAX_ENCODED_BYTES));
        assert!(matches!(
            err(&big),
            StateError::TooLarge {
                what: "encoded state",
                ..
            }
        ));
        // A zstd frame header that claims more content than a payload may have.
        let text = format!(
            "timbrel-state:2:1:1:{}",
            base64::engine::general_purpose::STANDARD
                .encode(frame_claiming(MAX_PAYLOAD_BYTES as u64 + 1))
        );
        let e = err(&text);
        assert_eq!(
            e,
            StateError::TooLarge {
                what: "payload",
                size: MAX_PAYLOAD_BYTES as u64 + 1,
                max: MAX_PAYLOAD_BYTES as u64
            }
        );
        // Within the limit but with nothing behind the header: an error, not a 64 MiB buffer.
        let text = format!(
            "timbrel-state:2:1:1:{}",
            base64::engine::general_purpose::STANDARD
                .encode(frame_claiming(MAX_PAYLOAD_BYTES as u64))
        );
        assert!(matches!(
            err(&text),
            StateError::Corrupt { layer: "zstd", .. }
        ));
    }
}
