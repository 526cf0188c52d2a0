//! Auto-zones: the unlabelled hits of a free-play take, clustered into proposed classes that the
//! user names and keeps.
//!
//! While no class is armed, every hit joins the [`Take`] (the most recent [`TAKE_CAPACITY`]
//! hits, each with its descriptor and snippet). [`propose`] clusters the take's timbre blocks
//! (the level-normalised part of the descriptor, as the map shows them, so that zones follow how
//! a hit sounds and not how loud it was) with seeded k-means from `timbrel-map`, either into a
//! fixed number of zones or into the number with the best silhouette. [`keep`] turns the zones
//! the user named into examples: a zone named like an existing class adds its hits to that
//! class, any other name makes a new class. It edits a copy of the dataset and replaces the
//! original only when every step succeeded.
//!
//! Nothing here knows about the plugin framework; the worker thread runs it.

use std::collections::VecDeque;
use timbrel_core::analysis::descriptor::timbre_indices;
use timbrel_learn::dataset::PALETTE;
use timbrel_learn::{Dataset, Example, LearnError, Snippet, MIN_EXAMPLES};
use timbrel_map::{cluster_descriptors, ClusterCount, MapError};

/// How many unlabelled hits the take keeps (the oldest go first).
pub const TAKE_CAPACITY: usize = 512;
/// Fewest hits that can be split into zones.
pub const MIN_TAKE_HITS: usize = 6;
/// Most zones a proposal can have (and the top of the `auto` range).
pub const MAX_ZONES: usize = 8;
/// Seed of the k-means starts: the same take always gives the same zones.
const ZONE_SEED: u64 = 0x7a6f_6e65;
/// Share of a zone's hits the model must put in one class for the zone to suggest its name.
const SUGGEST_SHARE: f32 = 0.6;

/// Why zones could not be proposed or kept. Each variant carries the offending values.
#[derive(Debug, thiserror::Error)]
pub enum ZoneError {
    /// The take is too small to split.
    #[error("the take has {have} hit(s); play at least {need} to propose zones")]
    TooFewHits {
        /// Hits in the take.
        have: usize,
        /// Hits needed.
        need: usize,
    },
    /// A fixed zone count outside 2..=[`MAX_ZONES`] or above the number of hits.
    #[error("cannot make {zones} zones from {hits} hits (2 to {max} zones)")]
    ZoneCount {
        /// Zones asked for.
        zones: usize,
        /// Hits in the take.
        hits: usize,
        /// Most zones.
        max: usize,
    },
    /// Clustering failed (for example a descriptor of the wrong length).
    #[error("clustering failed: {0}")]
    Cluster(#[from] MapError),
    /// The choices do not match the proposal (it changed in between).
    #[error("{got} choice(s) for {expected} zone(s)")]
    Choices {
        /// Zones in the proposal.
        expected: usize,
        /// Choices given.
        got: usize,
    },
    /// Every zone was left out.
    #[error("no zone was kept: name at least one")]
    NothingKept,
    /// The dataset refused a class or an example (name, class limit).
    #[error("zone {zone}: {source}")]
    Dataset {
        /// The zone (1-based, as shown).
        zone: usize,
        /// What the dataset said.
        source: LearnError,
    },
}

/// One unlabelled hit of the take.
#[derive(Debug, Clone, PartialEq)]
pub struct TakeHit {
    /// Its full descriptor (layout of `timbrel_core`).
    pub descriptor: Vec<f32>,
    /// Its level, in dBFS.
    pub level_dbfs: f32,
    /// Onset time since activation, in seconds (identifies the hit within the take).
    pub time_s: f64,
    /// Its audio, for the example it may become.
    pub snippet: Snippet,
    /// The class the loaded model gave it (`None`: no model, or unknown).
    pub predicted: Option<usize>,
}

/// The recent unlabelled hits, oldest first, at most [`TAKE_CAPACITY`].
#[derive(Debug, Clone, Default)]
pub struct Take {
    hits: VecDeque<TakeHit>,
}

impl Take {
    /// Adds a hit, dropping the oldest when full.
    pub fn push(&mut self, hit: TakeHit) {
        if self.hits.len() == TAKE_CAPACITY {
            self.hits.pop_front();
        }
        self.hits.push_back(hit);
    }

