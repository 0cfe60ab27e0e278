// The plugin configuration: a bad one makes on_configure return false and logs the CLI's
// message; the seed comes from the configuration or the host's clock; the input can be text or
// an embedded JSON document.

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";

import { Envoy, WASM, meshlb, pick, read, routedTo, filterInput } from "./host.mjs";

let module;
let dir;
before(async () => {
  module = await Envoy.compile(WASM);
  dir = mkdtempSync(join(tmpdir(), "meshlb-filter-"));
});

async function configure(configuration) {
  return new Envoy().startVm(module, { configuration });
}

describe("a bad input logs exactly the CLI's message and on_configure returns false", () => {
  const cla = JSON.parse(read("examples/envoy/maglev.json"));
  // Scenarios reach the filter as JSON (`meshlb convert`); edited copies stay pretty-printed so
  // that the line numbers in the messages mean something.
  const failover = JSON.parse(filterInput("examples/locality-failover.yaml"));
  failover.clusters[1].netwrok = "net1";
  const defaultJson = filterInput("examples/default.yaml");
  const cases = [
    {
      name: "bad-health.json",
      text: read("examples/envoy/spillover-panic.json").replace('"DRAINING"', '"HEALTHYY"'),
    },
    { name: "unknown-field.json", text: JSON.stringify(failover, null, 2) },
    { name: "syntax.json", text: '{"clusters": [{"name": "east"}\n  "workloads": {\n' },
    {
      name: "no-service.json",
      text: JSON.stringify(
        { clusters: [{ name: "east" }], workloads: [{ service: "nope.ns", cluster: "east", address: "10.0.0.1", port: 80 }] },
        null,
        2,
      ),
    },
    { name: "empty.json", text: "" },
    { name: "weight0.json", text: JSON.stringify({ ...cla, load_assignment: undefined, cluster_name: "c", endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "10.0.0.1", port_value: 80 } } }, load_balancing_weight: 0 }] }] }) },
    { name: "from.json", text: defaultJson, options: { from: "east" }, flags: ["--from", "east"] },
    { name: "locality.json", text: defaultJson, options: { locality: "a/b/c/d" }, flags: ["--locality", "a/b/c/d"] },
    { name: "to.json", text: defaultJson, options: { to: "nope.nowhere" }, flags: ["--to", "nope.nowhere"] },
    { name: "policy.json", text: defaultJson, options: { lb_policy: "MAGLEV" }, flags: ["--lb-policy", "MAGLEV"] },
    { name: "from-envoy.json", text: read("examples/envoy/maglev.json"), options: { from: "east/ns" }, flags: ["--from", "east/ns"] },
  ];
  for (const { name, text, options = {}, flags = [] } of cases) {
    test(name, async () => {
      const path = join(dir, name);
      writeFileSync(path, text);
      const cli = meshlb("explain", path, ...flags);
      assert.equal(cli.status, 2, `the CLI accepted ${name}: ${cli.stdout}`);
      const vm = await configure({ input: text, name: path, ...options });
      assert.equal(vm.configured, false);
      // The one difference: the filter, built without YAML, offers JSON only.
      const expected = cli.stderr.trimEnd().replace("a meshlb scenario (YAML or JSON)", "a meshlb scenario (JSON)");
      assert.deepEqual(vm.messages("error"), [expected]);
    });
  }

  test("a YAML scenario is refused with the way to convert it (the filter reads JSON only)", async () => {
    const vm = await configure({ input: read("examples/default.yaml"), name: "default.yaml" });
    assert.equal(vm.configured, false);
    assert.deepEqual(vm.messages("error"), [
      "meshlb: error: default.yaml: not JSON: this build of meshlb reads JSON only (it is built without YAML, as the proxy-wasm filter is); turn a YAML scenario into JSON with `meshlb convert FILE` (line 1)",
    ]);
  });
});

