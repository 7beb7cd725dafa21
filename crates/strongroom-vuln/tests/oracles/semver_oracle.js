// Oracle for SemVer 2.0.0 precedence: node-semver (the `semver` npm package, as npm uses it).
// stdin: one "A<TAB>B" pair per line. stdout: a header line "# semver <version>", then per
// pair "-1", "0" or "1" (semver.compare, which ignores build metadata), or "invalid:a" /
// "invalid:b" when semver.valid() refuses one (strict mode, a leading "v" allowed).
'use strict';
let semver;
try {
  semver = require('semver');
} catch (e) {
  process.stderr.write(
    'the npm package `semver` is not installed: add "semver" to the root package.json ' +
      'devDependencies and run `npm ci` in the repository root\n'
  );
  process.exit(3);
}
const input = require('fs').readFileSync(0, 'utf8');
const out = ['# semver ' + require('semver/package.json').version];
for (const line of input.split('\n')) {
  if (!line) continue;
  const [a, b] = line.split('\t');
  if (semver.valid(a) === null) {
    out.push('invalid:a');
  } else if (semver.valid(b) === null) {
    out.push('invalid:b');
  } else {
    out.push(String(semver.compare(a, b)));
  }
}
process.stdout.write(out.join('\n') + '\n');
