//! Running the detector on rendered material and scoring its detections against the ground
//! truth: which detection was which stroke, and what each kind of material asks of it.

use std::collections::BTreeMap;

use timbrel_core::analysis::{AnalysisSettings, Analyzer, AnalyzerEvent, HitRecord};
use timbrel_learn::dataset::HAT_LEVEL_DB;

use super::hydrogen::{Category, Group};
use super::render::Take;
use super::truth::{Event, Tag};
use crate::signal::Rng;

/// Matching tolerance between a detection and a stroke, in milliseconds.
pub const TOLERANCE_MS: f32 = 10.0;

/// The onsets `Analyzer` reports on `audio` at `sample_rate` with `settings`, fed in seeded
/// random block sizes (1 to 4096 samples, log-uniform).
pub fn detect(audio: &[f32], sample_rate: f32, settings: AnalysisSettings, seed: u64) -> Vec<u64> {
    let mut analyzer = Analyzer::new(sample_rate, settings);
    let mut rng = Rng::new(seed ^ 0xb10c);
    let mut onsets = Vec::new();
    let mut rest = audio;
    while !rest.is_empty() {
        let n = (2f32.powf(rng.range(0.0, 12.0)) as usize).clamp(1, rest.len());
        analyzer.process(&rest[..n], |e| {
            if let AnalyzerEvent::Onset { onset_sample } = e {
                onsets.push(onset_sample);
            }
        });
        rest = &rest[n..];
    }
    onsets
}

/// Every hit `Analyzer` reports on `audio` at `sample_rate` Hz with `settings`, fed in blocks
/// of 512 samples and followed by silence so that late hits complete; `training`: each hit
/// also described under the synthetic hi-hat ([`HAT_LEVEL_DB`] down), as the plugin records
/// training hits.
pub fn hits(
    audio: &[f32],
    sample_rate: f32,
    settings: AnalysisSettings,
    training: bool,
) -> Vec<HitRecord> {
    let mut analyzer = Analyzer::new(sample_rate, settings);
    analyzer.set_hat_mix(training.then_some(HAT_LEVEL_DB));
    let mut out = Vec::new();
    let tail = vec![0.0; 8192];
    for block in audio.chunks(512).chain([&tail[..]]) {
        analyzer.process(block, |e| {
            if let AnalyzerEvent::Hit(h) = e {
                out.push(*h);
            }
        });
    }
    out
}

/// Detections matched one-to-one to events within a tolerance: target strokes first (closest
/// pairs first), then the remaining detections to bleed strokes (closest first).
#[derive(Debug, Clone, PartialEq)]
pub struct Matching {
    /// For each event, the detection matched to it.
    pub event_detection: Vec<Option<usize>>,
    /// For each detection, the event it was matched to.
    pub detection_event: Vec<Option<usize>>,
    /// For each matched event, detection minus onset, in samples.
    pub error: Vec<Option<i64>>,
}

impl Matching {
    /// Matches `detections` (samples, any order) to `events` within `tolerance` samples.
    pub fn new(detections: &[u64], events: &[Event], tolerance: u64) -> Matching {
        let mut event_detection = vec![None; events.len()];
        let mut detection_event = vec![None; detections.len()];
        let mut error = vec![None; events.len()];
        let mut order: Vec<usize> = (0..detections.len()).collect();
        order.sort_by_key(|&d| detections[d]);
        for pass_target in [true, false] {
            let mut pairs = Vec::new();
            for (e, ev) in events.iter().enumerate() {
                if ev.target != pass_target {
                    continue;
                }
                let lo = ev.onset.saturating_sub(tolerance);
                let first = order.partition_point(|&d| detections[d] < lo);
                for &d in order[first..]
                    .iter()
                    .take_while(|&&d| detections[d] <= ev.onset + tolerance)
                {
                    pairs.push((detections[d].abs_diff(ev.onset), e, d));
                }
            }
            pairs.sort();
            for (_, e, d) in pairs {
                if event_detection[e].is_none() && detection_event[d].is_none() {
                    event_detection[e] = Some(d);
                    detection_event[d] = Some(e);
                    error[e] = Some(detections[d] as i64 - events[e].onset as i64);
                }
            }
        }
        Matching {
            event_detection,
            detection_event,
            error,
        }
    }
}

/// Counts of found and missed target strokes of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Recall {
    /// Strokes.
    pub strokes: usize,
    /// Strokes with a detection.
    pub found: usize,
}

