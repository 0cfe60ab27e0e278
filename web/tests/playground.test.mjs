// Browser tests of the playground: playwright-core drives Debian's chromium (headless) against
// the built page (target/dist/web), served by a tiny static server started here.
//
// Run with `cargo xtask test-web` (installs chromium and playwright-core when missing, builds the
// wasm package and the CLI, then runs `node --test web/tests/`). Environment:
//   MESHLB_WEB_DIR      the built playground (default: target/dist/web)
//   MESHLB_BIN          the meshlb CLI (default: `cargo run -q -p meshlb-cli --`)
//   MESHLB_SCREENSHOTS  where screenshots go (default: target/screenshots)
//   CHROMIUM            the browser (default: /usr/bin/chromium)
//
// Every page fails its test on any console error, page error, failed request or HTTP error.
// Numbers shown by the page are compared with the CLI's for the same scenario: the page hands
// meshlb the scenario with its what-ifs as JSON (the What-if tab shows it), and the test runs
// `meshlb explain` on that JSON.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "./server.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const WEB = resolve(process.env.MESHLB_WEB_DIR ?? join(ROOT, "target/dist/web"));
const SHOTS = resolve(process.env.MESHLB_SCREENSHOTS ?? join(ROOT, "target/screenshots"));
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** The page's stroke width for a flow carrying all requests (draw.js FULL_WIDTH). */
const FULL_WIDTH = 26;

let server;
let context;
let scratch;

