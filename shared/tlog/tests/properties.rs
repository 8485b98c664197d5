//! Property tests with a seeded generator: proofs built through the plans equal a direct
//! transcription of RFC 9162's recursive definitions, verify, and stop verifying when a leaf
//! is changed or dropped.
use tlog::{Hash, MemoryTree, leaf_hash, node_hash, verify_consistency, verify_inclusion};

/// xorshift64*: deterministic, so a failure names a reproducible seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

fn split(n: usize) -> usize {
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// RFC 9162 §2.1.1 MTH, literally.
fn mth(d: &[Hash]) -> Hash {
    match d.len() {
        0 => tlog::empty_root(),
        1 => d[0],
        n => node_hash(&mth(&d[..split(n)]), &mth(&d[split(n)..])),
    }
}

/// RFC 9162 §2.1.3.1 PATH, literally.
fn path(m: usize, d: &[Hash]) -> Vec<Hash> {
    if d.len() <= 1 {
        return Vec::new();
    }
    let k = split(d.len());
    if m < k {
        [path(m, &d[..k]), vec![mth(&d[k..])]].concat()
    } else {
        [path(m - k, &d[k..]), vec![mth(&d[..k])]].concat()
    }
}

/// RFC 9162 §2.1.4.1 SUBPROOF, literally.
fn subproof(m: usize, d: &[Hash], whole: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if whole { Vec::new() } else { vec![mth(d)] };
    }
    let k = split(n);
    if m <= k {
        [subproof(m, &d[..k], whole), vec![mth(&d[k..])]].concat()
    } else {
        [subproof(m - k, &d[k..], false), vec![mth(&d[..k])]].concat()
    }
}

fn leaves(seed: u64, n: u64) -> Vec<Hash> {
    (0..n)
        .map(|i| leaf_hash(format!("{seed}/{i}").as_bytes()))
        .collect()
}

fn tree_of(hashes: &[Hash]) -> MemoryTree {
    let mut tree = MemoryTree::new();
    for h in hashes {
        tree.push_hash(*h).unwrap();
    }
    tree
}

#[test]
fn small_trees_match_the_rfc_definitions_for_every_index_and_every_old_size() {
    for n in 1..=40u64 {
        let d = leaves(n, n);
        let tree = tree_of(&d);
        assert_eq!(tree.root(), mth(&d), "root of {n}");
        for m in 0..n {
            let proof = tree.inclusion(m, n).unwrap();
            assert_eq!(proof, path(m as usize, &d), "inclusion {m} of {n}");
        }
        for m in 1..n {
            let proof = tree.consistency(m, n).unwrap();
            assert_eq!(
                proof,
                subproof(m as usize, &d, true),
                "consistency {m} -> {n}"
            );
        }
    }
}

#[test]
fn random_trees_up_to_a_thousand_leaves_prove_every_leaf_and_every_old_size() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut sizes: Vec<u64> = vec![1, 2, 255, 256, 257, 1000];
    sizes.extend((0..6).map(|_| 1 + rng.below(1000)));
    for n in sizes {
        let d = leaves(n, n);
        let tree = tree_of(&d);
        let root = tree.root();
        for m in 0..n {
            let proof = tree.inclusion(m, n).unwrap();
            let leaf = d[m as usize];
            assert_eq!(
                verify_inclusion(&leaf, m, n, &proof, &root),
                Ok(()),
                "{m} of {n}"
            );
            let changed = leaf_hash(b"changed");
            assert!(
                verify_inclusion(&changed, m, n, &proof, &root).is_err(),
                "changed {m} of {n}"
            );
        }
        for m in 0..=n {
            let proof = tree.consistency(m, n).unwrap();
            let old = tree.root_at(m).unwrap();
            assert_eq!(
                verify_consistency(m, n, &proof, &old, &root),
                Ok(()),
                "{m} -> {n}"
            );
        }
    }
}

