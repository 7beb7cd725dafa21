//! `strongroom-publish BUNDLE.zip --to REGISTRY/REPOSITORY --trust PACKAGE.json`: the connected
//! side's one networked program, a thin shell over `strongroom_publish::publish`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use strongroom_publish::registry::Target;
use strongroom_publish::{publish, Publish, Refusal};

/// Verify a release bundle against the station's trust package, then publish its artifacts,
/// Sigstore bundles and release manifest to an OCI registry (referrers tag schema).
#[derive(Parser, Debug)]
#[command(name = "strongroom-publish", version)]
struct Args {
    /// The release bundle (BUNDLE.zip) carried out of the room.
    #[arg(value_name = "BUNDLE.zip")]
    bundle: PathBuf,
    /// Where to publish: REGISTRY/REPOSITORY (for example 127.0.0.1:5000/acme/app).
    #[arg(
        long,
        value_name = "REGISTRY/REPOSITORY",
        required_unless_present = "to_oci_layout",
        conflicts_with = "to_oci_layout"
    )]
    to: Option<String>,
    /// Write the same structure into an OCI image layout folder instead (for media that go
    /// into another room).
    #[arg(long, value_name = "DIR")]
    to_oci_layout: Option<PathBuf>,
    /// The station's trust package; a bundle that does not verify against it is not published.
    #[arg(long, value_name = "PACKAGE.json")]
    trust: PathBuf,
    /// The released files, when the bundle does not carry them.
    #[arg(long, value_name = "DIR")]
    artifacts: Option<PathBuf>,
    /// Speak plain HTTP: allowed only to a registry on this machine (localhost, 127.0.0.1).
    #[arg(long)]
    plain_http_loopback: bool,
    /// The PEM certificate(s) of a private CA the registry's certificate chains to.
    #[arg(long, value_name = "CA.pem")]
    ca_file: Option<PathBuf>,
    /// List what would be pushed, and push nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    // The policy evaluator runs as a child of this binary (as of the station's CLI).
    if let Some(code) = strongroom_ops::sandbox::serve_if_child() {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let args = Args::parse();
    let target = match Target::parse(args.to.as_deref().unwrap_or("layout/unused")) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let req = Publish {
        bundle: args.bundle,
        trust: args.trust,
        target,
        to_layout: args.to_oci_layout,
        artifacts_dir: args.artifacts,
        plain_http: args.plain_http_loopback,
        ca_file: args.ca_file,
        dry_run: args.dry_run,
    };
    let json = args.json;
    let progress: strongroom_publish::registry::Progress =
        std::sync::Arc::new(move |line: &str| {
            if !json {
                eprintln!("{line}");
            }
        });
    match publish(&req, &progress) {
        Ok(p) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&p).expect("JSON serialises")
                );
            } else if p.dry_run {
                println!(
                    "would publish {} to {}:{} ({} blobs):",
                    p.release, p.target, p.tag, p.blobs
                );
                for m in &p.manifests {
                    let how = match (&m.tag, &m.subject) {
                        (Some(t), _) => format!("tag {t}"),
                        (None, Some(s)) => format!("referrer of {s}"),
                        (None, None) => "by digest".into(),
                    };
                    println!("  {} {} ({how}): {}", m.digest, m.artifact_type, m.what);
                }
            } else {
                let o = p.outcome.as_ref().expect("a publish has an outcome");
                println!(
                    "published {} to {}:{} ({}@{}): {} blobs pushed, {} already there; {} manifests pushed, {} already there; {} referrer indexes written",
                    p.release, p.target, p.tag, p.target, p.digest, o.blobs_pushed, o.blobs_present,
                    o.manifests_pushed, o.manifests_present, o.referrer_indexes_written
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            let code = match e {
                Refusal::NotVerified(..) => 1,
                Refusal::Usage(_) | Refusal::Plan(_) => 2,
                Refusal::Ops(_) => 2,
                Refusal::Publish(_) => 4,
            };
            if json {
                println!("{}", serde_json::json!({"error": e.to_string()}));
            }
            ExitCode::from(code)
        }
    }
}