    /// Number of hits.
    pub fn len(&self) -> usize {
        self.hits.len()
    }

    /// Whether the take is empty.
    pub fn is_empty(&self) -> bool {
        self.hits.is_empty()
    }

    /// Forgets every hit.
    pub fn clear(&mut self) {
        self.hits.clear();
    }

    /// Forgets the hits recorded at the given times (those that became examples).
    pub fn remove_times(&mut self, times: &[f64]) {
        self.hits.retain(|h| !times.contains(&h.time_s));
    }

    /// The hits, oldest first.
    pub fn hits(&self) -> impl ExactSizeIterator<Item = &TakeHit> {
        self.hits.iter()
    }

    /// What the editor shows about the take.
    pub fn summary(&self) -> TakeSummary {
        TakeSummary {
            hits: self.hits.len(),
            first_s: self.hits.front().map_or(0.0, |h| h.time_s),
            last_s: self.hits.back().map_or(0.0, |h| h.time_s),
        }
    }
}

/// The take, as the editor shows it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TakeSummary {
    /// Hits in the take.
    pub hits: usize,
    /// Onset of the oldest, in seconds since activation.
    pub first_s: f64,
    /// Onset of the newest, in seconds since activation.
    pub last_s: f64,
}

/// One proposed zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// Hits in it.
    pub hits: usize,
    /// Mean map position of its hits.
    pub centre: [f32; 2],
    /// Mean level of its hits, in dBFS.
    pub level_dbfs: f32,
    /// The existing class the loaded model put most of its hits in (at least 60 %), if any:
    /// the name the editor offers first.
    pub suggested: Option<usize>,
}

/// A proposal: the take split into zones, with map positions.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneProposal {
    /// Counts up with every proposal, so the editor can tell a new one from the last.
    pub id: u64,
    /// The zones, largest first.
    pub zones: Vec<Zone>,
    /// Each hit's zone, in take order.
    pub labels: Vec<usize>,
    /// Each hit's map position.
    pub xy: Vec<[f32; 2]>,
    /// Each hit's onset time, in seconds (names the hit).
    pub times: Vec<f64>,
    /// Each hit's level, in dBFS.
    pub levels: Vec<f32>,
    /// Mean silhouette of the split (-1..1; above about 0.25 the zones are distinct), when it
    /// could be measured.
    pub silhouette: Option<f32>,
    /// Whether the number of zones was chosen by silhouette.
    pub auto: bool,
}

impl ZoneProposal {
    /// Re-places every hit with `project` (after the map was refitted); `hits` are the take's
    /// hits the proposal was made from.
    pub fn reproject(&mut self, hits: &[TakeHit], project: impl Fn(&[f32]) -> [f32; 2]) {
        self.xy = hits.iter().map(|h| project(&h.descriptor)).collect();
        for (z, zone) in self.zones.iter_mut().enumerate() {
            zone.centre = mean_xy(&self.xy, &self.labels, z).unwrap_or_default();
        }
    }
}

/// What the user decided for one zone.
#[derive(Debug, Clone, PartialEq)]
pub enum ZoneChoice {
    /// Keep its hits under this class name: an existing class of that name (trimmed,
    /// case-insensitive) gets them, otherwise a new class is made.
    Keep(String),
    /// Leave its hits out.
    Skip,
}

/// What [`keep`] did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KeepReport {
    /// Names of the classes it made.
    pub new_classes: Vec<String>,
    /// Examples it added.
    pub examples: usize,
    /// Whether it moved the interpolation pair (its classes had too few examples), and where.
    pub pair: Option<(String, String)>,
    /// Onset times of the hits that became examples (to take out of the take).
    pub times: Vec<f64>,
}

