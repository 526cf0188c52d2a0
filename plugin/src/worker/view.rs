//! What the worker publishes for the editor: the recent hits, the training state, the map, the
//! quality panel and the auto-zones, as one read-only snapshot.

use super::hit_log::HitSummary;
use super::map_view::MapView;
use super::training::{Quality, TrainStatus};
use crate::zones::{TakeSummary, ZoneProposal};
use std::collections::VecDeque;

/// The worker's state as the editor sees it.
#[derive(Debug, Clone, Default)]
pub struct WorkerView {
    /// Recent hits, newest last.
    pub log: VecDeque<HitSummary>,
    /// The training state.
    pub status: TrainStatus,
    /// The class names and colours of the loaded model, indexed like its predictions.
    pub model_classes: Vec<timbrel_learn::ClassInfo>,
    /// The loaded model's interpolation pair (A, B), as class indices.
    pub model_pair: (usize, usize),
    /// The map of the dataset, when it has enough examples.
    pub map: Option<MapView>,
    /// The held-out evaluation of the latest training, when it finished.
    pub quality: Option<Quality>,
    /// Whether an evaluation is running.
    pub evaluating: bool,
    /// The free-play take (unlabelled hits) auto-zones work on.
    pub take: TakeSummary,
    /// The latest auto-zones proposal, until it is kept or dismissed.
    pub zones: Option<ZoneProposal>,
    /// The outcome of the last auto-zones request: `Ok(what happened)` or `Err(why not)`.
    pub zone_status: Option<Result<String, String>>,
    /// The outcome of the last dataset edit, numbered so that the editor shows each once:
    /// (edits so far, `Ok(message)` or `Err(why not)`).
    pub edit_outcome: Option<(u64, Result<String, String>)>,
}