before(async () => {
  for (const file of ["index.html", "pkg/meshlb.js", "pkg/meshlb_wasm_bg.wasm", "presets/presets.json"]) {
    assert.ok(existsSync(join(WEB, file)), `${join(WEB, file)} is missing: build the playground first (cargo xtask test-web does)`);
  }
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (cargo xtask test-web does)`);
  scratch = mkdtempSync(join(tmpdir(), "meshlb-web-"));
  mkdirSync(SHOTS, { recursive: true });
  server = await serve(WEB);
  // A fresh profile every run; launchPersistentContext is how playwright takes --user-data-dir.
  context = await chromium.launchPersistentContext(join(scratch, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    viewport: { width: 1280, height: 800 },
  });
});

after(async () => {
  await context?.close();
  await server?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Helpers

/** `meshlb ARGS...` → stdout. */
function meshlb(args) {
  const [program, prefix] = process.env.MESHLB_BIN
    ? [process.env.MESHLB_BIN, []]
    : ["cargo", ["run", "-q", "-p", "meshlb-cli", "--"]];
  return execFileSync(program, [...prefix, ...args], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 });
}

let counter = 0;
/** The CLI's explanation of scenario text (YAML or JSON), with `--fail` for each failure. */
function cliExplain(text, fails = []) {
  const file = join(scratch, `scenario-${counter++}.json`);
  writeFileSync(file, text);
  return JSON.parse(meshlb(["explain", file, "--format", "json", ...fails.flatMap((f) => ["--fail", f])]));
}

/** Opens the playground at `hash`; collects every error the page reports. */
async function open(hash = "", { width = 1280, height = 800 } = {}) {
  const page = await context.newPage();
  await page.setViewportSize({ width, height });
  const errors = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console.error: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(server.url + hash);
  try {
    await page.waitForSelector("body[data-ready]", { timeout: 15000 });
  } catch (e) {
    const said = await page.textContent("#diagram").catch(() => "");
    throw new Error(`the page did not draw: ${e.message}\nerrors: ${errors.join("\n")}\npage: ${said}`);
  }
  return { page, errors };
}

/** Runs `action` and waits until the page has drawn again. */
async function redraw(page, action) {
  const before = Number(await page.getAttribute("body", "data-renders"));
  await action();
  await page.waitForFunction((n) => Number(document.body.dataset.renders) > n, before, { timeout: 10000 });
}

/** Waits until the URL holds the view drawn last (the page saves it shortly after drawing). */
async function settled(page) {
  await page.waitForFunction(() => document.body.dataset.saved === document.body.dataset.renders, null, { timeout: 10000 });
  return page.url();
}

/** What the page shows: share rows, chips, flows, priorities, drops, the JSON it explained. */
function shown(page) {
  return page.evaluate(() => {
    const num = (v) => (v === null || v === "" ? null : Number(v));
    return {
      status: document.querySelector("#diagram").dataset.status,
      rows: [...document.querySelectorAll("#shares tr.share-row")].map((r) => ({
        address: r.dataset.address,
        port: Number(r.dataset.port),
        cluster: r.dataset.cluster || null,
        subset: r.dataset.subset || null,
        priority: Number(r.dataset.priority),
        share: Number(r.dataset.share),
        text: r.querySelector("td.explained").textContent.trim(),
        observed: num(r.querySelector("td.observed").dataset.observed),
        count: num(r.querySelector("td.observed").dataset.count),
      })),
      chips: [...document.querySelectorAll("#diagram .ep")].map((c) => ({
        key: c.dataset.key,
        address: c.dataset.address,
        port: Number(c.dataset.port),
        cluster: c.dataset.cluster || null,
        state: c.dataset.state,
        health: c.dataset.health,
        share: Number(c.dataset.share),
        reason: c.dataset.reason ?? null,
        locality: c.closest(".locality")?.dataset.locality ?? null,
      })),
      gateways: [...document.querySelectorAll("#diagram .gateway")].map((g) => ({
        address: g.dataset.address,
        port: Number(g.dataset.port),
        share: Number(g.dataset.share),
      })),
      flows: [...document.querySelectorAll("#diagram svg.flows path.flow")].map((p) => ({
        from: p.dataset.from,
        to: p.dataset.to,
        share: Number(p.dataset.share),
        width: Number(p.getAttribute("stroke-width")),
        behind: p.classList.contains("behind"),
      })),
      priorities: [...document.querySelectorAll("#priorities li.priority")].map((li) => ({
        priority: Number(li.dataset.priority),
        subset: li.dataset.subset || null,
        load: Number(li.dataset.load),
      })),
      dropped: [...document.querySelectorAll("#dropped li[data-reason]")].map((li) => ({
        address: li.dataset.address,
        port: Number(li.dataset.port),
        reason: li.dataset.reason,
        text: li.textContent,
      })),
      json: document.querySelector("#export-json").value,
      fails: JSON.parse(document.querySelector("#diagram").dataset.fails ?? "[]"),
      notes: [...document.querySelectorAll("#notes li")].map((li) => li.textContent),
      failureNotes: [...document.querySelectorAll("#notes li.fail-note")].map((li) => li.textContent),
    };
  });
}

/** The page's percentage text for a share (draw.js pct). */
function pct(share) {
  const v = share * 100;
  if (v === 0) return "0%";
  if (Math.abs(v - Math.round(v)) < 0.005) return `${Math.round(v)}%`;
  if (v < 1) return `${v.toFixed(2)}%`;
  return `${v.toFixed(1)}%`;
}

/**
 * The page shows exactly what the CLI computes for the scenario the page explained, with the
 * failures the page passed to meshlb as `--fail` (its notes too): status,
 * every endpoint's share (as data and as text), every chip's and gateway's share, each
 * priority's load, each drop's reason; and every flow is as wide as its share says.
 */
async function assertMatchesCli(page, label) {
  const s = await shown(page);
  const cli = cliExplain(s.json, s.fails);
  assert.equal(s.status, cli.status, `${label}: status`);
  assert.deepEqual(s.notes, cli.notes, `${label}: notes`);
  assert.equal(s.rows.length, cli.endpoints.length, `${label}: one share row per endpoint`);
  cli.endpoints.forEach((e, i) => {
    const row = s.rows[i];
    const what = `${label}: ${e.address}:${e.port}`;
    assert.deepEqual(
      [row.address, row.port, row.cluster, row.subset, row.priority],
      [e.address, e.port, e.cluster ?? null, e.subset ?? null, e.priority],
      what,
    );
    assert.equal(row.share, e.share, `${what}: share`);
    assert.equal(row.text.endsWith(pct(e.share)), true, `${what}: shown as ${pct(e.share)}, not ${row.text}`);
  });
  // Chips and gateways: the sum of the CLI's shares for that endpoint.
  const sum = (pred) => cli.endpoints.filter(pred).reduce((a, e) => a + e.share, 0);
  for (const chip of s.chips.filter((c) => c.state === "sent")) {
    const expected = sum((e) => e.kind !== "gateway" && e.address === chip.address && e.port === chip.port && (e.cluster ?? null) === chip.cluster);
    assert.ok(Math.abs(chip.share - expected) < 1e-12, `${label}: chip ${chip.key} share ${chip.share} vs ${expected}`);
  }
  for (const gw of s.gateways) {
    const expected = sum((e) => e.kind === "gateway" && e.address === gw.address && e.port === gw.port);
    assert.ok(Math.abs(gw.share - expected) < 1e-12, `${label}: gateway ${gw.address} share ${gw.share} vs ${expected}`);
  }
  assert.deepEqual(
    s.priorities,
    cli.priorities.map((p) => ({ priority: p.priority, subset: p.subset ?? null, load: p.healthy_load + p.degraded_load })),
    `${label}: priority loads`,
  );
  assert.deepEqual(
    s.dropped.map((d) => [d.address, d.port, d.reason]),
    cli.dropped.map((d) => [d.address, d.port, d.reason]),
    `${label}: dropped`,
  );
  for (const d of s.dropped) {
    const c = cli.dropped.find((x) => x.address === d.address && x.port === d.port);
    assert.ok(d.text.includes(c.message), `${label}: the drop of ${d.address} says why`);
  }
  for (const f of s.flows) {
    const expected = Math.max(1.5, f.share * FULL_WIDTH);
    assert.ok(Math.abs(f.width - expected) < 0.01, `${label}: flow to ${f.to} is ${f.width} wide, share ${f.share}`);
  }
  // A flow on from a gateway carries what meshlb says reaches that endpoint through gateways.
  for (const f of s.flows.filter((x) => x.behind)) {
    const expected = cli.endpoints
      .filter((e) => e.kind === "gateway")
      .flatMap((e) => e.behind_endpoints ?? [])
      .filter((b) => f.to === `w:${b.cluster}|${b.address}:${b.port}`)
      .reduce((a, b) => a + b.share, 0);
    assert.ok(Math.abs(f.share - expected) < 1e-12, `${label}: flow on to ${f.to} carries ${f.share}, meshlb says ${expected}`);
  }
  return { s, cli };
}

/** Fails on any error the page reported. */
function assertNoErrors(errors) {
  assert.deepEqual(errors, [], "the page reported errors");
}

// ---------------------------------------------------------------------------------------------
// Tests

test("loads with no error and draws the default scenario as the CLI explains it", async () => {
  const { page, errors } = await open();
  assert.match(await settled(page), /#preset=default$/);
  const { s } = await assertMatchesCli(page, "default");
  const yaml = readFileSync(join(ROOT, "examples/default.yaml"), "utf8");
  assert.deepEqual(cliExplain(yaml), cliExplain(s.json), "the page explains the preset unchanged");

  // The picture: the client in its cluster and zone; the P0 endpoint gets the widest flow;
  // the proxyless pod in west is greyed with its reason; west's pods stand behind a gateway.
  const client = await page.$eval('[data-key="client"]', (el) => ({
    cluster: el.closest(".cluster").dataset.cluster,
    locality: el.closest(".locality").dataset.locality,
  }));
  assert.deepEqual(client, { cluster: "east", locality: "us-east/us-east-1a" });
  const widest = s.flows.reduce((a, b) => (b.width > a.width ? b : a));
  assert.equal(widest.to, "w:east|10.1.0.11:9080");
  assert.equal(widest.share, 0.7);
  const dropped = s.chips.find((c) => c.address === "10.3.0.33");
  assert.equal(dropped.state, "dropped");
  assert.equal(dropped.reason, "proxyless-cross-network");
  const title = await page.getAttribute('.ep[data-address="10.3.0.33"]', "title");
  assert.match(title, /proxyless-cross-network/);
  assert.deepEqual(
    s.chips.filter((c) => c.state === "behind").map((c) => c.address).sort(),
    ["10.3.0.31", "10.3.0.32"],
  );
  assert.equal(await page.locator('#priorities li[data-priority="0"]').textContent().then((t) => /70%/.test(t)), true);
  assertNoErrors(errors);
  await page.close();
});

test("failing the client's zone moves the traffic to the failover locality, as the CLI says", async () => {
  const { page, errors } = await open();
  // Fail us-east/us-east-1a (the client's zone): P0 has no healthy host left.
  await redraw(page, () => page.click(".locality.client-locality button.fail"));
  let { s, cli } = await assertMatchesCli(page, "client zone failed");
  assert.equal(await page.getAttribute(".locality.client-locality button.fail", "aria-pressed"), "true");
  const targets = (flows) => flows.filter((f) => f.from === "client").map((f) => f.to).sort();
  assert.deepEqual(targets(s.flows), ["w:east-b|10.2.0.21:9080", "w:east-b|10.2.0.22:9080"]);
  for (const f of s.flows) assert.equal(f.share, 0.5);
  assert.deepEqual(
    cli.endpoints.filter((e) => e.share > 0).map((e) => e.locality),
    ["us-east/us-east-1b", "us-east/us-east-1b"],
  );
  await page.screenshot({ path: join(SHOTS, "default-zone-failed.png") });

  // Fail the rest of the region too: the failover rule us-east → us-west takes over, through
  // west's east-west gateway, which spreads over the pods behind it.
  await redraw(page, () => page.click('.locality[data-zone="us-east/us-east-1b"] button.fail'));
  ({ s, cli } = await assertMatchesCli(page, "region failed"));
  assert.deepEqual(targets(s.flows), ["g:net2|192.0.2.20:15443"]);
  assert.equal(s.gateways.find((g) => g.address === "192.0.2.20").share, 1);
  assert.deepEqual(
    s.flows.filter((f) => f.behind).map((f) => f.to).sort(),
    ["w:west|10.3.0.31:9080", "w:west|10.3.0.32:9080"],
  );
  assert.equal(cli.endpoints.find((e) => e.share > 0).locality, "us-west/us-west-1a");
  // The failures are meshlb's operation, not edits of the scenario: the exported scenario is
  // the preset's, and the page says which `--fail` flags reproduce the view.
  assert.deepEqual(s.fails, ["zone=us-east/us-east-1a", "zone=us-east/us-east-1b"]);
  assert.deepEqual(cliExplain(s.json), cliExplain(readFileSync(join(ROOT, "examples/default.yaml"), "utf8")));
  assert.equal(
    await page.textContent("#export-fail-command"),
    "meshlb explain meshlb-scenario.json --fail zone=us-east/us-east-1a --fail zone=us-east/us-east-1b",
  );
  // The proxy-wasm filter's configuration carries the scenario and the failures (`fail`).
  const filterConfiguration = JSON.parse(await page.inputValue("#export-filter"));
  assert.deepEqual(Object.keys(filterConfiguration).sort(), ["fail", "input", "name"]);
  assert.deepEqual(filterConfiguration.input, JSON.parse(s.json));
  assert.deepEqual(filterConfiguration.fail, s.fails);

  // Undo both from the What-if tab: back to the default explanation.
  await page.click("#tab-whatif");
  await redraw(page, () => page.click("#reset-whatif"));
  ({ s } = await assertMatchesCli(page, "reset"));
  assert.deepEqual(s.fails, []);
  assert.equal(s.flows.find((f) => f.to === "w:east|10.1.0.11:9080").share, 0.7);
  assertNoErrors(errors);
  await page.close();
});

test("what-if controls (client, remote secrets, outlier detection, failover) match the CLI", async () => {
  const { page, errors } = await open();
  await page.click("#tab-whatif");

  // No remote secret for west: east's control plane no longer sees west's pods.
  await redraw(page, () => page.click("#secret-east-west"));
  let { s } = await assertMatchesCli(page, "no secret east→west");
  assert.ok(s.dropped.some((d) => d.reason === "no-remote-secret"));
  await redraw(page, () => page.click("#secret-east-west"));

  // Without outlierDetection Istio sets no failover priorities: everything is P0.
  await redraw(page, () => page.click("#outlier"));
  ({ s } = await assertMatchesCli(page, "no outlierDetection"));
  assert.deepEqual(s.priorities.map((p) => p.priority), [0]);
  await redraw(page, () => page.click("#outlier"));

  // The failover rule off, then the whole region failed: us-west is then only "another region".
  await redraw(page, () => page.click("#failover-us-east-us-west"));
  await assertMatchesCli(page, "no failover rule");
  await redraw(page, () => page.click("#fail-cluster-east"));
  await assertMatchesCli(page, "no failover rule, east failed");

  // The client moves to west.
  await redraw(page, () => page.selectOption("#client-cluster", "west"));
  ({ s } = await assertMatchesCli(page, "client in west"));
  assert.equal(await page.$eval('[data-key="client"]', (el) => el.closest(".cluster").dataset.cluster), "west");
  await redraw(page, () => page.selectOption("#client-locality", "us-west/us-west-1a"));
  await assertMatchesCli(page, "client in west, us-west-1a");

  // The list of what-ifs in force names them, and the URL carries them.
  const inForce = await page.locator(".in-force li").allTextContents();
  assert.ok(inForce.length >= 3, `what-ifs listed: ${inForce}`);
  const url = await settled(page);
  // The URL keeps the open tab too (`v=whatif`).
  assert.match(url, /#preset=default&w=.*&f=cluster%3Deast&v=whatif$/);
  const { s: before } = await assertMatchesCli(page, "before sharing");

  // The link reproduces the view.
  const second = await open(url.slice(server.url.length));
  const { s: after } = await assertMatchesCli(second.page, "shared link");
  assert.deepEqual(after.rows, before.rows);
  assert.equal(after.json, before.json);
  assertNoErrors(second.errors);
  await second.page.close();
  assertNoErrors(errors);
  await page.close();
});

test("clicking an endpoint cycles it (failed, DEGRADED, HEALTHY); the keyboard reaches it and keeps focus", async () => {
  const { page, errors } = await open();
  // Tab through the page until the P0 endpoint has the focus, then press Enter.
  let focused = null;
  for (let i = 0; i < 40 && focused !== "w:east|10.1.0.11:9080"; i++) {
    await page.keyboard.press("Tab");
    focused = await page.evaluate(() => document.activeElement?.dataset?.key ?? null);
  }
  assert.equal(focused, "w:east|10.1.0.11:9080", "the endpoint is reachable with Tab");
  await redraw(page, () => page.keyboard.press("Enter"));
  assert.equal(await page.evaluate(() => document.activeElement?.dataset?.key), "w:east|10.1.0.11:9080", "focus stays");
  // The first press fails it: meshlb's `endpoint=` failure, a not-ready pod (sent UNHEALTHY).
  let { s } = await assertMatchesCli(page, "10.1.0.11 failed");
  assert.deepEqual(s.fails, ["endpoint=10.1.0.11:9080"]);
  assert.equal(s.chips.find((c) => c.address === "10.1.0.11").health, "UNHEALTHY");
  assert.equal(await page.getAttribute('.ep[data-address="10.1.0.11"]', "data-failed"), "true");
  assert.deepEqual(
    s.rows.map((r) => [r.address, r.share]),
    JSON.parse(meshlb(["explain", join(ROOT, "examples/default.yaml"), "--fail", "endpoint=10.1.0.11:9080", "--format", "json"]))
      .endpoints.map((e) => [e.address, e.share]),
  );

  // A what-if checkbox toggled from the keyboard keeps the focus too.
  await page.click("#tab-whatif");
  await page.focus("#outlier");
  await redraw(page, () => page.keyboard.press("Space"));
  assert.equal(await page.evaluate(() => document.activeElement?.id), "outlier", "focus stays on the checkbox");
  assert.equal(await page.isChecked("#outlier"), false);
  await assertMatchesCli(page, "10.1.0.11 failed, no outlierDetection");
  await redraw(page, () => page.keyboard.press("Space"));

  // The second press: no longer failed, DEGRADED (a health, not a failure); the third: HEALTHY.
  await redraw(page, () => page.click('.ep[data-address="10.1.0.11"]'));
  ({ s } = await assertMatchesCli(page, "10.1.0.11 DEGRADED"));
  assert.deepEqual(s.fails, []);
  assert.equal(s.chips.find((c) => c.address === "10.1.0.11").health, "DEGRADED");
  await redraw(page, () => page.click('.ep[data-address="10.1.0.11"]'));
  ({ s } = await assertMatchesCli(page, "10.1.0.11 HEALTHY"));
  assert.equal(s.chips.find((c) => c.address === "10.1.0.11").health, "HEALTHY");

  // Mouse: 10.1.0.12 goes UNHEALTHY → DEGRADED.
  await redraw(page, () => page.click('.ep[data-address="10.1.0.12"]'));
  ({ s } = await assertMatchesCli(page, "10.1.0.12 DEGRADED"));
  assert.equal(s.chips.find((c) => c.address === "10.1.0.12").health, "DEGRADED");
  assertNoErrors(errors);
  await page.close();
});

/** The CLI's explanation of the default preset with `--fail` for each failure. */
function cliDefault(fails) {
  return JSON.parse(
    meshlb(["explain", join(ROOT, "examples/default.yaml"), "--format", "json", ...fails.flatMap((f) => ["--fail", f])]),
  );
}

/** The page's share rows as [address, port, cluster, priority, share], and the CLI's. */
const rowsOf = (s) => s.rows.map((r) => [r.address, r.port, r.cluster, r.priority, r.share]);
const cliRows = (cli) => cli.endpoints.map((e) => [e.address, e.port, e.cluster ?? null, e.priority, e.share]);

test("Fail zone is meshlb's --fail zone=: the CLI's shares and notes, kept in the URL, undone by a second click", async () => {
  const { page, errors } = await open();
  const button = '.locality[data-zone="us-east/us-east-1a"] button.fail';
  assert.equal(await page.getAttribute(button, "data-failure"), "zone=us-east/us-east-1a");
  await redraw(page, () => page.click(button));
  let s = await shown(page);
  // Exactly `meshlb explain examples/default.yaml --fail zone=us-east/us-east-1a --format json`.
  const cli = cliDefault(["zone=us-east/us-east-1a"]);
  assert.deepEqual(s.fails, ["zone=us-east/us-east-1a"]);
  assert.equal(s.status, cli.status);
  assert.deepEqual(rowsOf(s), cliRows(cli));
  for (const [i, e] of cli.endpoints.entries()) assert.ok(s.rows[i].text.endsWith(pct(e.share)), s.rows[i].text);
  assert.deepEqual(s.notes, cli.notes);
  assert.ok(s.notes.some((n) => n.startsWith("--fail zone=us-east/us-east-1a:")), `a failure note: ${s.notes}`);
  // Marked as failure notes: those the CLI codes `failure`, and no others.
  const coded = cli.notes.filter((_, i) => cli.note_codes[i] === "failure");
  assert.ok(coded.length > 0, `${cli.note_codes}`);
  assert.deepEqual(s.failureNotes, coded);
  // The scenario itself is not edited: the exported JSON is the preset's.
  assert.deepEqual(cliExplain(s.json), cliDefault([]));
  await assertMatchesCli(page, "zone us-east-1a failed");

  // The URL keeps the failure; the link reproduces the view.
  const url = await settled(page);
  assert.match(url, /#preset=default&f=zone%3Dus-east%2Fus-east-1a$/);
  const second = await open(url.slice(server.url.length));
  const again = await shown(second.page);
  assert.deepEqual(again.fails, ["zone=us-east/us-east-1a"]);
  assert.deepEqual(rowsOf(again), cliRows(cli));
  assert.equal(await second.page.getAttribute(button, "aria-pressed"), "true");
  await second.page.click("#tab-whatif");
  assert.equal(await second.page.isChecked("#fail-zone-us-east-us-east-1a"), true);
  assert.deepEqual(await second.page.locator(".in-force li").allTextContents(), ["zone us-east/us-east-1a failed×"]);
  assertNoErrors(second.errors);
  await second.page.close();

  // Requests sent now are meshlb pick's with the same failure.
  await page.fill("#send-n", "1000");
  await page.fill("#send-seed", "3");
  await page.click("#send");
  await page.waitForSelector('#send-result[data-done="true"]', { timeout: 20000 });
  s = await shown(page);
  const picked = meshlb(["pick", join(ROOT, "examples/default.yaml"), "--requests", "1000", "--seed", "3", "--fail", "zone=us-east/us-east-1a"])
    .trim()
    .split("\n");
  const expected = new Map();
  for (const p of picked) expected.set(p, (expected.get(p) ?? 0) + 1);
  const counts = new Map();
  for (const r of s.rows) if (r.count) counts.set(`${r.address}:${r.port}`, (counts.get(`${r.address}:${r.port}`) ?? 0) + r.count);
  assert.deepEqual(counts, expected);

  // A second click restores the zone: the default explanation, and a URL without the failure.
  await redraw(page, () => page.click(button));
  s = await shown(page);
  assert.deepEqual(s.fails, []);
  assert.deepEqual(rowsOf(s), cliRows(cliDefault([])));
  assert.equal(await page.getAttribute(button, "aria-pressed"), "false");
  assert.match(await settled(page), /#preset=default$/);
  assertNoErrors(errors);
  await page.close();
});

test("Fail istiod is --fail control-plane=: its notes show; Fail gateways is --fail network=", async () => {
  const { page, errors } = await open();
  // The client's own control plane (east, a primary) down: the explanation stands, a note says
  // the client keeps working on its last configuration.
  const istiod = '.cluster[data-cluster="east"] button[data-fail-control-plane="east"]';
  assert.equal(await page.textContent(istiod), "Fail istiod");
  await redraw(page, () => page.click(istiod));
  let { s, cli } = await assertMatchesCli(page, "istiod of east failed");
  assert.deepEqual(s.fails, ["control-plane=east"]);
  assert.deepEqual(cli.notes, cliDefault(["control-plane=east"]).notes);
  assert.ok(s.notes.some((n) => n.startsWith("--fail control-plane=east:")), `the control plane's note: ${s.notes}`);
  assert.equal(await page.textContent(istiod), "Restore istiod");

  // With the zone failed as well, the client does not see it: the failure note says so, and the
  // shares stay the pre-failure ones.
  await redraw(page, () => page.click('.locality[data-zone="us-east/us-east-1a"] button.fail'));
  ({ s, cli } = await assertMatchesCli(page, "istiod down, zone failed"));
  assert.deepEqual(s.fails, ["control-plane=east", "zone=us-east/us-east-1a"]);
  assert.deepEqual(rowsOf(s), cliRows(cliDefault([])));
  assert.deepEqual(s.notes, cliDefault(["control-plane=east", "zone=us-east/us-east-1a"]).notes);
  // The What-if tab lists both and shows meshlb's failure notes.
  await page.click("#tab-whatif");
  const whatIfNotes = await page.locator("#whatif .fail-notes li").allTextContents();
  assert.deepEqual(whatIfNotes, s.notes.filter((n) => n.startsWith("--fail ")));
  await page.screenshot({ path: join(SHOTS, "default-istiod-failed.png") });
  await page.click("#tab-traffic");
  await redraw(page, () => page.click(istiod));
  await redraw(page, () => page.click('.locality[data-zone="us-east/us-east-1a"] button.fail'));

  // net2's east-west gateways down: west's pods are unreachable; the gateway is marked.
  const gateways = '.network[data-network="net2"] button[data-fail-network="net2"]';
  await redraw(page, () => page.click(gateways));
  ({ s, cli } = await assertMatchesCli(page, "net2's gateways failed"));
  assert.deepEqual(s.fails, ["network=net2"]);
  assert.deepEqual(rowsOf(s), cliRows(cliDefault(["network=net2"])));
  assert.equal(await page.$eval('.gateway[data-address="192.0.2.20"]', (g) => g.classList.contains("failed")), true);
  await redraw(page, () => page.click(gateways));
  ({ s } = await assertMatchesCli(page, "net2 restored"));
  assert.deepEqual(s.fails, []);
  assertNoErrors(errors);
  await page.close();
});

