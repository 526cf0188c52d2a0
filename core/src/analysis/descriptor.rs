//! The per-hit descriptor: layout, names and computation.

/// Number of dimensions in a descriptor.
pub const DESCRIPTOR_LEN: usize = 1;
/// Version of the descriptor layout; bump whenever [`NAMES`] changes.
pub const LAYOUT_VERSION: u32 = 1;
/// The name of every descriptor dimension, in order.
pub const NAMES: [&str; DESCRIPTOR_LEN] = ["placeholder"];
