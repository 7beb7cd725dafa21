#!/usr/bin/env node
// Sigstore bundles made by another tool (@sigstore/sign's bundle builders), for testing Strongroom's
// verifier.
//
//   node tests/interop/foreign_sign.mjs blob --key PRIV.pem --artifact FILE -o B.json [options]
//   node tests/interop/foreign_sign.mjs dsse --key PRIV.pem --artifact FILE -o B.json [options]
//
// blob: MessageSignatureBundleBuilder over the artifact bytes (messageSignature, SHA2_256 digest).
//       ECDSA and RSA keys only: sigstore-js cannot verify an Ed25519 messageSignature.
// dsse: DSSEBundleBuilder over an in-toto Statement v1 (subject = NAME + sha256 of the artifact,
//       predicate = minimal SLSA provenance v1), payloadType application/vnd.in-toto+json.
//
// The signer is a custom @sigstore/sign Signer around node:crypto and the given unencrypted PEM private
// key. Verification material is publicKey{hint}, hint = base64(sha256(DER SPKI)); no witnesses (no
// tlog, no TSA), so the bundle has no tlog entries (see --tlog-entries-array).
//
// Options:
//   --name NAME             subject name for dsse (default: the artifact's file name)
//   --hash sha256|sha384|sha512|none
//                           digest given to crypto.sign. Default: none for Ed25519, sha256 otherwise
//                           (what sigstore-js's own signer does, and what @sigstore/verify uses for
//                           DSSE with any EC key: OpenSSL's default digest for EC is SHA-256).
//   --hint STR              write this hint (and DSSE keyid) instead of the derived one
//   --keep-media-type       keep the builder's mediaType. @sigstore/sign 4.x labels messageSignature
//                           bundles v0.2 ('application/vnd.dev.sigstore.bundle+json;version=0.2') even
//                           for public keys; by default it is rewritten to the v0.3 media type.
//   --tlog-entries-array    write "tlogEntries":[] (protobuf JSON, and so the builder, omits it)
//
// Exit 0 on success, 1 on failure, 2 on usage errors.

import { createHash, createPrivateKey, createPublicKey, sign as cryptoSign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

import { BUNDLE_V03_MEDIA_TYPE, bundleToJSON } from '@sigstore/bundle';
import { DSSEBundleBuilder, MessageSignatureBundleBuilder } from '@sigstore/sign';

const USAGE =
  'usage: node tests/interop/foreign_sign.mjs (blob|dsse) --key PRIV.pem --artifact FILE -o B.json\n' +
  '         [--name NAME] [--hash sha256|sha384|sha512|none] [--hint STR] [--keep-media-type]\n' +
  '         [--tlog-entries-array]';
const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

class UsageError extends Error {}

// A @sigstore/sign Signer backed by a PEM private key.
class PemKeySigner {
  constructor(privateKey, hash, hint) {
    this.privateKey = privateKey;
    this.hash = hash;
    const pub = createPublicKey(privateKey);
    this.publicKeyPem = pub.export({ type: 'spki', format: 'pem' }).toString('ascii');
    this.hint = hint;
  }

  async sign(data) {
    // ECDSA: node's default dsaEncoding is 'der' (ASN.1 SEQUENCE{r,s}). RSA: PKCS#1 v1.5.
    const signature = cryptoSign(this.hash, data, this.privateKey);
    return { signature, key: { $case: 'publicKey', publicKey: this.publicKeyPem, hint: this.hint } };
  }
}

function statement(name, artifact) {
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name, digest: { sha256: createHash('sha256').update(artifact).digest('hex') } }],
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: {
      buildDefinition: {
        buildType: 'https://strongroom.invalid/interop/foreign-sign/v1',
        externalParameters: { artifact: name, signer: '@sigstore/sign' },
      },
      runDetails: { builder: { id: 'https://strongroom.invalid/interop/foreign_sign.mjs' } },
    },
  };
}

async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        key: { type: 'string' },
        artifact: { type: 'string' },
        output: { type: 'string', short: 'o' },
        name: { type: 'string' },
        hash: { type: 'string' },
        hint: { type: 'string' },
        'keep-media-type': { type: 'boolean', default: false },
        'tlog-entries-array': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError(e.message);
  }
  const opts = parsed.values;
  if (opts.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const [mode, ...rest] = parsed.positionals;
  if (!['blob', 'dsse'].includes(mode) || rest.length) throw new UsageError('mode must be blob or dsse');
  if (!opts.key || !opts.artifact || !opts.output) throw new UsageError('--key, --artifact and -o are required');
  if (opts.hash !== undefined && !['sha256', 'sha384', 'sha512', 'none'].includes(opts.hash)) {
    throw new UsageError(`bad --hash ${opts.hash}`);
  }

  const privateKey = createPrivateKey(readFileSync(opts.key));
  const artifact = readFileSync(opts.artifact);
  const keyType = privateKey.asymmetricKeyType; // 'ed25519' | 'ec' | 'rsa' | ...
  if (!['ed25519', 'ec', 'rsa'].includes(keyType)) throw new Error(`unsupported key type ${keyType}`);
  if (mode === 'blob' && keyType === 'ed25519') {
    throw new Error('Ed25519 messageSignature bundles cannot be verified by sigstore-js; use dsse');
  }
  let hash = opts.hash ?? (keyType === 'ed25519' ? 'none' : 'sha256');
  if (keyType === 'ed25519' && hash !== 'none') throw new Error('Ed25519 is pure: use --hash none');
  hash = hash === 'none' ? null : hash;

  const spkiDer = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const hint = opts.hint ?? createHash('sha256').update(spkiDer).digest('base64');
  const signer = new PemKeySigner(privateKey, hash, hint);

  let bundle;
  if (mode === 'blob') {
    bundle = await new MessageSignatureBundleBuilder({ signer, witnesses: [] }).create({ data: artifact });
  } else {
    const name = opts.name ?? basename(opts.artifact);
    const payload = Buffer.from(JSON.stringify(statement(name, artifact)), 'utf8');
    bundle = await new DSSEBundleBuilder({ signer, witnesses: [] }).create({
      data: payload,
      type: INTOTO_PAYLOAD_TYPE,
    });
  }
  const json = bundleToJSON(bundle);
  if (!opts['keep-media-type']) json.mediaType = BUNDLE_V03_MEDIA_TYPE;
  // Left as the builder/protobuf JSON writes it: empty repeated fields (tlogEntries) are omitted,
  // which the protobuf JSON mapping defines as equal to []. Pass --tlog-entries-array to add it.
  if (opts['tlog-entries-array']) json.verificationMaterial.tlogEntries ??= [];
  writeFileSync(opts.output, JSON.stringify(json, null, 2) + '\n');
  process.stderr.write(
    `wrote ${opts.output}: ${mode} key=${keyType}${privateKey.asymmetricKeyDetails?.namedCurve ? '/' + privateKey.asymmetricKeyDetails.namedCurve : ''} hash=${hash ?? 'none'} mediaType=${json.mediaType}\n`,
  );
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) {
    process.stderr.write(`${e.message}\n${USAGE}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`FAIL: ${e?.message ?? e}\n`);
    process.exitCode = 1;
  }
}
