#!/usr/bin/env python3
"""Independent reader of what strongroom-publish wrote to an OCI registry, over plain HTTP
(urllib only, no OCI library of ours): the tags, the release index under TAG, and for every
manifest the index lists, its referrers as the referrers tag schema lists them
(`sha256-<hex>`), each descriptor's artifactType and annotations, each referrer's layers
fetched and checked against their digests, and cosign's `sha256-<hex>.sig` signatures (each
payload and its signature annotation).

    python3 tests/interop/oci_referrers.py http://127.0.0.1:PORT REPOSITORY TAG

Prints one JSON object; exit 1 when anything does not hold (a digest, a missing tag).

    python3 tests/interop/oci_referrers.py pull http://127.0.0.1:PORT REPOSITORY TAG DIR

pulls everything back into an OCI image layout at DIR: the release index under TAG, every
manifest it lists with its config and layers, their referrers through the tag schema with
theirs, and their cosign `.sig` tags; index.json names each tag it pulled.

For a registry behind TLS and basic auth, OCI_READER_CAFILE names the CA's PEM and
OCI_READER_AUTH holds `user:password`."""
import base64
import hashlib
import json
import os
import ssl
import sys
import urllib.request

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


CONTEXT = ssl.create_default_context(cafile=os.environ["OCI_READER_CAFILE"]) \
    if os.environ.get("OCI_READER_CAFILE") else None
AUTH = os.environ.get("OCI_READER_AUTH")


def get(url, accept=None):
    headers = {"Accept": accept} if accept else {}
    if AUTH:
        headers["Authorization"] = "Basic " + base64.b64encode(AUTH.encode()).decode()
    req = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(req, context=CONTEXT) as r:
        return r.read(), r.headers.get("Content-Type", "")


def main():
    base, repo, tag = sys.argv[1:4]
    v2 = f"{base}/v2/{repo}"
    tags = json.loads(get(f"{v2}/tags/list")[0])["tags"]
    raw, ctype = get(f"{v2}/manifests/{tag}", f"{INDEX}, {MANIFEST}")
    index = json.loads(raw)
    out = {"tags": sorted(tags), "index": {"digest": "sha256:" + hashlib.sha256(raw).hexdigest(),
                                            "mediaType": index.get("mediaType"),
                                            "artifactType": index.get("artifactType"),
                                            "annotations": index.get("annotations", {})},
           "artifacts": []}
    subjects = [("sha256:" + hashlib.sha256(raw).hexdigest(), None)] + [
        (m["digest"], m) for m in index["manifests"]]
    for digest, desc in subjects:
        entry = {"digest": digest, "artifactType": desc.get("artifactType") if desc else index.get("artifactType"),
                 "title": (desc or {}).get("annotations", {}).get("org.opencontainers.image.title"),
                 "referrers": []}
        schema_tag = digest.replace(":", "-", 1)
        if schema_tag in tags:
            ridx = json.loads(get(f"{v2}/manifests/{schema_tag}", INDEX)[0])
            for r in ridx["manifests"]:
                rec = {"digest": r["digest"], "artifactType": r.get("artifactType"),
                       "annotations": r.get("annotations", {})}
                try:
                    mraw, _ = get(f"{v2}/manifests/{r['digest']}", MANIFEST)
                except Exception as e:  # noqa: BLE001 - a foreign descriptor may point nowhere
                    rec["missing"] = str(e)
                    entry["referrers"].append(rec)
                    continue
                if "sha256:" + hashlib.sha256(mraw).hexdigest() != r["digest"]:
                    sys.exit(f"manifest {r['digest']} does not hash to its digest")
                m = json.loads(mraw)
                rec["subject"] = m.get("subject", {}).get("digest")
                rec["layers"] = []
                for layer in m.get("layers", []):
                    blob, _ = get(f"{v2}/blobs/{layer['digest']}")
                    if "sha256:" + hashlib.sha256(blob).hexdigest() != layer["digest"]:
                        sys.exit(f"blob {layer['digest']} does not hash to its digest")
                    rec["layers"].append({"mediaType": layer["mediaType"], "size": len(blob),
                                          "title": layer.get("annotations", {}).get("org.opencontainers.image.title")})
                entry["referrers"].append(rec)
        # cosign's signature tag: each layer a simple-signing payload, its signature annotated.
        if schema_tag + ".sig" in tags:
            sraw, _ = get(f"{v2}/manifests/{schema_tag}.sig", MANIFEST)
            entry["cosign"] = []
            for layer in json.loads(sraw).get("layers", []):
                blob, _ = get(f"{v2}/blobs/{layer['digest']}")
                if "sha256:" + hashlib.sha256(blob).hexdigest() != layer["digest"]:
                    sys.exit(f"blob {layer['digest']} does not hash to its digest")
                entry["cosign"].append({
                    "mediaType": layer["mediaType"], "payload": blob.decode(),
                    "signature": layer.get("annotations", {}).get("dev.cosignproject.cosign/signature")})
        out["artifacts"].append(entry)
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


def pull(base, repo, tag, out):
    v2 = f"{base}/v2/{repo}"
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    tags = json.loads(get(f"{v2}/tags/list")[0])["tags"]

    def save(raw, digest):
        if "sha256:" + hashlib.sha256(raw).hexdigest() != digest:
            sys.exit(f"{digest} does not hash to its digest")
        with open(os.path.join(out, "blobs", "sha256", digest.split(":", 1)[1]), "wb") as f:
            f.write(raw)

    def manifest(ref):
        raw, ctype = get(f"{v2}/manifests/{ref}", f"{INDEX}, {MANIFEST}, "
                         "application/vnd.docker.distribution.manifest.v2+json")
        digest = "sha256:" + hashlib.sha256(raw).hexdigest()
        save(raw, digest)
        m = json.loads(raw)
        for d in ([m["config"]] if "config" in m else []) + m.get("layers", []):
            save(get(f"{v2}/blobs/{d['digest']}")[0], d["digest"])
        return m, {"mediaType": m.get("mediaType", ctype), "digest": digest, "size": len(raw)}

    listed = []
    release, desc = manifest(tag)
    listed.append((tag, desc))
    subjects = [desc["digest"]]
    for d in release["manifests"]:
        manifest(d["digest"])
        subjects.append(d["digest"])
    for s in subjects:
        schema = s.replace(":", "-", 1)
        for t in (schema, schema + ".sig"):
            if t not in tags:
                continue
            m, desc = manifest(t)
            listed.append((t, desc))
            for r in m.get("manifests", []):
                manifest(r["digest"])
    entries = []
    for t, desc in listed:
        desc = dict(desc)
        desc["annotations"] = {"org.opencontainers.image.ref.name": t}
        entries.append(desc)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": INDEX, "manifests": entries}, f)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    json.dump({"tags": [t for t, _ in listed]}, sys.stdout)


if __name__ == "__main__":
    if sys.argv[1] == "pull":
        pull(*sys.argv[2:6])
    else:
        main()
