// Bad input throws a JavaScript Error with the CLI's message, and nothing makes the module trap.
//
// A trap (WebAssembly.RuntimeError: "unreachable" from a Rust panic, "memory access out of
// bounds" from a stack overflow) would leave the instance unusable, so every test also checks
// that the package still explains an example afterwards.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { cliError, examples, meshlb, read, rng, throwsCleanly, withInputFile, runCli } from "./helpers.mjs";

const example = read("examples/envoy/ring-hash.json");
const scenario = read("examples/default.yaml");

afterEach(() => {
  // The instance survived whatever the test threw at it.
  assert.equal(meshlb.explain(scenario).status, "routed");
});

test("bad text input throws the CLI's message (input named `input`, path and line)", () => {
  const cases = [
    "",
    "   \n",
    "clusters: [",
    "{",
    "[1, 2]",
    "just a string",
    "clusters:\n  - name: east\n    colour: blue\n",
    "clusters:\n  - name: east\nworkloads:\n  - { service: a.b, cluster: east, address: 10.0.0.1, port: 80, weight: 0 }\n",
    "clusters:\n  - name: east\n---\nclusters:\n  - name: west\n",
    "clusters:\n  - name: east\n  - name: east\n",
    "a: 1\na: 2\n",
    '{"cluster_name": "x", "endpoints": [{"lb_endpoints": [{"health_status": "SICK"}]}]}',
    '{"cluster_name": "x", "endpoints": [{"priority": -1}]}',
    '{"name": "c", "lb_policy": "CLUSTER_PROVIDED", "load_assignment": {"cluster_name": "c", "endpoints": []}}',
    '{"cluster_name": "x", "endpoints": [], "endpoints": []}',
    example.replace('"port_value": 6379', '"port_value": 65536'),
    example.replace('"load_balancing_weight": 2', '"load_balancing_weight": 0'),
    scenario.replace("clusters:", "clusters: 5\nclusterz:"),
  ];
  for (const text of cases) {
    const expected = cliError(text);
    assert.ok(expected, `the CLI accepts ${JSON.stringify(text.slice(0, 60))}`);
    assert.match(expected, /^input: /);
    const e = throwsCleanly(assert, () => meshlb.explain(text), JSON.stringify(text.slice(0, 60)));
    assert.equal(e.message, expected);
    // simulate and Balancer report the same.
    assert.equal(throwsCleanly(assert, () => meshlb.simulate(text), "simulate").message, expected);
    assert.equal(throwsCleanly(assert, () => new meshlb.Balancer(text), "Balancer").message, expected);
  }
});

test("bad options throw the CLI's message for the flag", () => {
  const cases = [
    ["examples/default.yaml", { from: "east" }, ["--from", "east"]],
    ["examples/default.yaml", { from: "nowhere/bookinfo" }, ["--from", "nowhere/bookinfo"]],
    ["examples/default.yaml", { locality: "a/b/c/d" }, ["--locality", "a/b/c/d"]],
    ["examples/default.yaml", { to: "nothing.nowhere" }, ["--to", "nothing.nowhere"]],
    ["examples/default.yaml", { lbPolicy: "MAGLEV" }, ["--lb-policy", "MAGLEV"]],
    ["examples/default.yaml", { panicThreshold: 10 }, ["--panic-threshold", "10"]],
    ["examples/envoy/maglev.json", { from: "east/bookinfo" }, ["--from", "east/bookinfo"]],
  ];
  for (const [file, options, flags] of cases) {
    const r = runCli(["explain", file, "--format", "json", ...flags]);
    assert.equal(r.status, 2, `${flags.join(" ")}: ${r.stdout.slice(0, 80)}`);
    const expected = r.stderr.replace(/^meshlb: error: /, "").replace(/\n$/, "").replace(file, "input");
    const e = throwsCleanly(assert, () => meshlb.explain(read(file), options), flags.join(" "));
    assert.equal(e.message, expected);
  }
});

