// End-to-end tests of the real built Strongroom app (see run.sh for the station it starts on).
// Each step drives the window the way a person would: typing paths, pressing buttons, answering
// the PIN dialog. Screenshots of every screen go to $SCREENSHOT_DIR.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { startApp } from "./driver.mjs";
import { ipcTable } from "./ipc.mjs";

const { APP, WORK, SCREENSHOT_DIR, CLI, MODULE } = process.env;
const PIN = "123456"; // the throw-away SoftHSM token's PUBLIC test PIN
const t0 = performance.now();
let passed = 0, failed = 0;
const { browser, stop } = await startApp(APP);
const $ = (tid) => browser.$(`[data-testid="${tid}"]`);

async function test(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(e.stack ?? e).split("\n").slice(0, 6).join("\n  ")}`);
    try { await browser.saveScreenshot(path.join(SCREENSHOT_DIR, `FAILED-${name.replace(/\W+/g, "-")}.png`)); } catch {}
  }
}
/** Runs the CLI as the custodian admin (checks and set-up outside the window); returns stdout. */
const asAdmin = (args) => execFileSync(CLI, args, {
  env: { ...process.env, STRONGROOM_OPERATOR: "admin", STRONGROOM_OPERATOR_PASSPHRASE: "admin passphrase" },
  stdio: ["ignore", "pipe", "inherit"],
});
const shot = (name) => browser.saveScreenshot(path.join(SCREENSHOT_DIR, `${name}.png`));
async function textOf(tid, timeout = 20000) {
  const el = await $(tid);
  await el.waitForDisplayed({ timeout });
  return el.getText();
}
async function waitText(tid, re, timeout = 60000) {
  const el = await $(tid);
  await el.waitForDisplayed({ timeout });
  await browser.waitUntil(async () => re.test(await el.getText()), {
    timeout,
    timeoutMsg: `${tid} never matched ${re}; it shows: ${await el.getText().catch(() => "?")}`,
  });
  return el.getText();
}
async function type(tid, value) {
  const el = await $(tid);
  await el.waitForDisplayed({ timeout: 20000 });
  await el.clearValue();
  await el.setValue(value);
}
async function click(tid) {
  const el = await $(tid);
  await el.waitForClickable({ timeout: 20000 });
  // In the middle of the window: at its very edge (a long step pushes Next there), a pointer click
  // can land on nothing in WebKitWebDriver.
  await el.scrollIntoView({ block: "center" });
  await el.click();
}
async function select(tid, value) {
  const el = await $(tid);
  await el.waitForDisplayed({ timeout: 20000 });
  await el.selectByAttribute("value", value);
}
async function go(screen) {
  await click(`nav-${screen.toLowerCase()}`);
  await browser.waitUntil(async () => (await browser.getTitle()) === `Strongroom — ${screen}`, {
    timeout: 10000,
    timeoutMsg: `title did not become "Strongroom — ${screen}"`,
  });
}
/** Waits for the Sign wizard to show step `n` (1-based). */
async function atStep(n, timeout = 120000) {
  const el = await $("wizard-step");
  await browser.waitUntil(async () => (await el.getAttribute("data-step")) === String(n), {
    timeout,
    timeoutMsg: `the wizard did not reach step ${n}`,
  });
}
/**
 * Answers the secret dialog (PIN or passphrase; `twice` for a new passphrase). `fresh`: the new
 * secret the same dialog asks next, twice (a token's new user PIN).
 */
async function answer(secret, { twice = false, fresh = null } = {}) {
  await type("secret-input", secret);
  if (twice) await type("secret-confirm", secret);
  if (fresh !== null) {
    await type("secret-new", fresh);
    await type("secret-new-confirm", fresh);
  }
  await click("secret-submit");
}

try {
  await test("the app serves its own UI and opens on the login screen", async () => {
    const url = await browser.getUrl();
    assert.ok(url.startsWith("tauri://"), `url was ${url}`);
    await $("login-name").then((e) => e.waitForDisplayed({ timeout: 20000 }));
    await shot("login");
  });

  await test("a wrong operator passphrase is refused with a reason", async () => {
    await type("login-name", "admin");
    await type("login-pass", "not the passphrase");
    await click("login-button");
    await waitText("error", /passphrase|log in|login/i, 20000);
  });

  await test("log in; the Station screen shows the operator, token, audit chain and the missing quorum", async () => {
    await type("login-pass", "admin passphrase");
    await click("login-button");
    await waitText("station-operator", /admin/);
    await waitText("station-tokens", /e2e-token/);
    await waitText("station-audit", /\d+ rows?|OK|intact/i);
    // One custodian (admin) alone: the station says so until a second custodian joins.
    await waitText("station-warnings", /no custodian quorum/);
    assert.equal(await browser.getTitle(), "Strongroom — Station");
    await shot("station");
  });

  await test("generate a software key", async () => {
    await go("Keys");
    await type("soft-label", "release-soft");
    await select("soft-alg", "ed25519");
    await click("gen-software");
    await answer("release key passphrase", { twice: true });
    await waitText("keys-table", /release-soft/);
    assert.equal(await (await $("secret-input")).isExisting(), false, "the dialog closed");
  });

  await test("rotate the software key: the old key vouches for its successor and is retired", async () => {
    const oldPem = path.join(WORK, "release-soft.pem");
    fs.writeFileSync(oldPem, asAdmin(["key", "export", "release-soft"]));
    const dir = path.join(WORK, "rotation");
    fs.mkdirSync(dir, { recursive: true });
    await (await browser.$('[data-testid="key-row-release-soft"] button')).click();
    await click("rotate-key");
    await type("rotate-label", "release-soft-2");
    await type("rotate-dir", dir);
    await click("rotate-start");
    await type("secret-input", "release key passphrase");
    await type("secret-new", "next release passphrase");
    await type("secret-new-confirm", "next release passphrase");
    await click("secret-submit");
    await waitText("key-details", /release-soft-2/);
    await waitText("key-row-release-soft", /retired/);
    // Checked outside the app: the statement, signed by the old key, names the new key's PEM.
    asAdmin([
      "verify", "--key", oldPem, "--type", "key-rotation",
      "--bundle", path.join(dir, "release-soft-2.rotation.sigstore.json"),
      path.join(dir, "release-soft-2.pub.pem"),
    ]);
  });

  await test("a wrong PIN shows the token's message and what it says about tries left; 6. focus stays on the PIN field", async () => {
    const tokenSelect = await $("token-select");
    await tokenSelect.waitForEnabled({ timeout: 20000 });
    assert.match(await tokenSelect.getText(), /e2e-token/);
    await tokenSelect.selectByIndex(0);
    await type("token-label", "release-hsm");
    await select("token-alg", "ecdsa-p256");
    await click("gen-token");
    await answer("000000");
    const msg = await waitText("secret-error", /PIN/i);
    assert.match(msg, /incorrect|wrong/i);
    const tries = await textOf("secret-error-pin");
    assert.match(tries, /tries|try|locked/i);
    // 6. Focus is back on the (emptied) PIN field, inside the modal.
    assert.equal(await browser.execute(() => document.activeElement?.getAttribute("data-testid")), "secret-input");
    assert.equal(await (await $("secret-input")).getValue(), "");
    await shot("wrong-pin");
  });

  await test("generate a token key on the SoftHSM token; its details show it cannot leave the token", async () => {
    await answer(PIN); // the dialog stays open after a wrong PIN: try again

    await waitText("keys-table", /release-hsm/);
    await (await browser.$('[data-testid="key-row-release-hsm"] button')).click();
    const details = await waitText("key-details", /pkcs11:/);
    assert.match(details, /extractable/i);
    await shot("keys");
  });

  await test("export the token key's public key and trust it as a staging signer", async () => {
    await click("export-pem");
    const pem = await $("pem-text");
    await browser.waitUntil(async () => /BEGIN PUBLIC KEY/.test(await pem.getValue()), { timeout: 20000 });
    await type("pem-path", path.join(WORK, "release-hsm.pem"));
    await click("pem-save");
    await browser.waitUntil(() => fs.existsSync(path.join(WORK, "release-hsm.pem")), { timeout: 10000 });
    await go("Trust");
    await type("trust-add-pem", path.join(WORK, "release-hsm.pem"));
    await type("trust-add-name", "release-hsm");
    for (const box of ["trust-add-purpose-signer", "trust-add-stage-staging"]) {
      if (!(await (await $(box)).isSelected())) await click(box);
    }
    await type("trust-add-holder", "admin");
    await click("trust-add-button");
    await waitText("trust-add-result", /release-hsm/);
    await waitText("trust-keys", /release-hsm/);
    await shot("trust");
  });

  let bundle;
  await test("sign a release with the token key and collect two approvals; 8. the policy speaks app words; 4. the approver's passphrase is cleared on Escape", async () => {
    await go("Sign");
    for (const f of ["strongroom-demo-1.4.2.tar.gz", "README.demo"]) {
      await type("artifact-path", path.join(WORK, "artifacts", f));
      await click("artifact-add");
    }
    await type("rel-name", "strongroom-demo");
    await type("rel-version", "1.4.2");
    await select("rel-stage", "staging");
    await select("rel-key", "release-hsm");
    await click("wizard-next"); // hashes, with a progress bar, then moves on
    await atStep(2);
    await click("wizard-back");
    await atStep(1);
    const listed = await waitText("artifact-list", /[0-9a-f]{64}/);
    assert.equal(listed.match(/[0-9a-f]{64}/g).length, 2, listed);
    await shot("sign-artifacts");
    await click("wizard-next");
    await atStep(2); // SBOM: generated
    await click("wizard-next");
    await atStep(3); // scan: the preview runs
    await click("wizard-next");
    await atStep(4); // provenance: none
    await click("wizard-next");
    await atStep(5);
    await waitText("policy-preview", /./);
    assert.equal(await (await $("policy-allowed")).getAttribute("data-allowed"), "true");
    // 8. App words on app screens: the missing provenance names the wizard's step, no CLI flag.
    const policy = await waitText("policy-preview", /has no provenance — give the build metadata in the Provenance step/);
    assert.doesNotMatch(policy, /--[a-z]|`strongroom /, policy);
    await shot("sign-policy");
    await click("wizard-next");
    await atStep(6);
    await click("sign-button");
    await answer(PIN);
    bundle = (await waitText("created-bundle", /\.zip/)).match(/\/\S+\.zip/)[0];
    await click("wizard-next");
    await atStep(7);
    // 4. The approver's passphrase is typed in the dialog and gone from it after Escape.
    await type("approve-operator", "bob");
    await type("approve-key", "bob-key");
    await click("approve-button");
    await type("approve-passphrase", "bob passphrase");
    await browser.keys("Escape");
    await (await $("approve-dialog")).waitForExist({ reverse: true, timeout: 5000 });
    await click("approve-button");
    assert.equal(await (await $("approve-passphrase")).getValue(), "", "the approver's passphrase stayed in the window");
    await browser.keys("Escape");
    for (const who of ["bob", "carol"]) {
      await type("approve-operator", who);
      await type("approve-key", `${who}-key`);
      await click("approve-button");
      await type("approve-passphrase", `${who} passphrase`);
      await answer(`${who} key passphrase`);
      await waitText("approvals-count", who === "bob" ? /1 of 2/ : /2 of 2/);
    }
    await shot("sign-approvals");
    await click("wizard-next");
    await atStep(8);
    await type("export-folder", path.join(WORK, "out"));
    await click("export-button");
    await waitText("export-result", /[0-9a-f]{64}/);
    bundle = path.join(WORK, "out", path.basename(bundle));
    assert.ok(fs.existsSync(bundle), `${bundle} was exported`);
  });

  await test("verify the exported bundle: VERIFIED, and the HTML report is saved; 8. no check speaks CLI", async () => {
    await go("Verify");
    await type("verify-bundle", bundle);
    await click("verify-button");
    const verdict = await waitText("verify-verdict", /VERIFIED/);
    assert.doesNotMatch(verdict, /NOT VERIFIED/);
    // 8. No check speaks CLI on the app's screen.
    const checks = await textOf("verify-checks");
    assert.doesNotMatch(checks, /--[a-z]|`strongroom /, checks);
    await type("report-path", path.join(WORK, "report.html"));
    await click("save-html");
    await browser.waitUntil(() => fs.existsSync(path.join(WORK, "report.html")), { timeout: 10000 });
    await shot("verify");
  });

  await test("verify a tampered copy: NOT VERIFIED, with the reason", async () => {
    const tampered = path.join(WORK, "tampered.zip");
    execFileSync("python3", ["-c", `
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as o:
    for i in z.infolist():
        data = z.read(i.filename)
        if i.filename.startswith("sboms/"):
            data = data.replace(b"strongroom-demo", b"strongroom-dem0", 1)
        o.writestr(i, data)
`, bundle, tampered]);
    await type("verify-bundle", tampered);
    await click("verify-button");
    await waitText("verify-verdict", /NOT VERIFIED/);
    const checks = await textOf("verify-checks");
    assert.match(checks, /sboms\/|digest|sha256|altered|does not match/i);
    await shot("verify-tampered");
  });

  await test("verify a copy encrypted to an age recipient (by the age CLI), opened with the identity file", async () => {
    const identity = path.join(WORK, "compliance.agekey");
    execFileSync("age-keygen", ["-o", identity], { stdio: "ignore" });
    const recipient = execFileSync("age-keygen", ["-y", identity]).toString().trim();
    const sealed = path.join(WORK, "sealed.zip.age");
    execFileSync("age", ["-r", recipient, "-o", sealed, bundle]);
    await type("verify-bundle", sealed);
    await type("verify-identity", identity);
    await click("verify-button");
    // The tampered copy's NOT VERIFIED is on screen until this report replaces it.
    await waitText("verify-verdict", /^(?![\s\S]*NOT VERIFIED)[\s\S]*VERIFIED/);
  });

  await test("audit: the chain verifies and the table lists the release's rows", async () => {
    await go("Audit");
    await waitText("audit-table", /release\.create/);
    await waitText("audit-table", /carol\s*release\.approve/);
    await click("audit-verify");
    await waitText("audit-status", /OK|intact|verified/i);
    await shot("audit");
  });

  await test("sign a release of one container image and no files: the wizard lists the image's manifest digest", async () => {
    // An OCI image layout made here: one gzip layer holding etc/os-release, its config, the
    // manifest, and index.json naming the manifest "1.0". Prints the manifest's digest.
    const layout = fs.mkdtempSync(path.join(WORK, "oci-"));
    const made = JSON.parse(execFileSync("python3", [path.join(import.meta.dirname, "../interop/make_oci_layout.py"), layout, "1.0"]).toString());
    await go("Sign");
    await type("image-source", `${layout}:1.0`);
    await type("image-reference", "127.0.0.1:5000/strongroom/e2e");
    // A pointer click right after typing was lost once in WebKitWebDriver: press it from the page.
    await (await $("image-add")).waitForClickable({ timeout: 20000 });
    await browser.execute((el) => el.click(), await $("image-add"));
    const listed = await waitText("image-list", /sha256:[0-9a-f]{64}/);
    assert.match(listed, /127\.0\.0\.1:5000\/strongroom\/e2e/);
    assert.equal(await (await browser.$('[data-testid="image-list"] code')).getText(), made.digest);
    await type("rel-name", "strongroom-image");
    await type("rel-version", "1.0");
    await select("rel-stage", "staging");
    await select("rel-key", "release-hsm");
    await shot("sign-image");
    await click("wizard-next"); // nothing to hash
    await atStep(2); // SBOM: generated
    await click("wizard-next");
    await atStep(3); // scan: the preview runs
    await click("wizard-next");
    await atStep(4); // provenance: none
    await click("wizard-next");
    await atStep(5);
    await waitText("policy-preview", /./);
    assert.equal(await (await $("policy-allowed")).getAttribute("data-allowed"), "true");
    await click("wizard-next");
    await atStep(6);
    await click("sign-button");
    await answer(PIN);
    const created = await waitText("created-bundle", /\.zip/);
    assert.match(created, /Signed strongroom-image 1\.0 \(staging\)/);
    const signed = created.match(/\/\S+\.zip/)[0];
    assert.ok(fs.existsSync(signed), `${signed} was written`);
  });

  await test("keyless: import Sigstore's public-good root on Trust, verify a keyless bundle against it by name; a wrong issuer fails", async () => {
    // Fixtures that travel with the repository (tests/fixtures/sigstore/keyless/README.md): a blob
    // signed by appu@google.com through Google's OIDC, and Sigstore's public-good trusted root.
    const fx = path.join(import.meta.dirname, "../fixtures/sigstore/keyless");
    await go("Trust");
    await type("trust-root-path", path.join(fx, "public-good-trusted_root.json"));
    await type("trust-root-name", "public-good");
    await click("trust-root-import");
    await waitText("trust-root-result", /Now trusting the Sigstore root public-good/);
    const parts = await waitText("trust-root-parts-public-good", /rekor\.sigstore\.dev/);
    assert.match(parts, /fulcio\.sigstore\.dev/);
    assert.match(parts, /in use/);
    await shot("trust-roots");

    await go("Verify");
    await click("verify-mode-keyless");
    await type("keyless-bundle", path.join(fx, "bundle.v3.sigstore"));
    // The trust store's roots are listed once the keyless form opens; choose the one just imported.
    await click("keyless-root-store");
    await select("keyless-root-name", "public-good");
    await type("keyless-artifact", path.join(fx, "artifact.txt"));
    await type("keyless-identity", "appu@google.com");
    await type("keyless-issuer", "https://accounts.google.com");
    await click("keyless-button");
    const verdict = await waitText("keyless-verdict", /VERIFIED/);
    assert.doesNotMatch(verdict, /NOT VERIFIED/);
    assert.equal(await textOf("keyless-signer-identity"), "appu@google.com");
    assert.equal(await textOf("keyless-signer-issuer"), "https://accounts.google.com");
    assert.match(await textOf("keyless-root"), /^public-good \(trusted root, sha256:[0-9a-f]{64}\)/);
    assert.match(await textOf("keyless-signed-at"), /integrated at 2023-10-11/);
    await shot("verify-keyless");

    // The same evidence, asked for another issuer: the issuer check fails, and so the verdict.
    await type("keyless-issuer", "https://github.com/login/oauth");
    await click("keyless-button");
    await waitText("keyless-verdict", /NOT VERIFIED/);
    const issuer = await browser.$('[data-testid="keyless-checks"] [data-testid="check-issuer"]');
    await issuer.waitForDisplayed({ timeout: 20000 });
    assert.equal(await issuer.getAttribute("data-outcome"), "fail");
    assert.match(await issuer.getText(), /FAIL[\s\S]*https:\/\/github\.com\/login\/oauth/);
    const identity = await browser.$('[data-testid="keyless-checks"] [data-testid="check-identity"]');
    assert.equal(await identity.getAttribute("data-outcome"), "pass");
    await shot("verify-keyless-wrong-issuer");
  });

  await test("keyless: a GitHub attestation from GitHub's own instance (by digest, against a root file), npm and PyPI provenance", async () => {
    // No transparency log: the time comes from GitHub's timestamp authority. The workflow that
    // signed is a reusable one, and the window shows its repository.
    const fx = path.join(import.meta.dirname, "../fixtures/sigstore/keyless");
    const workflow = "https://github.com/neverendingsupport/slsa-attestations/.github/workflows/attest.yml@9f6d9dc1bfc02986955721eb15f89ad618f1cedb";
    await type("keyless-bundle", path.join(fx, "github-private-attestation.sigstore.json"));
    await click("keyless-root-file");
    await type("keyless-root-path", path.join(fx, "github-instance-trusted_root.json"));
    await type("keyless-artifact", "sha256:caa015ef69e9bc31a41322d6c71563ed9600c75bb988e4d639b1edc578580551");
    await type("keyless-identity", workflow);
    await type("keyless-issuer", "https://token.actions.githubusercontent.com");
    await click("keyless-button");
    const verdict = await waitText("keyless-verdict", /VERIFIED/);
    assert.doesNotMatch(verdict, /NOT VERIFIED/);
    assert.equal(await textOf("keyless-signer-identity"), workflow);
    assert.match(await textOf("keyless-signed-at"), /Timestamp authority: .*timestamp\.githubapp\.com/);
    await shot("verify-keyless-github");

    // npm provenance (a SHA-512 subject) and PyPI's PEP 740 provenance, against the stored root.
    const gha = "https://token.actions.githubusercontent.com";
    for (const [bundle, artifact, identity, shows] of [
      ["sigstore-js-2.1.0-bundle.json", "sigstore-2.1.0.tgz",
        "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main", /\(sigstore-bundle\)/],
      ["pypi_attestations-0.0.19.tar.gz.provenance", "pypi_attestations-0.0.19.tar.gz",
        "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19", /\(pep740-provenance\)/],
    ]) {
      await type("keyless-bundle", path.join(fx, bundle));
      await click("keyless-root-store");
      await select("keyless-root-name", "public-good");
      await type("keyless-artifact", path.join(fx, artifact));
      await type("keyless-identity", identity);
      await type("keyless-issuer", gha);
      // A pointer click on the button right after typing was lost once in WebKitWebDriver;
      // press it from the page instead.
      await (await $("keyless-button")).waitForClickable({ timeout: 20000 });
      await browser.execute((el) => el.click(), await $("keyless-button"));
      // The previous verdict stays until this one replaces it: wait for this file's signer.
      await browser.waitUntil(
        async () => (await textOf("keyless-signer-identity", 2000).catch(() => "")) === identity,
        { timeout: 30000, timeoutMsg: `no verdict on ${bundle}` },
      ).catch(async (e) => {
        const page = await (await browser.$("main")).getText().catch(() => "");
        throw new Error(`${e.message}; the screen says: ${page.slice(-1500)}`);
      });
      const v = await waitText("keyless-verdict", /VERIFIED/);
      assert.doesNotMatch(v, /NOT VERIFIED/, bundle);
      assert.match(await textOf("keyless-container"), shows);
    }
    await shot("verify-keyless-pypi");
    // Back to release bundles for the tests that follow on this screen.
    await click("verify-mode-release");
    await (await $("verify-bundle")).waitForDisplayed({ timeout: 20000 });
  });

  // Issue "the desktop app", one test per numbered item that the window itself shows.
  await test("2. save report: never over the station's database, and a file is replaced only after Replace", async () => {
    await go("Verify");
    await type("verify-bundle", bundle);
    await click("verify-button");
    await waitText("verify-verdict", /VERIFIED/);
    const db = path.join(WORK, "home", "strongroom.db");
    const before = fs.readFileSync(db);
    await type("report-path", db);
    await click("save-html");
    await waitText("save-error", /inside the station's data directory/);
    assert.deepEqual(fs.readFileSync(db), before, "the station's database was touched");
    const report = path.join(WORK, "report.html");
    fs.writeFileSync(report, "the person's own file");
    await type("report-path", report);
    await click("save-html");
    await waitText("replace-dialog", /report\.html/);
    await click("confirm-cancel");
    assert.equal(fs.readFileSync(report, "utf8"), "the person's own file");
    await click("save-html");
    await waitText("replace-dialog", /report\.html/);
    await click("confirm-ok");
    await browser.waitUntil(() => /<html/i.test(fs.readFileSync(report, "utf8")), { timeout: 10000, timeoutMsg: "the report was not replaced" });
  });

  await test("12. a new attempt clears the old verdict", async () => {
    await waitText("verify-verdict", /VERIFIED/);
    await type("verify-bundle", "not/a/full/path.zip");
    await click("verify-button");
    await browser.waitUntil(async () => !(await (await $("verify-verdict")).isExisting()), {
      timeout: 10000, timeoutMsg: "the previous verdict stayed on screen",
    });
  });

  await test("5. an artifact name no bundle can hold is refused when the files are hashed, before any PIN", async () => {
    await go("Sign");
    const long = path.join(WORK, "long", `${"n".repeat(240)}.bin`);
    fs.mkdirSync(path.dirname(long), { recursive: true });
    fs.writeFileSync(long, "x");
    await type("artifact-path", long);
    await click("artifact-add");
    await type("rel-name", "long-names");
    await type("rel-version", "1");
    await select("rel-key", "release-hsm");
    await click("wizard-next");
    await waitText("step-error", /at most 230 bytes/);
    assert.equal(await (await $("secret-input")).isExisting(), false, "a PIN was asked for");
    await browser.execute(() => location.reload());
  });

  await test("10. a busy database is said within 2 s, with what to do; 6. focus stays in the dialog after the error", async () => {
    await go("Keys");
    const db = path.join(WORK, "home", "strongroom.db");
    const holder = spawn("python3", ["-c", `
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(15)
c.execute("COMMIT")
`, db]);
    await new Promise((resolve) => holder.stdout.once("data", resolve));
    const started = Date.now();
    await type("soft-label", "busy-key");
    await click("gen-software");
    await answer("busy key passphrase", { twice: true });
    // (Generating the key itself takes a moment before its inventory row waits for the lock.)
    await waitText("secret-error", /busy: another Strongroom process is writing/, 10000);
    assert.ok(Date.now() - started < 10000, `the refusal took ${Date.now() - started} ms`);
    // 6. Focus stays in the dialog after the error.
    const focused = await browser.execute(() => document.activeElement?.getAttribute("data-testid"));
    assert.equal(focused, "secret-input");
    await browser.keys("Escape");
    // A plain act (a setting) is refused as busy within 2 s of the click.
    await go("Settings");
    const clicked = Date.now();
    await click("max-age-save");
    await waitText("max-age-error", /busy[\s\S]*try again in a moment/, 5000);
    assert.ok(Date.now() - clicked < 2500, `the busy refusal took ${Date.now() - clicked} ms`);
    await new Promise((resolve) => (holder.exitCode !== null ? resolve() : holder.on("exit", resolve)));
  });

  await test("settings show the data directory, the module allowlist and operators", async () => {
    await go("Settings");
    const home = await $("settings-home");
    await home.waitForDisplayed({ timeout: 20000 });
    assert.equal(await home.getValue(), path.join(WORK, "home"));
    await waitText("operators-table", /carol/);
    // The app names its build in the same words as the CLI built from the same commit.
    const cli = execFileSync(CLI, ["--version"]).toString().trim().replace(/^strongroom /, "");
    await waitText("settings-build", new RegExp(`^Strongroom ${cli.replace(/[()]/g, "\\$&")}$`));
    await shot("settings");
  });

  await test("7, 11 and 1. a release officer sees what the role may not do, has no default key, and stops once disabled", async () => {
    await go("Station");
    await click("logout");
    await type("login-name", "rita");
    await type("login-pass", "rita passphrase");
    await click("login-button");
    await waitText("station-operator", /rita/);
    await go("Keys");
    await waitText("role-note", /custodian/);
    assert.equal(await (await $("gen-software")).isEnabled(), false, "Generate… is offered to a release officer");
    await shot("keys-release-officer");
    await go("Sign");
    // 11. rita holds no signing key of her own: the wizard chooses none for her.
    assert.equal(await (await $("rel-key")).getValue(), "");
    // 1. A custodian disables rita from the CLI: her open window stops at its next act.
    asAdmin(["operator", "disable", "rita"]);
    await click("nav-verify");
    await waitText("session-disabled", /disabled/);
    await shot("session-disabled");
    await click("logout");
    await $("login-name").then((e) => e.waitForDisplayed({ timeout: 20000 }));
    asAdmin(["operator", "enable", "rita"]);
  });

  await test("token PINs: initialise a token in the free slot, change its user PIN, set it anew with the SO PIN; OpenSC agrees", async () => {
    // The release officer's test above ends logged out; token administration is the custodian's.
    if (!(await (await $("login-name")).isExisting())) {
      if (await (await $("nav-station")).isExisting()) await go("Station");
      await click("logout");
    }
    await type("login-name", "admin");
    await type("login-pass", "admin passphrase");
    await click("login-button");
    await waitText("station-operator", /admin/);
    await go("Keys");
    // SoftHSM always offers one free slot (the one after e2e-token); the form chooses it.
    const slot = await $("token-init-slot");
    await slot.waitForDisplayed({ timeout: 20000 });
    assert.notEqual(await slot.getValue(), "", "no free slot is offered");
    await type("token-init-label", "e2e-fresh");
    await click("token-init");
    await answer("so-secret-1", { twice: true, fresh: "111111" });
    await waitText("token-init-result", /^Initialised token "e2e-fresh" \(serial \S+\) in slot \d+\.$/);
    await click("token-change-pin-e2e-fresh");
    await answer("111111", { fresh: "222222" });
    await waitText("token-pin-result", /^The user PIN of token "e2e-fresh" is changed\.$/);
    await click("token-unlock-e2e-fresh");
    await answer("so-secret-1", { fresh: "333333" });
    await waitText("token-pin-result", /^The user PIN of token "e2e-fresh" is set anew by its security officer\.$/);
    assert.equal(await (await $("secret-input")).isExisting(), false, "the dialog closed");
    await shot("keys-token-pins");
    // Checked outside the app, with OpenSC's pkcs11-tool on the same SoftHSM store
    // (SOFTHSM2_CONF comes from run.sh): the last PIN logs in, the one before it does not.
    const login = (pin) => {
      try {
        execFileSync("pkcs11-tool", ["--module", MODULE, "--token-label", "e2e-fresh", "--login", "--pin", pin, "--list-objects"], {
          stdio: ["ignore", "pipe", "pipe"],
        });
        return { status: 0, stderr: "" };
      } catch (e) {
        return { status: e.status, stderr: String(e.stderr ?? "") };
      }
    };
    const now = login("333333");
    assert.equal(now.status, 0, `PIN 333333 does not log in to e2e-fresh: ${now.stderr}`);
    const before = login("222222");
    assert.notEqual(before.status, 0, "the replaced PIN 222222 still logs in to e2e-fresh");
    assert.match(before.stderr, /CKR_PIN_INCORRECT/);
  });

  await test("ceremony: two custodians run a scripted key ceremony in the app; the record verifies with both keys", async () => {
    // Set up outside the window: both custodians' keys, then cora, a second custodian.
    const cli = (args, env = {}) => execFileSync(CLI, args, {
      env: { ...process.env, STRONGROOM_OPERATOR: "admin", STRONGROOM_OPERATOR_PASSPHRASE: "admin passphrase", ...env },
      stdio: ["ignore", "pipe", "inherit"],
    }).toString();
    for (const who of ["admin", "cora"]) {
      cli(["key", "generate", "--label", `${who}-custodian`, "--algorithm", "ed25519", "--purpose", "custodian"],
        { STRONGROOM_PASSPHRASE: "custodian key passphrase" });
      cli(["key", "export", `${who}-custodian`, "-o", path.join(WORK, `${who}-custodian.pem`)]);
    }
    cli(["operator", "add", "cora", "--roles", "custodian"], { STRONGROOM_NEW_OPERATOR_PASSPHRASE: "cora passphrase" });
    const script = path.join(WORK, "ceremony.toml");
    fs.writeFileSync(script, [
      'name = "E2E key ceremony"',
      "[[participants]]", 'operator = "admin"', 'key = "admin-custodian"',
      "[[participants]]", 'operator = "cora"', 'key = "cora-custodian"',
      "[[step]]", 'title = "Generate the release key on the token"', 'act = "generate-key"', "quorum = 2",
      'token = "e2e-token"', 'algorithm = "ecdsa-p256"', 'label = "ceremony-release"', "backupable = true",
      "[[step]]", 'act = "export-public-key"', "quorum = 2", 'key = "ceremony-release"', 'output = "ceremony-release.pem"',
      "",
    ].join("\n"));
    const out = path.join(WORK, "ceremony-out");
    fs.mkdirSync(out, { recursive: true });
    try {
      await go("Ceremony");
      await type("ceremony-script", script);
      await click("ceremony-load");
      await waitText("ceremony-step-1", /Generate the release key on the token.*with 2 custodians present/s);
      await type("ceremony-output", out);
      await type("ceremony-consent-name", "cora");
      await type("ceremony-consent-pass", "cora passphrase");
      await type("ceremony-key-pass", "custodian key passphrase");
      await type("ceremony-pin", PIN);
      await click("ceremony-run");
      await waitText("ceremony-result", /2 steps done and signed/, 120000);
      await shot("ceremony");
      const record = await textOf("ceremony-record");
      // Checked outside the app with both participants' public keys alone.
      const verified = execFileSync(CLI, ["ceremony", "verify", record,
        "--key", path.join(WORK, "admin-custodian.pem"), "--key", path.join(WORK, "cora-custodian.pem")]).toString();
      assert.match(verified, /VERIFIED: ceremony "E2E key ceremony", 2 steps, signed by admin, cora/);
      assert.ok(fs.existsSync(path.join(out, "ceremony-release.pem")), "the ceremony did not export the key");
    } finally {
      // Back to one custodian, as the tests after this one expect: the quorum that cora's arrival
      // raised to 2 is lowered with her consent, then she consents to losing the role.
      const consent = { STRONGROOM_COSIGNER_PASSPHRASE: "cora passphrase" };
      cli(["--cosigner", "cora", "operator", "quorum", "1"], consent);
      cli(["--cosigner", "cora", "operator", "revoke", "cora", "custodian"], consent);
    }
  });
} finally {
  await stop();
}

// The app started again for the IPC table: every command called from the page, logged out, as
// each role and from a session whose account is disabled after its login.
const table = await startApp(APP);
await test("1 and 3. every command checks the login and the role, also for a session disabled after its login", async () => {
  await (await table.browser.$('[data-testid="login-name"]')).waitForDisplayed({ timeout: 20000 });
  await ipcTable(table.browser, {
    work: WORK,
    people: ["admin", "bob", "rita", "audrey", "dave"].map((n) => [n, `${n} passphrase`]),
    cli: asAdmin,
  });
});
await table.stop();

// The same app started again on a desktop that asks for a dark theme (GTK_THEME reaches the
// app through tauri-driver and WebKitWebDriver): WebKit reports prefers-color-scheme: dark.
// It opens a new, unclaimed station, so the claim screen is checked too.
process.env.GTK_THEME = "Adwaita:dark";
process.env.STRONGROOM_HOME = path.join(WORK, "unclaimed");
const dark = await startApp(APP);
await test("dark theme: the window follows the desktop and every text stays readable (WCAG AA)", async () => {
  const b = dark.browser;
  await (await b.$('[data-testid="login-name"]')).waitForDisplayed({ timeout: 20000 });
  const r = await b.execute(() => {
    const rgba = (c) => (c.match(/[\d.]+/g) ?? ["0", "0", "0", "0"]).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c.length < 4 || c[3] > 0) return c;
      }
      return [255, 255, 255];
    };
    let worst = { ratio: Infinity, text: "" };
    for (const el of document.querySelectorAll("h1, h2, p, label, legend, button, a, span, td, th, dt, dd")) {
      if (!el.textContent.trim() || el.disabled || el.getClientRects().length === 0) continue;
      const [fg, bg] = [lum(rgba(getComputedStyle(el).color)), lum(background(el))];
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (ratio < worst.ratio) worst = { ratio, text: el.textContent.trim().slice(0, 40) };
    }
    return {
      dark: matchMedia("(prefers-color-scheme: dark)").matches,
      page: lum(background(document.body)),
      worst,
    };
  });
  assert.equal(r.dark, true, "WebKit did not report a dark preference");
  assert.ok(r.page < 0.05, `the page background is not dark (luminance ${r.page})`);
  assert.ok(r.worst.ratio >= 4.5, `"${r.worst.text}" has a contrast of ${r.worst.ratio.toFixed(2)}:1`);
  await b.saveScreenshot(path.join(SCREENSHOT_DIR, "login-dark.png"));
});
await test("9. claiming ticks no extra role and refuses a passphrase of spaces, as the backend does", async () => {
  const b = dark.browser;
  const at = async (tid) => { const el = await b.$(`[data-testid="${tid}"]`); await el.waitForDisplayed({ timeout: 20000 }); return el; };
  for (const r of ["release-officer", "approver", "auditor"]) {
    assert.equal(await (await at(`claim-role-${r}`)).isSelected(), false, `${r} is ticked by default`);
  }
  await (await at("login-name")).setValue("first");
  await (await at("login-pass")).setValue(" ".repeat(12));
  await (await at("login-pass2")).setValue(" ".repeat(12));
  await (await at("claim-button")).click();
  await b.waitUntil(async () => /only spaces/.test(await (await at("login-problem")).getText()), { timeout: 10000 });
  // The backend holds the same rule for a page that skips the form.
  const r = await b.execute(() => window.__TAURI_INTERNALS__.invoke("claim_station", { name: "first", roles: [], passphrase: "            " })
    .then(() => "claimed", (e) => e.message));
  assert.match(r, /only whitespace/);
  await (await at("login-pass")).setValue("first operator passphrase");
  await (await at("login-pass2")).setValue("first operator passphrase");
  await (await at("claim-button")).click();
  const op = await at("station-operator");
  await b.waitUntil(async () => /Roles: custodian\b/.test(await op.getText()), { timeout: 20000 });
  assert.match(await op.getText(), /Roles: custodian(?!,)/, "the first operator holds more than the custodian role");
});
await dark.stop();
console.log(`${passed} passed, ${failed} failed (${Math.round((performance.now() - t0) / 1000)} s)`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
