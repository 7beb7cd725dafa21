//! `strongroom-publish` against a real registry: Debian's `docker-registry` (distribution 2.8,
//! which has no referrers API) started here on 127.0.0.1 with its own storage, and stopped after.
//! A release made on a station is verified against the station's trust package, published (file
//! artifacts, the release index tagged with the version, every Sigstore bundle as a referrer in
//! the referrers tag schema, the release manifest with its approvals), read back by an
//! independent reader (`tests/interop/oci_referrers.py`, plain HTTP from Python), and published
//! again without writing anything. A bundle that does not verify is not published; an index
//! another tool wrote is extended, not clobbered; plain HTTP to a remote registry is refused.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// The publisher, built beside the CLI (`cargo build` of the workspace builds both).
fn publisher() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_BIN_EXE_strongroom")).with_file_name("strongroom-publish");
    assert!(
        p.is_file(),
        "{} is missing: build it with `cargo build -p strongroom-publish`",
        p.display()
    );
    p
}

/// A distribution 2.8 registry on a free loopback port, killed on drop.
struct Registry {
    child: Child,
    port: u16,
    config: PathBuf,
    _dir: tempfile::TempDir,
}

impl Registry {
    fn start() -> Registry {
        Self::start_with(|_| String::new(), "")
    }

    /// A registry behind TLS (a test CA's certificate for 127.0.0.1: `ca.pem` in its folder)
    /// and htpasswd basic auth for `user` with `password`.
    fn start_secure(user: &str, password: &str) -> Registry {
        let hash = Command::new("python3")
            .args(["-W", "ignore", "-c", "import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))", password])
            .output()
            .unwrap();
        assert!(hash.status.success(), "bcrypt from python3's crypt");
        let line = format!("{user}:{}", String::from_utf8(hash.stdout).unwrap().trim());
        Self::start_with(
            move |dir| {
                std::fs::write(dir.join("htpasswd"), format!("{line}\n")).unwrap();
                let openssl = |args: &[&str]| {
                    let o = Command::new("openssl")
                        .current_dir(dir)
                        .args(args)
                        .output()
                        .unwrap();
                    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                };
                let ec = [
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-nodes",
                ];
                openssl(
                    &[
                        &["req", "-x509"][..],
                        &ec,
                        &[
                            "-keyout",
                            "ca.key",
                            "-out",
                            "ca.pem",
                            "-days",
                            "2",
                            "-subj",
                            "/CN=strongroom test CA",
                        ],
                    ]
                    .concat(),
                );
                openssl(
                    &[
                        &["req"][..],
                        &ec,
                        &[
                            "-keyout",
                            "server.key",
                            "-out",
                            "server.csr",
                            "-subj",
                            "/CN=127.0.0.1",
                        ],
                    ]
                    .concat(),
                );
                std::fs::write(
                    dir.join("ext.cnf"),
                    "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
                )
                .unwrap();
                openssl(&[
                    "x509",
                    "-req",
                    "-in",
                    "server.csr",
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-out",
                    "server.crt",
                    "-days",
                    "2",
                    "-extfile",
                    "ext.cnf",
                ]);
                format!(
                    "auth:\n  htpasswd:\n    realm: strongroom-test\n    path: {}\n",
                    dir.join("htpasswd").display()
                )
            },
            "  tls:\n    certificate: SERVER_CRT\n    key: SERVER_KEY\n",
        )
    }

