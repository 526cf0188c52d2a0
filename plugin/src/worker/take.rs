//! The free-play take and training hits: each hit from the audio thread waits for the end of
//! its snippet, then joins the armed class in the dataset or, with no class armed, the take that
//! auto-zones split ([`crate::zones`]).

use super::thread::WorkerLoop;
use crate::snippets::SNIPPET_S;
use crate::zones::{self, TakeHit, ZoneChoice};
use std::time::{Duration, Instant};
use timbrel_core::analysis::HitRecord;
use timbrel_learn::projection::Projection;
use timbrel_learn::Example;
use timbrel_map::ClusterCount;

/// How long a hit may wait for its snippet's audio before it is filed without one.
const SNIPPET_WAIT: Duration = Duration::from_millis(500);

/// What the editor asks the worker to do with the free-play take.
#[derive(Debug, Clone, PartialEq)]
pub enum ZoneRequest {
    /// Split the take into zones.
    Propose(ClusterCount),
    /// Keep the zones of proposal `id` as the choices say (one per zone).
    Keep {
        /// The proposal the choices were made for.
        id: u64,
        /// One choice per zone.
        choices: Vec<ZoneChoice>,
    },
    /// Drop the proposal.
    Dismiss,
    /// Forget the take's hits (and the proposal).
    ClearTake,
}

/// A hit waiting for the end of its snippet: a training hit (with its class) or a free-play hit
/// for the take.
pub(super) struct PendingExample {
    pub(super) hit: HitRecord,
    pub(super) class: Option<u8>,
    /// The class the model gave it (free-play hits).
    pub(super) predicted: Option<usize>,
    pub(super) since: Instant,
}

impl WorkerLoop {
    /// Files every pending hit whose snippet is complete (or that waited too long): a training
    /// hit into the dataset, a free-play hit into the take.
    pub(super) fn file_pending_examples(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let sample_rate = self.sample_rate();
        let snippet_len = (SNIPPET_S as f64 * sample_rate) as usize;
        let (mut added, mut took) = (false, false);
        let mut i = 0;
        while i < self.pending.len() {
            let p = &self.pending[i];
            let snippet = self.recorder.snippet(p.hit.onset_sample, snippet_len);
            if snippet.is_none() && p.since.elapsed() < SNIPPET_WAIT {
                i += 1;
                continue;
            }
            let p = self.pending.remove(i);
            let snippet = snippet.map_or_else(timbrel_learn::Snippet::default, |s| {
                timbrel_learn::Snippet::encode(&s, sample_rate as f32)
            });
            let time_s = p.hit.onset_sample as f64 / sample_rate;
            let Some(class) = p.class else {
                self.take.push(TakeHit {
                    descriptor: p.hit.descriptor.to_vec(),
                    level_dbfs: p.hit.rms_dbfs,
                    time_s,
                    snippet,
                    predicted: p.predicted,
                });
                took = true;
                continue;
            };
            let mut example = Example::from_hit(&p.hit, class as usize, time_s);
            example.snippet = snippet;
            // NOTE: while an unreadable saved state is kept, the project saves that state, not
            // these hits: recording them would lose them silently (the editor says Start over).
            if self.project.is_kept() || class as usize >= self.project.dataset.classes.len() {
                continue;
            }
            if self.project_mut().dataset.add_example(example).is_ok() {
                added = true;
            }
        }
        if took {
            let summary = self.take.summary();
            self.view_mut().take = summary;
        }
        if added {
            // The dataset changed, but only a disarm retrains.
            self.map_dirty = true;
        }
    }

    /// Carries out what the editor asked of auto-zones, and reports the outcome.
    pub(super) fn zone_request(&mut self, request: ZoneRequest) {
        let outcome = match request {
            ZoneRequest::Propose(count) => self.propose_zones(count),
            ZoneRequest::Keep { id, choices } => self.keep_zones(id, &choices),
            ZoneRequest::Dismiss => {
                self.drop_proposal();
                Ok("Proposal dismissed.".to_owned())
            }
            ZoneRequest::ClearTake => {
                self.take.clear();
                self.drop_proposal();
                let summary = self.take.summary();
                self.view_mut().take = summary;
                Ok("Free-play take cleared.".to_owned())
            }
        };
        self.view_mut().zone_status = Some(outcome);
    }

    fn drop_proposal(&mut self) {
        self.proposal_hits.clear();
        self.take_projection = None;
        self.view_mut().zones = None;
    }

    /// Splits the take into zones, placed on the dataset's map (or, without one, on a map of
    /// the take itself).
    fn propose_zones(&mut self, count: ClusterCount) -> Result<String, String> {
        let hits: Vec<TakeHit> = self.take.hits().cloned().collect();
        self.take_projection = None;
        if self.projection.is_none() {
            let rows: Vec<&[f32]> = hits.iter().map(|h| h.descriptor.as_slice()).collect();
            self.take_projection = Projection::fit_descriptors(&rows);
        }
        let projection = self.projection.as_ref().or(self.take_projection.as_ref());
        self.proposals += 1;
        let proposal = zones::propose(&hits, count, self.proposals, |d| {
            projection.map_or([0.0; 2], |p| p.project(d))
        })
        .map_err(|e| e.to_string())?;
        let message = format!(
            "{} hits in {} zones{}{}.",
            hits.len(),
            proposal.zones.len(),
            if proposal.auto { " (best split)" } else { "" },
            proposal
                .silhouette
                .map_or(String::new(), |s| format!(", silhouette {s:.2}")),
        );
        if self.log_hits {
            let sizes: Vec<String> = proposal.zones.iter().map(|z| z.hits.to_string()).collect();
            eprintln!(
                "timbrel-zones hits={} zones={} sizes={} silhouette={:.3}",
                hits.len(),
                proposal.zones.len(),
                sizes.join(","),
                proposal.silhouette.unwrap_or(f32::NAN)
            );
        }
        self.proposal_hits = hits;
        self.view_mut().zones = Some(proposal);
        Ok(message)
    }

    /// Adds the kept zones to the dataset (which retrains), and takes their hits out of the take.
    fn keep_zones(&mut self, id: u64, choices: &[ZoneChoice]) -> Result<String, String> {
        let proposal = self
            .view()
            .zones
            .clone()
            .filter(|p| p.id == id)
            .ok_or("the proposal changed; look again and keep")?;
        let mut data = self.project.dataset.clone();
        let report = zones::keep(&mut data, &self.proposal_hits, &proposal, choices)
            .map_err(|e| e.to_string())?;
        self.project_mut().dataset = data;
        self.dataset_edited();
        self.take.remove_times(&report.times);
        self.drop_proposal();
        let summary = self.take.summary();
        self.view_mut().take = summary;
        let mut message = format!("Kept {} hits", report.examples);
        if !report.new_classes.is_empty() {
            message += &format!("; new classes: {}", report.new_classes.join(", "));
        }
        if let Some((a, b)) = report.pair {
            message += &format!("; interpolation now {a} to {b}");
        }
        Ok(message + ". Training…")
    }
}
