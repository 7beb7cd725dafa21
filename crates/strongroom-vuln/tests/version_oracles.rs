//! Differential tests of the version orderings against the reference implementations on this
//! machine, each run once as an external process fed every pair on stdin:
//! `dpkg --compare-versions` (via `oracles/dpkg_oracle.py`), Python's `packaging.version`
//! (`oracles/pep440_oracle.py`), node-semver (`oracles/semver_oracle.js`) and Maven's
//! `ComparableVersion` (`oracles/MavenOracle.java`, compiled with javac at test time).
//! Pairs come from a seeded generator biased towards the tricky cases. A missing oracle fails
//! the test with the command that installs it.

mod common;

use std::cmp::Ordering;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::Rng;
use strongroom_vuln::VersionOrdering;

fn oracles_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracles")
}

/// Runs an oracle with all pairs on stdin; returns its header and one answer per pair.
fn run_oracle(
    mut cmd: Command,
    pairs: &[(String, String)],
    install: &str,
) -> (String, Vec<String>) {
    let program = format!("{:?}", cmd.get_program());
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("oracle {program} cannot run ({e}); {install}"));
    let mut input = String::new();
    for (a, b) in pairs {
        input.push_str(a);
        input.push('\t');
        input.push_str(b);
        input.push('\n');
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "oracle {program} failed ({}): {}\n{install}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default().to_owned();
    let answers: Vec<String> = lines.map(str::to_owned).collect();
    assert_eq!(
        answers.len(),
        pairs.len(),
        "oracle {program} answered {} of {} pairs",
        answers.len(),
        pairs.len()
    );
    (header, answers)
}

/// Compares our ordering with the oracle's answers; fails listing the disagreements.
fn check(ordering: VersionOrdering, pairs: &[(String, String)], answers: &[String], header: &str) {
    let mut bad = Vec::new();
    let mut compared = 0;
    let mut invalid = 0;
    let mut by_sign = [0usize; 3];
    for ((a, b), ans) in pairs.iter().zip(answers) {
        let ours = ordering.compare(a, b);
        let ours_rev = ordering.compare(b, a);
        match ans.as_str() {
            "-1" | "0" | "1" => {
                compared += 1;
                let want = match ans.as_str() {
                    "-1" => Ordering::Less,
                    "0" => Ordering::Equal,
                    _ => Ordering::Greater,
                };
                by_sign[(want as i32 + 1) as usize] += 1;
                match (&ours, &ours_rev) {
                    (Ok(o), Ok(r)) if *o == want && *r == want.reverse() => {}
                    _ => bad.push(format!(
                        "{a:?} vs {b:?}: oracle {ans}, ours {ours:?} (reverse {ours_rev:?})"
                    )),
                }
            }
            // The oracle refused at least one side: so must we.
            "invalid" | "invalid:a" | "invalid:b" => {
                invalid += 1;
                let which_ok = match ans.as_str() {
                    "invalid:a" => ordering.parse(a).is_err(),
                    "invalid:b" => ordering.parse(b).is_err(),
                    _ => ours.is_err(),
                };
                if !which_ok {
                    bad.push(format!("{a:?} vs {b:?}: oracle {ans}, ours {ours:?}"));
                }
            }
            other => panic!("unexpected oracle answer {other:?}"),
        }
    }
    eprintln!(
        "{}: {header}: {compared} pairs compared (< {}, = {}, > {}), {invalid} refused, {} disagreements",
        ordering.name(),
        by_sign[0],
        by_sign[1],
        by_sign[2],
        bad.len()
    );
    assert!(
        bad.is_empty(),
        "{} disagreements with {header} (first 25):\n{}",
        bad.len(),
        bad.iter().take(25).cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(
        compared > pairs.len() / 2,
        "too few comparable pairs: {compared}"
    );
}

/// Pairs: half independent, half a small mutation of the first (shared prefixes are where
/// orderings differ), plus each version against itself now and then.
fn pairs(
    n: usize,
    rng: &mut Rng,
    gen: &dyn Fn(&mut Rng) -> String,
    mutate: &dyn Fn(&mut Rng, &str) -> String,
) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            let a = gen(rng);
            let b = match i % 10 {
                0 => a.clone(),
                1..=5 => mutate(rng, &a),
                _ => gen(rng),
            };
            (a, b)
        })
        .collect()
}