/// Splits `hits` into zones. `count` is a fixed number (2..=[`MAX_ZONES`]) or `auto` (its range
/// is capped to 2..=[`MAX_ZONES`]); `project` places a descriptor on the map.
pub fn propose(
    hits: &[TakeHit],
    count: ClusterCount,
    id: u64,
    project: impl Fn(&[f32]) -> [f32; 2],
) -> Result<ZoneProposal, ZoneError> {
    let n = hits.len();
    if n < MIN_TAKE_HITS {
        return Err(ZoneError::TooFewHits {
            have: n,
            need: MIN_TAKE_HITS,
        });
    }
    let (count, auto) = match count {
        ClusterCount::Fixed(k) if !(2..=MAX_ZONES).contains(&k) || k >= n => {
            return Err(ZoneError::ZoneCount {
                zones: k,
                hits: n,
                max: MAX_ZONES,
            })
        }
        ClusterCount::Fixed(k) => (ClusterCount::Fixed(k), false),
        ClusterCount::Auto { min, max } => (
            ClusterCount::Auto {
                min: min.clamp(2, MAX_ZONES),
                max: max.clamp(2, MAX_ZONES),
            },
            true,
        ),
    };
    let timbre = timbre_indices();
    let rows: Vec<Vec<f32>> = hits
        .iter()
        .map(|h| {
            h.descriptor
                .get(timbre.clone())
                .map_or_else(|| h.descriptor.clone(), <[f32]>::to_vec)
        })
        .collect();
    let clustering = cluster_descriptors(&rows, count, ZONE_SEED)?;

    // Number the zones largest first (ties by first appearance), so the display is stable.
    let k = clustering.k;
    let mut sizes = vec![0usize; k];
    for &l in &clustering.labels {
        sizes[l] += 1;
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by_key(|&c| {
        let first = clustering.labels.iter().position(|&l| l == c);
        (std::cmp::Reverse(sizes[c]), first)
    });
    let mut rank = vec![0usize; k];
    for (r, &c) in order.iter().enumerate() {
        rank[c] = r;
    }
    let labels: Vec<usize> = clustering.labels.iter().map(|&l| rank[l]).collect();
    let xy: Vec<[f32; 2]> = hits.iter().map(|h| project(&h.descriptor)).collect();
    let zones = (0..k)
        .map(|z| {
            let members: Vec<&TakeHit> = hits
                .iter()
                .zip(&labels)
                .filter(|(_, &l)| l == z)
                .map(|(h, _)| h)
                .collect();
            let size = members.len();
            let level_dbfs = members.iter().map(|h| h.level_dbfs).sum::<f32>() / size as f32;
            Zone {
                hits: size,
                centre: mean_xy(&xy, &labels, z).unwrap_or_default(),
                level_dbfs,
                suggested: majority(members.iter().map(|h| h.predicted), size),
            }
        })
        .collect();
    Ok(ZoneProposal {
        id,
        zones,
        labels,
        xy,
        times: hits.iter().map(|h| h.time_s).collect(),
        levels: hits.iter().map(|h| h.level_dbfs).collect(),
        silhouette: clustering.silhouette,
        auto,
    })
}

/// Adds the kept zones' hits to `data` as examples, following `choices` (one per zone). The
/// dataset is only changed when everything succeeds. When the interpolation pair's classes
/// still have too few examples afterwards, the pair moves to the two largest classes.
pub fn keep(
    data: &mut Dataset,
    hits: &[TakeHit],
    proposal: &ZoneProposal,
    choices: &[ZoneChoice],
) -> Result<KeepReport, ZoneError> {
    if choices.len() != proposal.zones.len() {
        return Err(ZoneError::Choices {
            expected: proposal.zones.len(),
            got: choices.len(),
        });
    }
    if choices.iter().all(|c| *c == ZoneChoice::Skip) {
        return Err(ZoneError::NothingKept);
    }
    let mut edited = data.clone();
    let mut report = KeepReport::default();
    let mut class_of = vec![None; choices.len()];
    for (z, choice) in choices.iter().enumerate() {
        let ZoneChoice::Keep(name) = choice else {
            continue;
        };
        let dataset_error = |source| ZoneError::Dataset {
            zone: z + 1,
            source,
        };
        class_of[z] = Some(match edited.class_index(name) {
            Some(c) => c,
            None => {
                let colour = PALETTE[edited.classes.len() % PALETTE.len()];
                let c = edited.add_class(name, colour).map_err(dataset_error)?;
                report.new_classes.push(edited.classes[c].name.clone());
                c
            }
        });
    }
    for (hit, &zone) in hits.iter().zip(&proposal.labels) {
        let Some(class) = class_of.get(zone).copied().flatten() else {
            continue;
        };
        let mut example = Example::new(&hit.descriptor, class, hit.level_dbfs, hit.time_s);
        example.snippet = hit.snippet.clone();
        edited
            .add_example(example)
            .map_err(|source| ZoneError::Dataset {
                zone: zone + 1,
                source,
            })?;
        report.examples += 1;
        report.times.push(hit.time_s);
    }
    let counts = edited.counts();
    if counts[edited.pair.0] < MIN_EXAMPLES || counts[edited.pair.1] < MIN_EXAMPLES {
        let mut by_size: Vec<usize> = (0..counts.len())
            .filter(|&c| counts[c] >= MIN_EXAMPLES)
            .collect();
        by_size.sort_by_key(|&c| (std::cmp::Reverse(counts[c]), c));
        if let [a, b, ..] = by_size[..] {
            let (a, b) = (a.min(b), a.max(b));
            if edited.set_pair(a, b).is_ok() {
                report.pair = Some((
                    edited.classes[a].name.clone(),
                    edited.classes[b].name.clone(),
                ));
            }
        }
    }
    *data = edited;
    Ok(report)
}

/// Mean position of the points labelled `label` (`None` when there are none). The map's class
/// centres use it too.
pub(crate) fn mean_xy(xy: &[[f32; 2]], labels: &[usize], label: usize) -> Option<[f32; 2]> {
    let (mut sum, mut n) = ([0.0f32; 2], 0.0f32);
    for (p, _) in xy.iter().zip(labels).filter(|(_, &l)| l == label) {
        sum[0] += p[0];
        sum[1] += p[1];
        n += 1.0;
    }
    (n > 0.0).then(|| [sum[0] / n, sum[1] / n])
}

/// The class at least [`SUGGEST_SHARE`] of `predicted` agree on.
fn majority(predicted: impl Iterator<Item = Option<usize>>, size: usize) -> Option<usize> {
    let mut votes = [0usize; timbrel_learn::MAX_CLASSES];
    for c in predicted.flatten() {
        if let Some(v) = votes.get_mut(c) {
            *v += 1;
        }
    }
    let (best, &n) = votes
        .iter()
        .enumerate()
        .max_by_key(|&(c, n)| (n, std::cmp::Reverse(c)))?;
    (n > 0 && n as f32 >= SUGGEST_SHARE * size as f32).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use timbrel_learn::projection::Projection;
    use timbrel_learn::synthetic::{snare_hits, synth_hit, Sound, SynthSpec};

    /// Unlabelled snare-centre, snare-edge and floor-tom hits (bleed from the next drum),
    /// interleaved as in free play, with the ground truth (0 centre, 1 edge, 2 tom).
    fn free_play(per_zone: usize, seed: u64) -> (Vec<TakeHit>, Vec<usize>) {
        let spec = SynthSpec::default();
        let centre = snare_hits(per_zone, (0.0, 0.15), &spec, &[256], seed).0;
        let edge = snare_hits(per_zone, (0.8, 0.95), &spec, &[256], seed + 1).0;
        let mut rng = fastrand::Rng::with_seed(seed + 2);
        let mut toms = Vec::new();
        while toms.len() < per_zone {
            toms.extend(synth_hit(Sound::Tom, &spec, &[256], rng.u64(..)));
        }
        let (mut hits, mut truth) = (Vec::new(), Vec::new());
        for i in 0..per_zone {
            for (z, set) in [&centre, &edge, &toms].into_iter().enumerate() {
                let h = &set[i];
                hits.push(TakeHit {
                    descriptor: h.descriptors[0].clone(),
                    level_dbfs: h.level_dbfs,
                    time_s: (hits.len() as f64) * 0.25,
                    snippet: Snippet::default(),
                    predicted: None,
                });
                truth.push(z);
            }
        }
        (hits, truth)
    }

    fn fitted(hits: &[TakeHit]) -> Projection {
        let rows: Vec<&[f32]> = hits.iter().map(|h| h.descriptor.as_slice()).collect();
        Projection::fit_descriptors(&rows).unwrap()
    }

    /// Share of hits whose zone's majority truth is theirs.
    fn purity(labels: &[usize], truth: &[usize], k: usize) -> f32 {
        let mut agree = 0;
        for z in 0..k {
            let mut votes = [0usize; 3];
            for (l, t) in labels.iter().zip(truth) {
                if *l == z {
                    votes[*t] += 1;
                }
            }
            agree += votes.iter().max().unwrap();
        }
        agree as f32 / labels.len() as f32
    }

    #[test]
    fn free_play_splits_into_what_was_played() {
        let (hits, truth) = free_play(20, 3);
        let map = fitted(&hits);
        let fixed = propose(&hits, ClusterCount::Fixed(3), 1, |d| map.project(d)).unwrap();
        assert_eq!(fixed.zones.len(), 3);
        assert!(!fixed.auto);
        let p = purity(&fixed.labels, &truth, 3);
        assert!(p >= 0.9, "purity {p}");
        // Largest first, and the counts add up.
        assert!(fixed.zones.windows(2).all(|w| w[0].hits >= w[1].hits));
        assert_eq!(
            fixed.zones.iter().map(|z| z.hits).sum::<usize>(),
            hits.len()
        );
        assert_eq!(fixed.xy.len(), hits.len());

        let auto = propose(&hits, ClusterCount::AUTO, 2, |d| map.project(d)).unwrap();
        assert!(auto.auto);
        assert_eq!(auto.zones.len(), 3, "silhouette {:?}", auto.silhouette);
        assert!(auto.silhouette.unwrap() > 0.2, "{:?}", auto.silhouette);
        // Deterministic.
        let again = propose(&hits, ClusterCount::AUTO, 2, |d| map.project(d)).unwrap();
        assert_eq!(auto, again);
    }

    #[test]
    fn zone_centres_lie_apart_on_the_map() {
        let (hits, _) = free_play(15, 9);
        let map = fitted(&hits);
        let p = propose(&hits, ClusterCount::Fixed(3), 1, |d| map.project(d)).unwrap();
        for (i, a) in p.zones.iter().enumerate() {
            for b in &p.zones[i + 1..] {
                let gap = ((a.centre[0] - b.centre[0]).powi(2)
                    + (a.centre[1] - b.centre[1]).powi(2))
                .sqrt();
                assert!(gap > 0.3, "zone centres {:?} {:?}", a.centre, b.centre);
            }
        }
    }

    #[test]
    fn kept_zones_become_classes_and_examples() {
        let (hits, _) = free_play(10, 5);
        let map = fitted(&hits);
        let p = propose(&hits, ClusterCount::Fixed(3), 1, |d| map.project(d)).unwrap();
        let mut data = Dataset::default();
        // Zone 1 into the existing (empty) "center" class by name, zone 2 as a new class,
        // zone 3 left out.
        let choices = [
            ZoneChoice::Keep(" Center ".into()),
            ZoneChoice::Keep("rim".into()),
            ZoneChoice::Skip,
        ];
        let report = keep(&mut data, &hits, &p, &choices).unwrap();
        assert_eq!(report.new_classes, vec!["rim".to_owned()]);
        assert_eq!(report.examples, p.zones[0].hits + p.zones[1].hits);
        assert_eq!(data.examples.len(), report.examples);
        assert_eq!(data.classes.len(), 3);
        let counts = data.counts();
        assert_eq!(counts, vec![p.zones[0].hits, 0, p.zones[1].hits]);
        // "edge" (pair B) got nothing: the pair moved to the two kept classes.
        assert_eq!(data.pair, (0, 2));
        assert_eq!(report.pair, Some(("center".into(), "rim".into())));
        // Every example is one of the kept hits, with its descriptor.
        for e in &data.examples {
            let i = hits.iter().position(|h| h.time_s == e.time_s).unwrap();
            assert_eq!(e.descriptor, hits[i].descriptor);
            assert_ne!(p.labels[i], 2);
        }
        // The take forgets the kept hits.
        let mut take = Take::default();
        hits.iter().cloned().for_each(|h| take.push(h));
        take.remove_times(&report.times);
        assert_eq!(take.len(), p.zones[2].hits);
        // The kept dataset trains.
        timbrel_learn::train(&data, &timbrel_learn::TrainConfig::default()).unwrap();
    }

    #[test]
    fn bad_choices_change_nothing() {
        let (hits, _) = free_play(6, 7);
        let map = fitted(&hits);
        let p = propose(&hits, ClusterCount::Fixed(3), 1, |d| map.project(d)).unwrap();
        let mut data = Dataset::default();
        let before = data.clone();
        let err = keep(&mut data, &hits, &p, &[ZoneChoice::Skip]).unwrap_err();
        assert!(
            matches!(
                err,
                ZoneError::Choices {
                    expected: 3,
                    got: 1
                }
            ),
            "{err}"
        );
        let err = keep(&mut data, &hits, &p, &vec![ZoneChoice::Skip; 3]).unwrap_err();
        assert!(matches!(err, ZoneError::NothingKept), "{err}");
        // A bad name for zone 2 after a good zone 1: nothing of zone 1 is kept either.
        let choices = [
            ZoneChoice::Keep("low".into()),
            ZoneChoice::Keep("   ".into()),
            ZoneChoice::Skip,
        ];
        let err = keep(&mut data, &hits, &p, &choices).unwrap_err();
        assert!(matches!(err, ZoneError::Dataset { zone: 2, .. }), "{err}");
        assert_eq!(data, before);
        // The class limit: a full dataset cannot take a new class.
        let mut full = Dataset::default();
        for i in 2..timbrel_learn::MAX_CLASSES {
            full.add_class(&format!("c{i}"), [0; 3]).unwrap();
        }
        let full_before = full.clone();
        let choices = [
            ZoneChoice::Keep("center".into()),
            ZoneChoice::Keep("one too many".into()),
            ZoneChoice::Skip,
        ];
        let err = keep(&mut full, &hits, &p, &choices).unwrap_err();
        assert!(err.to_string().starts_with("zone 2:"), "{err}");
        assert_eq!(full, full_before);
    }

    #[test]
    fn too_few_hits_or_zones_are_refused() {
        let (hits, _) = free_play(6, 1);
        let err = propose(&hits[..5], ClusterCount::AUTO, 1, |_| [0.0; 2]).unwrap_err();
        assert!(
            matches!(err, ZoneError::TooFewHits { have: 5, need: 6 }),
            "{err}"
        );
        for k in [0, 1, MAX_ZONES + 1] {
            let err = propose(&hits, ClusterCount::Fixed(k), 1, |_| [0.0; 2]).unwrap_err();
            assert!(
                matches!(err, ZoneError::ZoneCount { zones, .. } if zones == k),
                "{err}"
            );
        }
        let mut bad = hits.clone();
        bad[3].descriptor.truncate(10);
        assert!(propose(&bad, ClusterCount::Fixed(2), 1, |_| [0.0; 2]).is_err());
    }

    #[test]
    fn zones_suggest_the_class_the_model_heard() {
        let (mut hits, truth) = free_play(10, 11);
        for (h, &t) in hits.iter_mut().zip(&truth) {
            // The model heard the centre hits as class 0 and the edge hits as class 1; it
            // never heard a tom and called those unknown, or split them.
            h.predicted = match t {
                0 => Some(0),
                1 => Some(1),
                _ => ((h.time_s * 4.0).round() as usize / 3)
                    .is_multiple_of(3)
                    .then_some(0),
            };
        }
        let map = fitted(&hits);
        let p = propose(&hits, ClusterCount::Fixed(3), 1, |d| map.project(d)).unwrap();
        let mut suggested: Vec<Option<usize>> = p.zones.iter().map(|z| z.suggested).collect();
        suggested.sort();
        assert_eq!(suggested, vec![None, Some(0), Some(1)]);
    }

    #[test]
    fn the_take_keeps_the_most_recent_hits() {
        let mut take = Take::default();
        for i in 0..TAKE_CAPACITY + 10 {
            take.push(TakeHit {
                descriptor: vec![0.0; 4],
                level_dbfs: -20.0,
                time_s: i as f64,
                snippet: Snippet::default(),
                predicted: None,
            });
        }
        let s = take.summary();
        assert_eq!(s.hits, TAKE_CAPACITY);
        assert_eq!(s.first_s, 10.0);
        assert_eq!(s.last_s, (TAKE_CAPACITY + 9) as f64);
        take.clear();
        assert!(take.is_empty());
    }
}
