// report() equals `meshlb report --format json`, and document() is meshlb's reader.

import assert from "node:assert/strict";
import { test } from "node:test";

import { cliJson, examples, meshlb, read, schemas, throwsCleanly, validate } from "./helpers.mjs";

const scenarios = examples.filter((f) => f.endsWith(".yaml"));

for (const file of scenarios) {
  test(`report ${file} equals meshlb report --format json`, () => {
    const expected = cliJson(["report", file, "--format", "json"]);
    const actual = meshlb.report(read(file));
    assert.deepStrictEqual(actual, expected);
    assert.deepStrictEqual(validate(schemas.report, actual), []);
  });
}

test("report takes the client from --from and --locality as the CLI does", () => {
  const file = "examples/default.yaml";
  const options = { from: "west/bookinfo", locality: "us-west/us-west-1a" };
  const expected = cliJson(["report", file, "--format", "json", "--from", options.from]);
  const actual = meshlb.report(read(file), { from: options.from });
  assert.deepStrictEqual(actual, expected);
  const listed = meshlb.report(read(file), options).locations.find((l) => l.listed);
  assert.equal(listed.name, "west/bookinfo@us-west/us-west-1a");
});

test("a failure domain of the sweep, passed as explain's fail, moves what the report says", () => {
  const text = read("examples/default.yaml");
  const report = meshlb.report(text);
  const client = report.locations.find((l) => l.listed);
  const host = meshlb.explain(text).host;
  for (const s of report.sweep) {
    if (s.outages.some((o) => o.location === client.name && o.host === host)) continue;
    const moved = s.moved.find((m) => m.location === client.name && m.host === host);
    const before = meshlb.explain(text);
    const after = meshlb.explain(text, { fail: [s.failure] });
    const share = (e, a, p) => e.endpoints.filter((x) => x.address === a && x.port === p).reduce((t, x) => t + x.share, 0);
    const keys = new Set([...before.endpoints, ...after.endpoints].map((e) => `${e.address}:${e.port}`));
    let left = 0;
    for (const k of keys) {
      const [a, p] = [k.slice(0, k.lastIndexOf(":")), Number(k.slice(k.lastIndexOf(":") + 1))];
      left += Math.max(0, share(before, a, p) - share(after, a, p));
    }
    if (moved) assert.ok(Math.abs(moved.share - left) < 1e-9, `${s.failure}: moved ${moved.share} vs ${left}`);
    else assert.ok(left < 1e-9, `${s.failure}: the report moves nothing, explain moves ${left}`);
  }
});

test("report refuses Envoy input and bad options with the CLI's words", () => {
  const e = throwsCleanly(assert, () => meshlb.report(read("examples/envoy/ring-hash.json")), "Envoy input");
  assert.match(e.message, /report needs a meshlb scenario/);
  const o = throwsCleanly(assert, () => meshlb.report(read("examples/default.yaml"), { fail: ["zone=x/y"] }), "fail");
  assert.match(o.message, /unknown option "fail"/);
});

test("document() reads YAML as meshlb does, keeps istioVersion as written, and errors name the line", () => {
  const doc = meshlb.document("istioVersion: 1.30\nclusters:\n  - name: a   # a comment\n");
  assert.deepStrictEqual(doc, { istioVersion: "1.30", clusters: [{ name: "a" }] });
  for (const file of examples) {
    const text = read(file);
    const doc = meshlb.document(text);
    // The object, as JSON, explains as the text does.
    assert.deepStrictEqual(meshlb.explain(JSON.stringify(doc)).endpoints, meshlb.explain(text).endpoints, file);
  }
  const e = throwsCleanly(assert, () => meshlb.document("clusters:\n  - name: [\n"), "bad YAML");
  assert.match(e.message, /^input: .*line/);
});

test("explain carries the topology, the rules that applied and the setting in force", () => {
  const e = meshlb.explain(read("examples/default.yaml"));
  assert.equal(e.client.config_cluster, "east");
  assert.deepStrictEqual(e.destination_rule, { namespace: "bookinfo", name: "reviews", cluster: "east", path: e.destination_rule.path });
  assert.match(e.destination_rule.path, /^config\[\d+\]\.resources\[\d+\]$/);
  assert.equal(e.locality_settings[0].source, "destination-rule");
  assert.ok(e.topology.clusters.some((c) => c.primary));
  // A gateway's endpoints' shares add up to the gateway's share.
  for (const g of e.endpoints.filter((x) => x.kind === "gateway")) {
    const sum = g.behind_endpoints.reduce((t, b) => t + b.share, 0);
    assert.ok(Math.abs(sum - g.share) < 1e-12, `${g.address}: ${sum} vs ${g.share}`);
  }
});

test("withHealth() sets one endpoint's health where the format keeps it", () => {
  const envoy = read("examples/envoy/spillover-panic.json");
  const edited = meshlb.withHealth(envoy, "10.1.1.4", 9080, "DEGRADED");
  const e = meshlb.explain(edited);
  assert.equal(e.endpoints.find((x) => x.address === "10.1.1.4").health, "DEGRADED");
  // Only that endpoint changed: the rest explains as before.
  const before = meshlb.explain(envoy);
  assert.deepStrictEqual(
    e.endpoints.filter((x) => x.address !== "10.1.1.4").map((x) => [x.address, x.health]),
    before.endpoints.filter((x) => x.address !== "10.1.1.4").map((x) => [x.address, x.health]),
  );
  const scenario = read("examples/default.yaml");
  const doc = meshlb.withHealth(meshlb.document(scenario), "10.1.0.12", 9080, "DEGRADED", "east");
  assert.equal(doc.workloads.find((w) => w.address === "10.1.0.12").health, "DEGRADED");
  assert.equal(
    meshlb.explain(doc).topology.workloads.find((w) => w.address === "10.1.0.12").health,
    "DEGRADED",
  );
  const none = throwsCleanly(assert, () => meshlb.withHealth(scenario, "10.9.9.9", 9080, "HEALTHY"), "no endpoint");
  assert.match(none.message, /no endpoint 10\.9\.9\.9:9080/);
  const bad = throwsCleanly(assert, () => meshlb.withHealth(scenario, "10.1.0.12", 9080, "fine"), "bad health");
  assert.match(bad.message, /^health: unknown health status "fine"; expected one of UNKNOWN/);
});
