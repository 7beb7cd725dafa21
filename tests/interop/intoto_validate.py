#!/usr/bin/env python3
"""Checks the in-toto Statement inside a Sigstore DSSE bundle (or bare envelope) with the
in-toto-attestation package: a strict protobuf parse (unknown fields are errors) and
Statement.validate(); for SLSA provenance v1 predicates, also a strict parse of the predicate into
the Provenance proto and the spec's required fields; for SLSA verification summaries v1 (--vsa),
the same for the VerificationSummary proto.

    python tests/interop/intoto_validate.py (--bundle B.json | --envelope E.json | --statement S.json)
        [--provenance | --vsa]

Prints OK and exits 0 when valid; prints the reason and exits 1 otherwise; 2 on usage errors.
The signature is NOT checked here (see dsse_verify.py / sigstore_verify.mjs).
"""

from __future__ import annotations

import argparse
import base64
import json
import sys

from google.protobuf import json_format

import in_toto_attestation.v1.statement_pb2 as spb
from in_toto_attestation.v1.statement import Statement
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2 as ppb
from in_toto_attestation.predicates.vsa.v1 import vsa_pb2

SLSA_V1 = "https://slsa.dev/provenance/v1"
VSA_V1 = "https://slsa.dev/verification_summary/v1"


def fail(msg: str) -> None:
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def main() -> None:
    ap = argparse.ArgumentParser()
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--bundle")
    g.add_argument("--envelope")
    g.add_argument("--statement", help="an unsigned statement (JSON)")
    ap.add_argument("--provenance", action="store_true", help="require an SLSA provenance v1 predicate")
    ap.add_argument("--vsa", action="store_true", help="require an SLSA verification summary v1 predicate")
    a = ap.parse_args()
    with open(a.bundle or a.envelope or a.statement, "rb") as f:
        doc = json.load(f)
    if a.statement:
        payload = json.dumps(doc).encode()
    else:
        env = doc["dsseEnvelope"] if a.bundle else doc
        if env.get("payloadType") != "application/vnd.in-toto+json":
            fail(f"payloadType is {env.get('payloadType')!r}")
        payload = base64.b64decode(env["payload"])
    try:
        pb = json_format.Parse(payload, spb.Statement(), ignore_unknown_fields=False)
    except json_format.ParseError as e:
        fail(f"statement does not parse strictly: {e}")
    try:
        Statement.copy_from_pb(pb).validate()
    except ValueError as e:
        fail(f"statement invalid: {e}")
    if a.provenance:
        if pb.predicate_type != SLSA_V1:
            fail(f"predicateType is {pb.predicate_type!r}, not {SLSA_V1}")
        pred = json.loads(payload)["predicate"]
        try:
            prov = json_format.ParseDict(pred, ppb.Provenance(), ignore_unknown_fields=False)
        except json_format.ParseError as e:
            fail(f"SLSA provenance does not parse strictly: {e}")
        if not prov.build_definition.build_type:
            fail("buildDefinition.buildType is empty")
        if not prov.build_definition.external_parameters:
            fail("buildDefinition.externalParameters is empty")
        if not prov.run_details.builder.id:
            fail("runDetails.builder.id is empty")
    if a.vsa:
        if pb.predicate_type != VSA_V1:
            fail(f"predicateType is {pb.predicate_type!r}, not {VSA_V1}")
        pred = dict(json.loads(payload)["predicate"])
        # The spec makes verifiedLevels an array (one level per track); in-toto-attestation's
        # proto (0.9.3) still has a single string (in-toto/attestation issue 425, fixed by PR 429,
        # unreleased). The rest parses strictly into the proto; verifiedLevels is checked here
        # against the spec.
        levels = pred.pop("verifiedLevels", None)
        if not isinstance(levels, list) or not all(isinstance(x, str) for x in levels):
            fail(f"verifiedLevels is not an array of strings: {levels!r}")
        try:
            vsa = json_format.ParseDict(pred, vsa_pb2.VerificationSummary(), ignore_unknown_fields=False)
        except json_format.ParseError as e:
            fail(f"SLSA verification summary does not parse strictly: {e}")
        # The spec's required fields (slsa.dev/spec/v1.0/verification_summary).
        if not vsa.verifier.id:
            fail("verifier.id is empty")
        if not vsa.HasField("time_verified"):
            fail("timeVerified is missing")
        if not vsa.resource_uri:
            fail("resourceUri is empty")
        if not vsa.policy.uri:
            fail("policy.uri is empty")
        if vsa.verification_result not in ("PASSED", "FAILED"):
            fail(f"verificationResult is {vsa.verification_result!r}")
        if not levels:
            fail("verifiedLevels is empty")
        if vsa.verification_result == "FAILED" and levels != ["FAILED"]:
            fail(f"a FAILED verification lists levels {levels!r}")
        for level in levels:
            if level != "FAILED" and not level.startswith("SLSA_BUILD_LEVEL_"):
                fail(f"verifiedLevels holds {level!r}")
    print("OK")


if __name__ == "__main__":
    main()
