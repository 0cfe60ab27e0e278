// filter/examples/envoy.yaml: its two plugin configurations are valid, balance as documented,
// and the admin listener's update reaches the public listener's filter on the next tick.

import assert from "node:assert/strict";
import { before, test } from "node:test";

import { Envoy, WASM, read, routedTo } from "./host.mjs";

/** The `value: |` blocks (the plugin configurations) of the Envoy YAML, in order. */
function configurations(yaml) {
  const lines = yaml.split("\n");
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== "value: |") continue;
    const indent = lines[i].length - lines[i].trimStart().length;
    const block = [];
    for (i++; i < lines.length; i++) {
      const line = lines[i];
      if (line.trim() !== "" && line.length - line.trimStart().length <= indent) break;
      block.push(line);
    }
    i--;
    blocks.push(block.join("\n"));
  }
  return blocks;
}

let module;
before(async () => {
  module = await Envoy.compile(WASM);
});

test("the example's configurations balance over zone a, and an admin update fails over to zone b", async () => {
  const [publicConfiguration, adminConfiguration] = configurations(read("filter/examples/envoy.yaml"));
  assert.ok(adminConfiguration, "two plugin configurations");
  const envoy = new Envoy();
  const publicVm = await envoy.startVm(module, { configuration: publicConfiguration });
  const adminVm = await envoy.startVm(module, { configuration: adminConfiguration });
  assert.equal(publicVm.configured, true, publicVm.messages().join("\n"));
  assert.equal(adminVm.configured, true, adminVm.messages().join("\n"));

  const users = Array.from({ length: 200 }, (_, i) => `user-${i}`);
  const before = users.map((u) => routedTo(publicVm.request({ "x-user": u })));
  assert.deepEqual([...new Set(before)].sort(), ["127.0.0.1:8081", "127.0.0.1:8082"]);
  // Consistent: the same user, the same upstream.
  assert.deepEqual(users.map((u) => routedTo(publicVm.request({ "x-user": u }))), before);
  // The public listener has no admin path: the update request is just balanced.
  assert.equal(publicVm.request({ ":path": "/meshlb/update", "x-meshlb-update": "{}" }).localResponse, null);

  const response = adminVm.request({
    ":method": "POST",
    ":path": "/meshlb/update",
    "x-meshlb-update": '{"updates": [{"locality": "us-east/us-east-1a", "health": "UNHEALTHY"}]}',
  }).localResponse;
  assert.equal(response?.status, 200, response?.body);
  envoy.advance(1000);
  const after = users.map((u) => routedTo(publicVm.request({ "x-user": u })));
  assert.deepEqual([...new Set(after)], ["127.0.0.1:8083"]);
  for (const vm of [publicVm, adminVm]) {
    assert.equal(vm.request({ "x-user": "u" }).headers.get("x-meshlb-locality"), "us-east/us-east-1b");
  }
});

