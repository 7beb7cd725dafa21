// The IPC table: every Tauri command the app registers, called straight from the page
// (window.__TAURI_INTERNALS__.invoke, as a hostile page script would) while logged out, as an
// operator of each role, and from a session whose account was disabled after its login. A
// command whose action the session may do must not be refused for the session's sake; one it may
// not do must be refused as forbidden; logged out, every command but the login screen's own must
// ask for a login; and nothing may be written on a refusal.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

/** The commands the login screen needs: they work without a login. */
export const OPEN = ["app_ready", "session_info", "claim_station", "login", "logout", "station_overview"];

/**
 * Every other command: [name, the action it needs, its arguments for operator `who`]. The
 * arguments are harmless when allowed (an unknown key, a missing file), except that an allowed
 * key generation makes a key and an allowed audit export writes its file.
 */
export function commands(work, who) {
  const nope = path.join(work, "ipc-missing", who);
  const form = {
    name: "ipc", version: "1", stage: "dev", key: "no-such-key", artifacts: [nope], images: [],
    sbom: { kind: "none" }, provenance: { kind: "none" }, scan: false, include_artifacts: false, policies: [],
  };
  return [
    ["list_keys", "key.list", {}],
    ["list_tokens", "token.list", {}],
    ["generate_software_key", "key.generate", { label: `ipc-${who}`, algorithm: "ed25519", purpose: "signer", passphrase: "ipc key passphrase" }],
    ["generate_token_key", "key.generate", { token: "no-such-token", module: null, label: `ipc-t-${who}`, algorithm: "ecdsa-p256", purpose: "signer", pin: "000000" }],
    ["init_token", "token.admin", { label: `ipc-${who}`.slice(0, 32), module: nope, slot: null, soPin: "x", pin: "x" }],
    ["change_token_pin", "token.admin", { token: "no-such-token", module: nope, pin: "x", newPin: "y" }],
    ["unlock_token", "token.admin", { token: "no-such-token", module: nope, soPin: "x", newPin: "y" }],
    ["export_public_key", "key.export", { key: "no-such-key" }],
    ["save_public_key", "key.export", { key: "no-such-key", path: `${nope}.pem`, overwrite: false }],
    ["retire_key", "key.retire", { key: "no-such-key" }],
    ["rotate_key", "key.rotate", { key: "no-such-key", newLabel: `ipc-r-${who}`, outDir: work, secret: "x", newPassphrase: null, carryTrust: false }],
    ["revoke_key", "key.revoke", { key: "no-such-key", reason: "ipc table" }],
    ["hash_files", "release.create", { paths: [nope], onProgress: "CHANNEL" }],
    ["image_inspect", "release.create", { image: { reference: "x/y", source: nope } }],
    ["release_preview", "release.create", { req: form, onProgress: "CHANNEL" }],
    ["release_create", "release.create", { req: form, secret: "x", onProgress: "CHANNEL" }],
    ["release_approve", "release.create", { bundle: `${nope}.zip`, key: "no-such-key", operator: "nobody", operatorPassphrase: "x", secret: null, onProgress: "CHANNEL" }],
    ["release_export", "release.export", { bundle: `${nope}.zip`, folder: work, encryptTo: [], overwrite: false }],
    ["verify_bundle", "release.verify", { bundle: `${nope}.zip`, artifactsDir: null, policies: [], passphrase: null, identityFile: null, onProgress: "CHANNEL" }],
    ["verify_keyless", "release.verify", { form: { bundle: `${nope}.sigstore.json`, trusted_root: `${nope}-root.json`, artifact: nope, identity: "someone@example.com", identity_regexp: false, issuer: "https://accounts.google.com", issuer_regexp: false, repository: null, git_ref: null, workflow: null } }],
    ["save_report", "release.verify", { path: `${nope}.html`, format: "html", overwrite: false }],
    ["trust_list", "trust.list", {}],
    ["trust_import", "trust.change", { path: `${nope}.json` }],
    ["trust_export", "trust.change", { key: "no-such-key", output: `${nope}.json`, secret: null, overwrite: false }],
    ["trust_add", "trust.change", { pemPath: `${nope}.pem`, name: `ipc-${who}`, purpose: "signer", holder: who, stages: [], consent: null }],
    ["trust_policy_add", "trust.change", { path: `${nope}.rego`, consent: null }],
    ["trust_policy_remove", "trust.change", { name: "no-such-policy", consent: null }],
    ["trust_root_import", "trust.change", { path: `${nope}-root.json`, name: `ipc-${who}`, consent: null }],
    ["trust_root_remove", "trust.change", { name: "no-such-root", consent: null }],
    ["audit_list", "audit.list", { action: null, since: null }],
    ["audit_verify", "audit.verify", {}],
    ["audit_export", "audit.list", { path: path.join(work, `ipc-${who}-audit.jsonl`), overwrite: false }],
    ["get_settings", "module.list", {}],
    ["allow_module", "module.allow", { path: `${nope}.so` }],
    ["disallow_module", "module.remove", { path: `${nope}.so` }],
    ["set_vulndb_max_age", "vulndb.configure", { days: 30 }],
    ["list_operators", "operator.list", {}],
    ["add_operator", "operator.add", { name: "!bad name", roles: [], passphrase: "ipc passphrase 123", consent: null }],
    ["set_operator_disabled", "operator.change", { name: "nobody", disabled: true, consent: null }],
    ["import_vulndb", "vulndb.import", { path: `${nope}.zip`, onProgress: "CHANNEL" }],
    ["ceremony_plan", "ceremony.run", { script: `${nope}.toml` }],
    ["run_ceremony", "ceremony.run", { script: `${nope}.toml`, output: work, consent: null, passphrase: null, pin: null, soPin: null, newPin: null }],
  ];
}

