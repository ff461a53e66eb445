// Issue 6's key flow: a specialist finds a shelter within 25 miles of a ZIP
// code that serves Spanish speakers, refers the victim's housing need to it,
// the provider signs in, accepts, and the case shows the new status. Also the
// hotline list on the case page and printed in Spanish, and the search at
// 320 px.
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

test("a specialist refers a housing need to a Spanish-speaking shelter near a ZIP code; the provider accepts; the case shows it", async () => {
  const sam = await (await browser.newContext()).newPage();
  await signIn(sam, "specialist@demo.haven.test");
  await sam.goto(`${demo.base}/cases`);
  await sam.getByRole("link", { name: "Elena Ejemplo (demo)" }).click();
  const caseUrl = sam.url();
  // Hotlines on every case page.
  const hotlines = sam.getByRole("complementary", { name: "Hotlines" });
  assert.match(await hotlines.textContent(), /1-888-373-7888/);
  assert.match(await hotlines.textContent(), /233733/);
  assert.match(await hotlines.textContent(), /1-866-347-2423/);

  // From the housing plan item, find a service: need and language come along.
  await sam.getByRole("link", { name: /^Find a service: Emergency shelter bed/ }).click();
  await sam.getByRole("heading", { level: 1, name: "Find a service" }).waitFor();
  assert.equal(await sam.getByLabel("Need").inputValue(), "housing");
  assert.equal(await sam.getByLabel("Language spoken").inputValue(), "es");
  await sam.getByLabel("Near (ZIP code, or latitude, longitude)").fill("10001");
  await sam.getByLabel("Within").selectOption("25");
  await sam.getByRole("button", { name: "Search" }).click();
  const results = sam.locator("ol.results > li");
  await results.first().waitFor();
  const names = await sam.locator("ol.results h3").allTextContents();
  assert.ok(names.includes("Emergency shelter for survivors (demo)"), names.join(", "));
  assert.ok(!names.some((n) => n.includes("Philadelphia")), "the Philadelphia shelter is about 80 miles away");
  assert.ok(!names.some((n) => n.includes("Youth shelter")), "the youth shelter serves no Spanish speakers");
  const cedar = results.filter({ hasText: "Emergency shelter for survivors (demo)" });
  assert.match(await cedar.textContent(), /about \d+ miles \(confidential location/, "a shelter's distance is approximate");
  assert.match(await cedar.textContent(), /Takes referrals in Haven/);
  await assertAccessible(sam, "directory search");
  await screenshot(sam, "directory-search");

  await cedar.getByRole("link", { name: "Emergency shelter for survivors (demo)" }).click();
  await sam.getByRole("heading", { level: 1, name: "Emergency shelter for survivors (demo)" }).waitFor();
  assert.match(await sam.locator("main").textContent(), /Confidential location/);
  assert.doesNotMatch(await sam.locator("main").textContent(), /New York, NY, 10001/, "a shelter's address stays with its organization");
  await assertAccessible(sam, "service page");
  await sam.getByRole("link", { name: "Refer to this service" }).click();
  await sam.getByRole("heading", { level: 1, name: "Send a referral" }).waitFor();
  assert.match(await sam.getByLabel("For which plan item").locator("option:checked").textContent(), /Emergency shelter bed/);
  assert.ok(await sam.getByText(/No release of information to this provider covers personal details/).isVisible());
  await sam.getByLabel("Note to the provider").fill("Needs a bed tonight; prefers Spanish (demo).");
  await assertAccessible(sam, "referral form");
  await sam.getByRole("button", { name: "Send the referral" }).click();
  await sam.getByText("Referral sent. The provider has been told.").waitFor();
  const referral = sam.locator("#referrals li.referral").first();
  assert.match(await referral.textContent(), /Waiting for the provider/);
  await screenshot(sam, "case-referral-sent");

  // The provider sees the referral (anonymous: no release) and accepts it.
  const parker = await (await browser.newContext()).newPage();
  await signIn(parker, "provider@demo.haven.test");
  await parker.getByRole("link", { name: "Referrals" }).click();
  await parker.getByRole("heading", { level: 1, name: "Incoming referrals" }).waitFor();
  const row = parker.locator("tbody tr").first();
  assert.match(await row.textContent(), /Housing/);
  assert.match(await row.textContent(), /Immediate/);
  await row.getByRole("link").click();
  await parker.getByRole("heading", { level: 1, name: /Referral/ }).waitFor();
  const main = await parker.locator("main").textContent();
  assert.match(main, /Needs a bed tonight/);
  assert.match(main, /18 to 24/, "an age range, not a birth date");
  assert.doesNotMatch(main, /Elena/, "no name without a release");
  assert.match(main, /This referral is anonymous/);
  await assertAccessible(parker, "incoming referral");
  await screenshot(parker, "provider-referral");
  // The provider cannot open the case.
  const res = await parker.goto(caseUrl);
  assert.equal(res.status(), 404);
  await parker.goBack();
  await parker.getByLabel("Accept").check();
  await parker.getByLabel("Note to the sender (optional)").fill("Bed held until 9 pm (demo).");
  await parker.getByRole("button", { name: "Save" }).click();
  await parker.getByText("Your answer was saved and the sender has been told.").waitFor();
  assert.equal((await parker.locator("#referral-status").textContent()).trim(), "Accepted");

  // The specialist sees the new status on the case.
  await sam.goto(caseUrl);
  const updated = sam.locator("#referrals li.referral").first();
  assert.match(await updated.textContent(), /Accepted/);
  await updated.getByText("History").click();
  assert.match(await updated.textContent(), /Bed held until 9 pm/);
  await assertAccessible(sam, "case with an accepted referral");
  await screenshot(sam, "case-referral-accepted");
});

test("the hotline list prints for a victim in Spanish, and the search works at 320 px in Spanish", async () => {
  const ctx = await browser.newContext({ viewport: { width: 320, height: 720 } });
  const page = await ctx.newPage();
  await signIn(page, "specialist@demo.haven.test");
  await page.goto(`${demo.base}/hotlines/print?lang=es`);
  await page.getByRole("heading", { level: 1, name: "Hay ayuda disponible" }).waitFor();
  const text = await page.locator("main").textContent();
  for (const n of ["911", "1-888-373-7888", "233733", "1-866-347-2423", "1-800-375-5283", "1-866-401-5510"]) {
    assert.ok(text.includes(n), `${n} on the printed list`);
  }
  assert.match(text, /Línea Nacional contra la Trata de Personas/);
  assert.equal(await page.getAttribute("html", "lang"), "es");
  await assertAccessible(page, "printable hotlines (es)");
  await screenshot(page, "hotlines-print-es");

  await page.goto(`${demo.base}/language/es?next=/directory`);
  await page.getByRole("heading", { level: 1, name: "Buscar un servicio" }).waitFor();
  await page.getByLabel("Palabras (nombre, descripción, idioma…)").fill("médica");
  await page.getByRole("button", { name: "Buscar" }).click();
  await page.locator("ol.results > li").first().waitFor();
  assert.ok((await page.locator("ol.results h3").allTextContents()).includes("Primary care and dental clinic (demo)"));
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width + 1, `the search page is ${scroll}px wide in a ${width}px window`);
  await assertAccessible(page, "directory search (es, 320px)");
  await screenshot(page, "directory-search-es-320");
  await ctx.close();
});
