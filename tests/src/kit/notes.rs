//! What a trained model sends in a real-kit groove, with the library as the plugin uses it
//! (issue #14: "real kit groove: snare recall >= 0.98, accuracy >= 0.95, notes that are not
//! snare hits <= 2 per 100 snare hits").
//!
//! [`groove_tallies`]: a 40 s groove of a kit ([`super::groove`], default spec: backbeats,
//! rimshots, ghosts, flams, rolls, tom fills; every piece bleeding in; a room). The drummer
//! trains in that room: 20 one-shots of the snare (*center*) and 20 of the rimshot or side
//! stick (*edge*) at [`Training::levels_db`], described under the analyzer's synthetic hat as
//! the plugin records them. Three ways ([`WAYS`]): no ignore class; 20 s of the kit without its
//! snare (tom fills too) in the same room as an armed ignore class (every hit the analyzer finds
//! in it); and "collected", only the hits of that take the snare-only model calls unknown (the
//! plugin's *Collect*). The groove then goes through the analyzer (default settings, at
//! [`Training::window_ref_samples`]) and each model, and a [`Tally`] counts what was sent.

use std::collections::BTreeMap;

use timbrel_core::analysis::{AnalysisSettings, HitRecord};
use timbrel_learn::dataset::PALETTE;
use timbrel_learn::{train, Dataset, Example, Model, NewStroke, Prediction, TrainConfig};

use super::groove::{groove, plan, GrooveSpec, Target};
use super::hydrogen::{Category, Instrument, Kit};
use super::oneshots::{training_take_with, TAKE_SPACING_S};
use super::render::{render, Stroke};
use super::room::Room;
use super::score::hits;
use super::truth::{Event, STROKE_KINDS};

/// Training one-shots per class.
pub const PER_CLASS: usize = 20;
/// Soft to loud (the README's advice), in dB under the backbeat.
pub const SOFT_TO_LOUD_DB: (f32, f32) = (-32.0, 0.0);
/// Accents only, in dB under the backbeat.
pub const ACCENTS_DB: (f32, f32) = (-12.0, 0.0);
/// A hit belongs to a stroke whose onset is at most this long after it...
pub const EARLY_S: f32 = 0.005;
/// ...or this long before it, in seconds.
pub const LATE_S: f32 = 0.010;
/// The three ways to train, in the order of [`groove_tallies`]' result.
pub const WAYS: [&str; 3] = ["no ignore class", "armed ignore class", "collected"];

/// How the drummer trains.
#[derive(Debug, Clone, Copy)]
pub struct Training {
    /// Levels of the one-shots, in dB under the backbeat (uniform).
    pub levels_db: (f32, f32),
    /// Whether each take is a crescendo over `levels_db` instead of random levels
    /// ([`super::oneshots::training_take_with`]).
    pub crescendo: bool,
    /// Whether training hits keep their hat descriptors (model format 4 on; off: as before).
    pub hats: bool,
    /// Analysis window the training and the groove are analysed with, in reference samples
    /// (`AnalysisSettings::window_ref_samples`; the plugin's default 256 = 5.8 ms).
    pub window_ref_samples: u32,
    /// A later confirmation, measured as a prototype (not in the plugin): `(window, limit)`
    /// trains a second set of models at that window (reference samples) and calls a hit
    /// unknown when the mean of its two relative novelties (each over its own model's
    /// threshold) is over `limit`; class and ignore decisions as [`confirmed`] says.
    pub confirm: Option<(u32, f32)>,
}

impl Default for Training {
    fn default() -> Self {
        Self {
            levels_db: SOFT_TO_LOUD_DB,
            crescendo: false,
            hats: true,
            window_ref_samples: AnalysisSettings::default().window_ref_samples,
            confirm: None,
        }
    }
}

/// What a trained model sent for one or more grooves.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tally {
    /// Snare strokes.
    pub strokes: usize,
    /// Strokes with a class note (a hit sent as a class: known, not ignored).
    pub noted: usize,
    /// Strokes with their own class's note (*edge* for rimshots, *center* otherwise).
    pub right: usize,
    /// Strokes with a hit called unknown.
    pub unknown: usize,
    /// Strokes whose hit was ignored (and none sent as a class).
    pub ignored: usize,
    /// Class notes at no snare stroke, by the piece whose stroke is nearest ("nothing" if none).
    pub elsewhere: BTreeMap<String, usize>,
    /// Per stroke kind ([`STROKE_KINDS`], then every other stroke: backbeats and accents):
    /// strokes, with a class note, ignored.
    pub kinds: [[usize; 3]; 4],
    /// Noted strokes by (true class, first class note): centre→centre, centre→edge,
    /// edge→centre, edge→edge.
    pub confusion: [usize; 4],
}