impl Recall {
    /// found / strokes (1 when there are none).
    pub fn rate(&self) -> f64 {
        if self.strokes == 0 {
            1.0
        } else {
            self.found as f64 / self.strokes as f64
        }
    }

    fn count(&mut self, found: bool) {
        self.strokes += 1;
        self.found += usize::from(found);
    }

    fn add(&mut self, o: &Recall) {
        self.strokes += o.strokes;
        self.found += o.found;
    }
}

/// Scores of takes with a target drum and bleed (grooves): add takes with [`TakeScore::add_take`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TakeScore {
    /// Takes scored.
    pub takes: usize,
    /// All target strokes.
    pub target: Recall,
    /// Target strokes that are not ghost notes, flam graces or roll strokes.
    pub main: Recall,
    /// Ghost notes.
    pub ghost: Recall,
    /// Roll strokes.
    pub roll: Recall,
    /// Flam grace notes.
    pub flam_grace: Recall,
    /// Target strokes with a hi-hat or kick stroke within the tolerance.
    pub coinciding: Recall,
    /// Flams (grace and main stroke both target events), and those with both strokes found.
    pub flams: Recall,
    /// Bleed strokes per piece, and those that got a detection.
    pub bleed: BTreeMap<Category, Recall>,
    /// All detections.
    pub detections: usize,
    /// Detections at the onset of no kit event at all (within the tolerance), or a second one
    /// at a stroke that already has one: retriggers.
    pub retriggers: usize,
    /// |detection - onset| of every found target stroke, in milliseconds.
    pub errors_ms: Vec<f64>,
}

impl TakeScore {
    /// Scores `detections` on `take`.
    pub fn add_take(&mut self, take: &Take, detections: &[u64]) {
        let sr = take.sample_rate;
        let tol = (TOLERANCE_MS as f64 * 0.001 * sr as f64).round() as u64;
        let m = Matching::new(detections, &take.events, tol);
        self.takes += 1;
        self.detections += detections.len();
        self.retriggers += m.detection_event.iter().filter(|e| e.is_none()).count();
        for (i, e) in take.events.iter().enumerate() {
            let found = m.event_detection[i].is_some();
            if !e.target {
                self.bleed.entry(e.piece).or_default().count(found);
                continue;
            }
            self.target.count(found);
            if let Some(err) = m.error[i] {
                self.errors_ms
                    .push(err.unsigned_abs() as f64 * 1000.0 / sr as f64);
            }
            let t = e.tags;
            if t.has(Tag::Ghost) {
                self.ghost.count(found);
            } else if t.has(Tag::Roll) {
                self.roll.count(found);
            } else if t.has(Tag::FlamGrace) {
                self.flam_grace.count(found);
            } else {
                self.main.count(found);
            }
            if t.has(Tag::WithHat) || t.has(Tag::WithKick) {
                self.coinciding.count(found);
            }
            if t.has(Tag::FlamMain) {
                // Its grace note is the nearest earlier target event tagged as one.
                let grace = take.events[..i]
                    .iter()
                    .rposition(|g| g.target && g.tags.has(Tag::FlamGrace));
                if let Some(g) = grace {
                    self.flams.count(found && m.event_detection[g].is_some());
                }
            }
        }
    }

    /// Adds another score's counts.
    pub fn merge(&mut self, o: &TakeScore) {
        self.takes += o.takes;
        self.target.add(&o.target);
        self.main.add(&o.main);
        self.ghost.add(&o.ghost);
        self.roll.add(&o.roll);
        self.flam_grace.add(&o.flam_grace);
        self.coinciding.add(&o.coinciding);
        self.flams.add(&o.flams);
        for (c, r) in &o.bleed {
            self.bleed.entry(*c).or_default().add(r);
        }
        self.detections += o.detections;
        self.retriggers += o.retriggers;
        self.errors_ms.extend_from_slice(&o.errors_ms);
    }

    /// Detections matched to a target stroke.
    pub fn true_positives(&self) -> usize {
        self.target.found
    }

    /// Precision: target detections over all detections (1 when there are none).
    pub fn precision(&self) -> f64 {
        if self.detections == 0 {
            1.0
        } else {
            self.true_positives() as f64 / self.detections as f64
        }
    }

