#!/usr/bin/env node
// Independent verifier for key-based, offline Sigstore bundles (no tlog, no TSA, no certificate).
//
//   node tests/interop/sigstore_verify.mjs --bundle B.json --key PUB.pem [--artifact FILE] [--strict]
//
// Verification is done by @sigstore/verify (Verifier + toSignedEntity) on a bundle parsed by
// @sigstore/bundle (bundleFromJSON). The trust material holds ONLY the given public key, keyed by
// base64(sha256(DER SPKI)); the bundle's verificationMaterial.publicKey.hint must equal it. There is
// no TUF root: thresholds are tlog=0, ctlog=0, timestamp=0.
//
// Checks added on top of @sigstore/verify (it does not do them itself when there is no tlog entry):
//   * messageSignature: messageDigest.digest must equal HASH(artifact), HASH from messageDigest.algorithm.
//   * dsseEnvelope with --artifact: payloadType must be application/vnd.in-toto+json and some subject
//     digest (sha256/sha384/sha512) must match the artifact.
// --strict adds Strongroom's format rules (docs formats.md): mediaType exactly the v0.3 one,
//   "tlogEntries":[] written explicitly, DSSE: exactly one signature whose keyid equals the hint.
//
// Exit 0 + "OK" on stdout when verified; exit 1 + "FAIL: reason" on stderr; exit 2 on usage errors.

import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { bundleFromJSON } from '@sigstore/bundle';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

const USAGE =
  'usage: node tests/interop/sigstore_verify.mjs --bundle B.json --key PUB.pem [--artifact FILE] [--strict]';
const V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
// protobuf-specs HashAlgorithm enum (JSON names) -> node crypto names
const HASHES = {
  SHA2_256: 'sha256',
  SHA2_384: 'sha384',
  SHA2_512: 'sha512',
  SHA3_256: 'sha3-256',
  SHA3_384: 'sha3-384',
};

class UsageError extends Error {}
class Failure extends Error {}

function usage(msg) {
  throw new UsageError(msg ? `${msg}\n${USAGE}` : USAGE);
}

function readInput(path, what) {
  try {
    return readFileSync(path);
  } catch (e) {
    usage(`cannot read ${what} ${path}: ${e.message}`);
  }
}

function describe(err) {
  // VerificationError carries a code; include the cause chain when present.
  let s = err.code ? `${err.code}: ${err.message}` : err.message || String(err);
  if (err.fields) s += ` (${err.fields.join(', ')})`; // @sigstore/bundle ValidationError
  if (err.cause && err.cause !== err) s += ` <- ${describe(err.cause)}`;
  return s;
}