test("invalid UTF-8 bytes and oversized input throw the CLI's message", () => {
  const bytes = new Uint8Array([...new TextEncoder().encode("clusters:\n  - name: "), 0xff, 0xfe, 0x0a]);
  const expected = withInputFile(Buffer.from(bytes), (dir) =>
    runCli(["explain", "input"], dir).stderr.replace(/^meshlb: error: /, "").trim(),
  );
  assert.equal(expected, "input: not UTF-8 text (invalid byte at line 2)");
  assert.equal(throwsCleanly(assert, () => meshlb.explain(bytes), "bytes").message, expected);

  const huge = "#".repeat(64 * 1024 * 1024 + 1);
  const message = "input: larger than 64 MiB; meshlb does not read inputs that large";
  assert.equal(throwsCleanly(assert, () => meshlb.explain(huge), "huge string").message, message);
  assert.equal(throwsCleanly(assert, () => meshlb.explain(new Uint8Array(64 * 1024 * 1024 + 1)), "huge bytes").message, message);
});

test("strings that are not well-formed UTF-16 throw", () => {
  const lone = ["\uD800", "a\uDC00b", "clusters:\n  - name: east\uDBFF\n"];
  for (const text of lone) {
    const e = throwsCleanly(assert, () => meshlb.explain(text), JSON.stringify(text));
    assert.match(e.message, /^input: not well-formed text \(a lone UTF-16 surrogate at line \d\)$/);
  }
  assert.match(throwsCleanly(assert, () => meshlb.explain(lone[2]), "line").message, /line 2\)$/);
  const e = throwsCleanly(assert, () => meshlb.explain(scenario, { from: "east\uD800/bookinfo" }), "option");
  assert.match(e.message, /^options\.from: not well-formed text/);
  const balancer = new meshlb.Balancer(example);
  assert.match(throwsCleanly(assert, () => balancer.pick("\uDFFF"), "hash key").message, /^hashKey: not well-formed/);
  assert.match(throwsCleanly(assert, () => balancer.setHealth("10.3.0.1\uD800", 6379, "HEALTHY"), "address").message, /^address: not well-formed/);
  // An object holding a lone surrogate: JSON.stringify escapes it, the reader refuses it.
  throwsCleanly(assert, () => meshlb.explain({ clusters: [{ name: "\uD800" }] }), "object");
});

