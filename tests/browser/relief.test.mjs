// Issue 5's key flow: a law-enforcement agent drafts a U certification from
// the case, a certifying official of the agency signs it, and the case shows
// the filing deadline the signature starts (U-7: six months).
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

async function signIn(page, login) {
  await page.goto(`${demo.base}/sign-in`);
  await page.getByLabel("Email or user name").fill(login);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Six calendar months after `d` (UTC), falling back to the month's last day. */
function sixMonthsAfter(d) {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + 6;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const day = Math.min(d.getUTCDate(), last);
  return new Date(Date.UTC(y, m, day)).toISOString().slice(0, 10);
}

async function fitsWidth(page, label) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  assert.ok(scroll <= width + 1, `${label}: page is ${scroll}px wide in a ${width}px window`);
}

test("an agent drafts a U certification, a certifying official signs it, the case shows the filing deadline", async () => {
  // The agent, on the demo case's team, opens its relief tab.
  const agent = await (await browser.newContext()).newPage();
  await signIn(agent, "agent@demo.haven.test");
  await agent.goto(`${demo.base}/cases`);
  await agent.getByRole("link", { name: "Elena Ejemplo (demo)" }).click();
  await agent.getByRole("link", { name: "Relief and benefits" }).click();
  await agent.getByRole("heading", { level: 1, name: /Relief and benefits/ }).waitFor();
  const reliefUrl = agent.url();
  // Continued Presence: a victim and potential witness, but discretionary
  // until a federal official asks (CP-1): "may qualify", and the agency's
  // level decides the next step.
  const cp = agent.locator("article.pathway", { has: agent.getByRole("heading", { name: /^Continued Presence/ }) });
  assert.match(await cp.textContent(), /May qualify/);
  assert.match(await cp.textContent(), /federal, state, local or tribal\?/);
  // The U visa still needs the certification (U-4).
  const u = agent.locator("article.pathway", { has: agent.getByRole("heading", { name: /^U visa\b/ }) }).first();
  assert.match(await u.textContent(), /Has a certifying official signed Form I-918 Supplement B\?/);
  await assertAccessible(agent, "relief tab");
  await screenshot(agent, "relief-tab");

  await agent.getByRole("button", { name: "Draft a U certification (I-918 B)" }).click();
  await agent.getByRole("heading", { level: 1, name: "U Nonimmigrant Status Certification (I-918 Supplement B)" }).waitFor();
  assert.ok(await agent.getByText("Draft created from the case.").isVisible());
  assert.equal(await agent.getByLabel("Victim's name").inputValue(), "Elena Ejemplo (demo)");
  assert.ok(await agent.getByRole("checkbox", { name: "Peonage" }).isChecked(), "crimes come from the trackers");
  await agent.getByLabel("Where the crime occurred").fill("Houston, Texas");
  await agent.getByLabel("What happened").fill("Recruited for domestic work, held without pay, documents taken (demo).");
  await agent.getByLabel("How the victim has been, is or is likely to be helpful").fill("Gave two interviews and identified the employer (demo).");
  for (const s of [
    "I am a certifying official of this agency.",
    "This agency detects, investigates, prosecutes, convicts or sentences the criminal activity.",
    "The person is a victim of qualifying criminal activity that this agency is investigating or prosecuting.",
    "The person has information about the criminal activity.",
    "The person has been, is being or is likely to be helpful.",
    "The criminal activity violated U.S. law or occurred in the United States.",
  ]) {
    await agent.getByRole("checkbox", { name: s }).check();
  }
  // U-5: who signs, and the agency's kind, are on the certification.
  await agent.getByLabel("The signer is").selectOption({ label: "A supervisor the head designated" });
  await agent.getByLabel("Kind of certifying agency").selectOption({ label: "Local law enforcement" });
  await agent.getByRole("button", { name: "Save the draft" }).click();
  await agent.getByText("Saved.").waitFor();
  assert.equal(await agent.getByRole("button", { name: "Sign", exact: true }).count(), 0, "an agent cannot sign");
  await assertAccessible(agent, "certification draft");
  await screenshot(agent, "relief-certification-draft");

  // The certifying official signs in with the second factor and finds it waiting.
  const official = await (await browser.newContext()).newPage();
  await signIn(official, "certifier@demo.haven.test");
  await official.waitForURL(/\/sign-in\/mfa$/);
  await official.getByLabel("Security code").fill(totp(DEMO_TOTP_KEY));
  await official.getByRole("button", { name: "Continue" }).click();
  await official.getByRole("link", { name: "1 declarations or certifications wait for your signature." }).click();
  await official.getByRole("heading", { level: 2, name: "Waiting for your signature" }).waitFor();
  await assertAccessible(official, "deadlines and signing queue");
  await official.getByRole("link", { name: "U Nonimmigrant Status Certification (I-918 Supplement B)" }).click();
  await official.getByText("the six months to file the I-918 start today (U-7)").waitFor();
  await official.getByRole("button", { name: "Sign", exact: true }).click();
  await official.getByText("Signed.", { exact: true }).waitFor();
  assert.ok(await official.getByText("content unchanged").isVisible());
  assert.match(await official.locator("code.hash").textContent(), /^[0-9a-f]{64}$/);
  assert.equal(await official.getByRole("button", { name: "Save the draft" }).count(), 0, "signed means read-only");
  await assertAccessible(official, "signed certification");
  await screenshot(official, "relief-certification-signed");
  // Printable: the print stylesheet hides the site's chrome and forms.
  await official.emulateMedia({ media: "print" });
  assert.equal(await official.locator(".site-header").isVisible(), false);
  assert.ok(await official.getByText("Houston, Texas").isVisible());
  await official.emulateMedia({ media: "screen" });

  // The case now shows the filing deadline the signature started.
  const fileBy = sixMonthsAfter(new Date());
  await agent.goto(reliefUrl);
  const uNow = agent.locator("article.pathway", { has: agent.getByRole("heading", { name: /^U visa\b/ }) }).first();
  const text = await uNow.textContent();
  assert.match(text, /Likely qualifies/);
  assert.match(text, /who may certify\. \[U-5\]/, "the signer recorded with the signature (U-5)");
  assert.ok(text.includes(`${fileBy} — Last day to file the I-918 with the certification`), text);
  assert.match(text, /\[U-7\]/);
  await screenshot(agent, "relief-tab-after-signature");
  // The deadline dashboard lists it for the case team.
  await agent.goto(`${demo.base}/relief/deadlines?days=365`);
  const row = agent.getByRole("row", { name: /Last day to file the I-918/ });
  assert.match(await row.textContent(), new RegExp(`${fileBy}.*Elena Ejemplo \\(demo\\)`));
  // Usable on a phone.
  await agent.setViewportSize({ width: 320, height: 800 });
  await agent.goto(reliefUrl);
  await fitsWidth(agent, "relief tab at 320 px");
  await screenshot(agent, "relief-tab-320");
  await agent.context().close();
  await official.context().close();
});

