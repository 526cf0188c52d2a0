//! Blocks larger than the host announced at activation (some hosts send them when rendering
//! offline or freezing a track) are analysed in full, in chunks of the announced size: the
//! same hits and MIDI as blocks of the announced size.

mod common;

use common::takes::{snares, take, SR};
use common::TestHost;

#[test]
fn blocks_larger_than_announced_are_analysed_in_full() {
    let audio = take(&snares(24, (0.0, 1.0), 31), 12);
    let mut reference = TestHost::new(SR, 1, 512);
    let expected = reference.run(&mut [audio.clone()], &[512]);
    assert_eq!(expected.iter().filter(|e| e.on).count(), 24);
    for (announced, blocks) in [
        (64, vec![4096, 1000, 7, 8192]),
        (512, vec![8192]),
        (1, vec![3000, 1, 2]),
    ] {
        let mut host = TestHost::new(SR, 1, announced);
        host.oversized_blocks = true;
        let got = host.run(&mut [audio.clone()], &blocks);
        assert_eq!(
            got, expected,
            "announced {announced}, blocks {blocks:?}: other events than blocks of 512"
        );
    }
}