test("inputs of the wrong type throw", () => {
  const cyclic = {};
  cyclic.self = cyclic;
  const hostile = new Proxy({}, { ownKeys() { throw new Error("no keys"); }, get() { throw new Error("no get"); } });
  const wrong = [
    undefined, null, 42, NaN, -0, Infinity, true, 10n, Symbol("s"), () => "clusters: []",
    [], [1, 2], new Date(0), new Map([["clusters", []]]), cyclic, hostile,
    { toJSON() { throw new Error("nope"); } }, { toJSON() { return undefined; } }, { big: 1n },
    new ArrayBuffer(8), new Uint16Array(4), Object.create(null),
  ];
  for (const value of wrong) {
    let what;
    try {
      what = String(value).slice(0, 30);
    } catch {
      what = typeof value;
    }
    throwsCleanly(assert, () => meshlb.explain(value), `explain(${what})`);
    throwsCleanly(assert, () => meshlb.simulate(value, { requests: 10 }), `simulate(${what})`);
    throwsCleanly(assert, () => new meshlb.Balancer(value), `Balancer(${what})`);
  }
  assert.equal(
    throwsCleanly(assert, () => meshlb.explain(42), "number").message,
    "input: expected YAML or JSON text (a string), UTF-8 bytes (a Uint8Array) or an object (a parsed scenario or Envoy document), got number",
  );
  assert.match(throwsCleanly(assert, () => meshlb.explain(cyclic), "cyclic").message, /^input: cannot turn the object into JSON \(TypeError: /);
});

test("options of the wrong type or out of range throw", () => {
  const getter = { get lbPolicy() { throw new Error("boom"); } };
  const hostile = new Proxy({}, { ownKeys() { throw new Error("no keys"); } });
  const bad = [
    ["x", /^options: expected an object/],
    [42, /^options: expected an object/],
    [[], /^options: expected an object/],
    [() => {}, /^options: expected an object/],
    [{ seed: 1 }, /^options: unknown option "seed" \(expected from, locality, to, lbPolicy, panicThreshold, cluster, fail\)$/],
    [{ lbpolicy: "MAGLEV" }, /^options: unknown option "lbpolicy"/],
    [{ lbPolicy: 5 }, /^options\.lbPolicy: expected a string, got number$/],
    [{ lbPolicy: "round_robin" }, /^options\.lbPolicy: unknown load-balancing policy "round_robin"; expected one of ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH, MAGLEV$/],
    [{ panicThreshold: "50" }, /^options\.panicThreshold: expected a number, got string$/],
    [{ panicThreshold: NaN }, /^options\.panicThreshold: healthy panic threshold NaN is not a percentage between 0 and 100$/],
    [{ panicThreshold: 1e308 }, /is not a percentage between 0 and 100$/],
    [{ panicThreshold: -1 }, /^options\.panicThreshold: healthy panic threshold -1 is not a percentage between 0 and 100$/],
    [{ from: 7 }, /^options\.from: expected a string, got number$/],
    [{ fail: "zone=a/b" }, /^options\.fail: expected an array of strings \(KIND=VALUE\), got string$/],
    [{ fail: [3] }, /^options\.fail\[0\]: expected a string, got number$/],
    [getter, /^options\.lbPolicy: cannot read it \(Error: boom\)$/],
    [hostile, /^options: cannot list the keys \(Error: no keys\)$/],
  ];
  for (const [options, message] of bad) {
    const e = throwsCleanly(assert, () => meshlb.explain(example, options), String(options));
    assert.match(e.message, message);
  }
  // Symbol keys are not options; undefined and null values are "not given".
  assert.equal(meshlb.explain(example, { [Symbol("x")]: 1, lbPolicy: undefined, from: null }).status, "routed");
});

test("huge, negative and fractional numbers throw", () => {
  const requests = [-1, 1.5, NaN, Infinity, 1e300, 2 ** 53, 100000001, -1n, 2n ** 64n, "10", {}];
  for (const value of requests) {
    const e = throwsCleanly(assert, () => meshlb.simulate(example, { requests: value }), `requests ${String(value)}`);
    assert.match(e.message, /^options\.requests: /);
  }
  const seeds = [-1, 0.5, NaN, -Infinity, 2 ** 53, 1e300, -1n, 2n ** 64n, "7", [7]];
  for (const value of seeds) {
    const e = throwsCleanly(assert, () => meshlb.simulate(example, { seed: value, requests: 1 }), `seed ${String(value)}`);
    assert.match(e.message, /^options\.seed: /);
    const b = throwsCleanly(assert, () => new meshlb.Balancer(example, undefined, value), `Balancer seed ${String(value)}`);
    assert.match(b.message, /^seed: /);
  }
  assert.equal(
    throwsCleanly(assert, () => meshlb.simulate(example, { requests: 1e300 }), "1e300").message,
    "options.requests: 1e300 is not an integer between 0 and 100000000",
  );
  assert.equal(
    throwsCleanly(assert, () => meshlb.simulate(example, { seed: 2 ** 53 }), "2^53").message,
    "options.seed: 9007199254740992 is not an integer between 0 and 9007199254740991 (a BigInt up to 18446744073709551615)",
  );
  // The largest accepted values work.
  assert.equal(meshlb.simulate(example, { requests: 0, seed: 2 ** 53 - 1 }).requests, 0);
  assert.ok(new meshlb.Balancer(example, {}, 2n ** 64n - 1n).pick());

  // Huge numbers inside documents are the readers' business: errors, not traps.
  const doc = JSON.parse(example);
  const mutations = [
    (d) => { d.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value = 1e300; },
    (d) => { d.load_assignment.endpoints[0].lb_endpoints[1].load_balancing_weight = 2 ** 32; },
    (d) => { d.load_assignment.endpoints[0].priority = 2 ** 64; },
    (d) => { d.load_assignment.policy = { overprovisioning_factor: -5 }; },
    (d) => { d.ring_hash_lb_config = { minimum_ring_size: 1e9, maximum_ring_size: 1e9 }; },
    (d) => { d.lb_policy = "MAGLEV"; d.maglev_lb_config = { table_size: 4294967291 }; },
    (d) => { d.common_lb_config = { healthy_panic_threshold: { value: 1e308 } }; },
  ];
  for (const mutate of mutations) {
    const d = structuredClone(doc);
    mutate(d);
    const text = JSON.stringify(d);
    const e = throwsCleanly(assert, () => meshlb.explain(d), mutate.toString());
    assert.equal(e.message, cliError(text), mutate.toString());
  }
});

test("deeply nested input throws", () => {
  const texts = [
    "[".repeat(1_000_000),
    '{"a":'.repeat(100_000),
    "a: " + "[".repeat(100_000),
    "- ".repeat(100_000) + "x",
    "a:\n" + Array.from({ length: 3000 }, (_, i) => " ".repeat(i + 1) + "b:").join("\n") + " x\n",
    "- " + "{a: ".repeat(50_000),
  ];
  for (const text of texts) {
    const e = throwsCleanly(assert, () => meshlb.explain(text), text.slice(0, 20));
    assert.match(e.message, /^input: /);
    throwsCleanly(assert, () => new meshlb.Balancer(text), text.slice(0, 20));
  }
  // Block nesting has no syntax limit: the reader's depth limit answers, as in the CLI (whose
  // 8 MiB stack would overflow at about 20,000 levels without it; the module's 1 MiB at 5,000).
  for (const levels of [150, 5000, 100_000]) {
    const text = "- ".repeat(levels) + "x";
    const e = throwsCleanly(assert, () => meshlb.explain(text), `block nesting ${levels}`);
    assert.equal(e.message, cliError(text));
  }
  for (const depth of [250, 100_000]) {
    let object = {};
    const top = object;
    for (let i = 0; i < depth; i++) object = object.a = {};
    const e = throwsCleanly(assert, () => meshlb.explain(top), `object depth ${depth}`);
    assert.match(e.message, /^input: /);
  }
  // A YAML alias bomb is refused by the loader's node budget.
  let bomb = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n';
  for (const [name, prev] of [["b", "a"], ["c", "b"], ["d", "c"], ["e", "d"], ["f", "e"], ["g", "f"], ["h", "g"], ["i", "h"]]) {
    bomb += `${name}: &${name} [${Array(10).fill(`*${prev}`).join(",")}]\n`;
  }
  throwsCleanly(assert, () => meshlb.explain(bomb + "clusters: *i\n"), "alias bomb");
});

test("garbage never traps: random text, random bytes, mutated examples", () => {
  const next = rng(20240601);
  const pick = (s) => s[Math.floor(next() * s.length)];
  const alphabet = [..."{}[]:,-#&*!|>'\"%@`? \n\t\\/.0123456789eE+aZ_", "\u0000", "\u00e9", "\u2028", "\ud83d\ude00", "\ufeff"];
  let thrown = 0;
  const attempt = (input, what) => {
    try {
      meshlb.explain(input);
    } catch (e) {
      assert.ok(e instanceof Error && !(e instanceof WebAssembly.RuntimeError), `${what}: ${e}`);
      thrown++;
    }
  };
  for (let i = 0; i < 300; i++) {
    const length = Math.floor(next() * 200);
    attempt(Array.from({ length }, () => pick(alphabet)).join(""), `random text ${i}`);
    attempt(Uint8Array.from({ length }, () => Math.floor(next() * 256)), `random bytes ${i}`);
  }
  const mutated = [];
  for (const file of examples) {
    const text = read(file);
    for (let i = 0; i < 40; i++) {
      const chars = [...text];
      for (let k = 0; k < 1 + Math.floor(next() * 4); k++) {
        const at = Math.floor(next() * chars.length);
        const op = next();
        if (op < 0.4) chars.splice(at, 1);
        else if (op < 0.8) chars.splice(at, 0, pick(alphabet));
        else chars[at] = pick(alphabet);
      }
      const m = chars.join("");
      mutated.push(m);
      attempt(m, `${file} mutation ${i}`);
      // Picks and updates over whatever loaded go on without trapping.
      let balancer;
      try {
        balancer = new meshlb.Balancer(m, undefined, i);
      } catch {
        continue;
      }
      balancer.pickMany(50);
      balancer.pick(`k${i}`);
      try {
        const e = balancer.explain().endpoints[0];
        if (e) balancer.setHealth(e.address, e.port, "UNHEALTHY");
      } catch (e) {
        assert.ok(!(e instanceof WebAssembly.RuntimeError), String(e));
      }
      balancer.pickMany(50);
      balancer.free();
    }
  }
  assert.ok(thrown > 300, `${thrown} inputs threw`);
  // The package and the CLI agree on a sample of the mutated files: same result or same message.
  for (const m of mutated.filter((_, i) => i % 10 === 0)) {
    const expected = cliError(m);
    let actual = null;
    try {
      meshlb.explain(m);
    } catch (e) {
      actual = e.message;
    }
    assert.equal(actual, expected, JSON.stringify(m.slice(0, 80)));
  }
});

test("hostile objects (revoked proxies, throwing or lying getters) throw Errors and leave no balancer stuck", () => {
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const boom = new Proxy(new Uint8Array(2), { get() { throw new Error("boom"); } });
  class Throwing extends Uint8Array {
    get length() { throw new Error("no length"); }
  }
  class Lying extends Uint8Array {
    get length() { return 4096; }
  }
  const failing = new Error("ticket");
  Object.defineProperty(failing, "message", { get() { throw new Error("no message"); } });
  const balancer = new meshlb.Balancer(read("examples/envoy/maglev.json"), undefined, 3);
  const expected = new meshlb.Balancer(read("examples/envoy/maglev.json"), undefined, 3);
  const cases = [
    [() => balancer.pick(revoked), /^hashKey: expected a string or a Uint8Array, got object$/],
    [() => balancer.pickIndex(boom), /^hashKey: cannot read the Uint8Array \(Error: boom\)$/],
    [() => balancer.start(new Throwing(2)), /^hashKey: cannot read the Uint8Array \(Error: no length\)$/],
    [() => balancer.activeRequests(revoked), /^index: expected an integer between 0 and 4294967295, got object$/],
    [() => balancer.setHealth(revoked, 80, "HEALTHY"), /^address: expected a string, got object$/],
    [() => balancer.finish({ get ticket() { throw failing; } }), /^picked: /],
    [() => meshlb.explain(example, revoked), /^options: /],
    [() => meshlb.explain(boom), /^input: cannot read the Uint8Array \(Error: boom\)$/],
    [() => meshlb.explain(scenario, { fail: new Proxy([], { get() { throw new Error("trap"); } }) }), /^options\.fail: cannot read it \(Error: trap\)$/],
  ];
  for (const [fn, message] of cases) {
    assert.throws(fn, (e) => e instanceof Error && !(e instanceof WebAssembly.RuntimeError) && message.test(e.message), String(fn));
  }
  // A lying length is not believed: the bytes are the array's own two.
  const lying = new Lying(2);
  lying.set([7, 9]);
  assert.deepStrictEqual(balancer.pick(lying), expected.pick(new Uint8Array([7, 9])));
  // Nothing was left borrowed, and the module's stack held: many more of them, then picks as
  // a balancer that saw none.
  for (let i = 0; i < 30000; i++) assert.throws(() => balancer.activeRequests(revoked));
  assert.deepStrictEqual(balancer.pick("k"), expected.pick("k"));
  assert.equal(balancer.pickIndex("k2"), expected.pickIndex("k2"));
  balancer.free();
  expected.free();
});

test("each per-request call throws its own error once, after the call returned: the balancer goes on, free() included", () => {
  const text = read("examples/envoy/maglev.json");
  const balancer = new meshlb.Balancer(text, undefined, 5);
  const expected = new meshlb.Balancer(text, undefined, 5);
  assert.ok(balancer instanceof meshlb.Balancer);
  const failing = [
    [() => balancer.pick(7), /^hashKey: expected a string or a Uint8Array, got number$/],
    [() => balancer.pickIndex(true), /^hashKey: expected a string or a Uint8Array, got boolean$/],
    [() => balancer.start([1]), /^hashKey: expected a string or a Uint8Array, got an array$/],
    [() => balancer.finish("x"), /^picked: expected what start\(\) returned, got string$/],
    [() => balancer.finish(12345), /^ticket 12345: no request in flight has it \(finished already\?\)$/],
  ];
  for (let round = 0; round < 3; round++) {
    for (const [fn, message] of failing) {
      assert.throws(fn, (e) => e instanceof Error && message.test(e.message), String(fn));
      // Taken by the throw: no error is left for a later call to find.
      assert.equal(balancer.__failure(), undefined);
      // The next calls answer as a balancer that saw no failure.
      assert.deepStrictEqual(balancer.pick("k"), expected.pick("k"));
      assert.equal(balancer.pickIndex(), expected.pickIndex());
      const started = balancer.start();
      assert.deepStrictEqual(started, expected.start());
      assert.equal(balancer.finish(started), undefined);
      expected.finish(started.ticket);
    }
  }
  balancer.free();
  expected.free();
});
