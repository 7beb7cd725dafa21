// Starts the real built app under tauri-driver (port 4444) in front of WebKitWebDriver (4445)
// and returns a webdriverio session on it. Shared by e2e.mjs and the benchmark (bench.mjs).
import { spawn } from "node:child_process";
import net from "node:net";
import { remote } from "webdriverio";

function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => { s.destroy(); resolve(true); });
    s.on("error", () => resolve(false));
  });
}

async function waitPorts(ports, timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if ((await Promise.all(ports.map(portOpen))).every(Boolean)) return;
    if (Date.now() > end) throw new Error(`tauri-driver: ports ${ports} not open after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts tauri-driver and a session on `app`; returns {browser, stop}. */
export async function startApp(app) {
  const driver = spawn("tauri-driver", ["--port", "4444", "--native-port", "4445"], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  const stop = async (browser) => {
    try { if (browser) await browser.deleteSession(); } catch { /* the window may be gone */ }
    driver.kill();
  };
  try {
    await waitPorts([4444, 4445]);
    const browser = await remote({
      hostname: "127.0.0.1",
      port: 4444,
      logLevel: "warn",
      connectionRetryTimeout: 60000,
      capabilities: {
        browserName: "wry",
        "wdio:enforceWebDriverClassic": true,
        "tauri:options": { application: app },
      },
    });
    return { browser, stop: () => stop(browser) };
  } catch (e) {
    driver.kill();
    throw e;
  }
}
