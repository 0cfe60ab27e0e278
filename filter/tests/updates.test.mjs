// Health and weight updates at run time, without a restart: the update document in shared data
// (read on the tick) and the admin path that writes it.

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";

import { Envoy, WASM, assertShares, explain, read, routedTo, filterInput } from "./host.mjs";

const KEY = "meshlb.updates";
const FAILOVER = "examples/locality-failover.yaml";
const DEFAULT = "examples/default.yaml";

let module;
before(async () => {
  module = await Envoy.compile(WASM);
});

/** The set of localities (x-meshlb-locality) and endpoints `n` requests went to. */
function spread(vm, n = 200) {
  const localities = new Set();
  const hosts = new Set();
  for (let i = 0; i < n; i++) {
    const result = vm.request({});
    const host = routedTo(result);
    assert.ok(host, `not routed: ${result.localResponse?.body}`);
    hosts.add(host);
    localities.add(result.headers.get("x-meshlb-locality"));
  }
  return { localities: [...localities].sort(), hosts: [...hosts].sort() };
}

function doc(...updates) {
  return JSON.stringify({ updates });
}

describe(`${FAILOVER}: failing the client's zone, then its region, moves traffic along the failover chain`, () => {
  test("through shared data and the tick", async () => {
    const envoy = new Envoy();
    const vm = await envoy.startVm(module, { configuration: { input: filterInput(FAILOVER), name: FAILOVER, seed: 1 } });
    assert.equal(vm.tickPeriodMs, 1000);
    assert.deepEqual(spread(vm).localities, ["region1/zone1"]);

    envoy.setSharedData(KEY, doc({ locality: "region1/zone1", health: "UNHEALTHY" }));
    // Not before the tick...
    assert.deepEqual(spread(vm).localities, ["region1/zone1"]);
    envoy.advance(1000);
    // ...then to the same region's other zone (priority 1).
    assert.deepEqual(spread(vm).localities, ["region1/zone2"]);
    assert.ok(vm.messages("info").some((m) => m.includes('"meshlb.updates": 1 endpoints changed')), vm.messages().join("\n"));

    // The whole region fails: the DestinationRule's failover target, region2.
    envoy.setSharedData(KEY, doc({ locality: "region1", health: "UNHEALTHY" }));
    envoy.advance(1000);
    assert.deepEqual(spread(vm), { localities: ["region2/zone3"], hosts: ["10.3.0.10:5000"] });

    // Recovery of the client's zone brings the traffic back.
    envoy.setSharedData(KEY, doc({ locality: "region1", health: "UNHEALTHY" }, { endpoint: "10.1.0.10:5000", health: "HEALTHY" }));
    envoy.advance(1000);
    assert.deepEqual(spread(vm).localities, ["region1/zone1"]);

    // An unchanged document is not applied again (no log line, no recomputation).
    const lines = vm.logs.length;
    envoy.advance(5000);
    assert.equal(vm.logs.length, lines);
  });

  test("a worker configured after an update starts from the current document", async () => {
    const envoy = new Envoy();
    envoy.setSharedData(KEY, doc({ locality: "region1", health: "UNHEALTHY" }));
    const vm = await envoy.startVm(module, { configuration: { input: filterInput(FAILOVER), seed: 1 } });
    assert.deepEqual(spread(vm).localities, ["region2/zone3"]);
  });

  test("matches the native explanation of the edited scenario", async () => {
    const envoy = new Envoy();
    const vm = await envoy.startVm(module, { configuration: { input: filterInput(FAILOVER), seed: 1 } });
    envoy.setSharedData(KEY, doc({ locality: "region1/zone1", health: "UNHEALTHY" }));
    envoy.advance(1000);
    const edited = read(FAILOVER).replace(
      /(address: 10\.1\.0\.10,.*health: )HEALTHY/,
      "$1UNHEALTHY",
    );
    assert.notEqual(edited, read(FAILOVER));
    const dir = mkdtempSync(join(tmpdir(), "meshlb-filter-"));
    writeFileSync(join(dir, "edited.yaml"), edited);
    // The CLI explains the edited YAML; the filter was given the original's JSON.
    const expected = explain(join(dir, "edited.yaml"));
    const routed = expected.endpoints.filter((e) => e.share > 0).map((e) => `${e.address}:${e.port}`);
    assert.deepEqual(spread(vm).hosts, routed.sort());
  });
});