    /// F-measure of detections against target strokes (bleed detections and retriggers are
    /// false positives).
    pub fn f_measure(&self) -> f64 {
        let (p, r) = (self.precision(), self.target.rate());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Median |timing error| of found target strokes, in milliseconds (0 when none).
    pub fn median_error_ms(&self) -> f64 {
        median(&self.errors_ms)
    }

    /// Retriggers per 100 target strokes.
    pub fn retriggers_per_100(&self) -> f64 {
        per_100(self.retriggers, self.target.strokes)
    }

    /// Detections on bleed strokes of `group` per 100 target strokes.
    pub fn bleed_detections_per_100(&self, group: Group) -> f64 {
        let n: usize = self
            .bleed
            .iter()
            .filter(|(c, _)| c.group() == group)
            .map(|(_, r)| r.found)
            .sum();
        per_100(n, self.target.strokes)
    }
}

/// Scores of single-hit files: add files with [`OneShotScore::add_file`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OneShotScore {
    /// Files scored.
    pub files: usize,
    /// Main hits found.
    pub found: usize,
    /// Files with a second drum.
    pub with_second: usize,
    /// Detections other than the one matched to the main hit.
    pub extra: usize,
    /// Extra detections matched to the second drum.
    pub extra_at_second: usize,
    /// Main hits per piece, and those found.
    pub by_piece: BTreeMap<Category, Recall>,
    /// Main hits missed, as take names (for reports).
    pub missed: Vec<String>,
    /// |detection - onset| of found main hits, in milliseconds.
    pub errors_ms: Vec<f64>,
}

impl OneShotScore {
    /// Scores `detections` on the single-hit file `take` (its first target event is the hit; events
    /// tagged [`Tag::Second`] are the second drum).
    pub fn add_file(&mut self, take: &Take, detections: &[u64]) {
        let sr = take.sample_rate;
        let tol = (TOLERANCE_MS as f64 * 0.001 * sr as f64).round() as u64;
        let m = Matching::new(detections, &take.events, tol);
        self.files += 1;
        let main = take.events.iter().position(|e| e.target);
        let main_found = main.is_some_and(|i| m.event_detection[i].is_some());
        if let Some(i) = main {
            self.by_piece
                .entry(take.events[i].piece)
                .or_default()
                .count(main_found);
        }
        if let Some(err) = main.and_then(|i| m.error[i]) {
            self.errors_ms
                .push(err.unsigned_abs() as f64 * 1000.0 / sr as f64);
        }
        for (i, e) in take.events.iter().enumerate() {
            if e.tags.has(Tag::Second) {
                self.with_second += 1;
                self.extra_at_second += usize::from(m.event_detection[i].is_some());
            }
        }
        if main_found {
            self.found += 1;
        } else {
            self.missed.push(take.name.clone());
        }
        self.extra += detections.len() - usize::from(main_found);
    }

    /// Adds another score's counts.
    pub fn merge(&mut self, o: &OneShotScore) {
        self.files += o.files;
        self.found += o.found;
        self.with_second += o.with_second;
        self.extra += o.extra;
        self.extra_at_second += o.extra_at_second;
        for (c, r) in &o.by_piece {
            self.by_piece.entry(*c).or_default().add(r);
        }
        self.missed.extend(o.missed.iter().cloned());
        self.errors_ms.extend_from_slice(&o.errors_ms);
    }

    /// Main hits found, percent of files.
    pub fn found_percent(&self) -> f64 {
        100.0 * self.found as f64 / self.files.max(1) as f64
    }

    /// Extra detections per 100 files.
    pub fn extra_per_100(&self) -> f64 {
        per_100(self.extra, self.files)
    }
}

/// Detections per dry stroke, by group: add strokes with [`StrokeScore::add_stroke`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StrokeScore {
    /// Per group: (strokes, detections, strokes with no detection at their onset, strokes
    /// with more than one detection).
    pub by_group: BTreeMap<Group, StrokeCounts>,
}

/// Counts of dry strokes of one group.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StrokeCounts {
    /// Strokes.
    pub strokes: usize,
    /// All detections.
    pub detections: usize,
    /// Strokes whose onset got no detection.
    pub missed: usize,
    /// Strokes with more than one detection.
    pub multiple: usize,
}

impl StrokeCounts {
    /// Detections per stroke.
    pub fn per_stroke(&self) -> f64 {
        self.detections as f64 / self.strokes.max(1) as f64
    }
}

