// The first pages: sign-in and the home shell, in English and Spanish, on a
// desktop and a 320 px phone, checked with axe.
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

async function newPage(viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  // The quick exit leaves for a public site; answer it locally so that no
  // test traffic leaves the machine.
  await context.route("https://www.weather.gov/**", (route) =>
    route.fulfill({ status: 200, contentType: "text/html", body: "<!doctype html><title>Weather</title><h1>Weather</h1>" }),
  );
  return context.newPage();
}

async function signIn(page, login) {
  await page.goto(`${demo.base}/sign-in`);
  await page.getByLabel("Email or user name").fill(login);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("the sign-in page renders, is accessible, and starts with the skip link", async () => {
  const page = await newPage();
  await page.goto(`${demo.base}/`);
  assert.match(page.url(), /\/sign-in$/, "signed-out visitors are sent to sign in");
  await assert.doesNotReject(page.getByRole("heading", { level: 1, name: "Sign in to Haven" }).waitFor());
  assert.equal(await page.locator("html").getAttribute("lang"), "en");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to main content");
  await assertAccessible(page, "sign-in page");
  await screenshot(page, "sign-in");
  await page.context().close();
});

test("a wrong password is explained, accessibly, without saying which part was wrong", async () => {
  const page = await newPage();
  await page.goto(`${demo.base}/sign-in`);
  await page.getByLabel("Email or user name").fill("specialist@demo.haven.test");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.textContent(), /email or password is not right/);
  assert.equal(await page.getByLabel("Password").getAttribute("aria-invalid"), "true");
  await assertAccessible(page, "sign-in error");
  await screenshot(page, "sign-in-error");
  await page.context().close();
});

test("a specialist signs in, sees the home page, switches to Spanish and signs out", async () => {
  const page = await newPage();
  await signIn(page, "specialist@demo.haven.test");
  await page.getByRole("heading", { level: 1, name: "Welcome, Sam Specialist (demo)" }).waitFor();
  assert.ok(await page.getByText("Victim assistance specialist").isVisible());
  assert.ok(await page.getByRole("navigation", { name: "Main navigation" }).isVisible());
  assert.ok(await page.getByText("every person and case here is fictional").isVisible(), "the demo says it is a demo");
  await assertAccessible(page, "home page");
  await screenshot(page, "home");

  await page.getByRole("link", { name: "Español" }).click();
  await page.getByRole("heading", { level: 1, name: /Bienvenido\/a, Sam Specialist/ }).waitFor();
  assert.equal(await page.locator("html").getAttribute("lang"), "es");
  assert.ok(await page.getByRole("link", { name: "Salida rápida" }).isVisible());
  await assertAccessible(page, "home page in Spanish");
  await screenshot(page, "home-es");

  await page.getByRole("button", { name: "Cerrar sesión", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Iniciar sesión en Haven" }).waitFor();
  await page.goto(`${demo.base}/`);
  assert.match(page.url(), /\/sign-in$/, "signed out for real");
  await page.context().close();
});

test("the home page works on a 320 px wide phone", async () => {
  const page = await newPage({ width: 320, height: 640 });
  await signIn(page, "supervisor@demo.haven.test");
  await page.getByRole("heading", { level: 1 }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no sideways scrolling at 320 px (overflow ${overflow}px)`);
  await assertAccessible(page, "home at 320 px");
  await screenshot(page, "home-320px");
  await page.context().close();
});

test("quick exit leaves Haven at once, ends the session, and Back shows no case data", async () => {
  const page = await newPage();
  await page.goto("about:blank");
  await signIn(page, "specialist@demo.haven.test");
  await page.getByRole("heading", { level: 1 }).waitFor();
  await page.getByRole("link", { name: "Quick exit" }).click();
  await page.waitForURL("https://www.weather.gov/");
  // The sign-out beacon is delivered as the page goes away; give it the
  // moment a person takes to reach for Back (and fail if it never lands).
  const deadline = Date.now() + 5000;
  for (;;) {
    const res = await page.context().request.get(`${demo.base}/`, { maxRedirects: 0 });
    if (res.status() === 303 && res.headers()["location"] === "/sign-in") break;
    assert.ok(Date.now() < deadline, "the quick exit did not end the session within 5 s");
    await new Promise((r) => setTimeout(r, 50));
  }
  await page.goBack().catch(() => {});
  await page.waitForLoadState();
  if (page.url().startsWith(demo.base)) {
    assert.match(page.url(), /\/sign-in$/, `Back went to ${page.url()}`);
    assert.equal(await page.getByText("Welcome").count(), 0, "nothing from the signed-in page");
  }
  await page.goto(`${demo.base}/`);
  assert.match(page.url(), /\/sign-in$/, "the quick exit ended the session");

  // Escape twice does the same, for when a hand is not on the mouse.
  await signIn(page, "specialist@demo.haven.test");
  await page.getByRole("heading", { level: 1 }).waitFor();
  await page.keyboard.press("Escape");
  await page.keyboard.press("Escape");
  await page.waitForURL("https://www.weather.gov/");
  await page.context().close();
});
