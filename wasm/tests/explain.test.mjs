// explain() and simulate() equal the native CLI's JSON on every bundled example.

import assert from "node:assert/strict";
import { test } from "node:test";
import { TextEncoder } from "node:util";

import { cliJson, examples, meshlb, read, schemas, validate } from "./helpers.mjs";

const envoy = examples.filter((f) => f.endsWith(".json"));
const scenarios = examples.filter((f) => f.endsWith(".yaml"));

test("the examples are all there", () => {
  assert.ok(scenarios.length >= 10, scenarios.join(", "));
  assert.ok(envoy.length >= 5, envoy.join(", "));
});

for (const file of examples) {
  test(`explain ${file} equals meshlb explain --format json`, () => {
    const expected = cliJson(["explain", file, "--format", "json"]);
    const text = read(file);
    const actual = meshlb.explain(text);
    assert.deepStrictEqual(actual, expected);
    assert.deepStrictEqual(validate(schemas.explain, actual), []);
    // The same document as UTF-8 bytes, and (for JSON) as a parsed object.
    assert.deepStrictEqual(meshlb.explain(new TextEncoder().encode(text)), expected);
    if (file.endsWith(".json")) {
      assert.deepStrictEqual(meshlb.explain(JSON.parse(text)), expected);
    }
  });

  test(`simulate ${file} equals meshlb simulate --format json`, () => {
    const expected = cliJson(["simulate", file, "--format", "json", "--requests", "20000", "--seed", "42"]);
    const actual = meshlb.simulate(read(file), { requests: 20000, seed: 42 });
    assert.deepStrictEqual(actual, expected);
    assert.deepStrictEqual(validate(schemas.simulate, actual), []);
  });
}

test("simulate's defaults are the CLI's (10000 requests, seed 1)", () => {
  const file = "examples/envoy/spillover-panic.json";
  assert.deepStrictEqual(meshlb.simulate(read(file)), cliJson(["simulate", file, "--format", "json"]));
  assert.deepStrictEqual(meshlb.simulate(read(file), {}), cliJson(["simulate", file, "--format", "json"]));
});

test("a BigInt seed past 2^53 gives the CLI's picks and its JSON.parse'd seed", () => {
  const file = "examples/envoy/ring-hash.json";
  const seed = 2n ** 64n - 1n;
  const expected = cliJson(["simulate", file, "--format", "json", "--requests", "1000", "--seed", String(seed)]);
  assert.deepStrictEqual(meshlb.simulate(read(file), { requests: 1000, seed }), expected);
});

test("explain's options are the CLI's flags", () => {
  const cases = [
    ["examples/envoy/spillover-panic.json", { lbPolicy: "MAGLEV" }, ["--lb-policy", "MAGLEV"]],
    ["examples/envoy/spillover-panic.json", { panicThreshold: 0 }, ["--panic-threshold", "0"]],
    ["examples/envoy/locality-weighted.json", { lbPolicy: "RANDOM", panicThreshold: 12.5 }, ["--lb-policy", "RANDOM", "--panic-threshold", "12.5"]],
    ["examples/multi-network.yaml", { from: "west/bookinfo" }, ["--from", "west/bookinfo"]],
    ["examples/locality-failover.yaml", { locality: "us-west/us-west-2a" }, ["--locality", "us-west/us-west-2a"]],
    ["examples/default.yaml", { to: "reviews.bookinfo", locality: undefined, from: null }, ["--to", "reviews.bookinfo"]],
    ["examples/locality-failover.yaml", { fail: ["zone=region1/zone1", "zone=region1/zone2"] }, ["--fail", "zone=region1/zone1", "--fail", "zone=region1/zone2"]],
    ["examples/multi-network.yaml", { fail: ["network=net2"] }, ["--fail", "network=net2"]],
    ["examples/envoy/spillover-panic.json", { fail: ["endpoint=10.1.1.1:9080"] }, ["--fail", "endpoint=10.1.1.1:9080"]],
  ];
  for (const [file, options, flags] of cases) {
    const expected = cliJson(["explain", file, "--format", "json", ...flags]);
    assert.deepStrictEqual(meshlb.explain(read(file), options), expected, `${file} ${flags.join(" ")}`);
  }
  const expected = cliJson(["simulate", "examples/envoy/maglev.json", "--format", "json", "--lb-policy", "RING_HASH", "--requests", "5000", "--seed", "3"]);
  assert.deepStrictEqual(
    meshlb.simulate(read("examples/envoy/maglev.json"), { lbPolicy: "RING_HASH", requests: 5000, seed: 3 }),
    expected,
  );
  const failed = cliJson(["simulate", "examples/locality-failover.yaml", "--format", "json", "--fail", "region=region1", "--requests", "2000"]);
  assert.deepStrictEqual(
    meshlb.simulate(read("examples/locality-failover.yaml"), { fail: ["region=region1"], requests: 2000 }),
    failed,
  );
});

