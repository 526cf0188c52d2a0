//! The `.timbrel` model file decoder on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use timbrel_learn::file;

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = file::from_bytes(data, Path::new("fuzz.timbrel")) {
        // Whatever loads saves, and loads back the same.
        let bytes = file::to_bytes(&f).expect("a loaded file saves");
        assert_eq!(file::from_bytes(&bytes, Path::new("again.timbrel")).expect("reloads"), f);
    }
});
