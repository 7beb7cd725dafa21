#!/usr/bin/env node
// Independent verifier for keyless (and managed-key) Sigstore evidence, offline, against a trusted
// root given as a file. Used to check that sigstore-js reaches the same verdict as our CLI.
//
//   node tests/interop/sigstore_keyless_verify.mjs --bundle B --trusted-root R
//        [--artifact FILE | --digest sha256:HEX]
//        (--identity SAN --issuer URL | --key KEY.pem)
//        [--tlog-threshold N] [--ctlog-threshold N] [--tsa-threshold N]
//
// Verification is done by @sigstore/verify 3.1.1 (Verifier + toSignedEntity) on bundles parsed by
// @sigstore/bundle (bundleFromJSON). The trust material is made from the root file as sigstore-js's
// conformance client (packages/conformance, verify-bundle --trusted-root) makes it:
// toTrustMaterial(TrustedRoot.fromJSON(json)), TrustedRoot from @sigstore/protobuf-specs.
// A root file of several JSON lines (`gh attestation trusted-root` output) is merged into one:
// tlogs, ctlogs, certificateAuthorities and timestampAuthorities are concatenated.
// Nothing is fetched: there is no TUF and no network access.
//
// What the bundle file may hold (recognised by its content):
//   * one Sigstore bundle (JSON);
//   * JSON lines, one bundle per line (gh attestation download): verified when any line verifies;
//   * a PEP 740 attestation {version:1, verification_material:{certificate, transparency_entries},
//     envelope:{statement, signature}}: converted to the v0.3 bundle it maps to (certificate ->
//     verificationMaterial.certificate.rawBytes, transparency_entries -> tlogEntries, statement ->
//     dsseEnvelope.payload with payloadType application/vnd.in-toto+json, signature ->
//     dsseEnvelope.signatures[0].sig), as pypi-attestations' to_bundle() does;
//   * a PyPI provenance file: every attestation_bundles[].attestations[] item, converted the same
//     way; verified when any of them verifies.
//
// Policy: --identity must equal the certificate's SAN exactly (sigstore-js takes the SAN as a regular
// expression: the value is escaped and anchored), --issuer the Fulcio issuer extension exactly.
// --key: the PEM public key is put into the trust material under the hint the bundle names (the hint
// is not authenticated, so it is not required to match the key), and no identity policy applies.
//
// Thresholds: --tlog-threshold and --ctlog-threshold go to the Verifier as they are (default 1, the
// sigstore-js default). sigstore-js's timestamp threshold counts every verified time together
// (RFC 3161 timestamps and signed tlog integration times); it is left at 1 for a certificate, which
// sigstore-js cannot check without a verified time, and 0 for a key. --tsa-threshold N (default 0)
// is checked here: the entity must carry at least N RFC 3161 timestamps; sigstore-js has verified
// each one against the root's timestamp authorities (it throws on any that does not verify).
//
// Checks added on top of @sigstore/verify (it does not make them itself):
//   * dsseEnvelope with --artifact/--digest: payloadType must be application/vnd.in-toto+json and
//     some subject digest (sha256/sha384/sha512) must equal the artifact's; with --digest only a
//     sha256 subject can match.
//   * messageSignature with --artifact: sigstore-js verifies the signature over the file's bytes
//     (the data it is given) and compares messageDigest with the tlog entry; here messageDigest is
//     also compared with HASH(file), HASH from messageDigest.algorithm.
// messageSignature with --digest only cannot be checked: sigstore-js verifies a message signature
// over the artifact's bytes and has no documented way to verify it from a digest (exit 3).
//
// Exit codes: 0 + "OK" on stdout when verified; 1 + "FAIL: reason" on stderr when not verified (any
// sigstore-js error is a verification failure, with its message); 2 on usage errors or files that
// cannot be read from disk; 3 + "UNSUPPORTED: reason" on stderr for input sigstore-js cannot check (an unsupported
// tlog entry kind or version, a message signature given by digest, or a sigstore-js crash).

