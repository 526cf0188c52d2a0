//! Ground truth of rendered material: one [`Event`] per placed stroke, and a CSV writer whose
//! first four columns (`onset_s,piece,target,velocity_db`) are what `timbrel onsets --truth`
//! reads.

use std::io::{self, Write};

use super::hydrogen::Category;

/// Something a stroke is, besides its piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tag {
    /// A ghost note (20–35 dB below the backbeat).
    Ghost,
    /// The grace note of a flam (10–20 dB softer, 15–40 ms before the main stroke).
    FlamGrace,
    /// The main stroke of a flam.
    FlamMain,
    /// A stroke of a buzz-like roll.
    Roll,
    /// A target stroke with a hi-hat stroke within the matching tolerance (10 ms).
    WithHat,
    /// A target stroke with a kick stroke within the matching tolerance (10 ms).
    WithKick,
    /// The second drum of a single-hit file (bleed in the file).
    Second,
}

impl Tag {
    /// Every tag.
    pub const ALL: [Tag; 7] = [
        Tag::Ghost,
        Tag::FlamGrace,
        Tag::FlamMain,
        Tag::Roll,
        Tag::WithHat,
        Tag::WithKick,
        Tag::Second,
    ];

    /// The tag's CSV name.
    pub fn name(self) -> &'static str {
        match self {
            Tag::Ghost => "ghost",
            Tag::FlamGrace => "flam_grace",
            Tag::FlamMain => "flam_main",
            Tag::Roll => "roll",
            Tag::WithHat => "with_hat",
            Tag::WithKick => "with_kick",
            Tag::Second => "second",
        }
    }

    fn bit(self) -> u8 {
        1 << Tag::ALL.iter().position(|&t| t == self).expect("listed")
    }
}

/// A set of [`Tag`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Tags(u8);

impl Tags {
    /// No tags.
    pub const NONE: Tags = Tags(0);

    /// The set with `tag` added.
    pub fn with(self, tag: Tag) -> Tags {
        Tags(self.0 | tag.bit())
    }

    /// Whether `tag` is in the set.
    pub fn has(self, tag: Tag) -> bool {
        self.0 & tag.bit() != 0
    }

    /// Which of [`STROKE_KINDS`] the stroke is (an index; the first that applies), `None` for
    /// any other stroke.
    pub fn stroke_kind(self) -> Option<usize> {
        STROKE_KINDS.iter().position(|t| self.has(*t))
    }

    /// The tags' names joined by `|` ("" for none).
    pub fn names(self) -> String {
        Tag::ALL
            .iter()
            .filter(|t| self.has(**t))
            .map(|t| t.name())
            .collect::<Vec<_>>()
            .join("|")
    }
}

/// The kinds of snare stroke the reports tell apart, in order of precedence: ghost notes, roll
/// strokes and flam grace notes ([`Tags::stroke_kind`]); anything else is another stroke.
pub const STROKE_KINDS: [Tag; 3] = [Tag::Ghost, Tag::Roll, Tag::FlamGrace];

/// One placed stroke.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// First sample of the stroke's sound in the rendered audio (its measured attack start).
    pub onset: u64,
    /// What the piece is.
    pub piece: Category,
    /// The instrument's name in the kit ("membrane" for the synthesizer).
    pub instrument: String,
    /// The layer's file name ("" for the synthesizer).
    pub layer: String,
    /// Whether this is a stroke of the drum the mic is on (else bleed).
    pub target: bool,
    /// Peak level of the stroke's direct sound relative to the target's backbeat, in dB.
    pub level_db: f32,
    /// Velocity the layer was chosen for (Hydrogen's 0..1; the synthesizer's velocity).
    pub velocity: f32,
    /// What else the stroke is.
    pub tags: Tags,
    /// Strike radius of a synthesizer stroke, 0 = centre .. 1 = rim.
    pub radius: Option<f32>,
}

impl Event {
    /// Onset in seconds at `sample_rate` Hz.
    pub fn onset_s(&self, sample_rate: f32) -> f64 {
        self.onset as f64 / sample_rate as f64
    }
}

/// The CSV header. The first four columns are fixed: `onset_s` (seconds), `piece`
/// ([`Category::name`]), `target` (1 or 0), `velocity_db` (peak level relative to the target's
/// backbeat).
pub const CSV_HEADER: &str =
    "onset_s,piece,target,velocity_db,tags,radius,instrument,layer,velocity,onset_sample";

/// Writes `events` (rendered at `sample_rate` Hz) as CSV with [`CSV_HEADER`], one line per event
/// in the given order. Onsets are written with 7 decimals (exact to the sample up to 192 kHz).
pub fn write_csv(mut w: impl Write, events: &[Event], sample_rate: f32) -> io::Result<()> {
    writeln!(w, "{CSV_HEADER}")?;
    for e in events {
        writeln!(
            w,
            "{:.7},{},{},{:.2},{},{},{},{},{:.3},{}",
            e.onset_s(sample_rate),
            e.piece.name(),
            u8::from(e.target),
            e.level_db,
            e.tags.names(),
            e.radius.map(|r| format!("{r:.4}")).unwrap_or_default(),
            quote(&e.instrument),
            quote(&e.layer),
            e.velocity,
            e.onset
        )?;
    }
    Ok(())
}

/// `s` as one CSV field: quoted (inner quotes doubled) when it holds a comma, quote or newline.
fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_starts_with_the_fixed_columns_and_quotes_names() {
        let e = Event {
            onset: 48_000,
            piece: Category::Snare,
            instrument: "Snare (Pearl 14x3.5\")".into(),
            layer: "Snare-2.wav".into(),
            target: true,
            level_db: -27.5,
            velocity: 0.2,
            tags: Tags::NONE.with(Tag::Ghost).with(Tag::WithHat),
            radius: None,
        };
        let hat = Event {
            onset: 72_001,
            piece: Category::HiHatClosed,
            instrument: "Hat Closed".into(),
            target: false,
            tags: Tags::NONE,
            radius: Some(0.5),
            ..e.clone()
        };
        let mut out = Vec::new();
        write_csv(&mut out, &[e, hat], 48_000.0).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("onset_s,piece,target,velocity_db"));
        assert_eq!(
            lines[1],
            "1.0000000,snare,1,-27.50,ghost|with_hat,,\"Snare (Pearl 14x3.5\"\")\",Snare-2.wav,0.200,48000"
        );
        assert_eq!(
            lines[2],
            "1.5000208,hihat_closed,0,-27.50,,0.5000,Hat Closed,Snare-2.wav,0.200,72001"
        );
        // The onset column gives back the sample.
        assert_eq!((1.5000208f64 * 48_000.0).round() as u64, 72_001);
    }
}