impl Tally {
    /// Adds `o`'s counts to these.
    pub fn add(&mut self, o: &Tally) {
        self.strokes += o.strokes;
        self.noted += o.noted;
        self.right += o.right;
        self.unknown += o.unknown;
        self.ignored += o.ignored;
        for (a, b) in self.confusion.iter_mut().zip(&o.confusion) {
            *a += b;
        }
        for (a, b) in self.kinds.iter_mut().zip(&o.kinds) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (k, v) in &o.elsewhere {
            *self.elsewhere.entry(k.clone()).or_default() += v;
        }
    }

    /// Class notes at no snare stroke, per 100 snare strokes.
    pub fn elsewhere_per_100(&self) -> f64 {
        100.0 * self.elsewhere.values().sum::<usize>() as f64 / self.strokes.max(1) as f64
    }

    /// Share (0..=1) of the backbeats and accents (strokes of no [`STROKE_KINDS`]) with a class
    /// note.
    pub fn accents_noted(&self) -> f64 {
        let [n, noted, _] = self.kinds[STROKE_KINDS.len()];
        noted as f64 / n.max(1) as f64
    }

    /// Share (0..=1) of the noted strokes whose first class note is their own class.
    pub fn accuracy(&self) -> f64 {
        let [cc, _, _, ee] = self.confusion;
        (cc + ee) as f64 / self.confusion.iter().sum::<usize>().max(1) as f64
    }
}

/// 20 s of `kit` without its snare (tom fills too), in `room`.
fn kit_without_snare(kit: &Kit, room: &Room, seed: u64) -> Vec<f32> {
    let spec = GrooveSpec {
        duration_s: 20.0,
        ghost_probability: 0.0,
        flam_probability: 0.0,
        roll_probability: 0.0,
        ..GrooveSpec::default()
    };
    let (mut mix, strokes) = plan(kit, Target::Kit, &spec, seed);
    mix.room = room.clone();
    let others: Vec<Stroke> = strokes.into_iter().filter(|s| !s.event.target).collect();
    render(mix, &others).audio
}

/// `hits` as examples of `class` in `d` (their hat descriptors when `hats`), recorded at
/// `time0 + k` seconds.
fn add_examples(d: &mut Dataset, hits: &[HitRecord], class: usize, hats: bool, time0: f64) {
    for (k, h) in hits.iter().enumerate() {
        let mut e = Example::from_hit(h, class, time0 + k as f64);
        if !hats {
            e.hat_descriptor = None;
        }
        d.add_example(e).expect("a valid example");
    }
}

/// What `model` sent for the snare strokes of `events` from the groove's `found` hits (`edge`:
/// the piece of the second class), at `sample_rate` Hz.
pub fn tally(
    model: &Model,
    events: &[Event],
    found: &[HitRecord],
    edge: Category,
    sample_rate: f32,
) -> Tally {
    let judge = |h: &HitRecord| Judged::of(&predicted(model, h));
    tally_by(&judge, events, found, edge, sample_rate)
}

/// What `model` makes of `hit` with the plugin's defaults (unknown scale 1, New stroke auto).
fn predicted(model: &Model, hit: &HitRecord) -> Prediction {
    let mut p = Prediction::default();
    model.classify_hit(hit, 1.0, NewStroke::Auto, &mut p);
    p
}

/// What was sent for one hit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judged {
    /// The class whose note it sent, if any.
    pub note: Option<usize>,
    /// Whether it was unknown.
    pub unknown: bool,
    /// Whether it was ignored.
    pub ignored: bool,
}

impl Judged {
    const UNKNOWN: Self = Self {
        note: None,
        unknown: true,
        ignored: false,
    };
    const IGNORED: Self = Self {
        note: None,
        unknown: false,
        ignored: true,
    };