    /// `extra(dir)` writes what the config names and returns its top-level sections;
    /// `http_extra` goes under `http:` (SERVER_CRT and SERVER_KEY replaced by their paths).
    fn start_with(extra: impl FnOnce(&std::path::Path) -> String, http_extra: &str) -> Registry {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.yml");
        let sections = extra(dir.path());
        let http_extra = http_extra
            .replace(
                "SERVER_CRT",
                &dir.path().join("server.crt").display().to_string(),
            )
            .replace(
                "SERVER_KEY",
                &dir.path().join("server.key").display().to_string(),
            );
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\n{sections}storage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n{http_extra}",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        Registry {
            child: Self::serve(&config, port),
            port,
            config,
            _dir: dir,
        }
    }

    fn serve(config: &std::path::Path, port: u16) -> Child {
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry is installed (scripts/install-deps.sh test)");
        let until = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < until,
                "the registry did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        child
    }

    /// Kills the registry (as a crash would), keeping its storage.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same storage and port.
    fn restart(&mut self) {
        self.kill();
        self.child = Self::serve(&self.config, self.port);
    }

    fn target(&self, repo: &str) -> String {
        format!("127.0.0.1:{}/{repo}", self.port)
    }

    fn read(&self, repo: &str, tag: &str, cwd: &std::path::Path) -> Value {
        let out = python(
            "oci_referrers.py",
            &[&format!("http://127.0.0.1:{}", self.port), repo, tag],
            cwd,
        )
        .ok();
        serde_json::from_str(&out.stdout).unwrap()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn publish(env: &Env, args: &[&str]) -> Out {
    Out::from(
        Command::new(publisher())
            .current_dir(env.work.path())
            .args(args)
            .output()
            .unwrap(),
    )
}

/// A station with a release `t` version 1 of two files (carried in the bundle), and its trust
/// package.
fn released() -> Env {
    released_of(
        &[
            ("app.tar.gz", b"the application\n"),
            ("notes.txt", b"release notes\n"),
        ],
        true,
    )
}

/// A station with a release `t` version 1 of `files` (in the bundle when `include`), what
/// `release create` said (`created.json`), and the station's trust package (`pkg.json`).
fn released_of(files: &[(&str, &[u8])], include: bool) -> Env {
    let env = Env::new();
    env.audit_key();
    env.signer("rel", "ecdsa-p256");
    let mut args = vec!["--json"];
    if include {
        args.push("--include-artifacts");
    }
    for (name, bytes) in files {
        env.file(name, bytes);
        args.push(name);
    }
    let created = env.dev_release("rel", "t.zip", &args).ok();
    env.file("created.json", created.stdout.as_bytes());
    let custody = env.key_for("custody", "ed25519", "custodian");
    env.trust(&custody, "custody", "custodian", ADMIN, &[]);
    env.run(&["trust", "export", "--key", "custody", "-o", "pkg.json"])
        .ok();
    env
}

#[test]
fn a_verified_release_is_published_read_back_and_a_second_publish_writes_nothing() {
    let env = released();
    let reg = Registry::start();
    let to = reg.target("acme/app");
    let args = [
        "t.zip",
        "--to",
        &to,
        "--trust",
        "pkg.json",
        "--plain-http-loopback",
        "--json",
    ];
    let first: Value = serde_json::from_str(&publish(&env, &args).ok().stdout).unwrap();
    let o = &first["outcome"];
    assert!(o["blobs_pushed"].as_u64().unwrap() >= 5, "{first}");
    assert_eq!(o["manifests_present"], 0, "{first}");
    assert_eq!(
        o["referrer_indexes_written"], 3,
        "two artifacts and the release index: {first}"
    );

    let seen = reg.read("acme/app", "1", env.work.path());
    assert_eq!(
        seen["index"]["artifactType"],
        "application/vnd.strongroom.release.v1"
    );
    assert_eq!(seen["index"]["digest"], first["digest"]);
    // What `release create` told the officer is what went up.
    let told = env.read_json("created.json");
    assert_eq!(told["publish"]["index_digest"], first["digest"]);
    assert_eq!(told["publish"]["tag"], "1");
    let artifacts = seen["artifacts"].as_array().unwrap();
    // The release index, then each file artifact.
    let release = &artifacts[0];
    assert_eq!(
        release["referrers"][0]["artifactType"],
        "application/vnd.strongroom.manifest.v1+json"
    );
    let files: Vec<&Value> = artifacts[1..].iter().collect();
    let titles: Vec<&str> = files.iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["app.tar.gz", "notes.txt"]);
    for a in files {
        assert_eq!(a["artifactType"], "application/vnd.strongroom.file.v1");
        let refs = a["referrers"].as_array().unwrap();
        assert!(!refs.is_empty(), "{a}");
        for r in refs {
            assert_eq!(
                r["artifactType"], "application/vnd.dev.sigstore.bundle.v0.3+json",
                "{r}"
            );
            assert_eq!(r["subject"], a["digest"], "{r}");
            let content = r["annotations"]["dev.sigstore.bundle.content"]
                .as_str()
                .unwrap();
            assert!(
                ["message-signature", "dsse-envelope"].contains(&content),
                "{r}"
            );
            assert!(
                r["annotations"]["dev.sigstore.bundle.predicateType"].is_string(),
                "{r}"
            );
            assert_eq!(
                r["layers"][0]["mediaType"],
                "application/vnd.dev.sigstore.bundle.v0.3+json"
            );
        }
    }

    // skopeo (containers/image, not ours) copies each file artifact out of the registry into
    // an OCI layout: its one layer is the file's bytes.
    for (a, name) in artifacts[1..].iter().zip(["app.tar.gz", "notes.txt"]) {
        let layout = env.path(&format!("layout-{name}"));
        let from = format!("docker://{to}@{}", a["digest"].as_str().unwrap());
        external(
            "skopeo",
            &[
                "copy",
                "-q",
                "--src-tls-verify=false",
                &from,
                &format!("oci:{}", layout.display()),
            ],
            env.work.path(),
        )
        .ok();
        let index: Value =
            serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
        let digest = index["manifests"][0]["digest"].as_str().unwrap();
        let blob = |d: &str| {
            layout
                .join("blobs/sha256")
                .join(d.trim_start_matches("sha256:"))
        };
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(blob(digest)).unwrap()).unwrap();
        let layer = std::fs::read(blob(manifest["layers"][0]["digest"].as_str().unwrap())).unwrap();
        assert_eq!(layer, std::fs::read(env.path(name)).unwrap(), "{name}");
    }

    // Again: everything is there, nothing is written.
    let again: Value = serde_json::from_str(&publish(&env, &args).ok().stdout).unwrap();
    let o = &again["outcome"];
    assert_eq!(
        (
            o["blobs_pushed"].as_u64(),
            o["manifests_pushed"].as_u64(),
            o["referrer_indexes_written"].as_u64()
        ),
        (Some(0), Some(0), Some(0)),
        "{again}"
    );
    assert_eq!(reg.read("acme/app", "1", env.work.path()), seen);
}

