//! Errors of the map pipeline. Every variant carries the offending value or file.

use std::io;
use std::path::PathBuf;

/// Why a map could not be made, or one file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    /// A file or folder could not be opened or read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
    /// A WAV file that the decoder rejects.
    #[cfg(feature = "collection")]
    #[error("{}: not a readable WAV file: {source}", path.display())]
    Wav {
        /// The file.
        path: PathBuf,
        /// The decoder's description of the problem.
        source: hound::Error,
    },
    /// A FLAC, MP3 or Ogg file that symphonia cannot decode.
    #[error("{}: cannot decode: {message}", path.display())]
    Decode {
        /// The file.
        path: PathBuf,
        /// The decoder's description of the problem.
        message: String,
    },
    /// A file with an extension whose codec was not compiled in (cargo feature off).
    #[error("{}: no decoder for `.{extension}` files in this build", path.display())]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
        /// Its extension, lower case.
        extension: String,
    },
    /// A file that decodes to no samples, or declares 0 channels or 0 Hz.
    #[error("{}: empty or invalid audio ({channels} channel(s) at {sample_rate} Hz, {frames} frames)", path.display())]
    EmptyAudio {
        /// The file.
        path: PathBuf,
        /// Channels in the stream.
        channels: usize,
        /// Sample rate, in Hz.
        sample_rate: u32,
        /// Frames decoded.
        frames: usize,
    },
    /// Fewer usable files than a map needs.
    #[error("{}: found {found} usable audio file(s), need at least {needed}", dir.display())]
    TooFewFiles {
        /// The folder that was walked.
        dir: PathBuf,
        /// Usable files found.
        found: usize,
        /// Minimum needed.
        needed: usize,
    },
    /// A number of clusters that cannot be used with this many points.
    #[error("cannot make {k} clusters from {n} points (need 1 <= k <= n)")]
    Clusters {
        /// Requested clusters.
        k: usize,
        /// Number of points.
        n: usize,
    },
    /// Input vectors of different lengths.
    #[error("vector {index} has {got} dimensions, expected {expected}")]
    Dimension {
        /// Index of the offending vector.
        index: usize,
        /// Its length.
        got: usize,
        /// The first vector's length.
        expected: usize,
    },
    /// A non-finite value in the input vectors.
    #[error("vector {index} has a non-finite value at dimension {dim}")]
    NonFinite {
        /// Index of the offending vector.
        index: usize,
        /// The dimension.
        dim: usize,
    },
    /// The PNG could not be drawn or written.
    #[error("{}: cannot write PNG: {message}", path.display())]
    Png {
        /// The output file.
        path: PathBuf,
        /// What plotters reported.
        message: String,
    },
    /// A bad option value.
    #[error("invalid option {name} = {value}: {reason}")]
    Option {
        /// The option's name.
        name: &'static str,
        /// Its value as text.
        value: String,
        /// What is accepted.
        reason: &'static str,
    },
}

impl MapError {
    /// An [`MapError::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
