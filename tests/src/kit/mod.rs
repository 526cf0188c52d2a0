//! Realistic test material built from recordings we did not make (issue 13): the multi-velocity
//! acoustic kits of Debian's `hydrogen-data` and `hydrogen-drumkits`, and the membrane
//! synthesizer (the only source of a known strike radius), rendered as a close snare mic hears
//! them: in a room, over a noise floor, with the other kit pieces bleeding in, with ground truth
//! for every stroke.
//!
//! - [`attack`]: where a recorded one-shot's sound starts (one-shots have leading silence of
//!   varying length, so each placed sample's start is measured).
//! - [`hydrogen`]: kits from drumkit.xml (instruments, velocity layers), decoded and resampled;
//!   a piece [`Category`](hydrogen::Category) from each instrument's name.
//! - [`room`]: early reflections and a diffuse tail.
//! - [`truth`]: ground-truth [`Event`](truth::Event)s and their CSV form.
//! - [`render`]: strokes mixed into a [`Take`](render::Take) through a room.
//! - [`groove`]: a seeded groove (backbeats, ghosts, flams, rolls, hats, ride, crashes, kick,
//!   tom fills) with the kit's snare or the membrane synthesizer as the target.
//! - [`oneshots`]: single-hit files, dry single strokes and training takes.
//! - [`notes`]: what a model trained as the plugin trains sends in a groove.
//! - [`singles`]: single-hit files through a model trained on every layer of two articulations.
//! - [`score`]: the detector run in random block sizes, detections matched to events, scores.
//! - [`material`]: the sets of material the report and the tests use, and their evaluation.
//!
//! The kits live in [`hydrogen::SYSTEM_DRUMKITS`] (or `TIMBREL_DRUMKITS`); `tests/run.sh`
//! installs them.

pub mod attack;
pub mod groove;
pub mod hydrogen;
pub mod material;
pub mod notes;
pub mod oneshots;
pub mod render;
pub mod room;
pub mod score;
pub mod singles;
pub mod truth;