#[test]
fn an_index_another_tool_wrote_is_extended_and_a_dry_run_pushes_nothing() {
    let env = released();
    let reg = Registry::start();
    let to = reg.target("acme/app");
    let plan: Value = serde_json::from_str(
        &publish(
            &env,
            &[
                "t.zip",
                "--to",
                &to,
                "--trust",
                "pkg.json",
                "--plain-http-loopback",
                "--dry-run",
                "--json",
            ],
        )
        .ok()
        .stdout,
    )
    .unwrap();
    assert!(plan["outcome"].is_null());
    let app = plan["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["what"] == "app.tar.gz")
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    // Nothing was pushed by the dry run.
    let tags = Command::new("curl")
        .args([
            "-sf",
            &format!("http://127.0.0.1:{}/v2/acme/app/tags/list", reg.port),
        ])
        .output()
        .unwrap();
    assert!(
        !tags.status.success(),
        "the repository exists after a dry run"
    );

    // Another tool pushed its own referrer of app.tar.gz (an SBOM) and listed it in the tag
    // schema first, over plain HTTP.
    let other_tool = r#"
import hashlib, json, sys, urllib.request
base, subject = sys.argv[1], sys.argv[2]
def req(method, url, body=b"", ctype=None):
    r = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": ctype} if ctype else {})
    return urllib.request.urlopen(r)
empty = b"{}"
d = "sha256:" + hashlib.sha256(empty).hexdigest()
loc = req("POST", f"{base}/v2/acme/app/blobs/uploads/").headers["Location"]
loc = loc if loc.startswith("http") else base + loc
req("PUT", f"{loc}{'&' if '?' in loc else '?'}digest={d}", empty, "application/octet-stream")
m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "artifactType": "application/spdx+json",
    "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": d, "size": 2},
    "layers": [{"mediaType": "application/vnd.oci.empty.v1+json", "digest": d, "size": 2}],
    "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": subject, "size": 1}}).encode()