test("results are plain JSON values, maps as plain objects", () => {
  const e = meshlb.explain(read("examples/default.yaml"));
  assert.equal(Object.getPrototypeOf(e), Object.prototype);
  assert.equal(Object.getPrototypeOf(e.client), Object.prototype);
  assert.ok(Array.isArray(e.endpoints));
  assert.deepStrictEqual(JSON.parse(JSON.stringify(e)), e);
});

test("the --target web package (the playground's) gives the same explanation", async () => {
  const { readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { pathToFileURL } = await import("node:url");
  const { root } = await import("./helpers.mjs");
  const pkg = process.env.MESHLB_WASM_WEB ?? join(root, "target", "dist", "web", "pkg");
  const web = await import(pathToFileURL(join(pkg, "meshlb.js")).href);
  web.initSync({ module: readFileSync(join(pkg, "meshlb_wasm_bg.wasm")) });
  for (const file of ["examples/default.yaml", "examples/envoy/maglev.json"]) {
    assert.deepStrictEqual(web.explain(read(file)), meshlb.explain(read(file)));
  }
  const a = new web.Balancer(read("examples/envoy/maglev.json"), undefined, 4);
  const b = new meshlb.Balancer(read("examples/envoy/maglev.json"), undefined, 4);
  assert.deepStrictEqual([...a.pickMany(1000)], [...b.pickMany(1000)]);
  // The web package's picks are objects as the Node package's (the snippet the two build
  // differently: an ES module here, CommonJS there).
  assert.deepStrictEqual([a.pick(), a.start()], [b.pick(), b.start()]);
});

test("the Node package is CommonJS throughout: it loads where require() takes no ES module", async () => {
  const { spawnSync } = await import("node:child_process");
  const { packageDir } = await import("./helpers.mjs");
  const text = read("examples/default.yaml");
  const script = `const m = require(${JSON.stringify(packageDir)});
    const b = new m.Balancer(${JSON.stringify(text)});
    process.stdout.write(JSON.stringify([b.pick(), b.start()]));`;
  // Node before 20.17 has no such flag, and no require() of ES modules to turn off.
  const flag = "--no-experimental-require-module";
  const flags = process.allowedNodeEnvironmentFlags.has(flag) ? [flag] : [];
  const r = spawnSync(process.execPath, [...flags, "-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "", "no warning either");
  const b = new meshlb.Balancer(text);
  assert.deepStrictEqual(JSON.parse(r.stdout), [b.pick(), b.start()]);
});

test("the Node package's names are named exports for `import` too, Balancer its own", async () => {
  const { spawnSync } = await import("node:child_process");
  const { readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { pathToFileURL } = await import("node:url");
  const { packageDir } = await import("./helpers.mjs");
  const main = join(packageDir, JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")).main);
  const names = ["explain", "simulate", "report", "document", "withHealth", "Balancer"];
  // Node reads a CommonJS module's names without running it; a name it misses is a SyntaxError.
  const script = `import { ${names.join(", ")} } from ${JSON.stringify(pathToFileURL(main).href)};
    const b = new Balancer(${JSON.stringify(read("examples/default.yaml"))});
    let message = "";
    try { b.pick(7); } catch (e) { message = e.message; }
    process.stdout.write(JSON.stringify([typeof explain, typeof withHealth, b.pick(), message]));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const b = new meshlb.Balancer(read("examples/default.yaml"));
  assert.deepStrictEqual(JSON.parse(r.stdout), [
    "function",
    "function",
    b.pick(),
    "hashKey: expected a string or a Uint8Array, got number",
  ]);
});

test("a config dump: the `cluster` option is the CLI's --cluster; without it the clusters are named", () => {
  const file = "examples/envoy/dumps/sidecar-config-dump.json";
  const cluster = "outbound|9080||reviews.bookinfo.svc.cluster.local";
  const expected = cliJson(["explain", file, "--format", "json", "--cluster", cluster]);
  const actual = meshlb.explain(read(file), { cluster });
  assert.deepStrictEqual(actual, expected);
  assert.deepStrictEqual(validate(schemas.explain, actual), []);
  assert.deepStrictEqual(
    meshlb.simulate(read(file), { cluster, requests: 5000, seed: 3 }),
    cliJson(["simulate", file, "--format", "json", "--cluster", cluster, "--requests", "5000", "--seed", "3"]),
  );
  assert.throws(() => meshlb.explain(read(file)), (e) => e instanceof Error && e.message.includes("holds 5 clusters") && e.message.includes(cluster));
});
