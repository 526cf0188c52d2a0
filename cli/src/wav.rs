//! WAV input: any integer PCM (8, 16, 24, 32 bit) or 32-bit float file, mixed down to mono.

use std::io::{self, Cursor};
use std::path::{Path, PathBuf};

use hound::{SampleFormat, WavReader};
use thiserror::Error;

/// Why a WAV file could not be read. Every variant names the file.
#[derive(Debug, Error)]
pub enum WavError {
    /// The file could not be opened or read from disk.
    #[error("{}: cannot open: {source}", path.display())]
    Open {
        /// The file as given.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
    /// The file is not a WAV file, or its header is malformed or unsupported by the decoder.
    #[error("{}: not a readable WAV file: {source}", path.display())]
    Format {
        /// The file as given.
        path: PathBuf,
        /// The decoder's description of the problem.
        source: hound::Error,
    },
    /// The file ends before its WAV header does (an empty or cut-off file).
    #[error("{}: not a WAV file: it ends inside the header ({len} bytes)", path.display())]
    IncompleteHeader {
        /// The file as given.
        path: PathBuf,
        /// Size of the file, in bytes.
        len: usize,
    },
    /// The header is valid but the sample encoding is not one we decode.
    #[error("{}: unsupported sample format: {bits}-bit {format} (supported: 8/16/24/32-bit integer, 32-bit float)", path.display())]
    Unsupported {
        /// The file as given.
        path: PathBuf,
        /// Bits per sample in the header.
        bits: u16,
        /// "integer" or "float".
        format: &'static str,
    },
    /// The header declares zero channels or a sample rate of 0 Hz.
    #[error("{}: invalid header: {channels} channel(s) at {sample_rate} Hz", path.display())]
    InvalidHeader {
        /// The file as given.
        path: PathBuf,
        /// Channel count in the header.
        channels: u16,
        /// Sample rate in the header, in Hz.
        sample_rate: u32,
    },
    /// The data chunk is shorter than its header says.
    #[error("{}: truncated: the header promises {expected} samples but only {found} are present", path.display())]
    Truncated {
        /// The file as given.
        path: PathBuf,
        /// Samples (over all channels) declared by the data chunk header.
        expected: u32,
        /// Whole samples (over all channels) present before the file ends.
        found: u32,
    },
}

/// Reads a WAV file and mixes all its channels to mono (the average of the channels).
///
/// Returns the samples, scaled to -1.0..1.0, and the sample rate in Hz. Supports integer PCM in
/// 1- to 4-byte containers (8-bit unsigned, 16/24/32-bit signed, fewer valid bits left-justified
/// as the format specifies) and 32-bit float, plain or `WAVE_FORMAT_EXTENSIBLE`. Bytes after the
/// last whole frame of the data chunk are ignored.
pub fn read_mono(path: &Path) -> Result<(Vec<f32>, u32), WavError> {
    let bytes = std::fs::read(path).map_err(|source| WavError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    decode_mono(&bytes, path)
}

/// Decodes an in-memory WAV file to mono; `path` is only used in error messages.
///
/// The header is parsed by `hound`; the samples are decoded here straight from the bytes,
/// which is several times faster than a per-sample reader.
pub fn decode_mono(bytes: &[u8], path: &Path) -> Result<(Vec<f32>, u32), WavError> {
    let reader = WavReader::new(Cursor::new(bytes)).map_err(|source| match source {
        // NOTE: the bytes are in memory, so the only I/O error is running out of them.
        hound::Error::IoError(_) => WavError::IncompleteHeader {
            path: path.to_path_buf(),
            len: bytes.len(),
        },
        source => WavError::Format {
            path: path.to_path_buf(),
            source,
        },
    })?;
    let spec = reader.spec();
    // hound leaves the reader at the first byte of the data chunk, right after its header.
    let start = reader.into_inner().position() as usize;
    let data_len = u32::from_le_bytes([
        bytes[start - 4],
        bytes[start - 3],
        bytes[start - 2],
        bytes[start - 1],
    ]) as usize;
    if spec.channels == 0 || spec.sample_rate == 0 {
        return Err(WavError::InvalidHeader {
            path: path.to_path_buf(),
            channels: spec.channels,
            sample_rate: spec.sample_rate,
        });
    }
    let width =
        fmt_block_align(bytes).map_or(0, |align| usize::from(align) / usize::from(spec.channels));
    let unsupported = || WavError::Unsupported {
        path: path.to_path_buf(),
        bits: spec.bits_per_sample,
        format: match spec.sample_format {
            SampleFormat::Int => "integer",
            SampleFormat::Float => "float",
        },
    };
    if width == 0 {
        return Err(unsupported());
    }
    let available = bytes.len() - start;
    if available < data_len {
        return Err(WavError::Truncated {
            path: path.to_path_buf(),
            expected: (data_len / width) as u32,
            found: (available / width) as u32,
        });
    }
    let data = &bytes[start..start + data_len];
    let channels = usize::from(spec.channels);

    let mono = match (spec.sample_format, width) {
        (SampleFormat::Int, 1) => mix(data, 1, channels, |b| (f32::from(b[0]) - 128.0) / 128.0),
        (SampleFormat::Int, 2) => mix(data, 2, channels, |b| {
            f32::from(i16::from_le_bytes([b[0], b[1]])) / 32_768.0
        }),
        (SampleFormat::Int, 3) => mix(data, 3, channels, |b| {
            i32::from_le_bytes([0, b[0], b[1], b[2]]) as f32 / 2_147_483_648.0
        }),
        (SampleFormat::Int, 4) => mix(data, 4, channels, |b| {
            i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0
        }),
        (SampleFormat::Float, 4) if spec.bits_per_sample == 32 => mix(data, 4, channels, |b| {
            f32::from_le_bytes([b[0], b[1], b[2], b[3]])
        }),
        _ => return Err(unsupported()),
    };
    Ok((mono, spec.sample_rate))
}

/// The `block_align` field of the `fmt ` chunk (bytes per frame), found by walking the RIFF
/// chunks; `None` if there is no complete `fmt ` chunk.
fn fmt_block_align(bytes: &[u8]) -> Option<u16> {
    let mut pos = 12;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().ok()?) as usize;
        if id == b"fmt " {
            let field = bytes.get(pos + 20..pos + 22)?;
            return Some(u16::from_le_bytes([field[0], field[1]]));
        }
        pos = pos.checked_add(8 + len + (len & 1))?;
    }
    None
}