md = "sha256:" + hashlib.sha256(m).hexdigest()
req("PUT", f"{base}/v2/acme/app/manifests/{md}", m, "application/vnd.oci.image.manifest.v1+json")
idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": len(m),
        "artifactType": "application/spdx+json", "annotations": {"org.example.tool": "theirs"}}]}).encode()
req("PUT", f"{base}/v2/acme/app/manifests/{subject.replace(':', '-', 1)}", idx, "application/vnd.oci.image.index.v1+json")
"#;
    let put = Command::new("python3")
        .args([
            "-c",
            other_tool,
            &format!("http://127.0.0.1:{}", reg.port),
            &app,
        ])
        .output()
        .unwrap();
    assert!(
        put.status.success(),
        "{}",
        String::from_utf8_lossy(&put.stderr)
    );
    publish(
        &env,
        &[
            "t.zip",
            "--to",
            &to,
            "--trust",
            "pkg.json",
            "--plain-http-loopback",
        ],
    )
    .ok();
    let seen = reg.read("acme/app", "1", env.work.path());
    let refs = seen["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["digest"] == app.as_str())
        .unwrap()["referrers"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(refs[0]["annotations"]["org.example.tool"], "theirs");
    assert_eq!(refs[0]["artifactType"], "application/spdx+json");
    assert!(refs.len() > 1, "ours were added: {refs:?}");
}

#[test]
fn a_bundle_that_does_not_verify_is_not_published_and_remote_plain_http_is_refused() {
    let env = released();
    // Another station's trust package: this release's key is not in it.
    let other = Env::new();
    let custody = other.key_for("custody", "ed25519", "custodian");
    other.trust(&custody, "custody", "custodian", ADMIN, &[]);
    other
        .run(&["trust", "export", "--key", "custody", "-o", "pkg.json"])
        .ok();
    std::fs::copy(other.path("pkg.json"), env.path("other.json")).unwrap();
    let reg = Registry::start();
    let to = reg.target("acme/app");
    publish(
        &env,
        &[
            "t.zip",
            "--to",
            &to,
            "--trust",
            "other.json",
            "--plain-http-loopback",
        ],
    )
    .code(1)
    .stderr_has("does not verify against the trust package, so it is not published");
    let tags = Command::new("curl")
        .args([
            "-sf",
            &format!("http://127.0.0.1:{}/v2/acme/app/tags/list", reg.port),
        ])
        .output()
        .unwrap();
    assert!(!tags.status.success(), "something was pushed");

    publish(
        &env,
        &[
            "t.zip",
            "--to",
            "registry.example/acme/app",
            "--trust",
            "pkg.json",
            "--plain-http-loopback",
        ],
    )
    .code(2)
    .stderr_has("plain HTTP is allowed only to a registry on this machine");
}

#[test]
fn a_registry_that_dies_mid_push_is_completed_by_the_next_publish() {
    use std::io::BufRead;
    // Large enough that its upload is under way when the registry dies.
    let big: Vec<u8> = (0..96u32 << 20)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    let env = released_of(&[("big.bin", &big), ("small.txt", b"small\n")], false);
    let mut reg = Registry::start();
    let to = reg.target("acme/app");
    let args = [
        "t.zip",
        "--to",
        &to,
        "--trust",
        "pkg.json",
        "--plain-http-loopback",
        "--artifacts",
        ".",
    ];
    let mut child = Command::new(publisher())
        .current_dir(env.work.path())
        .args(args)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    // The first blob (the empty config) is in; the registry dies while the next goes up.
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let first_push = line.starts_with("pushed ");
        seen.push(line);
        if first_push {
            reg.kill();
            break;
        }
    }
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(4), "{seen:?} {rest:?}");
    let said = rest.join("\n");
    // Whether it died before or during big.bin's upload, the step is named.
    assert!(
        said.contains("big.bin") && said.contains("failed") && said.contains("publish again"),
        "{said}"
    );

    reg.restart();
    // The large blob's progress is told as it goes up; what got in before is not sent again.
    publish(&env, &args)
        .ok()
        .stderr_has("pushing big.bin: 64 of 96 MiB")
        .stdout_has("blobs pushed")
        .stdout_lacks("blobs pushed, 0 already there");
    let done: Value = serde_json::from_str(
        &publish(&env, &[&args[..], &["--json"]].concat())
            .ok()
            .stdout,
    )
    .unwrap();
    assert_eq!(done["outcome"]["blobs_pushed"], 0, "{done}");
    let back = reg.read("acme/app", "1", env.work.path());
    let titles: Vec<&str> = back["artifacts"].as_array().unwrap()[1..]
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["big.bin", "small.txt"]);
}