import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

const USAGE =
  'usage: node tests/interop/sigstore_keyless_verify.mjs --bundle B --trusted-root R ' +
  '[--artifact FILE | --digest sha256:HEX] (--identity SAN --issuer URL | --key KEY.pem) ' +
  '[--tlog-threshold N] [--ctlog-threshold N] [--tsa-threshold N]';
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
// sigstore-js messages that say it cannot handle the input, rather than that it does not verify.
const UNSUPPORTED_MESSAGES = [
  /unsupported (kind|version|dsse version|intoto version|hashedrekord version)/i,
];

class UsageError extends Error {}
class Failure extends Error {}
class Unsupported extends Error {}

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

function count(value, flag) {
  if (value === undefined) return undefined;
  if (!/^[0-9]+$/.test(value)) usage(`${flag} must be a number, got ${JSON.stringify(value)}`);
  return Number(value);
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

// --- input files --------------------------------------------------------------------------------

// The JSON documents in a file: one JSON value, or JSON lines (one value per non-empty line).
function jsonDocuments(bytes, what) {
  const text = bytes.toString('utf8');
  try {
    return [JSON.parse(text)];
  } catch (whole) {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    if (lines.length < 2) throw new Failure(`${what} is not JSON: ${whole.message}`);
    return lines.map((l, i) => {
      try {
        return JSON.parse(l);
      } catch (e) {
        throw new Failure(`${what} line ${i + 1} is not JSON: ${e.message}`);
      }
    });
  }
}

function readTrustedRoot(bytes, path) {
  const docs = jsonDocuments(bytes, `trusted root ${path}`);
  const merged = { tlogs: [], ctlogs: [], certificateAuthorities: [], timestampAuthorities: [] };
  for (const doc of docs) {
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      throw new Failure(`trusted root ${path} is not a JSON object`);
    }
    let root;
    try {
      root = TrustedRoot.fromJSON(doc);
    } catch (e) {
      throw new Failure(`trusted root ${path}: ${describe(e)}`);
    }
    for (const k of Object.keys(merged)) merged[k].push(...(root[k] ?? []));
  }
  return merged;
}

// The bundles (as JSON) a file holds, each with a label for messages.
function bundlesIn(bytes) {
  const docs = jsonDocuments(bytes, 'bundle');
  const out = [];
  docs.forEach((doc, i) => {
    const where = docs.length > 1 ? `line ${i + 1}` : 'bundle';
    if (doc !== null && typeof doc === 'object' && Array.isArray(doc.attestation_bundles)) {
      doc.attestation_bundles.forEach((ab, j) => {
        (ab?.attestations ?? []).forEach((att, k) => {
          const at = `${where} attestation_bundles[${j}].attestations[${k}]`;
          out.push({ where: at, json: pep740ToBundle(att) });
        });
      });
    } else if (doc !== null && typeof doc === 'object' && doc.verification_material && doc.envelope) {
      out.push({ where: `${where} (PEP 740 attestation)`, json: pep740ToBundle(doc) });
    } else {
      out.push({ where, json: doc });
    }
  });
  if (out.length === 0) throw new Failure('the file holds no bundle');
  return out;
}

function pep740ToBundle(att) {
  if (att?.version !== 1) {
    throw new Failure(`PEP 740 attestation version ${JSON.stringify(att?.version)}, want 1`);
  }
  const vm = att.verification_material ?? {};
  const env = att.envelope ?? {};
  return {
    mediaType: V03_MEDIA_TYPE,
    verificationMaterial: {
      certificate: { rawBytes: vm.certificate },
      tlogEntries: vm.transparency_entries ?? [],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    dsseEnvelope: {
      payload: env.statement,
      payloadType: INTOTO_PAYLOAD_TYPE,
      signatures: [{ sig: env.signature }],
    },
  };
}

// --- checks on top of @sigstore/verify ----------------------------------------------------------

function checkSubject(env, target) {
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
      const want = target.hex(alg);
      if (typeof d === 'string' && want !== undefined && d.toLowerCase() === want) return;
    }
  }
  throw new Failure(`no in-toto subject digest matches the ${target.what}`);
}

