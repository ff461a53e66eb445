// Administration: an administrator adds a person; pages checked with axe.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDemo, launchBrowser, assertAccessible, screenshot, DEMO_PASSWORD } from "./harness.mjs";

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

test("an administrator adds a person, fixing a mistake the form points out", async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${demo.base}/sign-in`);
  await page.getByLabel("Email or user name").fill("admin@demo.haven.test");
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "People" }).click();
  await page.getByRole("heading", { level: 1, name: /People in Lantern Survivor Services/ }).waitFor();
  assert.ok(await page.getByRole("cell", { name: "specialist@demo.haven.test" }).isVisible());
  await assertAccessible(page, "people list");
  await screenshot(page, "admin-people");

  await page.getByLabel("Full name").fill("Dana Newhire (demo)");
  await page.getByLabel("Email or user name").fill("dana@demo.haven.test");
  await page.getByLabel("First password").fill("too short");
  await page.getByRole("checkbox", { name: "Victim assistance specialist" }).check();
  await page.getByRole("button", { name: "Add this person" }).click();
  const summary = page.getByRole("alert");
  assert.match(await summary.textContent(), /at least 12 characters/);
  await assertAccessible(page, "people form with an error");
  await screenshot(page, "admin-people-error");

  await page.getByLabel("First password").fill("a much longer first password");
  await page.getByRole("button", { name: "Add this person" }).click();
  await page.getByRole("heading", { level: 1, name: "Dana Newhire (demo)" }).waitFor();
  assert.ok(await page.getByText("The account was created.").isVisible());
  await assertAccessible(page, "person page");
  await page.context().close();
});

test("a person makes an API token, sees it once, and it works against the API", async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${demo.base}/sign-in`);
  await page.getByLabel("Email or user name").fill("admin@demo.haven.test");
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "API tokens for other programs" }).click();
  await page.getByLabel("What it is for").fill("Monthly staffing report");
  await page.getByRole("checkbox", { name: "Read organizations and staff accounts" }).check();
  await page.getByRole("button", { name: "Make the token" }).click();
  const token = (await page.getByTestId("new-token").textContent()).trim();
  assert.match(token, /^hvn_/);
  assert.ok(await page.getByRole("cell", { name: "Monthly staffing report", exact: true }).isVisible());
  await assertAccessible(page, "API tokens");
  await screenshot(page, "api-tokens");
  const res = await fetch(`${demo.base}/api/v1/users`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  assert.ok((await res.json()).some((u) => u.login === "specialist@demo.haven.test"));
  await page.context().close();
});

test("people who are not administrators find no people pages", async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${demo.base}/sign-in`);
  await page.getByLabel("Email or user name").fill("specialist@demo.haven.test");
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  assert.equal(await page.getByRole("link", { name: "People" }).count(), 0);
  const res = await page.goto(`${demo.base}/admin/users`);
  assert.equal(res.status(), 404);
  await page.getByRole("heading", { level: 1, name: "Page not found" }).waitFor();
  await page.context().close();
});