#[test]
fn a_registry_behind_tls_and_a_password_takes_credentials_from_docker_config() {
    let env = released();
    let reg = Registry::start_secure("alice", "right horse battery");
    let ca = reg._dir.path().join("ca.pem");
    let to = reg.target("acme/app");
    let docker = |password: &str| {
        let dir = env.work.path().join(format!("docker-{}", password.len()));
        std::fs::create_dir_all(&dir).unwrap();
        let auth = b64e(format!("alice:{password}").as_bytes());
        std::fs::write(
            dir.join("config.json"),
            serde_json::json!({"auths": {format!("127.0.0.1:{}", reg.port): {"auth": auth}}})
                .to_string(),
        )
        .unwrap();
        dir
    };
    let run = |config: &std::path::Path, extra: &[&str]| {
        Out::from(
            Command::new(publisher())
                .current_dir(env.work.path())
                .env("DOCKER_CONFIG", config)
                .args([&["t.zip", "--to", &to, "--trust", "pkg.json"][..], extra].concat())
                .output()
                .unwrap(),
        )
    };
    let ca_arg = ca.to_str().unwrap();
    // A wrong password: said, and nothing is pushed.
    run(&docker("wrong"), &["--ca-file", ca_arg])
        .code(4)
        .stderr_has("did not accept the credentials")
        .stderr_has("docker's config.json");
    // The registry's certificate chains to no root the system knows.
    run(&docker("right horse battery"), &[])
        .code(4)
        .stderr_has("signing in to 127.0.0.1");
    let nothing = Command::new("curl")
        .args(["-sf", "--cacert", ca_arg, "-u", "alice:right horse battery"])
        .arg(format!(
            "https://127.0.0.1:{}/v2/acme/app/tags/list",
            reg.port
        ))
        .output()
        .unwrap();
    assert!(!nothing.status.success(), "something was pushed");

    run(&docker("right horse battery"), &["--ca-file", ca_arg]).ok();
    let out = Command::new(repo_root().join(".venv/bin/python"))
        .arg(repo_root().join("tests/interop/oci_referrers.py"))
        .args([&format!("https://127.0.0.1:{}", reg.port), "acme/app", "1"])
        .env("OCI_READER_CAFILE", &ca)
        .env("OCI_READER_AUTH", "alice:right horse battery")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        seen["index"]["artifactType"],
        "application/vnd.strongroom.release.v1"
    );
}

