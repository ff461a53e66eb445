// Issue 7's key flow: an agent requests a forensic interview for a
// 15-year-old; the interviewer schedules it with a Spanish interpreter; the
// girl's safe contact (e-mail) receives a Spanish appointment notice at the
// local SMTP sink, which carries no name, place or case detail.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startDemo, launchBrowser, assertAccessible, screenshot, DEMO_PASSWORD } from "./harness.mjs";

const sinkFile = process.env.HAVEN_TEST_SINK;
if (!sinkFile) {
  throw new Error("HAVEN_TEST_SINK is not set: run the browser tests with ./scripts/test, which starts the SMTP sink and SMS stub");
}
const [smtpPort, httpPort] = readFileSync(sinkFile, "utf8").trim().split(/\s+/);
const sink = `http://127.0.0.1:${httpPort}`;

let demo;
let browser;

before(async () => {
  await fetch(`${sink}/reset`, { method: "POST" });
  demo = await startDemo({
    HAVEN_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    HAVEN_MAIL_FROM: "Haven demo <notices@demo.haven.test>",
  });
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

async function messagesTo(address) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const all = await (await fetch(`${sink}/messages`)).json();
    const mine = all.filter((m) => m.to === address);
    if (mine.length > 0) return mine;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no message reached ${address} within 30 s`);
}

test("an agent requests an interview for a 15-year-old, the interviewer schedules it with a Spanish interpreter, and her safe contact gets a Spanish notice", async () => {
  const agent = await (await browser.newContext()).newPage();
  await signIn(agent, "agent@demo.haven.test");
  await agent.goto(`${demo.base}/cases`);
  await agent.getByRole("link", { name: "Lucía Prueba (demo)" }).click();
  const caseUrl = agent.url();
  await agent.getByRole("link", { name: "Request a forensic interview" }).click();
  await agent.getByRole("heading", { level: 1, name: "Request a forensic interview" }).waitFor();
  await assertAccessible(agent, "interview request");
  await agent.getByLabel("Why the interview is needed").fill("Establish who recruited her and where she worked (demo).");
  await agent.getByLabel("Cultural considerations").fill("Prefers a woman interviewer (demo).");
  await agent.getByRole("button", { name: "Request the interview" }).click();
  await agent.getByText("The request was sent to the interviewers.").waitFor();
  assert.match(await agent.locator("dl.facts").textContent(), /Yes: a child or a traumatized person \(VAP-1\)/);
  assert.match(await agent.locator("dl.facts").textContent(), /15/);

  // The interviewer finds it in the queue and schedules it.
  const riley = await (await browser.newContext()).newPage();
  await signIn(riley, "interviewer@demo.haven.test");
  await riley.getByRole("link", { name: "Interviews" }).click();
  await riley.getByRole("heading", { level: 1, name: "Interview requests and schedule" }).waitFor();
  await assertAccessible(riley, "interview queue");
  await riley.getByRole("link", { name: "Requested" }).first().click();
  await riley.getByRole("heading", { level: 2, name: "Schedule the interview" }).waitFor();
  const interviewer = await riley.getByLabel("Interviewer", { exact: true }).locator("option").allTextContents();
  assert.deepEqual(interviewer, ["Riley Interviewer (demo)"], "only forensic interview specialists for a child");
  // Without an interpreter the schedule is refused (she needs one).
  const day = new Date(Date.now() + 3 * 24 * 3600 * 1000).toISOString().slice(0, 10);
  await riley.getByLabel("Date and time (local)").fill(`${day}T10:00`);
  await riley.getByLabel("Place", { exact: true }).fill("Child advocacy center, room 2 (demo)");
  await riley.getByRole("button", { name: "Save the schedule" }).click();
  await riley.getByText("This person needs an interpreter: name the interpreter.").waitFor();
  await riley.getByLabel("Interpreter", { exact: true }).fill("Marta Intérprete (demo)");
  assert.equal(await riley.getByLabel("Interpretation language").inputValue(), "es");
  await riley.getByLabel("Accompanying specialist").selectOption({ label: "Sam Specialist (demo)" });
  await riley.getByRole("button", { name: "Save the schedule" }).click();
  await riley.getByText("The interview is scheduled and the person will get an appointment notice.").waitFor();
  assert.equal(await riley.locator("#interview-when").textContent(), `${day} 10:00`);
  assert.match(await riley.locator("#interview-interpreter").textContent(), /Marta Intérprete \(demo\) \(es\)/);
  await assertAccessible(riley, "interview scheduled");
  await screenshot(riley, "interview-scheduled");

  // The notice reaches her safe contact, in Spanish, with her code word.
  const [mail] = await messagesTo("lucia@demo.haven.test");
  assert.equal(mail.channel, "email");
  assert.equal(mail.subject, "Un mensaje para usted");
  assert.match(mail.body, new RegExp(`^girasol: Tiene una cita el ${day} 10:00\\. Sam estará con usted\\.`));
  for (const word of ["Lucía", "Prueba", "advocacy", "Marta", "trata", "Riley"]) {
    assert.ok(!mail.body.includes(word) && !mail.subject.includes(word), `the notice must not carry "${word}"`);
  }

  // The case shows the notice as sent.
  await agent.goto(caseUrl);
  const notices = agent.locator("#notices");
  await agent.waitForFunction(() => document.querySelector("#notices .notice-status")?.textContent === "sent", null, { timeout: 10_000 }).catch(() => {});
  await agent.reload();
  assert.match(await notices.textContent(), /Appointment \(R-2\) — E-mail •+@demo\.haven\.test, es: sent/);
  assert.match(await agent.locator("#interviews").textContent(), /Scheduled/);
  await assertAccessible(agent, "case with interview and notice");
  await screenshot(agent, "case-notices");

  // In Spanish, the interview page too.
  await riley.goto(`${demo.base}/language/es?next=${encodeURIComponent(new URL(riley.url()).pathname)}`);
  await riley.getByRole("heading", { level: 1, name: /Entrevista forense/ }).waitFor();
  await assertAccessible(riley, "interview in Spanish");
});