test(`${DEFAULT}: failing us-east sends everything through us-west's gateway`, async () => {
  const envoy = new Envoy();
  const vm = await envoy.startVm(module, { configuration: { input: filterInput(DEFAULT), name: DEFAULT, seed: 2 } });
  assert.deepEqual(spread(vm, 400).localities, ["us-east/us-east-1a", "us-east/us-east-1b"]);
  envoy.setSharedData(KEY, doc({ locality: "us-east", health: "UNHEALTHY" }));
  envoy.advance(1000);
  assert.deepEqual(spread(vm), { localities: ["us-west/us-west-1a"], hosts: ["192.0.2.20:15443"] });
});

test("the admin path merges into shared data, applies at once here and on the other workers' tick", async () => {
  const envoy = new Envoy();
  const configuration = { input: filterInput(FAILOVER), seed: 1, updates: { admin_path: "/meshlb/update" } };
  const a = await envoy.startVm(module, { configuration });
  const b = await envoy.startVm(module, { configuration });

  const response = a.request({
    ":method": "POST",
    ":path": "/meshlb/update?from=ops",
    "x-meshlb-update": doc({ locality: "region1/zone1", health: "UNHEALTHY" }),
  }).localResponse;
  assert.equal(response?.status, 200, response?.body);
  assert.match(response.body, /1 updates applied on this worker, 1 endpoints changed/);
  assert.deepEqual(spread(a).localities, ["region1/zone2"]);
  assert.deepEqual(spread(b).localities, ["region1/zone1"]);
  envoy.advance(1000);
  assert.deepEqual(spread(b).localities, ["region1/zone2"]);

  // A second update with another selector is merged; one with the same selector replaces.
  for (const update of [
    { endpoint: "10.2.0.10:5000", health: "UNHEALTHY" },
    { locality: "region1/zone1", health: "HEALTHY" },
  ]) {
    assert.equal(b.request({ ":path": "/meshlb/update", "x-meshlb-update": doc(update) }).localResponse?.status, 200);
  }
  assert.deepEqual(JSON.parse(envoy.getSharedData(KEY)), {
    updates: [
      { endpoint: "10.2.0.10:5000", health: "UNHEALTHY" },
      { locality: "region1/zone1", health: "HEALTHY" },
    ],
  });
  envoy.advance(1000);
  for (const vm of [a, b]) assert.deepEqual(spread(vm).localities, ["region1/zone1"]);
});

test("the admin path rejects a bad document whole, with the reason", async () => {
  const envoy = new Envoy();
  const vm = await envoy.startVm(module, {
    configuration: { input: filterInput(FAILOVER), seed: 1, updates: { admin_path: "/meshlb/update" } },
  });
  for (const [headers, reason] of [
    [{}, "send the update document in the x-meshlb-update header"],
    [{ "x-meshlb-update": "nope" }, "x-meshlb-update: expected a JSON object"],
    [{ "x-meshlb-update": doc({ locality: "region1", health: "SICK" }) }, 'updates[0]: health: unknown health status "SICK"'],
    [{ "x-meshlb-update": doc({ locality: "region1", health: "UNHEALTHY" }, { endpoint: "x", weight: 1 }) }, "updates[1]: endpoint"],
  ]) {
    const response = vm.request({ ":path": "/meshlb/update", ...headers }).localResponse;
    assert.equal(response?.status, 400, JSON.stringify(headers));
    assert.ok(response.body.includes(reason), response.body);
  }
  assert.equal(envoy.getSharedData(KEY), undefined);
  assert.deepEqual(spread(vm).localities, ["region1/zone1"]);
  // Other paths are routed as usual.
  assert.ok(routedTo(vm.request({ ":path": "/meshlb/update/other" })));
});

