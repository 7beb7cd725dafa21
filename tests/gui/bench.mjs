// Benchmark: the window's event-loop stalls while the app hashes a big file. A
// requestAnimationFrame monitor in the page records every gap between frames while the Sign
// wizard hashes $BIG_FILE with its progress bar; the same monitor runs first with the app idle
// as the baseline. Prints one JSON line. Run by scripts/bench-app.sh.
import { startApp } from "./driver.mjs";

const { APP, BIG_FILE } = process.env;
const { browser, stop } = await startApp(APP);
const $ = (tid) => browser.$(`[data-testid="${tid}"]`);
try {
  await (await $("login-name")).waitForDisplayed({ timeout: 30000 });
  await (await $("login-name")).setValue("admin");
  await (await $("login-pass")).setValue("admin passphrase");
  await (await $("login-button")).click();
  await (await $("station-operator")).waitForDisplayed({ timeout: 30000 });
  await (await $("nav-sign")).click();
  await (await $("artifact-path")).waitForDisplayed({ timeout: 10000 });

  const monitor = () => {
    window.__gaps = [];
    window.__stop = false;
    let last = performance.now();
    const tick = (t) => {
      window.__gaps.push(t - last);
      last = t;
      if (!window.__stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  };
  const collect = () => {
    window.__stop = true;
    const g = window.__gaps.slice(1).sort((a, b) => a - b);
    const q = (p) => g[Math.min(g.length - 1, Math.floor(p * g.length))];
    return { frames: g.length, max_ms: g[g.length - 1], p99_ms: q(0.99), median_ms: q(0.5), over_100ms: g.filter((x) => x > 100).length };
  };

  await browser.execute(monitor);
  await browser.pause(3000);
  const idle = await browser.execute(collect);

  await (await $("artifact-path")).setValue(BIG_FILE);
  await (await $("artifact-add")).click();
  await (await $("rel-name")).setValue("bench");
  await (await $("rel-version")).setValue("1");
  const keySelect = await $("rel-key");
  await keySelect.waitForEnabled({ timeout: 10000 });
  await keySelect.selectByAttribute("value", "bench");
  await browser.execute(monitor);
  // Next hashes with the progress bar, then shows step 2. The page itself waits for that, so no
  // WebDriver polling competes with the frames being measured.
  await browser.setTimeout({ script: 15 * 60 * 1000 });
  const hash_s = await browser.executeAsync((done) => {
    const t0 = performance.now();
    document.querySelector('[data-testid="wizard-next"]').click();
    const step = document.querySelector('[data-testid="wizard-step"]');
    const check = () =>
      step.getAttribute("data-step") === "2" ? done((performance.now() - t0) / 1000) : setTimeout(check, 100);
    check();
  });
  const hashing = await browser.execute(collect);
  console.log(JSON.stringify({ idle, hashing, hash_s }));
} finally {
  await stop();
}
