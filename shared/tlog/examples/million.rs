//! Proof sizes and verification time at 1,000,000 leaves. Figures only, no assertions:
//! `cargo run -p tlog --release --example million` (debug builds work, just slower).
use std::time::Instant;
use tlog::{MemoryTree, leaf_hash, verify_consistency, verify_inclusion};

const LEAVES: u64 = 1_000_000;
const ROUNDS: u32 = 1_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let mut tree = MemoryTree::new();
    for i in 0..LEAVES {
        tree.push(format!("{{\"booking_id\":\"b-{i}\"}}").as_bytes())?;
    }
    let built = started.elapsed();
    let root = tree.root();
    println!("leaves:                     {LEAVES}");
    println!(
        "append (compact range):     {:.2} s total, {:.2} µs per leaf",
        built.as_secs_f64(),
        built.as_secs_f64() * 1e6 / LEAVES as f64
    );

    for index in [0, LEAVES / 2, LEAVES - 1] {
        let proof = tree.inclusion(index, LEAVES)?;
        let leaf = leaf_hash(format!("{{\"booking_id\":\"b-{index}\"}}").as_bytes());
        let started = Instant::now();
        for _ in 0..ROUNDS {
            verify_inclusion(&leaf, index, LEAVES, &proof, &root)?;
        }
        let each = started.elapsed() / ROUNDS;
        println!(
            "inclusion of leaf {index:>7}:  {} hashes ({} bytes), verified in {:?}",
            proof.len(),
            proof.len() * 32,
            each
        );
    }

    for from in [1, 999_999, 524_288, 700_001] {
        let proof = tree.consistency(from, LEAVES)?;
        let old_root = tree.root_at(from).ok_or("no root")?;
        let started = Instant::now();
        for _ in 0..ROUNDS {
            verify_consistency(from, LEAVES, &proof, &old_root, &root)?;
        }
        let each = started.elapsed() / ROUNDS;
        println!(
            "consistency {from:>7} -> {LEAVES}: {} hashes ({} bytes), verified in {:?}",
            proof.len(),
            proof.len() * 32,
            each
        );
    }
    Ok(())
}