test("an invalid edit shows the error at its line and keeps the last good drawing", async () => {
  const { page, errors } = await open();
  await page.click("#tab-scenario");
  const good = await page.inputValue("#scenario-text");
  const lines = good.split("\n");
  const n = lines.findIndex((l) => l.includes("10.1.0.12")) + 1;
  assert.ok(n > 0);
  lines[n - 1] = lines[n - 1].replace("health: UNHEALTHY", "health: UNHEALTHYY");
  const before = await shown(page);

  await page.fill("#scenario-text", lines.join("\n"));
  await page.waitForSelector("#editor-status.error");
  const status = await page.textContent("#editor-status");
  assert.match(status, new RegExp(`^Line ${n}: .*UNHEALTHYY.*\\(line ${n}\\)`), status);
  assert.equal(await page.textContent(".gutter mark"), String(n), "the gutter marks the line");
  // The band and the message sit at that line.
  const place = await page.evaluate(() => {
    const t = document.querySelector("#scenario-text");
    const band = document.querySelector(".err-band");
    const callout = document.querySelector(".err-callout");
    return {
      top: parseFloat(band.style.top),
      scroll: t.scrollTop,
      padding: parseFloat(getComputedStyle(t).paddingTop),
      lineHeight: parseFloat(getComputedStyle(t).lineHeight),
      bandVisible: !band.hidden,
      callout: callout.hidden ? "" : callout.textContent,
    };
  });
  assert.ok(place.bandVisible);
  assert.equal(place.top, place.padding + (n - 1) * place.lineHeight - place.scroll);
  assert.match(place.callout, /UNHEALTHYY/);
  // The last good drawing stays, marked stale.
  assert.equal(await page.isVisible("#stale"), true);
  const during = await shown(page);
  assert.deepEqual(during.rows, before.rows);
  assert.deepEqual(during.chips, before.chips);

  // A YAML syntax error, too.
  const broken = good.replace("client:\n  cluster: east", "client:\n  cluster: [east");
  await page.fill("#scenario-text", broken);
  await page.waitForFunction(() => /line \d+/.test(document.querySelector("#editor-status").textContent));
  assert.equal(await page.isVisible("#stale"), true);

  // An unquoted `istioVersion: 1.30` (the number 1.3 to a YAML parser) reaches meshlb as 1.30.
  const v130 = `istioVersion: 1.30\n${good}`;
  await redraw(page, () => page.fill("#scenario-text", v130));
  assert.equal(await page.textContent("#editor-status"), "");
  const { s: shown130 } = await assertMatchesCli(page, "istioVersion 1.30");
  assert.equal(JSON.parse(shown130.json).istioVersion, "1.30");

  // Fixing the text clears the error and draws again.
  await redraw(page, () => page.fill("#scenario-text", good));
  assert.equal(await page.isVisible("#stale"), false);
  assert.equal(await page.textContent("#editor-status"), "");
  await assertMatchesCli(page, "fixed");
  assertNoErrors(errors);
  await page.close();
});

