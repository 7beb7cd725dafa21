//! RFC 6962 / RFC 9162 Merkle tree hashing and inclusion proofs, as Rekor's logs use them: a
//! leaf is SHA-256(0x00 ‖ entry), a node SHA-256(0x01 ‖ left ‖ right).

use sha2::{Digest, Sha256};

/// The hash of a leaf: SHA-256(0x00 ‖ `entry`), for a Rekor entry its canonicalized body.
pub fn leaf_hash(entry: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// The hash of an inner node: SHA-256(0x01 ‖ `left` ‖ `right`).
pub fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root that an inclusion proof of the leaf `leaf` at `index` in a tree of `size` leaves
/// leads to (RFC 9162, 2.1.3.2), or `None` when the proof cannot be one for that position (an
/// index past the end, too few or too many hashes). The caller compares the root with the
/// one the log signed.
pub fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf: [u8; 32],
    proof: &[[u8; 32]],
) -> Option<[u8; 32]> {
    if index >= size {
        return None;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = leaf;
    for p in proof {
        if s == 0 {
            return None;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    (s == 0).then_some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The RFC 6962 tree hash of `leaves`, computed the slow way (split at the largest power
    /// of two below the size), and the audit path of leaf `m`.
    fn root(leaves: &[[u8; 32]]) -> [u8; 32] {
        if leaves.len() == 1 {
            return leaves[0];
        }
        let k = split(leaves.len());
        node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
    }

    fn split(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    fn path(m: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
        if leaves.len() == 1 {
            return vec![];
        }
        let k = split(leaves.len());
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(root(&leaves[k..]));
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(root(&leaves[..k]));
            p
        }
    }

    #[test]
    fn every_leaf_of_every_small_tree_proves_and_a_changed_proof_does_not() {
        for size in 1..=33usize {
            let leaves: Vec<[u8; 32]> = (0..size).map(|i| leaf_hash(&[i as u8])).collect();
            let want = root(&leaves);
            for m in 0..size {
                let p = path(m, &leaves);
                let got = root_from_inclusion_proof(m as u64, size as u64, leaves[m], &p);
                assert_eq!(got, Some(want), "size {size} leaf {m}");
                // A flipped bit in any hash, the wrong leaf, or the wrong index: another root.
                for i in 0..p.len() {
                    let mut bad = p.clone();
                    bad[i][0] ^= 1;
                    let r = root_from_inclusion_proof(m as u64, size as u64, leaves[m], &bad);
                    assert_ne!(r, Some(want));
                }
                let other = leaf_hash(b"other");
                assert_ne!(
                    root_from_inclusion_proof(m as u64, size as u64, other, &p),
                    Some(want)
                );
                // A hash too many or too few is no proof.
                let mut long = p.clone();
                long.push([0; 32]);
                assert_eq!(
                    root_from_inclusion_proof(m as u64, size as u64, leaves[m], &long),
                    None
                );
                if !p.is_empty() {
                    let short = &p[..p.len() - 1];
                    assert_ne!(
                        root_from_inclusion_proof(m as u64, size as u64, leaves[m], short),
                        Some(want)
                    );
                }
            }
            assert_eq!(
                root_from_inclusion_proof(size as u64, size as u64, leaves[0], &[]),
                None
            );
        }
    }

    #[test]
    fn hashes_are_domain_separated() {
        // RFC 6962: the empty leaf and a node of two zero hashes.
        assert_eq!(
            hex::encode(leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        assert_ne!(leaf_hash(&[1; 64]), node_hash(&[1; 32], &[1; 32]));
    }
}