// ---------------------------------------------------------------- SemVer / node-semver

fn gen_semver(rng: &mut Rng) -> String {
    const NUMS: &[&str] = &[
        "0",
        "1",
        "2",
        "3",
        "10",
        "11",
        "99",
        "100",
        "2147483648",
        "9007199254740991",
    ];
    const PRE: &[&str] = &[
        "alpha",
        "beta",
        "rc",
        "0",
        "1",
        "2",
        "10",
        "11",
        "x-y",
        "alpha1",
        "--",
        "a-1",
        "0a",
        "RC",
        "Alpha",
        "pre",
        "999999999999",
    ];
    const BUILD: &[&str] = &[
        "build.1",
        "001",
        "sha.5114f85",
        "incompatible",
        "exp.sha.5114f85",
        "20130313144700",
    ];
    const BAD: &[&str] = &[
        "01.2.3",
        "1.2",
        "1.2.3-01",
        "1.2.3-",
        "1.2.3+",
        "1.2.3.4",
        "1.2.3-a..b",
        "x.y.z",
        "1.2.3-é",
    ];
    if rng.chance(0.04) {
        return rng.pick(BAD).to_owned();
    }
    let mut s = String::new();
    if rng.chance(0.1) {
        s.push('v');
    }
    let small = |rng: &mut Rng| {
        if rng.chance(0.8) {
            rng.pick(&NUMS[..6])
        } else {
            rng.pick(NUMS)
        }
    };
    s.push_str(&format!("{}.{}.{}", small(rng), small(rng), small(rng)));
    if rng.chance(0.5) {
        let n = 1 + rng.below(3);
        let ids: Vec<&str> = (0..n).map(|_| rng.pick(PRE)).collect();
        s.push('-');
        s.push_str(&ids.join("."));
    }
    if rng.chance(0.2) {
        s.push('+');
        s.push_str(rng.pick(BUILD));
    }
    s
}

fn mutate_semver(rng: &mut Rng, a: &str) -> String {
    match rng.below(5) {
        // Appending `.1` makes a 4-part core (invalid) or a longer pre-release.
        0 => format!("{a}.1"),
        1 => match a.split_once('-') {
            Some((core, _)) => core.to_owned(),
            None => format!("{a}-0"),
        },
        2 => match a.split_once('+') {
            Some((core, _)) => format!("{core}+other"),
            None => format!("{a}+meta"),
        },
        3 => {
            if a.contains('-') {
                format!(
                    "{}.{}",
                    a.split('+').next().unwrap(),
                    rng.pick(&["1", "a", "0", "beta"])
                )
            } else {
                a.replacen('.', ".1", 1)
            }
        }
        _ => a.trim_start_matches('v').to_owned(),
    }
}

#[test]
fn semver_matches_node_semver() {
    let mut rng = Rng::new(0x5e3e_1001);
    // node-semver refuses numbers above 2^53 - 1 (JavaScript's safe integers); SemVer 2.0.0
    // sets no bound and we accept any length, so such pairs are not asked.
    let beyond_js = |v: &str| {
        v.split(['.', '-', '+']).any(|p| {
            p.bytes().all(|b| b.is_ascii_digit())
                && p.len() >= 16
                && p.parse::<u64>().is_ok_and(|n| n > 9_007_199_254_740_991)
                || p.len() > 16 && p.bytes().all(|b| b.is_ascii_digit())
        })
    };
    let pairs: Vec<(String, String)> = pairs(3000, &mut rng, &gen_semver, &mutate_semver)
        .into_iter()
        .filter(|(a, b)| !beyond_js(a) && !beyond_js(b))
        .collect();
    let mut cmd = Command::new("node");
    cmd.arg(oracles_dir().join("semver_oracle.js"));
    cmd.current_dir(common::repo_root());
    let (header, answers) = run_oracle(
        cmd,
        &pairs,
        "install Node.js (apt-get install -y nodejs npm) and the npm package `semver` \
         (root package.json devDependencies; `npm ci` in the repository root)",
    );
    check(VersionOrdering::SemVer, &pairs, &answers, &header);
}