    /// What `p` sends.
    pub fn of(p: &Prediction) -> Self {
        Self {
            note: p.best.map(usize::from),
            unknown: p.is_unknown(),
            ignored: p.ignored,
        }
    }
}

/// The prototype's later confirmation ([`Training::confirm`]): `short` classifies and places
/// the hit, `long` (the same detection at the longer window, when there is one) only adds its
/// novelty. Ignored when either calls it ignored; otherwise unknown when the mean of the two
/// novelties over their thresholds is over `limit` or the short window's hit was no new stroke;
/// otherwise the short window's class (or ignored, when that class is an ignore class).
pub fn confirmed(
    short: &Prediction,
    long: Option<&Prediction>,
    limits: [f32; 2],
    limit: f32,
) -> Judged {
    let Some(long) = long else {
        return Judged::of(short);
    };
    if short.ignored || long.ignored {
        return Judged::IGNORED;
    }
    let mean = 0.5 * (short.novelty / limits[0] + long.novelty / limits[1]);
    if mean > limit || short.no_new_stroke {
        Judged::UNKNOWN
    } else if short.best_is_ignore {
        Judged::IGNORED
    } else {
        Judged {
            note: Some(short.best_class.into()),
            unknown: false,
            ignored: false,
        }
    }
}

/// [`tally`] with `judge` deciding what each hit sent.
pub fn tally_by(
    judge: &dyn Fn(&HitRecord) -> Judged,
    events: &[Event],
    found: &[HitRecord],
    edge: Category,
    sample_rate: f32,
) -> Tally {
    let (early, late) = (
        (EARLY_S * sample_rate) as u64,
        (LATE_S * sample_rate) as u64,
    );
    let belongs = |e: &Event, h: &HitRecord| {
        h.onset_sample + early >= e.onset && h.onset_sample <= e.onset + late
    };
    let judged: Vec<Judged> = found.iter().map(judge).collect();
    let mut t = Tally::default();
    let snares: Vec<&Event> = events.iter().filter(|e| e.target).collect();
    for e in &snares {
        let mine: Vec<_> = found
            .iter()
            .zip(&judged)
            .filter(|(h, _)| belongs(e, h))
            .map(|(_, j)| *j)
            .collect();
        let want = usize::from(e.piece == edge);
        let noted = mine.iter().any(|j| j.note.is_some());
        let ignored = !noted && mine.iter().any(|j| j.ignored);
        if let Some(got) = mine.iter().find_map(|j| j.note) {
            t.confusion[2 * want + got.min(1)] += 1;
        }
        t.strokes += 1;
        t.noted += noted as usize;
        t.right += mine.iter().any(|j| j.note == Some(want)) as usize;
        t.unknown += mine.iter().any(|j| j.unknown) as usize;
        t.ignored += ignored as usize;
        let kind = &mut t.kinds[e.tags.stroke_kind().unwrap_or(STROKE_KINDS.len())];
        kind[0] += 1;
        kind[1] += noted as usize;
        kind[2] += ignored as usize;
    }
    for (h, j) in found.iter().zip(&judged) {
        if j.note.is_none() || snares.iter().any(|e| belongs(e, h)) {
            continue;
        }
        let piece = events
            .iter()
            .filter(|e| belongs(e, h))
            .min_by_key(|e| e.onset.abs_diff(h.onset_sample))
            .map_or("nothing".to_owned(), |e| format!("{:?}", e.piece));
        *t.elsewhere.entry(piece).or_default() += 1;
    }
    t
}

