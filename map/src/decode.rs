//! Audio decoding to mono: WAV through `hound`, FLAC, AIFF, MP3 and Ogg Vorbis through `symphonia`
//! (each behind its cargo feature).

use std::path::Path;

use crate::MapError;

/// File extensions (lower case, no dot) this build can decode.
pub fn supported_extensions() -> &'static [&'static str] {
    &[
        "wav",
        "wave",
        #[cfg(feature = "flac")]
        "flac",
        #[cfg(feature = "aiff")]
        "aiff",
        #[cfg(feature = "aiff")]
        "aif",
        #[cfg(feature = "mp3")]
        "mp3",
        #[cfg(feature = "ogg")]
        "ogg",
        #[cfg(feature = "ogg")]
        "oga",
    ]
}

/// Extensions that are audio but may lack a decoder in this build (they are listed so that a
/// missing feature gives a warning rather than silence).
const AUDIO_EXTENSIONS: [&str; 8] = ["wav", "wave", "flac", "aiff", "aif", "mp3", "ogg", "oga"];

/// The lower-case extension of `path` if it names an audio file we know about.
pub fn audio_extension(path: &Path) -> Option<String> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    AUDIO_EXTENSIONS.contains(&ext.as_str()).then_some(ext)
}

/// Mono audio: samples in -1..1 (the average of the channels) and the sample rate in Hz.
#[derive(Debug, Clone, PartialEq)]
pub struct MonoAudio {
    /// Samples, full scale = 1.
    pub samples: Vec<f32>,
    /// Sample rate, in Hz.
    pub sample_rate: u32,
}

/// Decodes `path` (by its extension) and mixes it to mono.
pub fn read_mono(path: &Path) -> Result<MonoAudio, MapError> {
    let ext = audio_extension(path).unwrap_or_default();
    match ext.as_str() {
        "wav" | "wave" => read_wav(path),
        e if supported_extensions().contains(&e) => read_symphonia(path, e),
        _ => Err(MapError::UnsupportedFormat {
            path: path.to_path_buf(),
            extension: ext,
        }),
    }
}

fn check(
    path: &Path,
    samples: Vec<f32>,
    channels: usize,
    sample_rate: u32,
) -> Result<MonoAudio, MapError> {
    if samples.is_empty() || channels == 0 || sample_rate == 0 {
        return Err(MapError::EmptyAudio {
            path: path.to_path_buf(),
            channels,
            sample_rate,
            frames: samples.len(),
        });
    }
    Ok(MonoAudio {
        samples,
        sample_rate,
    })
}

/// Averages interleaved `channels`-channel samples into mono.
fn mix_down(interleaved: &[f32], channels: usize, out: &mut Vec<f32>) {
    if channels == 1 {
        out.extend_from_slice(interleaved);
        return;
    }
    let inv = 1.0 / channels as f32;
    out.extend(
        interleaved
            .chunks_exact(channels)
            .map(|f| f.iter().sum::<f32>() * inv),
    );
}

fn read_wav(path: &Path) -> Result<MonoAudio, MapError> {
    let wav_err = |source| MapError::Wav {
        path: path.to_path_buf(),
        source,
    };
    let reader = hound::WavReader::open(path).map_err(|e| match e {
        hound::Error::IoError(source) if source.kind() != std::io::ErrorKind::UnexpectedEof => {
            MapError::io(path, source)
        }
        e => wav_err(e),
    })?;
    let spec = reader.spec();
    let channels = spec.channels as usize;
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .into_samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(wav_err)?,
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader
                .into_samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
                .map_err(wav_err)?
        }
    };
    let mut mono = Vec::with_capacity(interleaved.len() / channels.max(1));
    if channels > 0 {
        mix_down(&interleaved, channels, &mut mono);
    }
    check(path, mono, channels, spec.sample_rate)
}

#[cfg(any(feature = "flac", feature = "aiff", feature = "mp3", feature = "ogg"))]
fn read_symphonia(path: &Path, ext: &str) -> Result<MonoAudio, MapError> {
    use symphonia::core::audio::SampleBuffer;
    use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
    use symphonia::core::errors::Error as SymError;
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    use symphonia::core::probe::Hint;

    let decode_err = |message: String| MapError::Decode {
        path: path.to_path_buf(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| MapError::io(path, e))?;
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    hint.with_extension(ext);
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            mss,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| decode_err(e.to_string()))?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| decode_err("no audio track".into()))?;
    let track_id = track.id;
    let mut sample_rate = track.codec_params.sample_rate.unwrap_or(0);
    let mut channels = track.codec_params.channels.map_or(0, |c| c.count());
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| decode_err(e.to_string()))?;
    let mut mono = Vec::new();
    let mut buf: Option<SampleBuffer<f32>> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(SymError::ResetRequired) => break,
            Err(e) => return Err(decode_err(e.to_string())),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            // NOTE: a corrupt packet is skipped, as players do; the rest of the file is usable.
            Err(SymError::DecodeError(_)) => continue,
            Err(e) => return Err(decode_err(e.to_string())),
        };
        let spec = *decoded.spec();
        sample_rate = spec.rate;
        channels = spec.channels.count();
        let needed = decoded.capacity() as u64;
        if buf
            .as_ref()
            .is_none_or(|b| (b.capacity() as u64) < needed * channels as u64)
        {
            buf = Some(SampleBuffer::new(needed, spec));
        }
        let b = buf.as_mut().expect("allocated above");
        b.copy_interleaved_ref(decoded);
        mix_down(b.samples(), channels.max(1), &mut mono);
    }
    check(path, mono, channels, sample_rate)
}

#[cfg(not(any(feature = "flac", feature = "aiff", feature = "mp3", feature = "ogg")))]
fn read_symphonia(path: &Path, ext: &str) -> Result<MonoAudio, MapError> {
    Err(MapError::UnsupportedFormat {
        path: path.to_path_buf(),
        extension: ext.to_string(),
    })
}
