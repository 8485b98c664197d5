//! transparency-dev/merkle's public vectors (testdata/) and its testonly constants: every happy
//! path verifies and is what `MemoryTree` builds through the plans; every corruption is refused.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use tlog::{CompactRange, Hash, MemoryTree, NodeId, verify_consistency, verify_inclusion};

#[derive(Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
struct InclusionCase {
    /// `leafIndex` in the files of upstream commit cd8c8f80 (`*/leafIndex-*.json`).
    #[serde(alias = "leafIndex")]
    leaf_idx: u64,
    tree_size: u64,
    root: String,
    leaf_hash: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

#[derive(Deserialize, Clone, Debug)]
struct ConsistencyCase {
    size1: u64,
    size2: u64,
    root1: String,
    root2: String,
    proof: Option<Vec<String>>,
    desc: String,
    #[serde(rename = "wantErr")]
    want_err: bool,
}

/// A value that is not base64 of 32 bytes cannot become a `Hash`: the type refuses it.
fn hash(text: &str) -> Option<Hash> {
    Hash::from_base64(text).ok()
}

fn hashes(texts: &Option<Vec<String>>) -> Option<Vec<Hash>> {
    texts.iter().flatten().map(|t| hash(t)).collect()
}

impl InclusionCase {
    fn verifies(&self) -> bool {
        let (Some(leaf), Some(root), Some(proof)) =
            (hash(&self.leaf_hash), hash(&self.root), hashes(&self.proof))
        else {
            return false;
        };
        verify_inclusion(&leaf, self.leaf_idx, self.tree_size, &proof, &root).is_ok()
    }
}

impl ConsistencyCase {
    fn verifies(&self) -> bool {
        let (Some(root1), Some(root2), Some(proof)) =
            (hash(&self.root1), hash(&self.root2), hashes(&self.proof))
        else {
            return false;
        };
        verify_consistency(self.size1, self.size2, &proof, &root1, &root2).is_ok()
    }
}

fn files(kind: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(kind);
    let mut found = Vec::new();
    // Upstream's five trees (directories 0 to 4), each with its happy path and its variants.
    for tree in 0..5 {
        let dir = root.join(tree.to_string());
        assert!(dir.join("happy-path.json").is_file(), "{}", dir.display());
        for file in std::fs::read_dir(&dir).unwrap() {
            found.push(file.unwrap().path());
        }
    }
    assert!(
        found.len() >= 80,
        "too few vectors under {}",
        root.display()
    );
    found.sort();
    found
}

fn load<T: for<'de> Deserialize<'de>>(path: &Path) -> T {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

const LEAF_INPUTS: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

const NODE_HASHES: [&[&str]; 4] = [
    &[
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    &[
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    &[
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    &["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
];

const ROOT_HASHES: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// testonly.CompactTrees(): (level, index) of each size's compact range, largest first.
const COMPACT_TREES: [&[(u8, u64)]; 9] = [
    &[],
    &[(0, 0)],
    &[(1, 0)],
    &[(1, 0), (0, 2)],
    &[(2, 0)],
    &[(2, 0), (0, 4)],
    &[(2, 0), (1, 2)],
    &[(2, 0), (1, 2), (0, 6)],
    &[(3, 0)],
];

fn reference_tree() -> MemoryTree {
    let mut tree = MemoryTree::new();
    for input in LEAF_INPUTS {
        tree.push(&hex(input)).unwrap();
    }
    tree
}

fn node_hash_constant(level: u8, index: u64) -> Hash {
    Hash::from_slice(&hex(NODE_HASHES[usize::from(level)][index as usize])).unwrap()
}

#[test]
fn the_reference_tree_has_the_upstream_nodes_roots_and_compact_ranges() {
    let tree = reference_tree();
    for (level, row) in NODE_HASHES.iter().enumerate() {
        for index in 0..row.len() {
            let id = NodeId::new(level as u8, index as u64);
            assert_eq!(
                tree.node(id),
                Some(node_hash_constant(id.level, id.index)),
                "{id:?}"
            );
        }
    }
    let mut growing = CompactRange::empty();
    for (size, root) in ROOT_HASHES.iter().enumerate() {
        let want = Hash::from_slice(&hex(root)).unwrap();
        assert_eq!(tree.root_at(size as u64), Some(want), "root at {size}");
        assert_eq!(growing.root(), want, "compact root at {size}");
        let ids: Vec<(u8, u64)> = growing
            .node_ids()
            .iter()
            .map(|n| (n.level, n.index))
            .collect();
        assert_eq!(ids, COMPACT_TREES[size], "compact range at {size}");
        let want_hashes: Vec<Hash> = ids.iter().map(|&(l, i)| node_hash_constant(l, i)).collect();
        assert_eq!(growing.hashes(), want_hashes.as_slice());
        if let Some(input) = LEAF_INPUTS.get(size) {
            growing.append(tlog::leaf_hash(&hex(input))).unwrap();
        }
    }
}

#[test]
fn every_upstream_inclusion_vector_verifies_or_is_refused_as_expected() {
    for path in files("inclusion") {
        let case: InclusionCase = load(&path);
        assert_eq!(
            case.verifies(),
            !case.want_err,
            "{}: {}",
            path.display(),
            case.desc
        );
    }
}

#[test]
fn every_upstream_consistency_vector_verifies_or_is_refused_as_expected() {
    for path in files("consistency") {
        let case: ConsistencyCase = load(&path);
        assert_eq!(
            case.verifies(),
            !case.want_err,
            "{}: {}",
            path.display(),
            case.desc
        );
    }
}

#[test]
fn the_memory_tree_builds_the_upstream_happy_path_proofs() {
    let tree = reference_tree();
    let b64 = |h: &Hash| STANDARD.encode(h.0);
    let happy = |p: &PathBuf| p.ends_with("happy-path.json");
    for path in files("inclusion").iter().filter(|p| happy(p)) {
        let case: InclusionCase = load(path);
        let proof = tree.inclusion(case.leaf_idx, case.tree_size).unwrap();
        let got: Vec<String> = proof.iter().map(b64).collect();
        assert_eq!(
            got,
            case.proof.clone().unwrap_or_default(),
            "{}",
            path.display()
        );
        assert_eq!(
            tree.node(NodeId::new(0, case.leaf_idx)).map(|h| b64(&h)),
            Some(case.leaf_hash)
        );
    }
    for path in files("consistency").iter().filter(|p| happy(p)) {
        let case: ConsistencyCase = load(path);
        let proof = tree.consistency(case.size1, case.size2).unwrap();
        let got: Vec<String> = proof.iter().map(b64).collect();
        assert_eq!(
            got,
            case.proof.clone().unwrap_or_default(),
            "{}",
            path.display()
        );
        assert_eq!(tree.root_at(case.size1).map(|h| b64(&h)), Some(case.root1));
        assert_eq!(tree.root_at(case.size2).map(|h| b64(&h)), Some(case.root2));
    }
}

fn flip(text: &str, bit: u8) -> String {
    let mut bytes = STANDARD.decode(text).unwrap();
    bytes[0] ^= 1 << bit;
    STANDARD.encode(bytes)
}

/// The corruptions upstream's generator applies, applied here to every happy path.
fn inclusion_corruptions(c: &InclusionCase) -> Vec<InclusionCase> {
    let proof = c.proof.clone().unwrap_or_default();
    let random = "q6yroAAAAAAAAAAAAAAAAAAAAAAAAAAAAGAGHgASNFY=".to_owned();
    let mut out = Vec::new();
    let mut push = |desc: &str, f: &dyn Fn(&mut InclusionCase)| {
        let mut v = c.clone();
        v.desc = desc.to_owned();
        f(&mut v);
        out.push(v);
    };
    push("leafIdx + 1", &|v| v.leaf_idx += 1);
    push("leafIdx - 1", &|v| v.leaf_idx = v.leaf_idx.wrapping_sub(1));
    push("leafIdx ^ 2", &|v| v.leaf_idx ^= 2);
    push("treeSize * 2", &|v| v.tree_size *= 2);
    push("treeSize div 2", &|v| v.tree_size /= 2);
    push("wrong leaf", &|v| v.leaf_hash = "V3JvbmdMZWFm".into());
    push("empty root", &|v| {
        v.root = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into()
    });
    push("random root", &|v| v.root = random.clone());
    push("preceding garbage", &|v| {
        v.proof = Some([vec![String::new()], proof.clone()].concat())
    });
    push("trailing garbage", &|v| {
        v.proof = Some([proof.clone(), vec![String::new()]].concat())
    });
    push("preceding root", &|v| {
        v.proof = Some([vec![v.root.clone()], proof.clone()].concat())
    });
    push("trailing root", &|v| {
        v.proof = Some([proof.clone(), vec![v.root.clone()]].concat())
    });
    if !proof.is_empty() {
        push("removed component", &|v| {
            v.proof = Some(proof[..proof.len() - 1].to_vec())
        });
        push("inserted component", &|v| {
            let mut p = proof.clone();
            p.insert(1.min(p.len()), random.clone());
            v.proof = Some(p);
        });
    }
    for i in 0..proof.len() {
        push(&format!("modified proof[{i}] bit 3"), &|v| {
            let mut p = proof.clone();
            p[i] = flip(&p[i], 3);
            v.proof = Some(p);
        });
    }
    out
}

fn consistency_corruptions(c: &ConsistencyCase) -> Vec<ConsistencyCase> {
    let proof = c.proof.clone().unwrap_or_default();
    let mut out = Vec::new();
    let mut push = |desc: &str, f: &dyn Fn(&mut ConsistencyCase)| {
        let mut v = c.clone();
        v.desc = desc.to_owned();
        f(&mut v);
        out.push(v);
    };
    push("size1 + 1", &|v| v.size1 += 1);
    push("size1 - 1", &|v| v.size1 -= 1);
    push("size1 ^ 2", &|v| v.size1 ^= 2);
    push("size2 * 2", &|v| v.size2 *= 2);
    push("size2 div 2", &|v| v.size2 /= 2);
    push("swapped roots", &|v| {
        std::mem::swap(&mut v.root1, &mut v.root2)
    });
    push("wrong root1", &|v| v.root1 = "V3JvbmdSb290".into());
    push("wrong root2", &|v| v.root2 = "V3JvbmdSb290".into());
    push("empty proof", &|v| v.proof = Some(Vec::new()));
    push("truncated proof", &|v| {
        v.proof = Some(proof[..proof.len() - 1].to_vec())
    });
    push("preceding garbage", &|v| {
        v.proof = Some([vec![String::new()], proof.clone()].concat())
    });
    push("trailing garbage", &|v| {
        v.proof = Some([proof.clone(), vec![String::new()]].concat())
    });
    push("preceding root1", &|v| {
        v.proof = Some([vec![v.root1.clone()], proof.clone()].concat())
    });
    push("preceding root2", &|v| {
        v.proof = Some([vec![v.root2.clone()], proof.clone()].concat())
    });
    push("trailing root1", &|v| {
        v.proof = Some([proof.clone(), vec![v.root1.clone()]].concat())
    });
    push("trailing root2", &|v| {
        v.proof = Some([proof.clone(), vec![v.root2.clone()]].concat())
    });
    push("preceding proof[0]", &|v| {
        v.proof = Some([vec![proof[0].clone()], proof.clone()].concat())
    });
    for i in 0..proof.len() {
        push(&format!("modified proof[{i}] bit 4"), &|v| {
            let mut p = proof.clone();
            p[i] = flip(&p[i], 4);
            v.proof = Some(p);
        });
    }
    out
}

#[test]
fn every_corruption_of_every_inclusion_happy_path_is_refused() {
    for path in files("inclusion")
        .iter()
        .filter(|p| p.ends_with("happy-path.json"))
    {
        let case: InclusionCase = load(path);
        assert!(case.verifies(), "{}", path.display());
        for bad in inclusion_corruptions(&case) {
            assert!(!bad.verifies(), "{}: {} verified", path.display(), bad.desc);
        }
    }
}

#[test]
fn every_corruption_of_every_consistency_happy_path_is_refused() {
    for path in files("consistency")
        .iter()
        .filter(|p| p.ends_with("happy-path.json"))
    {
        let case: ConsistencyCase = load(path);
        assert!(case.verifies(), "{}", path.display());
        // Sizes 1 → 1 have an empty proof and only one root: nothing to corrupt but the roots.
        if case.size1 == case.size2 {
            continue;
        }
        for bad in consistency_corruptions(&case) {
            assert!(!bad.verifies(), "{}: {} verified", path.display(), bad.desc);
        }
    }
}