/// The three ways of [`WAYS`] on one 40 s groove of `kit` (seeded), or `None` when the kit has
/// no snare, no rimshot or side stick, or a model does not train.
pub fn groove_tallies(kit: &Kit, seed: u64, training: &Training) -> Option<[Tally; 3]> {
    let snare = kit.first(Category::Snare)?;
    let (edge, second) = [Category::SnareRimshot, Category::SideStick]
        .into_iter()
        .find_map(|c| kit.first(c).map(|i| (c, i)))?;
    let rate = kit.sample_rate;
    let take = groove(
        kit,
        Target::Kit,
        &GrooveSpec {
            duration_s: 40.0,
            ..GrooveSpec::default()
        },
        seed,
    );
    let at = |window_ref_samples| {
        let settings = AnalysisSettings {
            window_ref_samples,
            ..AnalysisSettings::default()
        };
        let models = trained_ways(kit, [snare, second], &take.room, seed, training, settings)?;
        Some((models, hits(&take.audio, rate, settings, false)))
    };
    let (models, found) = at(training.window_ref_samples)?;
    let Some((window, limit)) = training.confirm else {
        return Some(
            models
                .each_ref()
                .map(|m| tally(m, &take.events, &found, edge, rate)),
        );
    };
    let (long_models, long_found) = at(window)?;
    let long_by_detection: BTreeMap<u64, &HitRecord> = long_found
        .iter()
        .map(|h| (h.detected_onset_sample, h))
        .collect();
    Some(std::array::from_fn(|way| {
        let (m, l) = (&models[way], &long_models[way]);
        let limits = [m.unknown_threshold(), l.unknown_threshold()];
        let judge = |h: &HitRecord| {
            let long = long_by_detection
                .get(&h.detected_onset_sample)
                .map(|lh| predicted(l, lh));
            confirmed(&predicted(m, h), long.as_ref(), limits, limit)
        };
        tally_by(&judge, &take.events, &found, edge, rate)
    }))
}

/// The models of the three ways of [`WAYS`] for `kit`'s `classes` (snare, second class) in
/// `room`, every take analysed at `settings`: plain, with the kit without its snare as an
/// armed ignore class, and with only the hits of that take the plain model calls unknown.
fn trained_ways(
    kit: &Kit,
    classes: [&Instrument; 2],
    room: &Room,
    seed: u64,
    training: &Training,
    settings: AnalysisSettings,
) -> Option<[Model; 3]> {
    let rate = kit.sample_rate;
    let mut drum = Dataset::default();
    for (class, instrument) in classes.into_iter().enumerate() {
        let audio = training_take_with(
            instrument,
            room,
            PER_CLASS,
            seed + 1 + class as u64,
            training.levels_db,
            training.crescendo,
        );
        add_examples(
            &mut drum,
            &hits(&audio, rate, settings, true),
            class,
            training.hats,
            class as f64 * TAKE_SPACING_S,
        );
    }
    let plain = train(&drum, &TrainConfig::default()).ok()?;
    let rest = hits(
        &kit_without_snare(kit, room, seed + 3),
        rate,
        settings,
        true,
    );
    let with_ignore = |keep: &dyn Fn(&HitRecord) -> bool| -> Option<Model> {
        let mut d = drum.clone();
        let c = d.add_class("kit", PALETTE[2]).ok()?;
        d.set_ignore(c, true).ok()?;
        let kept: Vec<HitRecord> = rest.iter().filter(|h| keep(h)).copied().collect();
        add_examples(&mut d, &kept, c, training.hats, 2.0 * TAKE_SPACING_S);
        train(&d, &TrainConfig::default()).ok()
    };
    let armed = with_ignore(&|_| true)?;
    let collected = with_ignore(&|h| predicted(&plain, h).sounds_unknown())?;
    Some([plain, armed, collected])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A known hit of class `best` at `novelty`, or an ignored one.
    fn prediction(best: u8, novelty: f32, ignored: bool) -> Prediction {
        let mut p = Prediction {
            best_class: best,
            novelty,
            ..Prediction::default()
        };
        p.set_known(!ignored);
        p.ignored = ignored;
        p
    }

    #[test]
    fn the_confirmation_averages_the_two_novelties() {
        let short = prediction(1, 1.2, false);
        let limits = [2.0, 4.0];
        // 1.2 / 2 = 0.6 and 1.6 / 4 = 0.4: mean 0.5.
        let calm = prediction(0, 1.6, false);
        assert_eq!(confirmed(&short, Some(&calm), limits, 0.5).note, Some(1));
        assert!(confirmed(&short, Some(&calm), limits, 0.49).unknown);
        // Without a hit at the longer window, the short window decides alone.
        assert_eq!(confirmed(&short, None, limits, 0.0), Judged::of(&short));
        // Either window's ignore wins.
        let ignored = prediction(2, 0.1, true);
        assert!(confirmed(&short, Some(&ignored), limits, 9.0).ignored);
        assert!(confirmed(&ignored, Some(&calm), limits, 9.0).ignored);
    }
}
