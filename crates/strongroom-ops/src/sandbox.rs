//! Rego evaluation in a child process under resource limits: regorus bounds a rule's time but not
//! one builtin's memory (`numbers.range(1, 4e8)` asks for gigabytes and aborts the process), and
//! policies arrive in trust packages from other stations. As privilege-separated daemons do, the
//! station hands the evaluation to a child with `setrlimit` bounds (address space, CPU time, no
//! files, no core dump), a wall-clock deadline and a cleared environment, and survives its death.
//!
//! The child is the running program itself, started again with [`SANDBOX_ARG`]: every binary that
//! evaluates policies (the CLI, the app) calls [`serve_if_child`] first thing in `main`. Tests of
//! this crate point `STRONGROOM_SANDBOX_EXE` at the small `strongroom-sandbox` binary, since a
//! test harness cannot serve as the child.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use strongroom_policy::{Decision, PolicyBundle, PolicyError, PolicyModule, Stage};

/// The argument that makes a Strongroom binary serve one evaluation on stdin/stdout.
pub const SANDBOX_ARG: &str = "--strongroom-sandbox=rego";

/// Overrides the program started as the child (tests; a packaged helper).
pub const SANDBOX_EXE_ENV: &str = "STRONGROOM_SANDBOX_EXE";

/// The child's bounds. The values are in `docs/security.md` (Limits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SandboxLimits {
    /// Address space the evaluation may add to what the program maps at start.
    pub memory_bytes: u64,
    /// CPU time (SIGXCPU beyond it).
    pub cpu_seconds: u64,
    /// Wall-clock time before the station kills the child.
    pub wall: Duration,
    /// Largest answer the station reads back.
    pub output_bytes: u64,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        SandboxLimits {
            memory_bytes: 512 << 20,
            cpu_seconds: 20,
            wall: Duration::from_secs(30),
            output_bytes: 16 << 20,
        }
    }
}

/// Why the child gave no decision.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    #[error("could not start the policy evaluator {}: {source}", exe.display())]
    Spawn {
        exe: PathBuf,
        source: std::io::Error,
    },
    #[error("evaluating the policy needed more than its memory limit of {limit_mib} MiB and was stopped; the station is unharmed")]
    MemoryLimit { limit_mib: u64 },
    #[error("evaluating the policy used more than its CPU limit of {seconds} s and was stopped; the station is unharmed")]
    CpuLimit { seconds: u64 },
    #[error("evaluating the policy took longer than {seconds} s and was stopped; the station is unharmed")]
    WallLimit { seconds: u64 },
    #[error("the policy's answer is larger than {limit_mib} MiB and was not read")]
    OutputLimit { limit_mib: u64 },
    #[error("the policy evaluator died ({status}){}", if detail.is_empty() { String::new() } else { format!(": {detail}") })]
    Died { status: String, detail: String },
}

#[derive(Serialize, Deserialize)]
struct Request {
    input: serde_json::Value,
    stage: Stage,
    policy: PolicyBundle,
    extra: Vec<PolicyModule>,
}

/// Evaluates a release's policy (see [`strongroom_policy::evaluate`]) in a bounded child.
pub(crate) fn evaluate(
    input: &serde_json::Value,
    stage: Stage,
    policy: &PolicyBundle,
    extra: &[PolicyModule],
) -> Result<Decision, crate::OpsError> {
    let request = Request {
        input: input.clone(),
        stage,
        policy: policy.clone(),
        extra: extra.to_vec(),
    };
    let answer = run(&request, &SandboxLimits::default())?;
    Ok(answer?)
}

fn helper() -> Result<PathBuf, SandboxError> {
    match std::env::var_os(SANDBOX_EXE_ENV) {
        Some(p) if !p.is_empty() => Ok(PathBuf::from(p)),
        _ => std::env::current_exe().map_err(|source| SandboxError::Spawn {
            exe: PathBuf::from("(this program)"),
            source,
        }),
    }
}

fn run(
    request: &Request,
    limits: &SandboxLimits,
) -> Result<Result<Decision, PolicyError>, SandboxError> {
    let exe = helper()?;
    let body = serde_json::to_vec(request).expect("a request serialises");
    let mut child = Command::new(&exe)
        .arg(SANDBOX_ARG)
        .arg(format!("--memory={}", limits.memory_bytes))
        .arg(format!("--cpu={}", limits.cpu_seconds))
        // The child gets nothing of ours: no PIN or passphrase variables, no display.
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| SandboxError::Spawn {
            exe: exe.clone(),
            source,
        })?;
    let mut stdin = child.stdin.take().expect("piped");
    let writer = std::thread::spawn(move || {
        // A child that dies early closes the pipe; its status says why.
        let _ = stdin.write_all(&body);
    });
    let out = reader(child.stdout.take().expect("piped"), limits.output_bytes + 1);
    let err = reader(child.stderr.take().expect("piped"), 64 << 10);
    let status = wait(&mut child, limits.wall);
    let _ = writer.join();
    let (out, err) = (
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    );
    let Some(status) = status else {
        return Err(SandboxError::WallLimit {
            seconds: limits.wall.as_secs(),
        });
    };
    if !status.success() {
        return Err(died(status, &String::from_utf8_lossy(&err), limits));
    }
    if out.len() as u64 > limits.output_bytes {
        return Err(SandboxError::OutputLimit {
            limit_mib: limits.output_bytes >> 20,
        });
    }
    serde_json::from_slice(&out).map_err(|e| SandboxError::Died {
        status: "an unreadable answer".into(),
        detail: e.to_string(),
    })
}