/** Calls one command from the page; returns {ok, code, message}. */
async function call(browser, cmd, args) {
  return browser.execute(async (cmd, args) => {
    const t = window.__TAURI_INTERNALS__;
    const real = {};
    for (const [k, v] of Object.entries(args)) {
      real[k] = v === "CHANNEL" ? `__CHANNEL__:${t.transformCallback(() => {})}` : v;
    }
    try {
      await t.invoke(cmd, real);
      return { ok: true, code: null, message: "" };
    } catch (e) {
      return { ok: false, code: e?.code ?? "?", message: e?.message ?? String(e) };
    }
  }, cmd, args);
}

/** Runs the table on `browser` (a fresh app window). `cli` runs the CLI as the custodian. */
export async function ipcTable(browser, { work, people, cli }) {
  // The app's own registry must be what this table lists, so a new command cannot be missed.
  const registered = fs.readFileSync(path.join(import.meta.dirname, "../../src-tauri/src/main.rs"), "utf8")
    .match(/generate_handler!\[([\s\S]*?)\]/)[1]
    .split(",").map((s) => s.trim().split("::").pop()).filter(Boolean);
  const listed = [...OPEN, ...commands(work, "x").map((c) => c[0])];
  assert.deepEqual([...registered].sort(), [...listed].sort(), "the IPC table must list every registered command");

  const session = () => browser.execute(() => window.__TAURI_INTERNALS__.invoke("session_info"));
  const problems = [];
  const check = (who, cmd, r, want) => {
    if (!want(r)) problems.push(`${who}: ${cmd} -> ${r.ok ? "ok" : `${r.code}: ${r.message}`}`);
  };

  // Logged out: everything asks for a login, and writes nothing.
  await browser.execute(() => window.__TAURI_INTERNALS__.invoke("logout"));
  for (const [cmd, , args] of commands(work, "nobody")) {
    const r = await call(browser, cmd, args);
    check("logged out", cmd, r, (r) => !r.ok && r.code === "auth" && /needs a logged-in operator/.test(r.message));
  }
  assert.ok(!fs.existsSync(path.join(work, "ipc-nobody-audit.jsonl")), "a logged-out audit export wrote its file");

  // Each role: allowed exactly as the session's `may` says, which is the station's matrix.
  for (const [who, pass] of people) {
    await browser.execute((n, p) => window.__TAURI_INTERNALS__.invoke("login", { name: n, passphrase: p }), who, pass);
    const info = await session();
    assert.equal(info.operator, who);
    for (const [cmd, action, args] of commands(work, who)) {
      const r = await call(browser, cmd, args);
      if (info.may.includes(action)) {
        check(who, cmd, r, (r) => r.ok || (r.code !== "forbidden" && !/needs a logged-in operator/.test(r.message)));
      } else {
        check(who, cmd, r, (r) => !r.ok && r.code === "forbidden" && r.message.includes(who));
      }
    }
  }

  // A session whose account is disabled behind its back (by the CLI): every act is refused.
  const [who, pass] = people.find(([n]) => n === "dave");
  await browser.execute((n, p) => window.__TAURI_INTERNALS__.invoke("login", { name: n, passphrase: p }), who, pass);
  cli(["operator", "disable", who]);
  const info = await session();
  assert.equal(info.disabled, true);
  assert.deepEqual(info.may, []);
  for (const [cmd, , args] of commands(work, who)) {
    const r = await call(browser, cmd, args);
    check("disabled dave", cmd, r, (r) => !r.ok && r.code === "forbidden");
  }
  assert.ok(!fs.existsSync(path.join(work, "ipc-dave-audit.jsonl")), "a disabled account's audit export wrote its file");
  await browser.execute(() => window.__TAURI_INTERNALS__.invoke("logout"));
  assert.deepEqual(problems, [], `commands that do not follow the role matrix:\n${problems.join("\n")}`);
}