#[test]
fn the_same_structure_goes_into_an_oci_layout_and_a_second_write_changes_nothing() {
    let env = released();
    let args = [
        "t.zip",
        "--to-oci-layout",
        "media",
        "--trust",
        "pkg.json",
        "--json",
    ];
    let first: Value = serde_json::from_str(&publish(&env, &args).ok().stdout).unwrap();
    let layout = env.path("media");
    let blob = |d: &str| {
        let bytes = std::fs::read(
            layout
                .join("blobs/sha256")
                .join(d.trim_start_matches("sha256:")),
        )
        .unwrap();
        assert_eq!(
            format!("sha256:{}", sha256_hex(&bytes)),
            d,
            "a blob is its digest"
        );
        bytes
    };
    let json_blob = |d: &str| serde_json::from_slice::<Value>(&blob(d)).unwrap();
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let by_ref = |name: &str| {
        index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["annotations"]["org.opencontainers.image.ref.name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {index}"))["digest"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // The release index under its tag, as in a registry (the same digest a push names).
    let release = by_ref("1");
    assert_eq!(release, first["digest"].as_str().unwrap());
    for d in json_blob(&release)["manifests"].as_array().unwrap() {
        let m = json_blob(d["digest"].as_str().unwrap());
        let name = d["annotations"]["org.opencontainers.image.title"]
            .as_str()
            .unwrap();
        assert_eq!(
            blob(m["layers"][0]["digest"].as_str().unwrap()),
            std::fs::read(env.path(name)).unwrap()
        );
        // Its Sigstore bundles, under the referrers tag.
        let refs = json_blob(&by_ref(
            &d["digest"].as_str().unwrap().replacen(':', "-", 1),
        ));
        for r in refs["manifests"].as_array().unwrap() {
            assert_eq!(
                r["artifactType"],
                "application/vnd.dev.sigstore.bundle.v0.3+json"
            );
            let rm = json_blob(r["digest"].as_str().unwrap());
            assert_eq!(rm["subject"]["digest"], d["digest"]);
            blob(rm["layers"][0]["digest"].as_str().unwrap());
        }
    }
    let again: Value = serde_json::from_str(&publish(&env, &args).ok().stdout).unwrap();
    assert_eq!(again["outcome"]["blobs_pushed"], 0, "{again}");
    assert_eq!(again["outcome"]["manifests_pushed"], 0, "{again}");
    assert_eq!(
        serde_json::from_slice::<Value>(&std::fs::read(layout.join("index.json")).unwrap())
            .unwrap(),
        index
    );
}

/// `tests/interop/make_oci_layout.py DIR TAG`: a small OCI image layout; its manifest digest.
fn oci_layout(env: &Env, dir: &str, tag: &str) -> String {
    let out = python(
        "make_oci_layout.py",
        &[env.path(dir).to_str().unwrap(), tag],
        env.work.path(),
    )
    .ok();
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    v["digest"].as_str().unwrap().to_owned()
}

/// The check lines of `id` in a verification report.
fn checks<'a>(report: &'a Value, id: &str) -> Vec<&'a Value> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == id)
        .collect()
}

/// skopeo (containers/image) copies `image` out of the registry under a policy that accepts
/// only a `sigstoreSigned` signature by the key in `key_pem`, reading cosign's `.sig` tags.
fn skopeo_signed_copy(env: &Env, reg: &Registry, image: &str, key_pem: &Path, out: &str) -> Out {
    let policy = serde_json::json!({
        "default": [{"type": "reject"}],
        "transports": {"docker": {reg.target("acme"): [{
            "type": "sigstoreSigned",
            "keyPath": key_pem,
            "signedIdentity": {"type": "matchRepository"},
        }]}},
    });
    env.write_json("policy.json", &policy);
    let regd = env.path("registries.d");
    std::fs::create_dir_all(&regd).unwrap();
    std::fs::write(
        regd.join("local.yaml"),
        format!(
            "docker:\n  127.0.0.1:{}:\n    use-sigstore-attachments: true\n",
            reg.port
        ),
    )
    .unwrap();
    Out::from(
        Command::new("skopeo")
            .current_dir(env.work.path())
            .args([
                "--policy",
                "policy.json",
                "--registries.d",
                regd.to_str().unwrap(),
                "copy",
                "-q",
                "--src-tls-verify=false",
                &format!("docker://{image}"),
                &format!("oci:{out}"),
            ])
            .output()
            .unwrap(),
    )
}

