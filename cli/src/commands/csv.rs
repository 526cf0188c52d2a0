//! Cheap CSV formatting into byte buffers: no per-value allocation, no `fmt` machinery on the
//! hot paths.

use std::ffi::OsStr;

/// Appends `sample / sample_rate` in seconds with exactly six decimals (microseconds), rounded
/// to nearest. One sample at 192 kHz is 5.2 µs, so this is sample-accurate at any common rate.
pub fn push_seconds(out: &mut Vec<u8>, sample: u64, sample_rate: u32) {
    let rate = u128::from(sample_rate.max(1));
    let micros = (u128::from(sample) * 1_000_000 + rate / 2) / rate;
    let mut int = itoa::Buffer::new();
    out.extend_from_slice(int.format(micros / 1_000_000).as_bytes());
    out.push(b'.');
    let frac = (micros % 1_000_000) as u32;
    let digits = int.format(frac).as_bytes();
    out.extend(std::iter::repeat_n(b'0', 6 - digits.len()));
    out.extend_from_slice(digits);
}

/// Appends `value` in its shortest round-trip form (`0.25`, `-12.5`, `1e-7`, `NaN`, `inf`).
pub fn push_f32(out: &mut Vec<u8>, value: f32) {
    let mut buf = ryu::Buffer::new();
    out.extend_from_slice(buf.format(value).as_bytes());
}

/// Appends `value` with two decimals, for levels in dB (`-6.02`, `-inf`).
pub fn push_db(out: &mut Vec<u8>, value: f32) {
    use std::io::Write;
    // NOTE: writing to a Vec<u8> cannot fail.
    let _ = write!(out, "{value:.2}");
}

/// Appends one CSV field (RFC 4180): quoted, with inner quotes doubled, when it contains a
/// comma, a quote or a line break; verbatim otherwise. On Unix the raw bytes of the OS string
/// are written, so the field is exactly the argument as given.
pub fn push_field(out: &mut Vec<u8>, field: &OsStr) {
    #[cfg(unix)]
    let bytes: std::borrow::Cow<'_, [u8]> = {
        use std::os::unix::ffi::OsStrExt;
        field.as_bytes().into()
    };
    #[cfg(not(unix))]
    let bytes: std::borrow::Cow<'_, [u8]> = match field.to_string_lossy() {
        std::borrow::Cow::Borrowed(s) => s.as_bytes().into(),
        std::borrow::Cow::Owned(s) => s.into_bytes().into(),
    };
    if bytes
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.push(b'"');
        for &b in bytes.iter() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(&bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn seconds_have_six_decimals_and_round() {
        assert_eq!(s(|o| push_seconds(o, 0, 48_000)), "0.000000");
        assert_eq!(s(|o| push_seconds(o, 48_000, 48_000)), "1.000000");
        assert_eq!(s(|o| push_seconds(o, 1, 48_000)), "0.000021");
        assert_eq!(s(|o| push_seconds(o, 1, 192_000)), "0.000005");
        assert_eq!(s(|o| push_seconds(o, 441_001, 44_100)), "10.000023");
    }

    #[test]
    fn fields_with_commas_and_quotes_are_quoted() {
        assert_eq!(s(|o| push_field(o, OsStr::new("a/b.wav"))), "a/b.wav");
        assert_eq!(s(|o| push_field(o, OsStr::new("a,b.wav"))), "\"a,b.wav\"");
        assert_eq!(
            s(|o| push_field(o, OsStr::new("say \"hi\".wav"))),
            "\"say \"\"hi\"\".wav\""
        );
    }

    #[test]
    fn floats_are_shortest_round_trip() {
        assert_eq!(s(|o| push_f32(o, 0.25)), "0.25");
        assert_eq!(s(|o| push_f32(o, -3.0)), "-3.0");
        assert_eq!(s(|o| push_db(o, -6.0206)), "-6.02");
    }
}
