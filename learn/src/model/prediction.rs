//! The result of classifying one hit.

use crate::MAX_CLASSES;

/// The result of classifying one hit. Plain fixed-size data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// Probability of each class (indexed like the model's classes; 0 for classes without
    /// enough examples and beyond `class_count`); they sum to 1 (0..1 each).
    pub probabilities: [f32; MAX_CLASSES],
    /// Number of classes of the model.
    pub class_count: u8,
    /// The most probable class, or `None` when the hit is unknown (novelty above threshold) or
    /// ignored (its most probable class is an ignore class, see [`Self::ignored`]).
    pub best: Option<u8>,
    /// Whether the hit is known and its most probable class is an "ignore" class
    /// ([`crate::ClassInfo::ignore`]): it sends no note, CC or output.
    pub ignored: bool,
    /// Whether `best_class` is an ignore class (whether or not the hit is known).
    pub best_is_ignore: bool,
    /// Whether the hit is nearer to an example of an ignore class than to the drum's classes
    /// (then `best_class` is that ignore class and the hit is ignored at any threshold).
    pub near_ignore: bool,
    /// The most probable class even when unknown.
    pub best_class: u8,
    /// Probability of `best_class` (0..1).
    pub confidence: f32,
    /// Distance to the nearest class relative to the class's own spread (≥ 0; ≈ 1 at the edge
    /// of a class's hits). [`f32::MAX`] for invalid input.
    pub novelty: f32,
    /// Position between the pair's classes: 0 = A, 1 = B (clamped 0..=1).
    pub interpolation: f32,
    /// Whether the hit sounded like a class of the drum but added too little to the drum's body
    /// band to be a new stroke of it (`Model::classify_hit`), and is unknown for that alone.
    /// Hits unknown for their sound, and ignored hits, never carry it.
    pub no_new_stroke: bool,
}

impl Default for Prediction {
    fn default() -> Self {
        Self {
            probabilities: [0.0; MAX_CLASSES],
            class_count: 0,
            best: None,
            ignored: false,
            best_is_ignore: false,
            near_ignore: false,
            best_class: 0,
            confidence: 0.0,
            novelty: f32::MAX,
            interpolation: 0.5,
            no_new_stroke: false,
        }
    }
}

impl Prediction {
    /// Whether the hit resembles no trained class.
    pub fn is_unknown(&self) -> bool {
        self.best.is_none() && !self.ignored
    }

    /// Whether the hit is unknown for its sound, not only because it was no new stroke of the
    /// drum ([`Self::no_new_stroke`]): what the plugin's *Collect unknowns* learns as bleed. A
    /// hit that sounds like the drum's ringing would teach the ignore class the drum's own
    /// soft strokes.
    pub fn sounds_unknown(&self) -> bool {
        self.is_unknown() && !self.no_new_stroke
    }

    /// Sets [`Self::best`] and [`Self::ignored`] for a hit that is `known` (its novelty within
    /// the threshold in force) or not.
    pub fn set_known(&mut self, known: bool) {
        self.ignored = self.near_ignore || (known && self.best_is_ignore);
        self.best = (known && !self.best_is_ignore).then_some(self.best_class);
    }
}