test("Envoy input (a Cluster with its load assignment) draws too, and its endpoints cycle", async () => {
  const { page, errors } = await open();
  await page.click("#tab-scenario");
  const envoy = readFileSync(join(ROOT, "examples/envoy/spillover-panic.json"), "utf8");
  await redraw(page, () => page.fill("#scenario-text", envoy));
  let { s } = await assertMatchesCli(page, "envoy");
  assert.deepEqual(cliExplain(envoy), cliExplain(s.json));
  assert.equal(s.chips.length, 15);
  assert.ok(s.flows.every((f) => f.from === "client"));
  await redraw(page, () => page.click('.ep[data-address="10.1.1.4"]'));
  ({ s } = await assertMatchesCli(page, "envoy, 10.1.1.4 UNHEALTHY → DEGRADED"));
  assert.equal(s.chips.find((c) => c.address === "10.1.1.4").health, "DEGRADED");
  assertNoErrors(errors);
  await page.close();
});

/** The CLI's report of scenario text (YAML or JSON). */
function cliReport(text) {
  const file = join(scratch, `report-${counter++}.json`);
  writeFileSync(file, text);
  return JSON.parse(meshlb(["report", file, "--format", "json"]));
}

/** What the Mesh tab shows: the sweep's bars and the heatmap's cells. */
function meshShown(page) {
  return page.evaluate(() => ({
    sweep: [...document.querySelectorAll("#mesh .sweep-row")].map((b) => ({
      failure: b.dataset.failure,
      rank: Number(b.dataset.rank),
      largest: Number(b.dataset.largest),
      pressed: b.getAttribute("aria-pressed") === "true",
      width: parseFloat(b.querySelector(".sweep-fill").style.width),
    })),
    measure: document.querySelector("#mesh table.matrix")?.dataset.measure,
    cells: [...document.querySelectorAll("#mesh table.matrix td[data-location]")].map((td) => ({
      location: td.dataset.location,
      host: td.dataset.host,
      value: td.dataset.value === undefined ? null : Number(td.dataset.value),
      status: td.dataset.status ?? null,
    })),
    chosen: document.querySelector("#mesh-chosen")?.dataset.failure ?? null,
  }));
}

