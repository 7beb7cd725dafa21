#!/usr/bin/env python3
"""Independent DSSE verifier built on securesystemslib (>= 1.6).

    python tests/interop/dsse_verify.py (--envelope ENV.json | --bundle B.json) --key PUB.pem
        [--scheme SCHEME] [--artifact FILE] [--strict]

Verifies a bare DSSE envelope, or the ``dsseEnvelope`` of a Sigstore bundle, with
``securesystemslib.dsse.Envelope.verify`` and ONLY the given PEM public key
(``SSlibKey.from_crypto``). securesystemslib only tries a key on signatures whose keyid equals the
key's keyid, so the key is given the keyid of each envelope signature in turn; the envelope
verifies when at least one signature verifies (threshold 1). A bundle's envelope must carry
exactly one signature (Sigstore bundle rule).

--scheme overrides securesystemslib's default scheme for the key type:
  Ed25519 -> ed25519; P-256 -> ecdsa-sha2-nistp256 (SHA-256, DER sig);
  P-384 -> ecdsa-sha2-nistp384 (SHA-384, DER sig); RSA -> rsassa-pss-sha256
  (use --scheme rsa-pkcs1v15-sha256 for PKCS#1 v1.5).
--artifact: also require an in-toto subject digest (sha256/sha384/sha512) to match the file.
--strict (bundles only): the signature keyid must equal the bundle's publicKey.hint, and the hint
  must be base64(sha256(DER SPKI)) of the key.

Exit 0 + "OK" on stdout; exit 1 + "FAIL: reason" on stderr; exit 2 on usage errors.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import json
import sys

INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"


class Failure(Exception):
    pass


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # exit 2 through our own path
        raise UsageError(f"{message}\n{self.format_usage().strip()}")


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise UsageError(f"cannot read {what} {path}: {e}") from e


def _load_json(data: bytes, what: str) -> dict:
    try:
        obj = json.loads(data)
    except ValueError as e:
        raise Failure(f"{what} is not JSON: {e}") from e
    if not isinstance(obj, dict):
        raise Failure(f"{what} is not a JSON object")
    return obj


def _check_subject(payload: bytes, payload_type: str, artifact: bytes) -> None:
    if payload_type != INTOTO_PAYLOAD_TYPE:
        raise Failure(f"payloadType is {payload_type!r}, cannot bind an artifact")
    try:
        stmt = json.loads(payload)
    except ValueError as e:
        raise Failure(f"payload is not JSON: {e}") from e
    subjects = stmt.get("subject") if isinstance(stmt, dict) else None
    if not isinstance(subjects, list) or not subjects:
        raise Failure("in-toto statement has no subject")
    want = {alg: hashlib.new(alg, artifact).hexdigest() for alg in ("sha256", "sha384", "sha512")}
    for s in subjects:
        digest = s.get("digest") if isinstance(s, dict) else None
        if not isinstance(digest, dict):
            continue
        for alg, hexd in want.items():
            v = digest.get(alg)
            if isinstance(v, str) and v.lower() == hexd:
                return
    raise Failure("no in-toto subject digest matches the artifact")


def run(argv: list[str]) -> int:
    p = _Parser(prog="dsse_verify.py", description="Verify a DSSE envelope with securesystemslib.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--envelope", help="bare DSSE envelope JSON")
    src.add_argument("--bundle", help="Sigstore bundle JSON with a dsseEnvelope")
    p.add_argument("--key", required=True, help="PEM public key (SubjectPublicKeyInfo)")
    p.add_argument("--scheme", help="securesystemslib scheme (default: from the key type)")
    p.add_argument("--artifact", help="also bind an in-toto subject digest to this file")
    p.add_argument("--strict", action="store_true", help="bundle keyid/hint rules")
    args = p.parse_args(argv)

    if args.strict and not args.bundle:
        raise UsageError("--strict applies to --bundle only")

    key_pem = _read(args.key, "key")
    doc = _load_json(_read(args.envelope or args.bundle, "input"), "input")
    artifact = _read(args.artifact, "artifact") if args.artifact else None

    # Imports after argument parsing so usage errors do not depend on the venv.
    from cryptography.hazmat.primitives import serialization
    from securesystemslib.dsse import Envelope
    from securesystemslib.signer import SSlibKey

    try:
        pub = serialization.load_pem_public_key(key_pem)
    except Exception as e:  # noqa: BLE001
        raise Failure(f"cannot parse public key {args.key}: {e}") from e
    spki_der = pub.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    expected_hint = base64.b64encode(hashlib.sha256(spki_der).digest()).decode()

    if args.bundle:
        env_dict = doc.get("dsseEnvelope")
        if not isinstance(env_dict, dict):
            raise Failure("bundle has no dsseEnvelope")
        sigs = env_dict.get("signatures")
        if not isinstance(sigs, list) or len(sigs) != 1:
            n = len(sigs) if isinstance(sigs, list) else 0
            raise Failure(f"bundle dsseEnvelope must carry exactly one signature, has {n}")
        if args.strict:
            hint = (doc.get("verificationMaterial") or {}).get("publicKey", {}).get("hint")
            if hint != expected_hint:
                raise Failure(f"strict: publicKey.hint {hint!r} != base64(sha256(DER SPKI)) {expected_hint}")
            if sigs[0].get("keyid") != hint:
                raise Failure(f"strict: signature keyid {sigs[0].get('keyid')!r} != hint {hint!r}")
    else:
        env_dict = doc

    sigs = env_dict.get("signatures")
    if not isinstance(sigs, list) or not sigs:
        raise Failure("envelope has no signatures")
    for s in sigs:
        if not isinstance(s, dict) or not isinstance(s.get("sig"), str):
            raise Failure("malformed signature entry")
    # DSSE allows keyid to be absent; securesystemslib needs one: treat absent as "".
    env_dict = copy.deepcopy(env_dict)  # Envelope.from_dict mutates its input
    for s in env_dict["signatures"]:
        s.setdefault("keyid", "")
    try:
        envelope = Envelope.from_dict(env_dict)
    except Exception as e:  # noqa: BLE001
        raise Failure(f"cannot parse envelope: {type(e).__name__}: {e}") from e
    if len(envelope.signatures) != len(env_dict["signatures"]):
        raise Failure("duplicate keyids in envelope")

    try:
        base_key = SSlibKey.from_crypto(pub, scheme=args.scheme)
    except Exception as e:  # noqa: BLE001
        raise Failure(f"unsupported key/scheme: {e}") from e
    last_err = None
    for keyid in envelope.signatures:
        # Not from_crypto(keyid=...): it replaces a falsy keyid ("") with its computed default.
        key = SSlibKey(keyid, base_key.keytype, base_key.scheme, base_key.keyval)
        try:
            envelope.verify([key], 1)
        except Exception as e:  # noqa: BLE001 (VerificationError, ValueError, ...)
            last_err = f"{type(e).__name__}: {e} (keyid {keyid!r}, scheme {key.scheme})"
            continue
        if artifact is not None:
            _check_subject(envelope.payload, envelope.payload_type, artifact)
        print("OK")
        return 0
    raise Failure(f"no signature verified: {last_err}")


def main() -> int:
    try:
        return run(sys.argv[1:])
    except UsageError as e:
        print(str(e), file=sys.stderr)
        return 2
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