#[test]
fn an_image_signed_in_the_room_is_published_skopeo_checks_its_signature_and_a_pull_verifies_offline(
) {
    let reg = Registry::start();
    let env = Env::new();
    env.audit_key();
    let key = env.signer("rel", "ecdsa-p256");
    let digest = oci_layout(&env, "app-oci", "1.0");
    let reference = reg.target("acme/app");
    env.file("notes.txt", b"release notes\n");
    let image = format!("{reference}=app-oci:1.0");
    env.dev_release(
        "rel",
        "t.zip",
        &["--include-artifacts", "--image", &image, "notes.txt"],
    )
    .ok();
    let custody = env.key_for("custody", "ed25519", "custodian");
    env.trust(&custody, "custody", "custodian", ADMIN, &[]);
    env.run(&["trust", "export", "--key", "custody", "-o", "pkg.json"])
        .ok();

    // In the room: the image's cosign signature binds its manifest digest to the reference.
    let report: Value = serde_json::from_str(
        &env.run(&["verify", "t.zip", "--trust", "pkg.json", "--json"])
            .ok()
            .stdout,
    )
    .unwrap();
    assert_eq!(report["verified"], true, "{report}");
    let lines = checks(&report, "image-signature");
    assert!(
        lines
            .iter()
            .any(|c| c["outcome"] == "pass" && c["detail"].as_str().unwrap().contains(&digest)),
        "{report}"
    );
    let app = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "app")
        .unwrap_or_else(|| panic!("the image is the artifact `app`: {report}"));
    assert_eq!(
        format!("sha256:{}", app["sha256"].as_str().unwrap()),
        digest,
        "the signed subject is the manifest digest"
    );

    // A bundle whose image layer was swapped does not verify.
    external(
        "python3",
        &["-c", "import sys, zipfile\nsrc, dst = sys.argv[1], sys.argv[2]\nwith zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, 'w') as o:\n    for i in z.infolist():\n        data = z.read(i.filename)\n        if i.filename.startswith('images/app/blobs/') and data[:2] == b'\\x1f\\x8b':\n            data = b'another layer'\n        o.writestr(i, data)\n", "t.zip", "swapped.zip"],
        env.work.path(),
    )
    .ok();
    let swapped = env.run(&["verify", "swapped.zip", "--trust", "pkg.json", "--json"]);
    assert_eq!(swapped.code, 1, "{}", swapped.stderr);
    let swapped: Value = serde_json::from_str(&swapped.stdout).unwrap();
    assert!(
        checks(&swapped, "manifest-complete")
            .iter()
            .any(|c| c["outcome"] == "fail"),
        "{swapped}"
    );
    assert!(
        checks(&swapped, "image-signature")
            .iter()
            .any(|c| c["outcome"] == "fail"),
        "{swapped}"
    );

    // On the connected side: published, and skopeo accepts the image with the release key
    // alone, and refuses it with another key.
    let args = [
        "t.zip",
        "--to",
        &reference,
        "--trust",
        "pkg.json",
        "--plain-http-loopback",
        "--json",
    ];
    let first: Value = serde_json::from_str(&publish(&env, &args).ok().stdout).unwrap();
    assert_eq!(first["outcome"]["manifests_present"], 0, "{first}");
    assert_eq!(first["warnings"], serde_json::json!([]), "{first}");
    // Published elsewhere, the image's signature names another repository: said before pushing.
    let elsewhere: Value = serde_json::from_str(
        &publish(
            &env,
            &[
                "t.zip",
                "--to",
                &reg.target("acme/other"),
                "--trust",
                "pkg.json",
                "--plain-http-loopback",
                "--dry-run",
                "--json",
            ],
        )
        .ok()
        .stdout,
    )
    .unwrap();
    let warned = elsewhere["warnings"][0].as_str().unwrap_or_default();
    assert!(
        warned.contains(&reference) && warned.contains("acme/other"),
        "{elsewhere}"
    );
    let by_digest = format!("{reference}@{digest}");
    // skopeo copies the image itself (containers/image reads it as an image).
    external(
        "skopeo",
        &[
            "copy",
            "-q",
            "--src-tls-verify=false",
            &format!("docker://{by_digest}"),
            "oci:copied",
        ],
        env.work.path(),
    )
    .ok();
    let copied: Value =
        serde_json::from_slice(&std::fs::read(env.path("copied/index.json")).unwrap()).unwrap();
    assert_eq!(copied["manifests"][0]["digest"], digest.as_str());
    // And under a policy that demands the release key's sigstoreSigned signature, where this
    // skopeo can check one: Debian builds skopeo 1.9.3 with sigstore disabled.
    let signed = skopeo_signed_copy(&env, &reg, &by_digest, &key, "signed");
    if signed.stderr.contains("sigstore disabled") {
        eprintln!(
            "not run: skopeo sigstoreSigned policy check: this skopeo is built with sigstore disabled ({}); the cosign signature is checked with openssl instead",
            signed.stderr.trim()
        );
    } else {
        assert_eq!(signed.code, 0, "{}", signed.stderr);
        let other = env.key("other", "ecdsa-p256");
        let refused = skopeo_signed_copy(&env, &reg, &by_digest, &other, "refused");
        assert!(
            refused.code != 0,
            "skopeo must refuse a signature by another key: {}",
            refused.stderr
        );
    }

    // Every Sigstore bundle of the image is a referrer with its annotations.
    let seen = reg.read("acme/app", "1", env.work.path());
    let entry = seen["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["digest"] == digest.as_str())
        .unwrap_or_else(|| panic!("the release index lists the image: {seen}"));
    let refs = entry["referrers"].as_array().unwrap();
    assert!(!refs.is_empty(), "{seen}");
    for r in refs {
        assert_eq!(r["subject"], digest.as_str(), "{r}");
        assert!(
            r["annotations"]["dev.sigstore.bundle.content"].is_string(),
            "{r}"
        );
    }
    // cosign's `.sig` tag holds the simple-signing payload for this digest at the reference;
    // openssl checks its signature with the release key's PEM alone.
    let cosign = entry["cosign"]
        .as_array()
        .unwrap_or_else(|| panic!("{seen}"));
    assert_eq!(cosign.len(), 1, "{seen}");
    let sig = &cosign[0];
    assert_eq!(
        sig["mediaType"],
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );
    let payload = sig["payload"].as_str().unwrap();
    let claim: Value = serde_json::from_str(payload).unwrap();
    assert_eq!(
        claim["critical"]["image"]["docker-manifest-digest"],
        digest.as_str()
    );
    assert_eq!(
        claim["critical"]["identity"]["docker-reference"],
        reference.as_str()
    );
    assert_eq!(
        claim["critical"]["type"],
        "cosign container image signature"
    );
    env.file("payload.json", payload.as_bytes());
    env.file("payload.sig", &b64(sig["signature"].as_str().unwrap()));
    external(
        "openssl",
        &[
            "dgst",
            "-sha256",
            "-verify",
            key.to_str().unwrap(),
            "-signature",
            "payload.sig",
            "payload.json",
        ],
        env.work.path(),
    )
    .ok()
    .stdout_has("Verified OK");

    // A second publish writes nothing.
    let again: Value = serde_json::from_str(&publish(&env, &args).ok().stdout).unwrap();
    let o = &again["outcome"];
    assert_eq!(
        (o["blobs_pushed"].as_u64(), o["manifests_pushed"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );

    // The round trip: everything pulled back into an OCI layout by the independent reader
    // verifies offline, and so does the layout strongroom-publish writes for rooms.
    python(
        "oci_referrers.py",
        &[
            "pull",
            &format!("http://127.0.0.1:{}", reg.port),
            "acme/app",
            "1",
            env.path("pulled").to_str().unwrap(),
        ],
        env.work.path(),
    )
    .ok();
    drop(reg);
    for layout in ["pulled", "media"] {
        if layout == "media" {
            publish(
                &env,
                &["t.zip", "--to-oci-layout", "media", "--trust", "pkg.json"],
            )
            .ok();
        }
        let r: Value = serde_json::from_str(
            &env.run(&["verify", layout, "--trust", "pkg.json", "--json"])
                .ok()
                .stdout,
        )
        .unwrap();
        assert_eq!(r["verified"], true, "{layout}: {r}");
        assert_eq!(r["manifest_sha256"], report["manifest_sha256"], "{layout}");
        assert_eq!(
            r["artifacts"], report["artifacts"],
            "{layout}: identical digests"
        );
        assert!(!checks(&r, "image-signature").is_empty(), "{r}");
    }
}
