// Shared set-up for browser tests: a spawned `haven demo` and Debian's Chromium.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";

const root = path.resolve(import.meta.dirname, "../..");
export const artifacts = path.resolve(process.env.HAVEN_TEST_ARTIFACTS ?? path.join(root, "test-artifacts"));
export const DEMO_PASSWORD = "haven-demo";

function havenBinary() {
  const bin = process.env.HAVEN_BIN ?? path.join(root, "target/debug/haven");
  return bin;
}

function chromiumPath() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return execFileSync("sh", ["-c", "command -v chromium"]).toString().trim();
  } catch {
    throw new Error("Chromium is not installed: run ./scripts/test, which installs Debian's chromium package");
  }
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitReady(base, child, logs) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`haven demo exited early:\n${logs.join("")}`);
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.status === 200) return;
    } catch { /* not yet listening */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`haven demo did not become ready:\n${logs.join("")}`);
}

/** Starts `haven demo` on a fresh data directory and a free port. */
export async function startDemo(extraEnv = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), "haven-browser-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logs = [];
  const child = spawn(havenBinary(), ["demo", "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir], {
    env: { ...process.env, HAVEN_LOG_LEVEL: "warn", ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d) => logs.push(d.toString()));
  child.stderr.on("data", (d) => logs.push(d.toString()));
  await waitReady(base, child, logs);
  return {
    base,
    logs,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r() : child.on("exit", r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Fails on any serious or critical axe violation, listing them. */
export async function assertAccessible(page, label) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (bad.length > 0) {
    const detail = bad.map((v) => `${v.impact}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`).join("\n");
    throw new Error(`${label}: ${bad.length} serious/critical accessibility violations:\n${detail}`);
  }
  return results;
}

export async function screenshot(page, name) {
  const dir = path.join(artifacts, "screenshots");
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}
