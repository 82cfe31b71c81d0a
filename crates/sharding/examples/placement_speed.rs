//! How fast each scheme places keys at the sizes the brief names: 1,000 members (the ring with
//! 1,000 virtual nodes each, a million points) and a million keys. Prints wall times; nothing is
//! asserted (timings are never asserted in tests, DESIGN.md "Performance and tests").
//!
//! `cargo run --release -p faultline-sharding --example placement_speed`

// Wall time is measured around the work, never inside a decision: the clippy rule against
// `Instant::now` guards simulations, and this is a benchmark.
#![allow(clippy::disallowed_methods)]

use std::time::Instant;

use sharding::placement::{Scheme, build};

fn main() {
    let members: Vec<u32> = (1..=1000).collect();
    let keys = 1_000_000u64;
    for scheme in [
        Scheme::Ring { vnodes: 1000 },
        Scheme::Jump,
        Scheme::Rendezvous,
        Scheme::Ranges { ranges: None },
    ] {
        let t = Instant::now();
        let p = build(&scheme, &members).expect("valid scheme");
        let built = t.elapsed();
        // Rendezvous hashing costs O(members) per key: a tenth of the keys keeps the run short,
        // and the per-key figure is what matters.
        let n = if scheme == Scheme::Rendezvous { keys / 10 } else { keys };
        let t = Instant::now();
        let mut sum = 0u64;
        for k in 0..n {
            sum = sum.wrapping_add(u64::from(p.owner(k)));
        }
        let owners = t.elapsed();
        let mut list = Vec::with_capacity(3);
        let t = Instant::now();
        for k in 0..n {
            p.replicas(k, 3, &mut list);
            sum = sum.wrapping_add(u64::from(list[2]));
        }
        let replicas = t.elapsed();
        println!(
            "{:<10} build {:>8.1} ms | owner {:>6.1} ns/key | 3 replicas {:>6.1} ns/key | {} keys (checksum {sum})",
            p.name(),
            built.as_secs_f64() * 1e3,
            owners.as_secs_f64() * 1e9 / n as f64,
            replicas.as_secs_f64() * 1e9 / n as f64,
            n,
        );
    }
}
