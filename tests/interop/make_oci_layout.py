#!/usr/bin/env python3
"""Makes a small OCI image layout for the tests, with Python's standard library only: one gzip
layer holding etc/os-release, its config, the manifest, and index.json naming the manifest TAG.
Prints {"digest": "sha256:<manifest digest>"}. The same arguments give the same bytes.

    python3 tests/interop/make_oci_layout.py DIR TAG [EXTRA-OS-RELEASE-LINE]
"""
import gzip, hashlib, io, json, os, sys, tarfile
out, tag = sys.argv[1], sys.argv[2]
blobs = os.path.join(out, "blobs", "sha256")
os.makedirs(blobs, exist_ok=True)
def put(data, media_type):
    hex = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, hex), "wb") as f:
        f.write(data)
    return {"mediaType": media_type, "digest": "sha256:" + hex, "size": len(data)}
def js(v):
    return json.dumps(v, separators=(",", ":")).encode()
os_release = b"""NAME="Strongroom test"
ID=strongroom-test
VERSION_ID=1.0
""" + (sys.argv[3].encode() + b"\n" if len(sys.argv) > 3 else b"")
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as t:
    d = tarfile.TarInfo("etc")
    d.type, d.mode = tarfile.DIRTYPE, 0o755
    t.addfile(d)
    f = tarfile.TarInfo("etc/os-release")
    f.size, f.mode = len(os_release), 0o644
    t.addfile(f, io.BytesIO(os_release))
tar = raw.getvalue()
layer = put(gzip.compress(tar, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip")
diff_id = "sha256:" + hashlib.sha256(tar).hexdigest()
config = put(js({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [diff_id]}, "config": {}}),
             "application/vnd.oci.image.config.v1+json")
manifest = put(js({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": config, "layers": [layer]}),
               "application/vnd.oci.image.manifest.v1+json")
with open(os.path.join(out, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
               "manifests": [dict(manifest, annotations={"org.opencontainers.image.ref.name": tag})]}, f)
print(json.dumps({"digest": manifest["digest"]}))