// ---------------------------------------------------------------- PEP 440 / packaging

fn gen_pep440(rng: &mut Rng) -> String {
    const NUMS: &[&str] = &[
        "0",
        "1",
        "2",
        "10",
        "01",
        "00",
        "3",
        "999999999999999999999",
    ];
    const SEP: &[&str] = &["", ".", "-", "_"];
    const PRE: &[&str] = &[
        "a", "alpha", "b", "beta", "c", "rc", "pre", "preview", "A", "RC", "Beta",
    ];
    const POST: &[&str] = &["post", "rev", "r", "POST"];
    const LOCAL: &[&str] = &["ubuntu", "1", "abc", "01", "2", "deb10u1", "cpu", "cu118"];
    const BAD: &[&str] = &[
        "1.0-",
        "1..0",
        "0.3m1",
        "1.0+",
        "0.2.0-n653",
        "1.0+a..b",
        "1.0.post.dev.",
        "abc",
        "1.0 beta",
        "2.0.0-final",
        "0.1-bulbasaur",
        "1.0beta6.1",
    ];
    if rng.chance(0.04) {
        return rng.pick(BAD).to_owned();
    }
    let mut s = String::new();
    if rng.chance(0.05) {
        s.push('v');
    }
    if rng.chance(0.1) {
        s.push_str(rng.pick(&["1!", "2!", "0!"]));
    }
    let n = 1 + rng.below(4);
    let rel: Vec<&str> = (0..n).map(|_| rng.pick(NUMS)).collect();
    s.push_str(&rel.join("."));
    if rng.chance(0.3) {
        s.push_str(rng.pick(SEP));
        s.push_str(rng.pick(PRE));
        if rng.chance(0.7) {
            s.push_str(rng.pick(SEP));
            s.push_str(rng.pick(&["0", "1", "2", "10", "01"]));
        }
    }
    if rng.chance(0.2) {
        if rng.chance(0.3) {
            s.push('-');
            s.push_str(rng.pick(&["1", "2", "0"]));
        } else {
            s.push_str(rng.pick(SEP));
            s.push_str(rng.pick(POST));
            if rng.chance(0.7) {
                s.push_str(rng.pick(SEP));
                s.push_str(rng.pick(&["0", "1", "2", "10"]));
            }
        }
    }
    if rng.chance(0.2) {
        s.push_str(rng.pick(SEP));
        s.push_str(rng.pick(&["dev", "DEV"]));
        if rng.chance(0.7) {
            s.push_str(rng.pick(&["", "."]));
            s.push_str(rng.pick(&["0", "1", "2", "10"]));
        }
    }
    if rng.chance(0.1) {
        let n = 1 + rng.below(3);
        let parts: Vec<&str> = (0..n).map(|_| rng.pick(LOCAL)).collect();
        s.push('+');
        s.push_str(&parts.join(rng.pick(&[".", "-", "_"])));
    }
    s
}

fn mutate_pep440(rng: &mut Rng, a: &str) -> String {
    match rng.below(6) {
        0 => format!("{a}.0"),
        1 => format!(
            "{}{}",
            a.split('+').next().unwrap(),
            rng.pick(&[".dev0", "a1", ".post1", "+local", "rc1", "-1"])
        ),
        2 => a.replacen('.', ".0", 1),
        3 => a.to_uppercase(),
        4 => a.replace(['-', '_'], "."),
        _ => a.split('+').next().unwrap().to_owned(),
    }
}

