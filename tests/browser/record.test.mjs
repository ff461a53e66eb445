// Issue 4's key flow: a specialist registers a victim (saving a draft on the
// way), records needs, builds a plan, requests emergency funds, and a
// supervisor approves them; the case shows the decision.
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

/** No horizontal scrolling at the current width. */
async function fitsWidth(page, label) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  assert.ok(scroll <= width + 1, `${label}: page is ${scroll}px wide in a ${width}px window`);
}

test("register, assess needs, plan, request funds, supervisor approves", async () => {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, "specialist@demo.haven.test");
  await page.goto(`${demo.base}/cases/new`);
  await assertAccessible(page, "intake form");

  // Start the intake, save a draft, come back to it.
  await page.getByLabel("Full name").fill("Rosa Prueba (demo)");
  await page.getByLabel("Estimated age (if the date of birth is unknown)").fill("29");
  await page.getByLabel("Citizenship status").selectOption("foreign_national");
  await page.getByLabel("Languages (codes, preferred first)").fill("es");
  await page.getByRole("checkbox", { name: "Needs an interpreter" }).check();
  await page.getByRole("button", { name: "Save as draft" }).click();
  await page.getByText("Draft saved.").waitFor();
  assert.equal(await page.getByLabel("Full name").inputValue(), "Rosa Prueba (demo)");
  await page.goto(`${demo.base}/cases/new`);
  await page.getByText("Your saved drafts (1)").click();
  await page.getByRole("link", { name: "Rosa Prueba (demo)" }).click();
  assert.equal(await page.getByLabel("Languages (codes, preferred first)").inputValue(), "es");

  // A wrong answer is explained next to the question; nothing typed is lost.
  await page.getByLabel("E-mail").fill("not-an-address");
  await page.getByLabel("Safe way to contact").selectOption("through_specialist");
  await page.getByLabel("Type of exploitation").selectOption("labor");
  await page.getByRole("checkbox", { name: "Holds identity or travel documents" }).check();
  await page.getByRole("group", { name: "Does someone else keep your ID or passport?" }).getByLabel("Yes").check();
  await page.getByRole("button", { name: "Register", exact: true }).click();
  await page.getByRole("alert").getByText("E-mail: Write an e-mail address like name@example.org.").waitFor();
  assert.equal(await page.getByLabel("Full name").inputValue(), "Rosa Prueba (demo)");
  assert.ok(await page.getByRole("checkbox", { name: "Holds identity or travel documents" }).isChecked());
  await page.getByLabel("E-mail").fill("");
  await page.getByRole("button", { name: "Register", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Rosa Prueba (demo)" }).waitFor();
  const caseUrl = page.url();
  assert.ok(await page.getByText("about 29 years (estimated)").isVisible());
  assert.ok(await page.getByText("This is a screening, not a legal finding.").isVisible());
  await screenshot(page, "record-registered");

  // Needs.
  await page.locator("summary", { hasText: "Record a need" }).click();
  await page.getByLabel("Need", { exact: true }).selectOption("housing");
  await page.getByLabel("Urgency").first().selectOption("immediate");
  await page.getByLabel("Details (optional)").fill("No safe place to sleep tonight.");
  await page.getByRole("button", { name: "Record a need" }).click();
  await page.getByRole("heading", { level: 3, name: /Housing and shelter/ }).waitFor();
  await page.locator("summary", { hasText: "Record a need" }).click();
  await page.getByLabel("Need", { exact: true }).selectOption("legal_immigration");
  await page.getByLabel("Urgency").first().selectOption("high");
  await page.getByRole("button", { name: "Record a need" }).click();
  await page.getByRole("heading", { level: 3, name: /Legal help: immigration/ }).waitFor();

  // The plan: a goal for the housing need, and a task.
  const housing = page.locator("article.need", { hasText: "Housing and shelter" });
  await housing.locator("summary", { hasText: "Add a plan item" }).click();
  await housing.getByLabel("Goal").fill("Shelter bed tonight, then transitional housing");
  await housing.getByLabel("Target date").fill("2026-12-15");
  await housing.getByRole("button", { name: "Add a plan item" }).click();
  await housing.locator("ul.plan strong", { hasText: "Shelter bed tonight, then transitional housing" }).waitFor();
  await page.locator("summary", { hasText: "Add a task" }).click();
  await page.getByLabel("Task", { exact: true }).fill("Call Cedar House about a bed");
  await page.getByLabel("Due date").fill("2026-12-01");
  await page.getByRole("button", { name: "Add a task" }).click();
  await page.locator("ul.tasks").getByText("Call Cedar House about a bed").waitFor();

  // Emergency funds: a bad amount is explained, then the request goes in.
  await page.locator("summary", { hasText: "Request emergency funds" }).click();
  await page.getByLabel("Amount").fill("a lot");
  await page.getByLabel("What it pays for").fill("Two nights in a motel until a shelter bed opens");
  await page.getByRole("button", { name: "Request emergency funds" }).click();
  await page.getByText("Amount: Write an amount of money").waitFor();
  assert.equal(await page.getByLabel("What it pays for").inputValue(), "Two nights in a motel until a shelter bed opens");
  await page.getByLabel("Amount").fill("180.00");
  await page.getByLabel("Spending category").selectOption("lodging");
  await page.getByRole("button", { name: "Request emergency funds" }).click();
  await page.getByRole("cell", { name: "Waiting for a decision" }).waitFor();
  await assertAccessible(page, "case page with needs, plan and a fund request");
  await screenshot(page, "record-case");
  await page.setViewportSize({ width: 320, height: 700 });
  await fitsWidth(page, "case page at 320px");
  await page.context().close();

  // The supervisor approves within their limit; the balance goes down.
  const sup = await (await browser.newContext()).newPage();
  await signIn(sup, "supervisor@demo.haven.test");
  await sup.getByRole("link", { name: /fund request\(s\) wait for your decision/ }).click();
  await assertAccessible(sup, "funds page");
  const request = sup.locator("article.fund-request", { hasText: "Two nights in a motel" });
  await request.getByRole("button", { name: "Approve" }).click();
  await sup.getByText("Approved.").waitFor();
  assert.ok(await sup.getByText("Balance: $4,820.00").isVisible());
  assert.ok(await sup.getByRole("cell", { name: "Lodging" }).isVisible());
  await screenshot(sup, "record-funds-approved");
  await sup.context().close();

  // The specialist sees the decision and records the payment.
  const back = await (await browser.newContext()).newPage();
  await signIn(back, "specialist@demo.haven.test");
  await back.goto(caseUrl);
  await back.getByRole("cell", { name: /^Approved/ }).waitFor();
  await back.getByLabel("Paid how").selectOption({ label: "Card" });
  await back.getByRole("button", { name: "Record payment" }).click();
  await back.getByText("Payment recorded.").waitFor();
  assert.ok(await back.getByRole("cell", { name: "Paid" }).isVisible());

  // The same page in Spanish.
  await back.goto(`${demo.base}/language/es?next=${encodeURIComponent(new URL(caseUrl).pathname)}`);
  await back.getByRole("heading", { level: 2, name: "Necesidades y plan de servicios" }).waitFor();
  await assertAccessible(back, "case page in Spanish");
  await back.context().close();
});

test("the rights notice prints in English and Spanish with its sources", async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${demo.base}/rights-notice?lang=es`);
  await page.getByRole("heading", { level: 1, name: "Sus derechos como víctima de un delito" }).waitFor();
  assert.ok(await page.getByText("28 CFR 1100.33").first().isVisible());
  await assertAccessible(page, "rights notice");
  await page.goto(`${demo.base}/rights-notice?lang=en`);
  await page.getByText("Help is never conditional on working with law enforcement.").waitFor();
  await page.context().close();
});
