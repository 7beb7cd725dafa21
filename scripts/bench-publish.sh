#!/usr/bin/env bash
# Publishing a 1 GiB artifact (SIZE_MIB, default 1024) to a loopback registry (Debian's
# docker-registry, distribution 2.8, started here with its own storage), against `skopeo copy` of
# the same bytes as a one-layer image from an OCI layout to the same registry, in the same run.
# Reports throughput and each one's peak RSS (/usr/bin/time). The issue's goals: >= 0.8x skopeo's
# throughput, and peak RSS < 64 MiB whatever the size. Results: docs/benchmarks.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MIB="${SIZE_MIB:-1024}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
for t in docker-registry skopeo /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "bench-publish: $t is missing (scripts/install-deps.sh test)" >&2; exit 1; }
done
cargo build --release -q -p strongroom-cli -p strongroom-publish
SR="$TARGET/release/strongroom"
PUB="$TARGET/release/strongroom-publish"
W="$(mktemp -d -t strongroom-bench-publish.XXXXXX)"
REG_PID=""
cleanup() { [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat > "$W/registry.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $W/registry
http:
  addr: 127.0.0.1:$PORT
YML
docker-registry serve "$W/registry.yml" >/dev/null 2>&1 &
REG_PID=$!
for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

# The station: a release of one MIB-MiB artifact, and its trust package.
. "$ROOT/scripts/bench-station.sh"
"$SR" key generate --algorithm ed25519 --label custody --purpose custodian >/dev/null
"$SR" key export custody -o "$W/custody.pub"
"$SR" trust add "$W/custody.pub" --name custody --purpose custodian --holder bench >/dev/null
"$SR" trust export --key custody -o "$W/pkg.json" >/dev/null
mkdir -p "$W/art"
head -c "$((MIB << 20))" /dev/urandom > "$W/art/big.bin"
"$SR" release create --name bench --version 1 --stage dev --key rel --sbom none -o "$W/rel.zip" "$W/art/big.bin" >/dev/null

# skopeo's input: an OCI layout holding the same bytes as its one layer.
python3 - "$W/art/big.bin" "$W/layout" <<'PY'
import hashlib, json, os, shutil, sys
src, out = sys.argv[1:]
os.makedirs(f"{out}/blobs/sha256")
h = hashlib.sha256()
with open(src, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
layer = h.hexdigest()
shutil.copyfile(src, f"{out}/blobs/sha256/{layer}")
def blob(b):
    d = hashlib.sha256(b).hexdigest()
    open(f"{out}/blobs/sha256/{d}", "wb").write(b)
    return d, len(b)
cd, cs = blob(json.dumps({"architecture": "amd64", "os": "linux",
    "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer}"]}}).encode())
md, ms = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": f"sha256:{cd}", "size": cs},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": f"sha256:{layer}",
                "size": os.path.getsize(src)}]}).encode())
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": f"sha256:{md}", "size": ms, "annotations": {"org.opencontainers.image.ref.name": "1"}}]},
    open(f"{out}/index.json", "w"))
open(f"{out}/oci-layout", "w").write('{"imageLayoutVersion": "1.0.0"}')
PY

now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }
t0="$(now)"
/usr/bin/time -f "%M" -o "$W/pub.rss" "$PUB" "$W/rel.zip" --to "127.0.0.1:$PORT/bench/strongroom" \
  --trust "$W/pkg.json" --artifacts "$W/art" --plain-http-loopback >/dev/null 2>"$W/pub.err" \
  || { cat "$W/pub.err" >&2; exit 1; }
t1="$(now)"
/usr/bin/time -f "%M" -o "$W/sko.rss" skopeo copy -q --dest-tls-verify=false \
  "oci:$W/layout:1" "docker://127.0.0.1:$PORT/bench/skopeo:1" >/dev/null
t2="$(now)"
# What of strongroom-publish's time is the verification it makes first (the same as verify).
"$SR" verify --trust "$W/pkg.json" --artifacts "$W/art" "$W/rel.zip" >/dev/null
t3="$(now)"
pub_s="$(calc "$t1 - $t0")"; sko_s="$(calc "$t2 - $t1")"; ver_s="$(calc "$t3 - $t2")"
printf 'artifact: %d MiB, cores: %d\n' "$MIB" "$(nproc)"
printf 'strongroom-publish (verify + push): %.2f s, %.0f MiB/s, peak RSS %d MiB\n' "$pub_s" "$(calc "$MIB / $pub_s")" "$(( $(cat "$W/pub.rss") / 1024 ))"
printf 'skopeo copy (push only):            %.2f s, %.0f MiB/s, peak RSS %d MiB\n' "$sko_s" "$(calc "$MIB / $sko_s")" "$(( $(cat "$W/sko.rss") / 1024 ))"
printf 'of which verification:              %.2f s (strongroom verify of the same bundle)\n' "$ver_s"
printf 'throughput ratio: %.2fx skopeo, whole publish; %.2fx, push alone (goal >= 0.8x)\n' \
  "$(calc "$sko_s / $pub_s")" "$(calc "$sko_s / ($pub_s - $ver_s)")"