/// Reads up to `cap` bytes on a thread, then drains the rest so the child never blocks.
fn reader(mut from: impl Read + Send + 'static, cap: u64) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut from).take(cap).read_to_end(&mut buf);
        let _ = std::io::copy(&mut from, &mut std::io::sink());
        buf
    })
}

/// Waits until `deadline`, then kills the child: `None` when it was killed.
fn wait(child: &mut Child, deadline: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if start.elapsed() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

fn died(status: ExitStatus, stderr: &str, limits: &SandboxLimits) -> SandboxError {
    use std::os::unix::process::ExitStatusExt;
    const SIGABRT: i32 = 6;
    const SIGKILL: i32 = 9;
    const SIGXCPU: i32 = 24;
    let out_of_memory =
        stderr.contains("memory allocation of") || stderr.contains("capacity overflow");
    match status.signal() {
        Some(SIGABRT) if out_of_memory => SandboxError::MemoryLimit {
            limit_mib: limits.memory_bytes >> 20,
        },
        Some(SIGXCPU | SIGKILL) => SandboxError::CpuLimit {
            seconds: limits.cpu_seconds,
        },
        _ if out_of_memory => SandboxError::MemoryLimit {
            limit_mib: limits.memory_bytes >> 20,
        },
        signal => SandboxError::Died {
            status: match signal {
                Some(s) => format!("signal {s}"),
                None => format!("exit status {}", status.code().unwrap_or(-1)),
            },
            detail: stderr.lines().last().unwrap_or("").trim().to_owned(),
        },
    }
}

/// When this process was started as the policy evaluator ([`SANDBOX_ARG`]), serves the one
/// request on stdin and returns the exit code; `None` for a normal start. Call it first in
/// `main`, before anything else reads arguments or opens a window.
pub fn serve_if_child() -> Option<i32> {
    // `args_os`: a file name that is not UTF-8 must not panic a normal start here.
    let mut args = std::env::args_os();
    if args.nth(1).as_deref() != Some(std::ffi::OsStr::new(SANDBOX_ARG)) {
        return None;
    }
    let mut memory = SandboxLimits::default().memory_bytes;
    let mut cpu = SandboxLimits::default().cpu_seconds;
    for a in args.filter_map(|a| a.into_string().ok()) {
        if let Some(v) = a.strip_prefix("--memory=").and_then(|v| v.parse().ok()) {
            memory = v;
        } else if let Some(v) = a.strip_prefix("--cpu=").and_then(|v| v.parse().ok()) {
            cpu = v;
        }
    }
    if let Err(e) = confine(memory, cpu) {
        eprintln!("strongroom sandbox: could not set resource limits: {e}");
        return Some(70);
    }
    let mut body = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut body) {
        eprintln!("strongroom sandbox: reading the request: {e}");
        return Some(70);
    }
    let request: Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("strongroom sandbox: unreadable request: {e}");
            return Some(70);
        }
    };
    drop(body);
    let answer = strongroom_policy::evaluate(
        &request.input,
        request.stage,
        &request.policy,
        &request.extra,
    );
    let mut stdout = std::io::stdout().lock();
    let written = serde_json::to_writer(&mut stdout, &answer)
        .map_err(std::io::Error::from)
        .and_then(|()| stdout.flush());
    match written {
        Ok(()) => Some(0),
        Err(e) => {
            eprintln!("strongroom sandbox: writing the answer: {e}");
            Some(70)
        }
    }
}

/// Bounds this process: address space (what is mapped now plus `memory`), CPU seconds, no file
/// may be created or grown, no new descriptor opened, no core dump.
fn confine(memory: u64, cpu: u64) -> std::io::Result<()> {
    use rustix::process::{setrlimit, Resource, Rlimit};
    let mapped = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmSize:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .unwrap_or(0)
        * 1024;
    let set = |resource, limit: u64| {
        setrlimit(
            resource,
            Rlimit {
                current: Some(limit),
                maximum: Some(limit),
            },
        )
    };
    set(Resource::As, mapped + memory)?;
    // The soft limit sends SIGXCPU; a second later the hard limit kills.
    setrlimit(
        Resource::Cpu,
        Rlimit {
            current: Some(cpu),
            maximum: Some(cpu + 1),
        },
    )?;
    set(Resource::Core, 0)?;
    set(Resource::Fsize, 0)?;
    // stdin, stdout and stderr are open; nothing more may be.
    set(Resource::Nofile, 3)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_death_by_abort_after_an_allocation_failure_is_the_memory_limit() {
        use std::os::unix::process::ExitStatusExt;
        let limits = SandboxLimits::default();
        let abort = ExitStatus::from_raw(6);
        assert!(matches!(
            died(
                abort,
                "memory allocation of 6400000000 bytes failed\n",
                &limits
            ),
            SandboxError::MemoryLimit { limit_mib: 512 }
        ));
        assert!(matches!(
            died(ExitStatus::from_raw(24), "", &limits),
            SandboxError::CpuLimit { seconds: 20 }
        ));
        match died(ExitStatus::from_raw(11), "x\nsegfault here\n", &limits) {
            SandboxError::Died { status, detail } => {
                assert_eq!(status, "signal 11");
                assert_eq!(detail, "segfault here");
            }
            other => panic!("{other:?}"),
        }
    }
}