#[test]
fn a_changed_or_dropped_leaf_breaks_inclusion_and_consistency() {
    let mut rng = Rng(42);
    for _ in 0..12 {
        let n = 2 + rng.below(999);
        let d = leaves(n, n);
        let honest = tree_of(&d);
        let victim = rng.below(n) as usize;

        let mut edited = d.clone();
        edited[victim] = leaf_hash(b"edited");
        let edited_tree = tree_of(&edited);
        let mut dropped = d.clone();
        dropped.remove(victim);
        let dropped_tree = tree_of(&dropped);

        for _ in 0..20 {
            let m = rng.below(n);
            let proof = honest.inclusion(m, n).unwrap();
            let leaf = d[m as usize];
            // The operator serves the honest proof against the tampered tree's head.
            assert!(verify_inclusion(&leaf, m, n, &proof, &edited_tree.root()).is_err());
            assert!(verify_inclusion(&leaf, m, n - 1, &proof, &dropped_tree.root()).is_err());

            // An old head that covered the victim is not consistent with the tampered tree.
            let from = victim as u64 + 1 + rng.below(n - victim as u64);
            let old = honest.root_at(from).unwrap();
            let edited_proof = edited_tree.consistency(from, n).unwrap();
            assert!(
                verify_consistency(from, n, &edited_proof, &old, &edited_tree.root()).is_err(),
                "edit of {victim} hidden from {from} -> {n}"
            );
            if from < n {
                let dropped_proof = dropped_tree.consistency(from, n - 1).unwrap();
                assert!(
                    verify_consistency(from, n - 1, &dropped_proof, &old, &dropped_tree.root())
                        .is_err(),
                    "drop of {victim} hidden from {from} -> {}",
                    n - 1
                );
            }
        }
    }
}

#[test]
fn each_append_creates_log_n_nodes_and_plans_fetch_only_existing_perfect_nodes() {
    let mut tree = MemoryTree::new();
    let mut range = tlog::CompactRange::empty();
    for i in 0..1000u64 {
        let created = range.append(leaf_hash(&i.to_be_bytes())).unwrap();
        assert_eq!(created.len() as u32, 1 + (i.trailing_ones()), "append {i}");
        tree.push(&i.to_be_bytes()).unwrap();
        let size = i + 1;
        for id in tlog::InclusionPlan::new(i / 2, size).unwrap().nodes() {
            assert!(tree.node(id).is_some(), "{id:?} for size {size}");
        }
        for id in tlog::ConsistencyPlan::new(size / 3, size).unwrap().nodes() {
            assert!(tree.node(id).is_some(), "{id:?} for size {size}");
        }
    }
}

#[test]
fn arbitrary_sizes_indexes_and_proofs_are_refused_without_panicking() {
    let mut rng = Rng(7);
    let edge = [0, 1, 2, 3, u64::MAX - 1, u64::MAX, 1 << 63, (1 << 63) + 1];
    let pick = |rng: &mut Rng| {
        if rng.below(2) == 0 {
            edge[rng.below(edge.len() as u64) as usize]
        } else {
            rng.below(u64::MAX)
        }
    };
    let h = leaf_hash(b"x");
    for _ in 0..2000 {
        let (a, b) = (pick(&mut rng), pick(&mut rng));
        let proof = vec![h; rng.below(70) as usize];
        let _ = verify_inclusion(&h, a, b, &proof, &h);
        let _ = verify_consistency(a, b, &proof, &h, &h);
        if let Ok(plan) = tlog::InclusionPlan::new(a, b) {
            assert!(plan.nodes().len() <= 64 * 2);
            let _ = plan.build(|_| Some(h));
        }
        if let Ok(plan) = tlog::ConsistencyPlan::new(a.min(b), a.max(b)) {
            assert!(plan.nodes().len() <= 64 * 2);
            let _ = plan.build(|_| None);
        }
    }
}
