//! PHOLD-v1 on sim-core handles the same events in the same order as the definition: the
//! reference case's checksum and end time (../shared/bench/PHOLD.md, section 8).

use faultline_benches::phold::{Args, Model};

#[test]
fn phold_reference_case_matches_the_published_checksum() {
    let args = Args {
        lps: 1024,
        init: 16,
        events: 10_000_000,
        remote: 0.9,
        lookahead: 1.0,
        mean: 1.0,
        seed: 42,
    };
    let out = Model::new(args).unwrap().run();
    assert_eq!(out.events, 10_000_000);
    assert_eq!(out.checksum, 5_124_896_341);
    assert_eq!(format!("{:.6}", out.sim_end_units), "1221.573650");
}
