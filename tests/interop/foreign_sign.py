#!/usr/bin/env python3
"""Signatures made by another tool (securesystemslib), for testing Strongroom's verifier.

    python tests/interop/foreign_sign.py dsse --key PRIV.pem --artifact FILE -o ENV.json
        [--name NAME] [--predicate-type URI] [--predicate FILE.json]
        [--keyid sslib|hint|<literal>] [--scheme SCHEME]

Builds an in-toto Statement v1 whose subject is NAME (default: the artifact's file name) with the
artifact's sha256, and signs it as a bare DSSE envelope (payloadType application/vnd.in-toto+json)
with securesystemslib's CryptoSigner and the given unencrypted PEM private key (PKCS#8 or
traditional). Ed25519, ECDSA P-256/P-384 and RSA keys work; securesystemslib picks the scheme from the
key (RSA: rsassa-pss-sha256) unless --scheme is given.

The default predicate is a minimal SLSA provenance v1. The envelope signature keyid is, by default,
securesystemslib's own keyid (sha256 hex of the canonical key JSON) -- what that tool writes on its
own; --keyid hint writes base64(sha256(DER SPKI)) instead, any other value is used literally.

Exit 0 on success, 1 on failure, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys

INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"


def default_predicate(name: str) -> dict:
    return {
        "buildDefinition": {
            "buildType": "https://strongroom.invalid/interop/foreign-sign/v1",
            "externalParameters": {"artifact": name, "signer": "securesystemslib"},
        },
        "runDetails": {"builder": {"id": "https://strongroom.invalid/interop/foreign_sign.py"}},
    }


def build_statement(name: str, digest_hex: str, predicate_type: str, predicate: dict) -> dict:
    stmt = {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": digest_hex}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    }
    # Cross-check with the in-toto reference bindings when they are installed.
    try:
        from google.protobuf import json_format
        from in_toto_attestation.v1 import statement_pb2
        from in_toto_attestation.v1.statement import Statement
    except ImportError:
        return stmt
    pb = json_format.ParseDict(stmt, statement_pb2.Statement())
    Statement.copy_from_pb(pb).validate()
    return stmt


def cmd_dsse(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives import serialization
    from securesystemslib.dsse import Envelope
    from securesystemslib.signer import CryptoSigner, SSlibKey

    with open(args.key, "rb") as f:
        priv = serialization.load_pem_private_key(f.read(), password=None)
    with open(args.artifact, "rb") as f:
        artifact = f.read()
    name = args.name or os.path.basename(args.artifact)
    if args.predicate:
        with open(args.predicate, encoding="utf-8") as f:
            predicate = json.load(f)
    else:
        predicate = default_predicate(name)

    pub = priv.public_key()
    if args.keyid == "sslib":
        keyid = None  # securesystemslib computes its default keyid
    elif args.keyid == "hint":
        der = pub.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        keyid = base64.b64encode(hashlib.sha256(der).digest()).decode()
    else:
        keyid = args.keyid
    sslib_key = SSlibKey.from_crypto(pub, keyid=keyid, scheme=args.scheme)
    signer = CryptoSigner(priv, sslib_key)

    stmt = build_statement(name, hashlib.sha256(artifact).hexdigest(), args.predicate_type, predicate)
    payload = json.dumps(stmt, separators=(",", ":"), sort_keys=True).encode()
    env = Envelope(payload, INTOTO_PAYLOAD_TYPE, {})
    env.sign(signer)
    env.verify([sslib_key], 1)  # sanity: securesystemslib accepts its own envelope

    out = json.dumps(env.to_dict(), indent=2) + "\n"
    if args.output == "-":
        sys.stdout.write(out)
    else:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(out)
    print(
        f"wrote {args.output}: keytype={sslib_key.keytype} scheme={sslib_key.scheme} "
        f"keyid={sslib_key.keyid}",
        file=sys.stderr,
    )
    return 0


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)


def main() -> int:
    p = _Parser(prog="foreign_sign.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_Parser)
    d = sub.add_parser("dsse", help="sign an in-toto Statement v1 as a bare DSSE envelope")
    d.add_argument("--key", required=True, help="PEM private key")
    d.add_argument("--artifact", required=True, help="file to name in the statement subject")
    d.add_argument("-o", "--output", required=True, help="output envelope JSON ('-' for stdout)")
    d.add_argument("--name", help="subject name (default: artifact file name)")
    d.add_argument("--predicate-type", default=SLSA_PROVENANCE_V1)
    d.add_argument("--predicate", help="predicate JSON file (default: minimal SLSA provenance v1)")
    d.add_argument("--keyid", default="sslib", help="sslib (default) | hint | <literal keyid>")
    d.add_argument("--scheme", help="securesystemslib scheme (default: from the key type)")
    args = p.parse_args()
    try:
        if args.cmd == "dsse":
            return cmd_dsse(args)
    except Exception as e:  # noqa: BLE001
        print(f"FAIL: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