function main(argv) {
  let opts;
  try {
    opts = parseArgs({
      args: argv,
      options: {
        bundle: { type: 'string' },
        key: { type: 'string' },
        artifact: { type: 'string' },
        strict: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    usage(e.message);
  }
  if (opts.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (!opts.bundle || !opts.key) usage('--bundle and --key are required');

  const bundleBytes = readInput(opts.bundle, 'bundle');
  const keyBytes = readInput(opts.key, 'key');
  const artifact = opts.artifact !== undefined ? readInput(opts.artifact, 'artifact') : undefined;

  // --- the public key and its hint -------------------------------------------------------------
  let keyObject;
  try {
    keyObject = createPublicKey(keyBytes); // PEM SPKI (also accepts PKCS#1 RSA PEM)
  } catch (e) {
    throw new Failure(`cannot parse public key ${opts.key}: ${e.message}`);
  }
  const spkiDer = keyObject.export({ type: 'spki', format: 'der' });
  const expectedHint = createHash('sha256').update(spkiDer).digest('base64');

  // --- parse the bundle ------------------------------------------------------------------------
  let json;
  try {
    json = JSON.parse(bundleBytes.toString('utf8'));
  } catch (e) {
    throw new Failure(`bundle is not JSON: ${e.message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Failure('bundle is not a JSON object');
  }
  let bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (e) {
    throw new Failure(`invalid bundle: ${describe(e)}`);
  }

  const vmCase = bundle.verificationMaterial?.content?.$case;
  if (vmCase !== 'publicKey') {
    throw new Failure(`verificationMaterial must be publicKey, got ${vmCase ?? 'nothing'}`);
  }
  const hint = bundle.verificationMaterial.content.publicKey.hint;
  const contentCase = bundle.content.$case;

  if (opts.strict) strictChecks(json, bundle, expectedHint);

  if (contentCase === 'messageSignature' && artifact === undefined) {
    usage('--artifact is required for a messageSignature bundle');
  }

  // --- checks @sigstore/verify does not make without a tlog entry -------------------------------
  if (contentCase === 'messageSignature') {
    const md = json.messageSignature?.messageDigest ?? {};
    const alg = HASHES[md.algorithm];
    if (!alg) throw new Failure(`unsupported messageDigest.algorithm ${JSON.stringify(md.algorithm)}`);
    const want = createHash(alg).update(artifact).digest();
    if (!want.equals(Buffer.from(bundle.content.messageSignature.messageDigest.digest))) {
      throw new Failure(`messageDigest (${md.algorithm}) does not match the artifact`);
    }
  } else if (contentCase === 'dsseEnvelope' && artifact !== undefined) {
    checkSubject(bundle.content.dsseEnvelope, artifact);
  }

  // --- @sigstore/verify ------------------------------------------------------------------------
  const emptyRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  };
  // Only this one key, under the hint derived from it. A bundle with another hint gets
  // "PUBLIC_KEY_ERROR: key not found: <hint>".
  const trust = toTrustMaterial(emptyRoot, { [expectedHint]: { rawBytes: spkiDer } });
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  let entity;
  try {
    entity = toSignedEntity(bundle, artifact);
  } catch (e) {
    throw new Failure(`cannot build signed entity: ${describe(e)}`);
  }
  try {
    verifier.verify(entity);
  } catch (e) {
    let msg = describe(e);
    if (hint !== expectedHint) msg += ` (bundle hint ${JSON.stringify(hint)}, key hint ${expectedHint})`;
    throw new Failure(msg);
  }
  process.stdout.write('OK\n');
  return 0;
}

function strictChecks(json, bundle, expectedHint) {
  const problems = [];
  if (json.mediaType !== V03_MEDIA_TYPE) problems.push(`mediaType is ${JSON.stringify(json.mediaType)}`);
  const vm = json.verificationMaterial ?? {};
  if (!Array.isArray(vm.tlogEntries) || vm.tlogEntries.length !== 0) {
    problems.push('verificationMaterial.tlogEntries must be written as []');
  }
  if (vm.publicKey?.hint !== expectedHint) problems.push('publicKey.hint is not base64(sha256(DER SPKI))');
  if (bundle.content.$case === 'dsseEnvelope') {
    const sigs = json.dsseEnvelope?.signatures ?? [];
    if (sigs.length !== 1) problems.push(`dsseEnvelope has ${sigs.length} signatures, want 1`);
    else if (sigs[0].keyid !== vm.publicKey?.hint) problems.push('dsseEnvelope signature keyid != hint');
  }
  if (problems.length) throw new Failure(`strict: ${problems.join('; ')}`);
}

function checkSubject(env, artifact) {
  if (env.payloadType !== INTOTO_PAYLOAD_TYPE) {
    throw new Failure(`payloadType is ${JSON.stringify(env.payloadType)}, cannot bind an artifact`);
  }
  let stmt;
  try {
    stmt = JSON.parse(Buffer.from(env.payload).toString('utf8'));
  } catch (e) {
    throw new Failure(`DSSE payload is not JSON: ${e.message}`);
  }
  const subjects = Array.isArray(stmt?.subject) ? stmt.subject : [];
  if (subjects.length === 0) throw new Failure('in-toto statement has no subject');
  for (const s of subjects) {
    for (const alg of ['sha256', 'sha384', 'sha512']) {
      const d = s?.digest?.[alg];
      if (typeof d === 'string' && d.toLowerCase() === createHash(alg).update(artifact).digest('hex')) return;
    }
  }
  throw new Failure('no in-toto subject digest matches the artifact');
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) {
    process.stderr.write(e.message + '\n');
    process.exitCode = 2;
  } else if (e instanceof Failure) {
    process.stderr.write(`FAIL: ${e.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`FAIL: unexpected error: ${e?.stack ?? e}\n`);
    process.exitCode = 1;
  }
}