describe("a bad configuration names the problem", () => {
  const input = read("examples/envoy/maglev.json");
  const cases = [
    ["", "configuration: empty"],
    ["   \n", "configuration: empty"],
    ["not json", "configuration: expected a JSON object"],
    ["[1, 2]", "configuration: expected a JSON object"],
    ['{"input": ', "configuration: input: malformed JSON: unexpected end of the document (column 11) (line 1)"],
    ['{"input": "x",\n "seed": 1,}', "configuration: malformed JSON: expected a key (a string in double quotes) (column 12) (line 2)"],
    [{}, "configuration: missing field `input`"],
    [{ input: 42 }, "configuration: input: expected the input's text (a string) or a JSON document (an object), found an integer (line 1)"],
    [{ input, hash_heder: "x" }, "configuration: hash_heder: unknown field `hash_heder`; did you mean `hash_header`? (line 1)"],
    [{ input, seed: "seven" }, 'configuration: seed: expected a non-negative integer, found "seven" (line 1)'],
    ['{"input": "x", "seed": 18446744073709551615}', "configuration: seed: the number is beyond 2^53, where JSON numbers lose precision: write it as a string of digits (line 1)"],
    [{ input, seed: 1.5 }, "configuration: seed: expected a non-negative integer, found a number (line 1)"],
    [{ input, name: ["x"] }, "configuration: name: expected a string, found a list (line 1)"],
    [{ input, lb_policy: "round_robin" }, 'configuration: lb_policy: unknown load-balancing policy "round_robin"; expected one of ROUND_ROBIN'],
    [{ input, header: "" }, 'configuration: header "": not an HTTP header name'],
    [{ input, header: "x dst" }, 'configuration: header "x dst": not an HTTP header name'],
    [{ input, hash_header: "x\u00e9" }, 'configuration: hash_header "xé": not an HTTP header name'],
    [{ input, updates: { admin_path: "admin" } }, 'configuration: updates.admin_path "admin"'],
    [{ input, updates: { tick_ms: -1 } }, "configuration: updates.tick_ms: expected an integer between 0 and 4294967295, found -1 (line 1)"],
    [{ input, updates: { shared_data_key: "" } }, "configuration: updates.shared_data_key: must not be empty"],
    [{ input, updates: { every: 1 } }, "configuration: updates.every: unknown field `every` (line 1)"],
    [{ input, updates: [] }, "configuration: updates: expected a mapping, found a list (line 1)"],
    [{ input, panic_threshold: 150 }, "--panic-threshold: healthy panic threshold 150 is not a percentage between 0 and 100"],
  ];
  for (const [configuration, expected] of cases) {
    test(JSON.stringify(configuration).slice(0, 80), async () => {
      const vm = await configure(configuration);
      assert.equal(vm.configured, false);
      const errors = vm.messages("error");
      assert.equal(errors.length, 1, vm.messages().join("\n"));
      assert.ok(errors[0].startsWith(`meshlb: error: ${expected}`), errors[0]);
    });
  }

  test("requests to a worker whose configuration was rejected get a 503, and a good configuration recovers it", async () => {
    const vm = await configure({ input: "nope: [" });
    const response = vm.request({}).localResponse;
    assert.equal(response?.status, 503);
    assert.match(response.body, /not configured/);
    assert.equal(vm.configure({ input, seed: 1 }), true);
    assert.ok(routedTo(vm.request({})));
  });

  test("a rejected reconfiguration keeps the previous one", async () => {
    const vm = await configure({ input, seed: 1 });
    assert.equal(vm.configure({ input: "{}" }), false);
    assert.ok(routedTo(vm.request({})));
  });
});

test("without a seed, the host's clock seeds the picks (and the log names the seed)", async () => {
  const file = "examples/envoy/spillover-panic.json";
  const envoy = new Envoy({ nowNs: 1_712_345_678_901_234_567n });
  const vm = await envoy.startVm(module, { configuration: { input: filterInput(file) } });
  const info = vm.messages("info")[0];
  assert.match(info, /seed 1712345678901234567 \(from the host's clock\)/);
  const picks = Array.from({ length: 100 }, () => routedTo(vm.request({})));
  assert.deepEqual(picks, pick(file, 100, "1712345678901234567"));
  assert.ok(vm.calls.get("proxy_get_current_time_nanoseconds") >= 1);

  const seeded = await new Envoy().startVm(module, { configuration: { input: filterInput(file), seed: 3 } });
  assert.equal(seeded.calls.get("proxy_get_current_time_nanoseconds"), undefined);
});

test("a 64-bit seed is written as a string of digits, as proto3 JSON writes uint64", async () => {
  const file = "examples/envoy/spillover-panic.json";
  const vm = await configure({ input: filterInput(file), seed: "18446744073709551615" });
  assert.equal(vm.configured, true, vm.messages().join("\n"));
  assert.match(vm.messages("info")[0], /seed 18446744073709551615/);
  const picks = Array.from({ length: 50 }, () => routedTo(vm.request({})));
  assert.deepEqual(picks, pick(file, 50, "18446744073709551615"));
});

test("the input can be the JSON document itself; error lines count from its first line", async () => {
  const file = "examples/envoy/locality-weighted.json";
  const asText = await configure({ input: filterInput(file), seed: 9 });
  const asObject = await new Envoy().startVm(module, {
    configuration: `{"seed": 9, "input": ${read(file)}}`,
  });
  assert.equal(asObject.configured, true, asObject.messages().join("\n"));
  for (let i = 0; i < 200; i++) assert.equal(routedTo(asObject.request({})), routedTo(asText.request({})));

  const bad = read(file).replace('"UNHEALTHY"', '"UNHEALTHYY"');
  const path = join(dir, "bad-object.json");
  writeFileSync(path, bad);
  const vm = await new Envoy().startVm(module, { configuration: `{"name": ${JSON.stringify(path)}, "input": ${bad}}` });
  assert.equal(vm.configured, false);
  assert.deepEqual(vm.messages("error"), [meshlb("explain", path).stderr.trimEnd()]);
});

test("the configured header is written, a client's value is replaced", async () => {
  const vm = await configure({ input: filterInput("examples/envoy/maglev.json"), seed: 1, header: "X-Dst" });
  const result = vm.request([["x-dst", "6.6.6.6:1"], ["X-Dst", "7.7.7.7:1"], ["x-meshlb-locality", "spoofed"]]);
  const values = result.headers.getAll("x-dst");
  assert.equal(values.length, 1);
  assert.notEqual(values[0], "6.6.6.6:1");
  assert.deepEqual([routedTo(result, "x-dst")], pick("examples/envoy/maglev.json", 1, 1));
  assert.equal(result.headers.getAll("x-meshlb-locality").length, 1);
  assert.notEqual(result.headers.get("x-meshlb-locality"), "spoofed");
  assert.equal(result.headers.get("x-envoy-original-dst-host"), undefined);
});