test("an unreadable shared document is logged once and changes nothing", async () => {
  const envoy = new Envoy();
  const vm = await envoy.startVm(module, { configuration: { input: filterInput(FAILOVER), seed: 1 } });
  envoy.setSharedData(KEY, '{"updates": [{"locality": "region1", "health": "UNHEALTHY"}, {"weight": 2}]}');
  envoy.advance(3000);
  const errors = vm.messages("error");
  assert.equal(errors.length, 1, errors.join("\n"));
  assert.match(errors[0], /^meshlb: shared data "meshlb.updates": update rejected: updates\[1\]: give exactly one/);
  assert.deepEqual(spread(vm).localities, ["region1/zone1"]);
  envoy.setSharedData(KEY, doc({ locality: "region1", health: "UNHEALTHY" }, { locality: "nowhere", weight: 2 }));
  envoy.advance(1000);
  assert.ok(vm.messages("warn").includes('meshlb: "meshlb.updates": no endpoint in locality "nowhere"'), vm.messages().join("\n"));
  assert.deepEqual(spread(vm).localities, ["region2/zone3"]);
});

describe("Envoy input: health and weight updates change the shares as an edited file explains them", () => {
  const file = "examples/envoy/three-priorities-degraded.json";
  const cla = JSON.parse(read(file));

  test("weight and health", async () => {
    const before = explain(file);
    const routed = before.endpoints.filter((e) => e.share > 0);
    const [heavy, down] = routed;
    const envoy = new Envoy();
    const vm = await envoy.startVm(module, {
      configuration: { input: filterInput(file), seed: 4, updates: { shared_data_key: "k", tick_ms: 250 } },
    });
    assert.equal(vm.tickPeriodMs, 250);
    envoy.setSharedData("k", doc(
      { endpoint: `${heavy.address}:${heavy.port}`, weight: 5 },
      { endpoint: `${down.address}:${down.port}`, health: "UNHEALTHY" },
    ));
    envoy.advance(250);

    // The same change, made to the file.
    const edited = structuredClone(cla);
    const assignment = edited.load_assignment ?? edited.loadAssignment ?? edited;
    let found = 0;
    for (const locality of assignment.endpoints) {
      for (const lb of locality.lb_endpoints ?? locality.lbEndpoints) {
        const socket = lb.endpoint.address.socket_address ?? lb.endpoint.address.socketAddress;
        const port = socket.port_value ?? socket.portValue;
        if (socket.address === heavy.address && port === heavy.port) {
          lb.load_balancing_weight = 5;
          delete lb.loadBalancingWeight;
          found++;
        }
        if (socket.address === down.address && port === down.port) {
          lb.health_status = "UNHEALTHY";
          delete lb.healthStatus;
          found++;
        }
      }
    }
    assert.equal(found, 2);
    const dir = mkdtempSync(join(tmpdir(), "meshlb-filter-"));
    writeFileSync(join(dir, "edited.json"), JSON.stringify(edited));
    const after = explain(join(dir, "edited.json"));
    assert.notDeepEqual(after.endpoints.map((e) => e.share), before.endpoints.map((e) => e.share));

    const counts = new Map();
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      const host = routedTo(vm.request({}));
      counts.set(host, (counts.get(host) ?? 0) + 1);
    }
    assert.equal(counts.get(`${down.address}:${down.port}`) ?? 0, Math.round(n * after.endpoints.find((e) => e.address === down.address && e.port === down.port).share));
    assertShares(counts, after.endpoints, n, `${file} after the update`);
  });
});