test("the relief tab speaks Spanish and trackers save with a clear error for impossible facts", async () => {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, "specialist@demo.haven.test");
  await page.goto(`${demo.base}/cases`);
  await page.getByRole("link", { name: "Elena Ejemplo (demo)" }).click();
  await page.getByRole("link", { name: "Relief and benefits" }).click();
  const url = page.url();
  // A grant before its request cannot be true: refused, nothing saved.
  const cpForm = page.locator("#tracker-continued_presence");
  await cpForm.locator("summary").click();
  await cpForm.getByLabel("Requested on", { exact: true }).fill("2026-03-10");
  await cpForm.getByLabel("Granted on").fill("2026-03-01");
  await cpForm.getByRole("button", { name: "Save" }).click();
  await page.getByRole("alert").getByText(/These facts cannot all be true; nothing was saved/).waitFor();
  assert.match(await page.getByRole("alert").textContent(), /Granted on/);
  await cpForm.locator("summary").click();
  await cpForm.getByLabel("Requested on", { exact: true }).fill("2026-03-01");
  await cpForm.getByLabel("Granted on").fill("2026-03-10");
  await cpForm.getByRole("button", { name: "Save" }).click();
  await page.getByText("Saved. The pathways below are up to date.").waitFor();
  const cp = page.locator("article.pathway", { has: page.getByRole("heading", { name: /^Continued Presence/ }) });
  assert.match(await cp.textContent(), /Obtained/);
  assert.match(await cp.textContent(), /Continued Presence expires/);
  await page.goto(`${demo.base}/language/es?next=${encodeURIComponent(new URL(url).pathname)}`);
  await page.getByRole("heading", { level: 1, name: /Alivio migratorio y beneficios/ }).waitFor();
  assert.ok(await page.getByText("Vence la Presencia Continuada").first().isVisible());
  await assertAccessible(page, "relief tab in Spanish");
  await screenshot(page, "relief-tab-es");
  await page.context().close();
});
