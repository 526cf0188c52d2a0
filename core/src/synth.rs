//! Seeded drum synthesizer (see the helper spec).