fn python() -> PathBuf {
    if let Ok(p) = std::env::var("STRONGROOM_PYTHON") {
        return p.into();
    }
    let venv = common::repo_root().join(".venv/bin/python");
    if venv.exists() {
        venv
    } else {
        "python3".into()
    }
}

#[test]
fn pep440_matches_python_packaging() {
    let mut rng = Rng::new(0x9e9_440);
    let pairs = pairs(3000, &mut rng, &gen_pep440, &mutate_pep440);
    let mut cmd = Command::new(python());
    cmd.arg(oracles_dir().join("pep440_oracle.py"));
    let (header, answers) = run_oracle(
        cmd,
        &pairs,
        "install Python 3 with `packaging` (add packaging to tests/interop/requirements.txt \
         and run scripts/setup-interop.sh, or set STRONGROOM_PYTHON to a python that has it)",
    );
    check(VersionOrdering::Pep440, &pairs, &answers, &header);
}

// ---------------------------------------------------------------- dpkg

fn gen_dpkg(rng: &mut Rng) -> String {
    const NUM: &[&str] = &["0", "1", "2", "9", "10", "00", "01", "123", "20240101"];
    const ALPHA: &[&str] = &[
        "a", "b", "rc", "beta", "dfsg", "git", "Z", "ubuntu", "deb", "bpo",
    ];
    const SEP: &[&str] = &[".", ".", ".", "+", "~", "~~", ""];
    const BAD: &[&str] = &["1:", ":1", "a:1", "1.0-", "-1", "1 0", "1:2:3-"];
    if rng.chance(0.03) {
        return rng.pick(BAD).to_owned();
    }
    let mut s = String::new();
    if rng.chance(0.15) {
        s.push_str(rng.pick(&["0:", "1:", "2:", "10:"]));
    }
    let comp = |rng: &mut Rng, s: &mut String, first: bool| {
        if first || rng.chance(0.7) {
            s.push_str(rng.pick(NUM));
        } else {
            s.push_str(rng.pick(ALPHA));
        }
    };
    let n = 1 + rng.below(4);
    let digit_first = !rng.chance(0.03);
    comp(rng, &mut s, digit_first);
    for _ in 1..n {
        s.push_str(rng.pick(SEP));
        comp(rng, &mut s, false);
    }
    if rng.chance(0.6) {
        s.push('-');
        let n = 1 + rng.below(3);
        for i in 0..n {
            if i > 0 {
                s.push_str(rng.pick(&[".", "+", "~"]));
            }
            if rng.chance(0.6) {
                s.push_str(rng.pick(NUM));
            } else {
                s.push_str(rng.pick(ALPHA));
                s.push_str(rng.pick(NUM));
            }
        }
    }
    s
}

fn mutate_dpkg(rng: &mut Rng, a: &str) -> String {
    match rng.below(6) {
        0 => format!("{a}~{}", rng.pick(&["rc1", "", "bpo1"])),
        1 => format!("{a}+{}", rng.pick(&["b1", "deb12u1", "1"])),
        2 => format!("{a}.0"),
        3 => match a.rsplit_once('-') {
            Some((u, _)) => u.to_owned(),
            None => format!("{a}-0"),
        },
        4 => format!("1:{}", a.split_once(':').map_or(a, |x| x.1)),
        _ => a.replacen('.', ".0", 1),
    }
}

#[test]
fn dpkg_matches_dpkg_compare_versions() {
    let mut rng = Rng::new(0xdeb_1a9);
    let pairs = pairs(1500, &mut rng, &gen_dpkg, &mutate_dpkg);
    let mut cmd = Command::new("python3");
    cmd.arg(oracles_dir().join("dpkg_oracle.py"));
    let (header, answers) = run_oracle(
        cmd,
        &pairs,
        "needs python3 and Debian's dpkg (apt-get install -y dpkg python3)",
    );
    check(VersionOrdering::Dpkg, &pairs, &answers, &header);
}

