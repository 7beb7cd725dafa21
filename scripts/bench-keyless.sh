#!/usr/bin/env bash
# Verifying a folder of N keyless Sigstore bundles (default 1,000) in one command, offline, against
# two peers measured in the same run:
#   * the raw rate of the signature verifications one bundle holds (four ECDSA P-256 and one P-384:
#     certificate, SCT, SET, checkpoint, signature), on every core, with the same RustCrypto code
#     (crates/strongroom-sigstore/examples/raw_signature_rate.rs);
#   * sigstore-python 4.5.1 (`sigstore verify identity --offline`) verifying the same files with the
#     same trusted root, installed into target/bench-sigstore-python from PyPI on first use.
# The issue's goals: >= 0.5x the raw rate, and >= 20x sigstore-python. Each bundle is the public-good
# keyless blob signature in tests/fixtures/sigstore/keyless/ (hashedrekord entry, inclusion proof,
# checkpoint, embedded SCT), under N names beside N copies of its file. Results: docs/benchmarks.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
N="${1:-1000}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
FIX="$ROOT/tests/fixtures/sigstore/keyless"
cargo build --release -q -p strongroom-cli
cargo build --release -q -p strongroom-sigstore --example raw_signature_rate
SR="$TARGET/release/strongroom"
W="$(mktemp -d -t strongroom-bench-keyless.XXXXXX)"
trap 'rm -rf "$W"' EXIT
mkdir "$W/signed"
for i in $(seq 1 "$N"); do
  cp "$FIX/artifact.txt" "$W/signed/artifact-$i.txt"
  cp "$FIX/bundle.v3.sigstore" "$W/signed/artifact-$i.txt.sigstore.json"
done
ID=(--certificate-identity appu@google.com --certificate-oidc-issuer https://accounts.google.com)

now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }
best=""
for run in 1 2 3; do
  t0="$(now)"
  unshare -n "$SR" verify --trusted-root "$FIX/public-good-trusted_root.json" "${ID[@]}" "$W/signed" >"$W/out.txt"
  t1="$(now)"
  s="$(calc "$t1 - $t0")"
  if [ -z "$best" ] || [ "$(calc "int($s < $best)")" = 1 ]; then best="$s"; fi
done
grep -q "VERIFIED: all $N bundles" "$W/out.txt" || { echo "bench-keyless: not every bundle verified" >&2; tail -3 "$W/out.txt" >&2; exit 1; }
ours="$(calc "$N / $best")"

raw_json="$("$TARGET/release/examples/raw_signature_rate" 3)"
raw="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["raw_bundles_per_s"])' "$raw_json")"

VENV="$TARGET/bench-sigstore-python"
if [ ! -x "$VENV/bin/sigstore" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "sigstore==4.5.1"
fi
STORE="$("$VENV/bin/python" -c 'import sigstore, os; print(os.path.join(os.path.dirname(sigstore.__file__), "_store", "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev"))')"
python3 - "$FIX/public-good-trusted_root.json" "$STORE/signing_config.v0.2.json" "$W/trust-config.json" <<'PY'
import json, sys
root, signing, out = sys.argv[1:]
json.dump({"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
           "trustedRoot": json.load(open(root)), "signingConfig": json.load(open(signing))},
          open(out, "w"))
PY
t0="$(now)"
unshare -n "$VENV/bin/sigstore" --trust-config "$W/trust-config.json" verify identity --offline \
  --cert-identity appu@google.com --cert-oidc-issuer https://accounts.google.com \
  "$W"/signed/artifact-*.txt >"$W/py.txt" 2>&1 || { echo "bench-keyless: sigstore-python failed" >&2; tail -5 "$W/py.txt" >&2; exit 1; }
t1="$(now)"
py_s="$(calc "$t1 - $t0")"
py="$(calc "$N / $py_s")"
ok="$(grep -c '^OK' "$W/py.txt" || true)"
[ "$ok" = "$N" ] || { echo "bench-keyless: sigstore-python verified $ok of $N" >&2; exit 1; }

printf 'bundles: %d, cores: %d\n' "$N" "$(nproc)"
printf 'strongroom verify (folder):  %.2f s, %.0f bundles/s (best of 3)\n' "$best" "$ours"
printf 'raw signature rate:          %s -> %.0f bundles/s\n' "$raw_json" "$raw"
printf 'sigstore-python 4.5.1:       %.2f s, %.1f bundles/s\n' "$py_s" "$py"
printf 'ratio to raw:                %.2fx (goal >= 0.5x)\n' "$(calc "$ours / $raw")"
printf 'ratio to sigstore-python:    %.1fx (goal >= 20x)\n' "$(calc "$ours / $py")"