test("the Mesh tab draws meshlb report; a failure domain applies to the drawing; the URL keeps both", async () => {
  const { page, errors } = await open();
  await page.click("#tab-mesh");
  await page.waitForSelector("#mesh .sweep-row");
  // Choosing a tab saves the view in the URL too.
  await page.waitForFunction(() => location.hash.endsWith("&v=mesh"), null, { timeout: 10000 });
  const url0 = await settled(page);
  assert.match(url0, /#preset=default&v=mesh$/);

  // The bars and the cells are the CLI's report of the scenario the page explained.
  let { s } = await assertMatchesCli(page, "mesh tab");
  const cli = cliReport(s.json);
  let m = await meshShown(page);
  assert.deepEqual(
    m.sweep.map((b) => [b.rank, b.failure, b.largest]),
    cli.sweep.map((x) => [x.rank, x.failure, x.largest_moved]),
  );
  for (const [i, b] of m.sweep.entries()) {
    // A stale pair sending every request to what failed counts as an outage; the bar is the
    // larger of the share moved and the share still sent to what failed.
    const x = cli.sweep[i];
    const toFailed = x.stale_to_failed[0]?.share ?? 0;
    const lost = x.outages.length > 0 || toFailed >= 1 - 1e-9;
    assert.equal(x.lost > 0, lost, `${x.failure}: lost`);
    assert.ok(Math.abs(x.largest_share - Math.max(x.largest_moved, toFailed)) < 1e-12, `${x.failure}: largest share`);
    const expected = lost ? 100 : Math.max(x.largest_moved, toFailed) * 100;
    assert.ok(Math.abs(b.width - expected) < 0.06, `${b.failure}: bar ${b.width}% vs ${expected}%`);
  }
  assert.equal(m.cells.length, cli.locations.length * cli.hosts.length, "one cell per location and host");
  assert.equal(m.measure, "cross_zone");
  for (const c of m.cells) {
    const row = cli.matrix.find((r) => r.location === c.location && r.host === c.host);
    if (row.routed > 0) assert.equal(c.value, row.cross_zone, `${c.location} → ${c.host}`);
    else assert.equal(c.status, row.status, `${c.location} → ${c.host}: not routed`);
  }
  await page.selectOption("#mesh-measure", "same_zone");
  m = await meshShown(page);
  assert.equal(m.measure, "same_zone");
  for (const c of m.cells.filter((x) => x.value !== null)) {
    assert.equal(c.value, cli.matrix.find((r) => r.location === c.location && r.host === c.host).same_zone);
  }

  // A click on the top-ranked domain: the drawing is `explain --fail` of that domain alone.
  const top = cli.sweep[0];
  await redraw(page, () => page.click(`#mesh .sweep-row[data-failure="${top.failure}"]`));
  ({ s } = await assertMatchesCli(page, `mesh: ${top.failure}`));
  assert.deepEqual(s.fails, [top.failure]);
  assert.deepEqual(rowsOf(s), cliRows(cliDefault([top.failure])));
  m = await meshShown(page);
  assert.deepEqual(m.sweep.filter((b) => b.pressed).map((b) => b.failure), [top.failure]);
  assert.equal(m.chosen, top.failure, "the tab says what the chosen failure moves");
  const url = await settled(page);
  const f = encodeURIComponent(top.failure);
  assert.ok(url.endsWith(`#preset=default&f=${f}&v=mesh&d=${f}`), url);
  await page.evaluate(() => document.querySelector("#diagram").scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, "mesh-default.png") });

  // The link reproduces the tab, the chosen domain and the drawing.
  const second = await open(url.slice(server.url.length));
  await second.page.waitForSelector("#mesh .sweep-row");
  assert.equal(await second.page.getAttribute("#tab-mesh", "aria-selected"), "true");
  const m2 = await meshShown(second.page);
  assert.deepEqual(m2.sweep.filter((b) => b.pressed).map((b) => b.failure), [top.failure]);
  const { s: again } = await assertMatchesCli(second.page, "mesh link");
  assert.deepEqual(again.rows, s.rows);
  assertNoErrors(second.errors);
  await second.page.close();

  // Another domain replaces it; a second click restores the drawing and the URL.
  const other = cli.sweep.find((x) => x.kind === "network" && x.largest_moved > 0) ?? cli.sweep[1];
  await redraw(page, () => page.click(`#mesh .sweep-row[data-failure="${other.failure}"]`));
  ({ s } = await assertMatchesCli(page, `mesh: ${other.failure}`));
  assert.deepEqual(s.fails, [other.failure]);
  await page.screenshot({ path: join(SHOTS, "mesh-default-network.png") });
  await redraw(page, () => page.click(`#mesh .sweep-row[data-failure="${other.failure}"]`));
  ({ s } = await assertMatchesCli(page, "mesh: restored"));
  assert.deepEqual(s.fails, []);
  assert.match(await settled(page), /#preset=default&v=mesh$/);

  // Another preset: the report follows the scenario.
  await redraw(page, () => page.selectOption("#preset", "multi-network"));
  await page.waitForSelector("#mesh .sweep-row");
  ({ s } = await assertMatchesCli(page, "mesh: multi-network"));
  const cli2 = cliReport(s.json);
  assert.deepEqual((await meshShown(page)).sweep.map((b) => b.failure), cli2.sweep.map((x) => x.failure));
  await page.screenshot({ path: join(SHOTS, "mesh-multi-network.png") });

  // Envoy input has no mesh: the tab says so.
  await page.click("#tab-scenario");
  await redraw(page, () => page.fill("#scenario-text", readFileSync(join(ROOT, "examples/envoy/spillover-panic.json"), "utf8")));
  await page.click("#tab-mesh");
  assert.match(await page.textContent("#mesh"), /needs a meshlb scenario/);
  assertNoErrors(errors);
  await page.close();

  const phone = await open("#preset=default&v=mesh", { width: 390, height: 844 });
  await phone.page.waitForSelector("#mesh .sweep-row");
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling at phone width (overflow ${overflow}px)`);
  await phone.page.locator("#panel").screenshot({ path: join(SHOTS, "mesh-phone-panel.png") });
  assertNoErrors(phone.errors);
  await phone.page.close();
});

test("sending requests animates seeded picks: the counts are meshlb pick's", async () => {
  const { page, errors } = await open();
  await page.fill("#send-n", "2000");
  await page.fill("#send-seed", "7");
  await page.click("#send");
  await page.waitForSelector('#send-result[data-done="true"]', { timeout: 20000 });
  const s = await shown(page);
  const picked = meshlb(["pick", join(ROOT, "examples/default.yaml"), "--requests", "2000", "--seed", "7"])
    .trim()
    .split("\n");
  const expected = new Map();
  for (const p of picked) expected.set(p, (expected.get(p) ?? 0) + 1);
  const counts = new Map();
  for (const r of s.rows) counts.set(`${r.address}:${r.port}`, (counts.get(`${r.address}:${r.port}`) ?? 0) + r.count);
  for (const [k, v] of counts) if (v === 0) counts.delete(k);
  assert.deepEqual(counts, expected);
  for (const r of s.rows) assert.ok(Math.abs(r.observed - r.share) < 0.03, `${r.address}: observed ${r.observed}, explained ${r.share}`);
  assert.match(await page.textContent("#send-result"), /2000 requests, seed 7/);
  assertNoErrors(errors);
  await page.close();
});

test("every preset draws as the CLI explains it; screenshots at 1280×800 and phone width", async () => {
  const presets = JSON.parse(readFileSync(join(WEB, "presets/presets.json"), "utf8"));
  assert.ok(presets.length >= 10, "the examples are copied as presets");
  assert.equal(presets[0].name, "default");
  const { page, errors } = await open();
  for (const preset of presets) {
    if (preset.name !== "default") await redraw(page, () => page.selectOption("#preset", preset.name));
    assert.match(await settled(page), new RegExp(`#preset=${preset.name}$`));
    const { s } = await assertMatchesCli(page, preset.name);
    const text = readFileSync(join(ROOT, "examples", preset.file), "utf8");
    assert.deepEqual(cliExplain(text), cliExplain(s.json), `${preset.name}: the page explains the preset unchanged`);
    await page.evaluate(() => document.querySelector("#diagram").scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, `${preset.name}.png`) });
  }
  assertNoErrors(errors);
  await page.close();

  const phone = await open("", { width: 390, height: 844 });
  await assertMatchesCli(phone.page, "phone");
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling at phone width (overflow ${overflow}px)`);
  await phone.page.screenshot({ path: join(SHOTS, "default-phone.png") });
  await phone.page.screenshot({ path: join(SHOTS, "default-phone-full.png"), fullPage: true });
  assertNoErrors(phone.errors);
  await phone.page.close();
});

test("text is readable: WCAG AA contrast everywhere on the page", async () => {
  const { page, errors } = await open();
  // Check the busiest states: a failed zone, a dropped endpoint, every tab.
  await redraw(page, () => page.click(".locality.client-locality button.fail"));
  const failures = [];
  for (const tab of ["#tab-traffic", "#tab-whatif", "#tab-mesh", "#tab-scenario"]) {
    await page.click(tab);
    failures.push(...(await page.evaluate(contrastFailures)));
  }
  for (const preset of ["multi-network", "meshes-untrusted", "blue-green-subsets"]) {
    await redraw(page, () => page.selectOption("#preset", preset));
    failures.push(...(await page.evaluate(contrastFailures)));
  }
  assert.deepEqual(failures, []);
  assertNoErrors(errors);
  await page.close();
});

/**
 * In the page: every visible element with text whose contrast against its background is below
 * WCAG AA (4.5:1, or 3:1 for large text). The background is the nearest opaque one up the tree;
 * for striped backgrounds (gradients) the darkest stripe is checked as well.
 */
function contrastFailures() {
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const backgrounds = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const cs = getComputedStyle(e);
      const stripes = [...cs.backgroundImage.matchAll(/rgba?\([^)]+\)/g)].map((m) => parse(m[0]));
      const bg = parse(cs.backgroundColor);
      if (stripes.length) return { layers, base: stripes };
      if (bg && bg.a > 0) {
        layers.push(bg);
        if (bg.a >= 1) return { layers: layers.slice(0, -1), base: [bg] };
      }
    }
    return { layers, base: [{ r: 255, g: 255, b: 255, a: 1 }] };
  };
  const failures = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("svg, [hidden], .sr-only, option")) continue;
    const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join("").trim();
    if (!text) continue;
    const rect = el.getBoundingClientRect();
    if (!rect.width || !rect.height) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === "hidden") continue;
    const fg = parse(cs.color);
    const { layers, base } = backgrounds(el);
    const size = parseFloat(cs.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
    for (const b of base) {
      const bg = layers.reduceRight((acc, l) => over(l, acc), b);
      const r = ratio(over(fg, bg), bg);
      if (r < (large ? 3 : 4.5)) {
        failures.push(`${el.tagName.toLowerCase()}.${el.className} "${text.slice(0, 30)}": ${r.toFixed(2)}:1`);
        break;
      }
    }
  }
  return failures;
}