// ---------------------------------------------------------------- Maven

fn gen_maven(rng: &mut Rng) -> String {
    const NUM: &[&str] = &[
        "0",
        "1",
        "2",
        "10",
        "01",
        "00",
        "9",
        "1234567890",
        "123456789012345678901",
        "2147483648",
    ];
    const QUAL: &[&str] = &[
        "alpha",
        "beta",
        "milestone",
        "rc",
        "cr",
        "snapshot",
        "SNAPSHOT",
        "ga",
        "final",
        "Final",
        "release",
        "RELEASE",
        "sp",
        "foo",
        "a",
        "b",
        "m",
        "RC",
        "GA",
        "jre",
        "android",
        "x",
    ];
    let n = 1 + rng.below(5);
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push_str(rng.pick(&[".", ".", "-", "-", "", "--", "-."]));
        }
        if i == 0 || rng.chance(0.6) {
            s.push_str(rng.pick(NUM));
        } else {
            s.push_str(rng.pick(QUAL));
        }
    }
    if rng.chance(0.03) {
        s = rng
            .pick(&["", "-", ".", "..1", "-1", "1-", "1.", "a1b2"])
            .to_owned();
    }
    s
}

fn mutate_maven(rng: &mut Rng, a: &str) -> String {
    match rng.below(6) {
        0 => format!("{a}.0"),
        1 => format!(
            "{a}-{}",
            rng.pick(&["SNAPSHOT", "ga", "1", "sp1", "rc1", "alpha", "0"])
        ),
        2 => a.to_uppercase(),
        3 => a.replace('-', "."),
        4 => a.replace('.', "-"),
        _ => format!("{a}{}", rng.pick(&["a1", "b2", "m3", "1", ".final"])),
    }
}

fn maven_artifact_jar() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("MAVEN_ARTIFACT_JAR") {
        return Some(p.into());
    }
    for dir in ["/usr/share/maven/lib", "/usr/share/java"] {
        if let Ok(entries) = std::fs::read_dir(dir) {
            let mut found: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("maven-artifact") && n.ends_with(".jar"))
                })
                .collect();
            found.sort();
            if let Some(p) = found.pop() {
                return Some(p);
            }
        }
    }
    None
}

#[test]
fn maven_matches_comparable_version() {
    const INSTALL: &str =
        "needs a JDK and maven-artifact: apt-get install -y openjdk-17-jdk-headless maven \
                           (or set MAVEN_ARTIFACT_JAR to maven-artifact-3.x.jar)";
    let jar =
        maven_artifact_jar().unwrap_or_else(|| panic!("maven-artifact jar not found; {INSTALL}"));
    let classes = tempfile::tempdir().unwrap();
    let javac = Command::new("javac")
        .arg("-cp")
        .arg(&jar)
        .arg("-d")
        .arg(classes.path())
        .arg(oracles_dir().join("MavenOracle.java"))
        .output()
        .unwrap_or_else(|e| panic!("javac cannot run ({e}); {INSTALL}"));
    assert!(
        javac.status.success(),
        "javac failed: {}\n{INSTALL}",
        String::from_utf8_lossy(&javac.stderr)
    );
    let mut rng = Rng::new(0x3a7e_3007);
    let pairs = pairs(3000, &mut rng, &gen_maven, &mutate_maven);
    // Maven accepts every string; our parser refuses only the empty one, a data error.
    let pairs: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(a, b)| !a.trim().is_empty() && !b.trim().is_empty())
        .collect();
    let mut cmd = Command::new("java");
    let cp = format!("{}:{}", classes.path().display(), jar.display());
    cmd.arg("-cp").arg(cp).arg("MavenOracle");
    let (header, answers) = run_oracle(cmd, &pairs, INSTALL);
    check(VersionOrdering::Maven, &pairs, &answers, &header);
}