/// Decodes interleaved frames of `channels` samples of `width` bytes each with `decode`, and
/// averages each frame to one mono sample. A trailing partial frame is ignored.
#[inline(always)]
fn mix(data: &[u8], width: usize, channels: usize, decode: impl Fn(&[u8]) -> f32) -> Vec<f32> {
    if channels == 1 {
        return data.chunks_exact(width).map(decode).collect();
    }
    let gain = 1.0 / channels as f32;
    data.chunks_exact(width * channels)
        .map(|frame| frame.chunks_exact(width).map(&decode).sum::<f32>() * gain)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_wav(
        spec: hound::WavSpec,
        write: impl FnOnce(&mut hound::WavWriter<Cursor<&mut Vec<u8>>>),
    ) -> Vec<u8> {
        let mut bytes = Vec::new();
        {
            let mut w = hound::WavWriter::new(Cursor::new(&mut bytes), spec).unwrap();
            write(&mut w);
            w.finalize().unwrap();
        }
        bytes
    }

    fn spec(channels: u16, bits: u16, format: SampleFormat) -> hound::WavSpec {
        hound::WavSpec {
            channels,
            sample_rate: 48_000,
            bits_per_sample: bits,
            sample_format: format,
        }
    }

    #[test]
    fn int16_is_scaled_to_unit_range() {
        let bytes = write_wav(spec(1, 16, SampleFormat::Int), |w| {
            for s in [0i16, 16384, -32768, 32767] {
                w.write_sample(s).unwrap();
            }
        });
        let (mono, sr) = decode_mono(&bytes, Path::new("x.wav")).unwrap();
        assert_eq!(sr, 48_000);
        assert_eq!(mono, vec![0.0, 0.5, -1.0, 32767.0 / 32768.0]);
    }

    #[test]
    fn stereo_is_averaged() {
        let bytes = write_wav(spec(2, 32, SampleFormat::Float), |w| {
            for s in [1.0f32, 0.0, 0.5, 0.25] {
                w.write_sample(s).unwrap();
            }
        });
        let (mono, _) = decode_mono(&bytes, Path::new("x.wav")).unwrap();
        assert_eq!(mono, vec![0.5, 0.375]);
    }

    #[test]
    fn eight_and_twenty_four_bit_decode() {
        let bytes = write_wav(spec(1, 8, SampleFormat::Int), |w| {
            w.write_sample(64i8).unwrap();
        });
        assert_eq!(decode_mono(&bytes, Path::new("a")).unwrap().0, vec![0.5]);
        let bytes = write_wav(spec(1, 24, SampleFormat::Int), |w| {
            w.write_sample(-(1i32 << 22)).unwrap();
        });
        assert_eq!(decode_mono(&bytes, Path::new("a")).unwrap().0, vec![-0.5]);
    }

    #[test]
    fn truncated_data_is_reported_with_counts() {
        let mut bytes = write_wav(spec(1, 16, SampleFormat::Int), |w| {
            for _ in 0..100 {
                w.write_sample(1i16).unwrap();
            }
        });
        bytes.truncate(bytes.len() - 50);
        let err = decode_mono(&bytes, Path::new("cut.wav")).unwrap_err();
        assert!(
            matches!(
                err,
                WavError::Truncated {
                    expected: 100,
                    found: 75,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().starts_with("cut.wav: truncated"), "{err}");
    }

    #[test]
    fn garbage_is_a_format_error_naming_the_file() {
        let err =
            decode_mono(b"hello, this is not a wav file", Path::new("notes.txt")).unwrap_err();
        assert!(matches!(err, WavError::Format { .. }), "{err:?}");
        assert!(err.to_string().starts_with("notes.txt: "), "{err}");
    }

    #[test]
    fn empty_file_has_an_incomplete_header() {
        let err = decode_mono(b"", Path::new("empty.wav")).unwrap_err();
        assert!(
            matches!(err, WavError::IncompleteHeader { len: 0, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn missing_file_is_an_open_error() {
        let err = read_mono(Path::new("/nonexistent/dir/missing.wav")).unwrap_err();
        assert!(matches!(err, WavError::Open { .. }), "{err:?}");
        assert!(err.to_string().contains("missing.wav"), "{err}");
    }
}
