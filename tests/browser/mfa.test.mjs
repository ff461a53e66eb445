// The second sign-in step: setting up an authenticator app, and signing in
// with a TOTP code, in Chromium, checked with axe.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDemo, launchBrowser, assertAccessible, screenshot, DEMO_PASSWORD } from "./harness.mjs";
import { totp } from "./totp.mjs";

const DEMO_TOTP_KEY = "HAVENDEMOTOTPSECRETKEYFORTESTING";
let demo;
let browser;

before(async () => {
  demo = await startDemo();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

async function password(page, login) {
  await page.goto(`${demo.base}/sign-in`);
  await page.getByLabel("Email or user name").fill(login);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("the known TOTP rule vector holds (RFC 6238, t=59)", () => {
  // "12345678901234567890" in base32
  assert.equal(totp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 59), "287082");
});

test("an account with a second factor signs in with password then code", async () => {
  const page = await (await browser.newContext()).newPage();
  await password(page, "certifier@demo.haven.test");
  await page.waitForURL(/\/sign-in\/mfa$/);
  await page.getByRole("heading", { level: 1, name: "Enter your security code" }).waitFor();
  await assertAccessible(page, "code challenge");
  await screenshot(page, "mfa-challenge");

  await page.getByLabel("Security code").fill("000000");
  await page.getByRole("button", { name: "Continue" }).click();
  assert.match(await page.getByRole("alert").textContent(), /not right, or it was already used/);

  await page.getByLabel("Security code").fill(totp(DEMO_TOTP_KEY));
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("heading", { level: 1, name: "Welcome, Casey Certifier (demo)" }).waitFor();
  assert.ok(await page.getByText("The second sign-in step is on for your account.").isVisible());
  await page.context().close();
});

test("a specialist sets up an authenticator app, saves recovery codes, and signs in with a code", async () => {
  const page = await (await browser.newContext()).newPage();
  await password(page, "specialist@demo.haven.test");
  await page.getByRole("link", { name: "Set up a second sign-in step" }).click();
  await page.getByRole("heading", { level: 1, name: "Set up a second sign-in step" }).waitFor();
  assert.ok(await page.getByRole("img", { name: "QR code for your authenticator app" }).isVisible());
  await assertAccessible(page, "second-step setup");
  await screenshot(page, "mfa-setup");

  const key = (await page.getByTestId("totp-secret").textContent()).trim();
  const enrolledAt = Date.now() / 1000;
  await page.getByLabel("Enter the 6-digit code").fill(totp(key, enrolledAt));
  await page.getByRole("button", { name: "Turn on the second step" }).click();
  await page.getByRole("heading", { level: 1, name: "Save your recovery codes" }).waitFor();
  const codes = await page.getByTestId("recovery-codes").locator("code").allTextContents();
  assert.equal(codes.length, 10);
  await assertAccessible(page, "recovery codes");
  await screenshot(page, "mfa-recovery-codes");
  await page.getByRole("link", { name: "I have saved my codes" }).click();
  await page.getByRole("button", { name: "Sign out", exact: true }).click();

  // Next sign-in asks for a code; the one used to enrol is refused.
  await password(page, "specialist@demo.haven.test");
  await page.waitForURL(/\/sign-in\/mfa$/);
  await page.getByLabel("Security code").fill(totp(key, enrolledAt));
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("alert").waitFor();
  await page.getByLabel("Security code").fill(totp(key, enrolledAt + 30));
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("heading", { level: 1, name: "Welcome, Sam Specialist (demo)" }).waitFor();
  await page.context().close();
});
