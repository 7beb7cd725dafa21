//! The station's binaries contain no network client: `cargo tree` of `strongroom` (this CLI) and
//! of the app lists no HTTP or TLS crate. The publisher on the connected side does, which shows
//! the check sees them when they are there.

use std::process::Command;

const NETWORK: [&str; 12] = [
    "reqwest",
    "hyper",
    "hyper-util",
    "h2",
    "ureq",
    "curl",
    "isahc",
    "attohttpc",
    "rustls",
    "tokio-rustls",
    "native-tls",
    "oci-client",
];

/// The crates in the normal and build dependency tree of `package`.
fn tree(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "-p",
            package,
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "--locked",
            "--offline",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut crates: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    crates.sort();
    crates.dedup();
    crates
}

fn network_in(package: &str) -> Vec<String> {
    tree(package)
        .into_iter()
        .filter(|c| NETWORK.contains(&c.as_str()))
        .collect()
}

#[test]
fn the_station_binaries_link_no_network_client() {
    assert_eq!(network_in("strongroom-cli"), Vec::<String>::new());
    assert_eq!(network_in("strongroom-app"), Vec::<String>::new());
    let publisher = network_in("strongroom-publish");
    assert!(publisher.contains(&"reqwest".to_owned()), "{publisher:?}");
}