// --- one bundle ---------------------------------------------------------------------------------

function verifyOne(json, ctx) {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Failure('bundle is not a JSON object');
  }
  let bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (e) {
    throw new Failure(`invalid bundle: ${describe(e)}`);
  }
  const contentCase = bundle.content.$case;
  const vmCase = bundle.verificationMaterial.content.$case;

  let data;
  if (contentCase === 'messageSignature') {
    if (ctx.target === undefined) usage('--artifact is required for a messageSignature bundle');
    if (ctx.target.bytes === undefined) {
      throw new Unsupported(
        'messageSignature given by digest: sigstore-js verifies a message signature over the ' +
          "artifact's bytes and has no way to verify it from a digest",
      );
    }
    data = ctx.target.bytes;
  }

  const hint = vmCase === 'publicKey' ? bundle.verificationMaterial.content.publicKey.hint : undefined;
  let keys = {};
  if (ctx.keyDer !== undefined) {
    if (vmCase !== 'publicKey') {
      throw new Failure(`--key given but the bundle's verificationMaterial is ${vmCase}`);
    }
    keys = { [hint]: { rawBytes: ctx.keyDer } };
  }
  let trust;
  try {
    trust = toTrustMaterial(ctx.root, keys);
  } catch (e) {
    throw new Failure(`trusted root: ${describe(e)}`);
  }
  const verifier = new Verifier(trust, {
    tlogThreshold: ctx.tlogThreshold ?? 1,
    ctlogThreshold: ctx.ctlogThreshold ?? 1,
    timestampThreshold: vmCase === 'publicKey' ? 0 : 1,
  });
  let entity;
  try {
    entity = toSignedEntity(bundle, data);
  } catch (e) {
    throw new Failure(`cannot build signed entity: ${describe(e)}`);
  }
  const policy =
    ctx.identity !== undefined
      ? { subjectAlternativeName: `^${escapeRegExp(ctx.identity)}$`, extensions: { issuer: ctx.issuer } }
      : undefined;
  try {
    verifier.verify(entity, policy);
  } catch (e) {
    const msg = describe(e);
    if (UNSUPPORTED_MESSAGES.some((re) => re.test(msg))) throw new Unsupported(`sigstore-js: ${msg}`);
    // A TypeError is sigstore-js tripping over a field it does not expect (it has no code).
    if (e instanceof TypeError && !e.code) throw new Unsupported(`sigstore-js crashed: ${msg}`);
    throw new Failure(`sigstore-js: ${msg}`);
  }

  const tsa = entity.timestamps.filter((t) => t.$case === 'timestamp-authority').length;
  if (tsa < ctx.tsaThreshold) {
    throw new Failure(`expected ${ctx.tsaThreshold} RFC 3161 timestamps, got ${tsa}`);
  }
  if (contentCase === 'dsseEnvelope' && ctx.target !== undefined) {
    checkSubject(bundle.content.dsseEnvelope, ctx.target);
  } else if (contentCase === 'messageSignature') {
    const md = json.messageSignature?.messageDigest ?? {};
    const alg = HASHES[md.algorithm];
    if (!alg) throw new Failure(`unsupported messageDigest.algorithm ${JSON.stringify(md.algorithm)}`);
    const want = createHash(alg).update(data).digest();
    if (!want.equals(Buffer.from(bundle.content.messageSignature.messageDigest.digest))) {
      throw new Failure(`messageDigest (${md.algorithm}) does not match the artifact`);
    }
  }
}

// --- main ---------------------------------------------------------------------------------------

