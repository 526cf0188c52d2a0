//! The project state decoders on arbitrary text and JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use timbrel_learn::state;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = state::decode_str(text);
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(s) = state::decode_value(&v) {
            // Whatever decodes encodes, and decodes to the same state.
            let text = state::encode(&s).expect("a decoded state encodes");
            assert_eq!(state::decode_str(&text).expect("re-decodes"), s);
        }
    }
});
