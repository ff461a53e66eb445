// A specialist registers a person and opens the case; a colleague cannot.
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

async function signIn(page, login) {
  await page.goto(`${demo.base}/sign-in`);
  await page.getByLabel("Email or user name").fill(login);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("a specialist registers a person, searching first, and opens the case", async () => {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, "specialist@demo.haven.test");
  await page.getByRole("link", { name: "My caseload" }).click();
  await page.getByRole("link", { name: "Register a person" }).click();
  await assertAccessible(page, "register a person");
  await page.getByLabel("Full name").fill("Marisol Ejemplo (demo)");
  await page.getByLabel("Date of birth", { exact: true }).fill("2010-05-17");
  await screenshot(page, "case-register");
  await page.getByRole("button", { name: "Register", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Marisol Ejemplo (demo)" }).waitFor();
  assert.ok(await page.getByText("2010-05-17").isVisible());
  await assertAccessible(page, "case page");
  await screenshot(page, "case");
  const caseUrl = page.url();

  // A release of information: the form refuses a minor's release without a
  // guardian, records a proper one, and revokes it at once.
  await page.getByLabel("Shared with").selectOption({ label: "Tri-County Anti-Trafficking Task Force (demo)" });
  await page.getByLabel("Purpose").fill("Continued Presence request");
  await page.getByRole("checkbox", { name: "Identity" }).check();
  await page.getByLabel("Expiry date (required)").fill("2027-02-28");
  await page.getByRole("checkbox", { name: "The person is an unemancipated minor" }).check();
  await page.getByRole("button", { name: "Record the release" }).click();
  assert.match(await page.getByRole("alert").textContent(), /parent or guardian.*R-4/);
  // What was typed is still there; only the guardian is missing.
  assert.equal(await page.getByLabel("Purpose").inputValue(), "Continued Presence request");
  assert.ok(await page.getByRole("checkbox", { name: "Identity" }).isChecked());
  await page.getByRole("checkbox", { name: "Parent or guardian" }).check();
  await page.getByRole("button", { name: "Record the release" }).click();
  await page.getByText("The release was recorded.").waitFor();
  assert.ok(await page.getByRole("cell", { name: "In force" }).isVisible());
  assert.ok(await page.getByRole("cell", { name: "Tri-County Anti-Trafficking Task Force (demo)" }).isVisible());
  await assertAccessible(page, "case page with a release");
  await screenshot(page, "case-release");
  await page.getByRole("button", { name: "Revoke now: Continued Presence request" }).click();
  await page.getByText("it no longer applies anywhere").waitFor();
  assert.ok(await page.getByRole("cell", { name: "Not in force" }).isVisible());

  // Registering the same person again finds the first record.
  await page.goto(`${demo.base}/cases/new`);
  await page.getByLabel("Full name").fill("marisol  ejemplo (demo)");
  await page.getByLabel("Date of birth", { exact: true }).fill("2010-05-17");
  await page.getByRole("button", { name: "Register", exact: true }).click();
  await page.getByText("already exists in your organization").waitFor();
  assert.equal(await page.getByRole("link", { name: "Open the existing record" }).getAttribute("href"), new URL(caseUrl).pathname);
  await assertAccessible(page, "duplicate found");
  await page.context().close();

  // A colleague who is not on the team finds nothing; the supervisor sees who looked.
  const other = await (await browser.newContext()).newPage();
  await signIn(other, "analyst@demo.haven.test");
  const res = await other.goto(caseUrl);
  assert.equal(res.status(), 404);
  await other.context().close();
  const sup = await (await browser.newContext()).newPage();
  await signIn(sup, "supervisor@demo.haven.test");
  await sup.goto(caseUrl);
  await sup.getByRole("heading", { level: 2, name: "Who accessed this case" }).waitFor();
  assert.ok(await sup.getByRole("cell", { name: "Case registered" }).isVisible());
  await assertAccessible(sup, "case page with access history");
  await sup.context().close();
});
