//! The policy evaluator alone (`strongroom-sandbox --strongroom-sandbox=rego`), for tests of
//! `strongroom-ops` and for packagers who prefer a small helper (`STRONGROOM_SANDBOX_EXE`).

fn main() {
    match strongroom_ops::sandbox::serve_if_child() {
        Some(code) => std::process::exit(code),
        None => {
            eprintln!(
                "strongroom-sandbox: evaluates one policy request on stdin; it is started by Strongroom with {}",
                strongroom_ops::sandbox::SANDBOX_ARG
            );
            std::process::exit(2);
        }
    }
}
