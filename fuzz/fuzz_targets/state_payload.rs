//! The project state decoder on arbitrary payloads behind a valid header, base64 and zstd
//! layer, so that the fuzzer works on postcard, unpacking and validation.
#![no_main]

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use timbrel_learn::state;

fuzz_target!(|payload: &[u8]| {
    let packed = zstd::bulk::compress(payload, 1).expect("compresses");
    let text = format!(
        "timbrel-state:2:1:{}:{}",
        timbrel_learn::MODEL_FORMAT_VERSION,
        base64::engine::general_purpose::STANDARD.encode(packed)
    );
    if let Ok(s) = state::decode_str(&text) {
        let again = state::encode(&s).expect("a decoded state encodes");
        assert_eq!(state::decode_str(&again).expect("re-decodes"), s);
    }
});