impl StrokeScore {
    /// Scores `detections` on a dry stroke of `group` (a take with one event).
    pub fn add_stroke(&mut self, group: Group, take: &Take, detections: &[u64]) {
        let sr = take.sample_rate;
        let tol = (TOLERANCE_MS as f64 * 0.001 * sr as f64).round() as u64;
        let m = Matching::new(detections, &take.events, tol);
        let c = self.by_group.entry(group).or_default();
        c.strokes += 1;
        c.detections += detections.len();
        c.missed += usize::from(m.event_detection[0].is_none());
        c.multiple += usize::from(detections.len() > 1);
    }

    /// Adds another score's counts.
    pub fn merge(&mut self, o: &StrokeScore) {
        for (g, c) in &o.by_group {
            let s = self.by_group.entry(*g).or_default();
            s.strokes += c.strokes;
            s.detections += c.detections;
            s.missed += c.missed;
            s.multiple += c.multiple;
        }
    }
}

/// `n` per 100 of `of` (0 when `of` is 0).
pub fn per_100(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        100.0 * n as f64 / of as f64
    }
}

/// The median of `x` (upper median for an even count; 0 when empty).
pub fn median(x: &[f64]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::truth::Tags;

    fn event(onset: u64, piece: Category, target: bool, tags: Tags) -> Event {
        Event {
            onset,
            piece,
            instrument: String::new(),
            layer: String::new(),
            target,
            level_db: 0.0,
            velocity: 0.5,
            tags,
            radius: None,
        }
    }

    #[test]
    fn matching_prefers_targets_then_bleed_and_leaves_retriggers() {
        let events = vec![
            event(1000, Category::Snare, true, Tags::NONE),
            event(1003, Category::HiHatClosed, false, Tags::NONE),
            event(5000, Category::Tom, false, Tags::NONE),
        ];
        // One at the snare, one more at the snare/hat, one at the tom, one at nothing.
        let det = [1004, 998, 5010, 9000];
        let m = Matching::new(&det, &events, 10);
        assert_eq!(m.event_detection, vec![Some(1), Some(0), Some(2)]);
        assert_eq!(m.detection_event, vec![Some(1), Some(0), Some(2), None]);
        assert_eq!(m.error[0], Some(-2));
    }

    #[test]
    fn take_scores_count_flams_ghosts_bleed_and_retriggers() {
        let sr = 1000.0; // 1 sample = 1 ms, tolerance 10 samples.
        let flam = Tags::NONE.with(Tag::FlamGrace);
        let events = vec![
            event(100, Category::Snare, true, flam),
            event(125, Category::Snare, true, Tags::NONE.with(Tag::FlamMain)),
            event(500, Category::Snare, true, Tags::NONE.with(Tag::Ghost)),
            event(800, Category::Crash, false, Tags::NONE),
        ];
        let take = Take {
            name: "t".into(),
            sample_rate: sr,
            audio: vec![0.0; 1000],
            events,
            room: crate::kit::room::Room::dry(sr),
            reference_dbfs: 0.0,
            noise_dbfs: -70.0,
        };
        let mut s = TakeScore::default();
        s.add_take(&take, &[101, 126, 805, 900]);
        assert_eq!(
            s.target,
            Recall {
                strokes: 3,
                found: 2
            }
        );
        assert_eq!(
            s.ghost,
            Recall {
                strokes: 1,
                found: 0
            }
        );
        assert_eq!(
            s.flams,
            Recall {
                strokes: 1,
                found: 1
            }
        );
        assert_eq!(
            s.bleed[&Category::Crash],
            Recall {
                strokes: 1,
                found: 1
            }
        );
        assert_eq!(s.retriggers, 1);
        assert_eq!(s.median_error_ms(), 1.0);
        assert!((s.precision() - 0.5).abs() < 1e-12);
        assert!((s.f_measure() - 2.0 * 0.5 * (2.0 / 3.0) / (0.5 + 2.0 / 3.0)).abs() < 1e-12);
        assert_eq!(s.bleed_detections_per_100(Group::Cymbal), 100.0 / 3.0);

        let mut o = OneShotScore::default();
        o.add_file(&take, &[101, 300]);
        assert_eq!((o.files, o.found, o.extra), (1, 1, 1));
        o.add_file(&take, &[130]);
        assert_eq!((o.files, o.found, o.extra), (2, 1, 2));
    }
}