function main(argv) {
  let opts;
  try {
    opts = parseArgs({
      args: argv,
      options: {
        bundle: { type: 'string' },
        'trusted-root': { type: 'string' },
        artifact: { type: 'string' },
        digest: { type: 'string' },
        identity: { type: 'string' },
        issuer: { type: 'string' },
        key: { type: 'string' },
        'tlog-threshold': { type: 'string' },
        'ctlog-threshold': { type: 'string' },
        'tsa-threshold': { type: 'string' },
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
  if (!opts.bundle || !opts['trusted-root']) usage('--bundle and --trusted-root are required');
  if (opts.artifact !== undefined && opts.digest !== undefined) {
    usage('give --artifact or --digest, not both');
  }
  const keyless = opts.identity !== undefined || opts.issuer !== undefined;
  if (keyless === (opts.key !== undefined)) usage('give --identity and --issuer, or --key');
  if (keyless && (opts.identity === undefined || opts.issuer === undefined)) {
    usage('--identity and --issuer go together');
  }

  const ctx = {
    identity: opts.identity,
    issuer: opts.issuer,
    tlogThreshold: count(opts['tlog-threshold'], '--tlog-threshold'),
    ctlogThreshold: count(opts['ctlog-threshold'], '--ctlog-threshold'),
    tsaThreshold: count(opts['tsa-threshold'], '--tsa-threshold') ?? 0,
  };

  if (opts.artifact !== undefined) {
    const bytes = readInput(opts.artifact, 'artifact');
    ctx.target = { what: 'artifact', bytes, hex: (alg) => createHash(alg).update(bytes).digest('hex') };
  } else if (opts.digest !== undefined) {
    const m = /^sha256:([0-9a-fA-F]{64})$/.exec(opts.digest);
    if (!m) usage(`--digest must be sha256:HEX (64 hex digits), got ${JSON.stringify(opts.digest)}`);
    const hex = m[1].toLowerCase();
    ctx.target = { what: 'digest', bytes: undefined, hex: (alg) => (alg === 'sha256' ? hex : undefined) };
  }

  const bundleBytes = readInput(opts.bundle, 'bundle');
  const rootBytes = readInput(opts['trusted-root'], 'trusted root');
  if (opts.key !== undefined) {
    const keyBytes = readInput(opts.key, 'key');
    try {
      ctx.keyDer = createPublicKey(keyBytes).export({ type: 'spki', format: 'der' });
    } catch (e) {
      throw new Failure(`cannot parse public key ${opts.key}: ${e.message}`);
    }
  }
  ctx.root = readTrustedRoot(rootBytes, opts['trusted-root']);

  const bundles = bundlesIn(bundleBytes);
  const failures = [];
  const unsupported = [];
  for (const { where, json } of bundles) {
    try {
      verifyOne(json, ctx);
      process.stdout.write(bundles.length > 1 ? `OK (${where})\n` : 'OK\n');
      return 0;
    } catch (e) {
      if (e instanceof Unsupported) unsupported.push(`${where}: ${e.message}`);
      else if (e instanceof Failure) failures.push(`${where}: ${e.message}`);
      else throw e;
    }
  }
  const one = (list) => (bundles.length > 1 ? list.join('; ') : list[0].replace(/^bundle: /, ''));
  // A file verifies when one of its bundles does: with none verified, one that could not be checked
  // leaves the file's verdict open.
  if (unsupported.length > 0) throw new Unsupported(one([...unsupported, ...failures]));
  throw new Failure(one(failures));
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) {
    process.stderr.write(e.message + '\n');
    process.exitCode = 2;
  } else if (e instanceof Unsupported) {
    process.stderr.write(`UNSUPPORTED: ${e.message}\n`);
    process.exitCode = 3;
  } else if (e instanceof Failure) {
    process.stderr.write(`FAIL: ${e.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`FAIL: unexpected error: ${e?.stack ?? e}\n`);
    process.exitCode = 1;
  }
}
