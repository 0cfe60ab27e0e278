// A proxy-wasm ABI 0.2.1 host in Node, for testing meshlb's filter as Envoy runs it.
//
// Envoy (through proxy-wasm-cpp-host) instantiates the module once per worker thread (a "VM"),
// calls `_initialize`, creates the root context (`proxy_on_context_create(root, 0)`), starts
// the VM (`proxy_on_vm_start` with the VM configuration's size) and configures the plugin
// (`proxy_on_configure` with the plugin configuration's size; the module reads the bytes back
// through `proxy_get_buffer_bytes`). Each HTTP request is a new context: create, request
// headers, response headers, log, done, delete. `request()` runs them all at once; `begin()`
// and `end()` split them, so that several requests are in flight at a time (their responses
// delayed as a slow upstream delays them). A timer calls `proxy_on_tick` at the period the
// module asked for. Shared data is shared by every VM of the process.
//
// `Envoy` holds what the VMs share (the clock, shared data); `Vm` is one worker's instance. The
// host implements the hostcalls the Rust SDK (proxy-wasm 0.2.5) imports for logging, header
// maps, buffers, properties, time, shared data, ticks, streams and local responses; the others
// (HTTP and gRPC calls, queues, foreign functions, metrics) throw a JavaScript error naming the
// hostcall, so a test fails loudly if the filter ever calls one.
//
// All ABI values are 32-bit: wasm32 `usize` and pointers arrive as signed JavaScript numbers and
// are read with `>>> 0`.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** proxy-wasm `Status`. */
export const Status = Object.freeze({
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  Empty: 7,
  CasMismatch: 8,
  InternalFailure: 10,
});

/** proxy-wasm `LogLevel`, by name and number. */
export const LogLevel = Object.freeze({ trace: 0, debug: 1, info: 2, warn: 3, error: 4, critical: 5 });
const LEVEL_NAMES = ["trace", "debug", "info", "warn", "error", "critical"];

/** proxy-wasm `MapType`. */
const MapType = Object.freeze({
  HttpRequestHeaders: 0,
  HttpRequestTrailers: 1,
  HttpResponseHeaders: 2,
  HttpResponseTrailers: 3,
});

/** proxy-wasm `BufferType`. */
const BufferType = Object.freeze({
  HttpRequestBody: 0,
  HttpResponseBody: 1,
  VmConfiguration: 6,
  PluginConfiguration: 7,
});

const ROOT_ID = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

/** Bytes of a string, Buffer or Uint8Array. */
export function bytes(value) {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  return encoder.encode(String(value));
}

/** A string from bytes (invalid UTF-8 becomes U+FFFD, as a log viewer shows it). */
export function text(value) {
  return decoder.decode(value);
}

/** Lowercases ASCII letters only, as Envoy's `LowerCaseString` does. */
function lower(name) {
  return name.map((b) => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b));
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A header map: ordered (name, value) byte pairs, names lowercased. */
export class HeaderMap {
  constructor(pairs = []) {
    this.pairs = [];
    for (const [name, value] of pairs) this.add(bytes(name), bytes(value));
  }
  find(name) {
    const key = lower(bytes(name));
    return this.pairs.findIndex(([n]) => equalBytes(n, key));
  }
  /** The first value of `name` (bytes), or undefined. */
  getBytes(name) {
    const i = this.find(name);
    return i < 0 ? undefined : this.pairs[i][1];
  }
  /** The first value of `name` (string), or undefined. */
  get(name) {
    const value = this.getBytes(name);
    return value === undefined ? undefined : text(value);
  }
  /** Every value of `name` (strings). */
  getAll(name) {
    const key = lower(bytes(name));
    return this.pairs.filter(([n]) => equalBytes(n, key)).map(([, v]) => text(v));
  }
  add(name, value) {
    this.pairs.push([lower(bytes(name)), bytes(value)]);
  }
  /** Envoy's `setCopy`: the first entry takes the value, the others go; or a new entry. */
  replace(name, value) {
    const i = this.find(name);
    if (i < 0) return this.add(name, value);
    const key = this.pairs[i][0];
    this.pairs[i] = [key, bytes(value)];
    this.pairs = this.pairs.filter(([n], j) => j === i || !equalBytes(n, key));
  }
  remove(name) {
    const key = lower(bytes(name));
    this.pairs = this.pairs.filter(([n]) => !equalBytes(n, key));
  }
  /** The ABI's serialised form: count, (name size, value size) pairs, then NUL-terminated bytes. */
  serialize() {
    let size = 4;
    for (const [n, v] of this.pairs) size += 8 + n.length + 1 + v.length + 1;
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    view.setUint32(0, this.pairs.length, true);
    let p = 4;
    for (const [n, v] of this.pairs) {
      view.setUint32(p, n.length, true);
      view.setUint32(p + 4, v.length, true);
      p += 8;
    }
    for (const [n, v] of this.pairs) {
      out.set(n, p);
      p += n.length + 1;
      out.set(v, p);
      p += v.length + 1;
    }
    return out;
  }
  static deserialize(data) {
    const map = new HeaderMap();
    if (data.length < 4) return map;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const count = view.getUint32(0, true);
    let p = 4 + count * 8;
    for (let i = 0; i < count; i++) {
      const nameSize = view.getUint32(4 + i * 8, true);
      const valueSize = view.getUint32(8 + i * 8, true);
      const name = data.slice(p, p + nameSize);
      p += nameSize + 1;
      const value = data.slice(p, p + valueSize);
      p += valueSize + 1;
      map.add(name, value);
    }
    return map;
  }
}

/** What the VMs of one Envoy process share: the clock and shared data. */
export class Envoy {
  /**
   * @param {object} [options]
   * @param {bigint} [options.nowNs] the wall clock, nanoseconds since the Unix epoch
   */
  constructor({ nowNs = 1_700_000_000_000_000_000n } = {}) {
    this.nowNs = nowNs;
    /** key -> { value: Uint8Array, cas: number } */
    this.sharedData = new Map();
    this.nextCas = 1;
    this.vms = [];
  }

  /** Compiles a .wasm file once; VMs instantiate it. */
  static compile(path) {
    return WebAssembly.compile(readFileSync(path));
  }

  /** Shared data as a string (undefined when absent). */
  getSharedData(key) {
    const entry = this.sharedData.get(key);
    return entry === undefined ? undefined : text(entry.value);
  }

  /** Writes shared data (as another plugin or the admin path would), bumping its CAS. */
  setSharedData(key, value) {
    this.sharedData.set(key, { value: bytes(value), cas: this.nextCas++ });
  }

  /** Moves the clock and ticks every VM whose tick period has elapsed. */
  advance(ms) {
    this.nowNs += BigInt(ms) * 1_000_000n;
    for (const vm of this.vms) vm.advance(ms);
  }

  /**
   * Starts a VM (one worker) and configures the plugin.
   * @param {WebAssembly.Module} module
   * @param {object} options
   * @param {string|Uint8Array|object} options.configuration the plugin configuration (an object is sent as JSON)
   * @param {string|Uint8Array} [options.vmConfiguration]
   * @param {string} [options.logLevel] the level `proxy_get_log_level` reports
   * @param {Record<string, string>} [options.properties] properties by dotted path
   * @returns {Promise<Vm>}
   */
  async startVm(module, options) {
    const vm = new Vm(this, options);
    await vm.instantiate(module);
    this.vms.push(vm);
    vm.start();
    return vm;
  }
}

/** One worker's VM: an instance of the module with its root context. */
export class Vm {
  constructor(envoy, { configuration, vmConfiguration = "", logLevel = "debug", properties = {} }) {
    this.envoy = envoy;
    this.pluginConfiguration =
      configuration instanceof Uint8Array || typeof configuration === "string"
        ? bytes(configuration)
        : bytes(JSON.stringify(configuration));
    this.vmConfiguration = bytes(vmConfiguration);
    this.logLevel = LogLevel[logLevel];
    this.properties = new Map(Object.entries(properties).map(([k, v]) => [k, bytes(v)]));
    /** { level: "info", message: string } */
    this.logs = [];
    this.tickPeriodMs = 0;
    this.sinceTickMs = 0;
    this.nextId = ROOT_ID + 1;
    /** The stream of the context being called (hostcalls read and write its maps). */
    this.stream = null;
    /** Streams begun and not ended, by context id. */
    this.streams = new Map();
    this.effectiveContext = ROOT_ID;
    /** Hostcalls the module made, by name. */
    this.calls = new Map();
  }

  async instantiate(module) {
    const implemented = this.hostcalls();
    const env = {};
    for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
      if (from !== "env" || kind !== "function") {
        throw new Error(`the module imports ${from}.${name} (${kind}): not a proxy-wasm hostcall`);
      }
      const f = implemented[name];
      env[name] = (...args) => {
        this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
        if (f === undefined) {
          throw new Error(`hostcall ${name} is not implemented by the test host`);
        }
        return f(...args);
      };
    }
    this.instance = await WebAssembly.instantiate(module, { env });
    this.exports = this.instance.exports;
    if (typeof this.exports.proxy_abi_version_0_2_1 !== "function") {
      throw new Error("the module does not export proxy_abi_version_0_2_1");
    }
  }

  /** VM start and plugin configuration, as Envoy does on a new worker. */
  start() {
    const ex = this.exports;
    if (typeof ex._initialize === "function") ex._initialize();
    ex.proxy_on_context_create(ROOT_ID, 0);
    this.vmStarted = this.call(ROOT_ID, () => ex.proxy_on_vm_start(ROOT_ID, this.vmConfiguration.length)) !== 0;
    this.configured = this.configure();
  }

  /** `proxy_on_configure` with the current plugin configuration; true when accepted. */
  configure(configuration) {
    if (configuration !== undefined) {
      this.pluginConfiguration =
        configuration instanceof Uint8Array || typeof configuration === "string"
          ? bytes(configuration)
          : bytes(JSON.stringify(configuration));
    }
    const ex = this.exports;
    return this.call(ROOT_ID, () => ex.proxy_on_configure(ROOT_ID, this.pluginConfiguration.length)) !== 0;
  }

  /** One tick of the root context. */
  tick() {
    this.call(ROOT_ID, () => this.exports.proxy_on_tick(ROOT_ID));
  }

  advance(ms) {
    if (this.tickPeriodMs <= 0) return;
    this.sinceTickMs += ms;
    while (this.sinceTickMs >= this.tickPeriodMs) {
      this.sinceTickMs -= this.tickPeriodMs;
      this.tick();
    }
  }

  call(contextId, f) {
    const previous = this.effectiveContext;
    const previousStream = this.stream;
    this.effectiveContext = contextId;
    this.stream = this.streams.get(contextId) ?? previousStream;
    try {
      return f();
    } finally {
      this.effectiveContext = previous;
      this.stream = previousStream;
    }
  }

  /**
   * One HTTP request through the filter: context create, request headers, then (when the filter
   * let it continue) response headers, log, done, delete.
   * @param {Array<[string|Uint8Array, string|Uint8Array]>|Record<string,string>} headers
   * @returns {{action: "continue"|"pause", headers: HeaderMap, localResponse: null|{status:number, body:string, headers:HeaderMap, details:string}}}
   */
  request(headers = {}, { endOfStream = true } = {}) {
    const stream = this.begin(headers, { endOfStream });
    this.end(stream);
    return { action: stream.action, headers: stream.headers, localResponse: stream.localResponse };
  }

  /**
   * Starts an HTTP request: context create and request headers. The request stays in flight
   * (its upstream has not answered) until `end(stream)`.
   * @returns {{id: number, action: "continue"|"pause", headers: HeaderMap, localResponse: null|object}}
   */
  begin(headers = {}, { endOfStream = true } = {}) {
    const ex = this.exports;
    const id = this.nextId++;
    const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
    const base = [[":method", "GET"], [":path", "/"], [":authority", "example.com"], [":scheme", "http"]];
    const given = new HeaderMap(pairs);
    const requestHeaders = new HeaderMap(base.filter(([n]) => given.find(n) < 0));
    requestHeaders.pairs.push(...given.pairs);
    const stream = {
      id,
      maps: new Map([
        [MapType.HttpRequestHeaders, requestHeaders],
        [MapType.HttpRequestTrailers, new HeaderMap()],
        [MapType.HttpResponseHeaders, new HeaderMap([[":status", "200"]])],
        [MapType.HttpResponseTrailers, new HeaderMap()],
      ]),
      bodies: new Map([
        [BufferType.HttpRequestBody, new Uint8Array()],
        [BufferType.HttpResponseBody, new Uint8Array()],
      ]),
      localResponse: null,
      action: null,
    };
    this.streams.set(id, stream);
    try {
      stream.action = this.call(id, () => {
        ex.proxy_on_context_create(id, ROOT_ID);
        const count = requestHeaders.pairs.length;
        return ex.proxy_on_request_headers(id, count, endOfStream ? 1 : 0) === 0 ? "continue" : "pause";
      });
    } catch (e) {
      this.streams.delete(id);
      throw e;
    }
    // The filter may have replaced the header map.
    stream.headers = stream.maps.get(MapType.HttpRequestHeaders);
    return stream;
  }

  /** Ends a request `begin` started: response headers (when it continued), log, done, delete. */
  end(stream) {
    const ex = this.exports;
    const id = stream.id;
    if (!this.streams.has(id)) throw new Error(`stream ${id} has ended already`);
    try {
      this.call(id, () => {
        if (stream.action === "continue" && stream.localResponse === null) {
          const response = stream.maps.get(MapType.HttpResponseHeaders);
          ex.proxy_on_response_headers(id, response.pairs.length, 1);
        }
        ex.proxy_on_log(id);
        ex.proxy_on_done(id);
        ex.proxy_on_delete(id);
      });
    } finally {
      this.streams.delete(id);
    }
  }

  /** Log lines at `level` or above, as strings. */
  messages(level = "trace") {
    return this.logs.filter((l) => LogLevel[l.level] >= LogLevel[level]).map((l) => l.message);
  }

  // --- memory -------------------------------------------------------------------------------

  memory() {
    return new Uint8Array(this.exports.memory.buffer);
  }
  view() {
    return new DataView(this.exports.memory.buffer);
  }
  read(ptr, size) {
    return this.memory().slice(ptr >>> 0, (ptr >>> 0) + (size >>> 0));
  }
  readString(ptr, size) {
    return text(this.read(ptr, size));
  }
  /** Copies `data` into memory the module allocated (`malloc`), as the module will free it. */
  allocate(data) {
    const alloc = this.exports.malloc ?? this.exports.proxy_on_memory_allocate;
    const ptr = alloc(data.length) >>> 0;
    if (ptr === 0 && data.length > 0) throw new Error(`malloc(${data.length}) failed`);
    this.memory().set(data, ptr);
    return ptr;
  }
  /** Returns `data` through the two out-pointers (data, size). */
  give(data, dataPtr, sizePtr) {
    const ptr = this.allocate(data);
    const view = this.view();
    view.setUint32(dataPtr >>> 0, ptr, true);
    view.setUint32(sizePtr >>> 0, data.length, true);
  }

  map(type) {
    return this.stream?.maps.get(type >>> 0);
  }

  // --- hostcalls ----------------------------------------------------------------------------

  hostcalls() {
    const S = Status;
    return {
      proxy_log: (level, ptr, size) => {
        this.logs.push({ level: LEVEL_NAMES[level >>> 0] ?? `level${level}`, message: this.readString(ptr, size) });
        return S.Ok;
      },
      proxy_get_log_level: (retLevel) => {
        this.view().setUint32(retLevel >>> 0, this.logLevel, true);
        return S.Ok;
      },
      proxy_get_current_time_nanoseconds: (retTime) => {
        this.view().setBigUint64(retTime >>> 0, this.envoy.nowNs, true);
        return S.Ok;
      },
      proxy_set_tick_period_milliseconds: (period) => {
        this.tickPeriodMs = period >>> 0;
        this.sinceTickMs = 0;
        return S.Ok;
      },
      proxy_get_buffer_bytes: (type, start, maxSize, retData, retSize) => {
        let buffer;
        switch (type >>> 0) {
          case BufferType.VmConfiguration:
            buffer = this.vmConfiguration;
            break;
          case BufferType.PluginConfiguration:
            buffer = this.pluginConfiguration;
            break;
          default:
            buffer = this.stream?.bodies.get(type >>> 0);
        }
        if (buffer === undefined) return S.NotFound;
        const from = Math.min(start >>> 0, buffer.length);
        const slice = buffer.subarray(from, from + Math.min(maxSize >>> 0, buffer.length - from));
        if (slice.length === 0) {
          const view = this.view();
          view.setUint32(retData >>> 0, 0, true);
          view.setUint32(retSize >>> 0, 0, true);
          return S.Ok;
        }
        this.give(slice, retData, retSize);
        return S.Ok;
      },
      proxy_set_buffer_bytes: (type, start, size, dataPtr, dataSize) => {
        const buffer = this.stream?.bodies.get(type >>> 0);
        if (buffer === undefined) return S.BadArgument;
        const data = this.read(dataPtr, dataSize);
        const from = Math.min(start >>> 0, buffer.length);
        const to = Math.min(from + (size >>> 0), buffer.length);
        const out = new Uint8Array(buffer.length - (to - from) + data.length);
        out.set(buffer.subarray(0, from), 0);
        out.set(data, from);
        out.set(buffer.subarray(to), from + data.length);
        this.stream.bodies.set(type >>> 0, out);
        return S.Ok;
      },
      proxy_get_header_map_pairs: (type, retData, retSize) => {
        const map = this.map(type);
        if (map === undefined) return S.NotFound;
        this.give(map.serialize(), retData, retSize);
        return S.Ok;
      },
      proxy_set_header_map_pairs: (type, dataPtr, dataSize) => {
        if (this.map(type) === undefined) return S.NotFound;
        this.stream.maps.set(type >>> 0, HeaderMap.deserialize(this.read(dataPtr, dataSize)));
        return S.Ok;
      },
      proxy_get_header_map_value: (type, keyPtr, keySize, retData, retSize) => {
        const map = this.map(type);
        if (map === undefined) return S.NotFound;
        const value = map.getBytes(this.read(keyPtr, keySize));
        if (value === undefined) return S.NotFound;
        this.give(value, retData, retSize);
        return S.Ok;
      },
      proxy_replace_header_map_value: (type, keyPtr, keySize, valuePtr, valueSize) => {
        const map = this.map(type);
        if (map === undefined) return S.NotFound;
        map.replace(this.read(keyPtr, keySize), this.read(valuePtr, valueSize));
        return S.Ok;
      },
      proxy_add_header_map_value: (type, keyPtr, keySize, valuePtr, valueSize) => {
        const map = this.map(type);
        if (map === undefined) return S.NotFound;
        map.add(this.read(keyPtr, keySize), this.read(valuePtr, valueSize));
        return S.Ok;
      },
      proxy_remove_header_map_value: (type, keyPtr, keySize) => {
        const map = this.map(type);
        if (map === undefined) return S.NotFound;
        map.remove(this.read(keyPtr, keySize));
        return S.Ok;
      },
      proxy_get_property: (pathPtr, pathSize, retData, retSize) => {
        const path = this.readString(pathPtr, pathSize).split("\0").join(".");
        const value = this.properties.get(path);
        if (value === undefined) return S.NotFound;
        this.give(value, retData, retSize);
        return S.Ok;
      },
      proxy_set_property: (pathPtr, pathSize, valuePtr, valueSize) => {
        const path = this.readString(pathPtr, pathSize).split("\0").join(".");
        this.properties.set(path, this.read(valuePtr, valueSize));
        return S.Ok;
      },
      proxy_get_shared_data: (keyPtr, keySize, retData, retSize, retCas) => {
        const entry = this.envoy.sharedData.get(this.readString(keyPtr, keySize));
        if (entry === undefined) return S.NotFound;
        this.give(entry.value, retData, retSize);
        this.view().setUint32(retCas >>> 0, entry.cas, true);
        return S.Ok;
      },
      proxy_set_shared_data: (keyPtr, keySize, valuePtr, valueSize, cas) => {
        const key = this.readString(keyPtr, keySize);
        const entry = this.envoy.sharedData.get(key);
        if ((cas >>> 0) !== 0 && entry !== undefined && entry.cas !== cas >>> 0) return S.CasMismatch;
        this.envoy.sharedData.set(key, { value: this.read(valuePtr, valueSize), cas: this.envoy.nextCas++ });
        return S.Ok;
      },
      proxy_continue_stream: () => S.Ok,
      proxy_close_stream: () => S.Ok,
      proxy_send_local_response: (
        status,
        detailsPtr,
        detailsSize,
        bodyPtr,
        bodySize,
        headersPtr,
        headersSize,
        grpcStatus,
      ) => {
        if (this.stream === null) return S.BadArgument;
        this.stream.localResponse = {
          status: status >>> 0,
          details: this.readString(detailsPtr, detailsSize),
          body: this.readString(bodyPtr, bodySize),
          headers: HeaderMap.deserialize(this.read(headersPtr, headersSize)),
          grpcStatus,
        };
        return S.Ok;
      },
      proxy_get_status: (retCode, retData, retSize) => {
        const view = this.view();
        view.setUint32(retCode >>> 0, 0, true);
        view.setUint32(retData >>> 0, 0, true);
        view.setUint32(retSize >>> 0, 0, true);
        return S.Ok;
      },
      proxy_set_effective_context: (id) => {
        this.effectiveContext = id >>> 0;
        this.stream = this.streams.get(id >>> 0) ?? this.stream;
        return S.Ok;
      },
      proxy_done: () => S.Ok,
    };
  }
}

// --- the native CLI, for expectations ---------------------------------------------------------

/** The workspace root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The filter under test (`cargo xtask filter`). */
export const WASM = resolve(ROOT, process.env.MESHLB_FILTER_WASM ?? "target/dist/meshlb_filter.wasm");
/** The native CLI (`cargo build --release -p meshlb-cli`). */
export const MESHLB = resolve(ROOT, process.env.MESHLB_BIN ?? "target/release/meshlb");

/** Runs the CLI; returns { status, stdout, stderr }. */
export function meshlb(...args) {
  try {
    const stdout = execFileSync(MESHLB, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "pipe"] });
    return { status: 0, stdout, stderr: "" };
  } catch (e) {
    if (e.status === undefined || e.status === null) throw e;
    return { status: e.status, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** `meshlb explain FILE --format json`, parsed. */
export function explain(file, ...flags) {
  const { status, stdout, stderr } = meshlb("explain", file, "--format", "json", ...flags);
  if (status !== 0) throw new Error(`meshlb explain ${file}: ${stderr}`);
  return JSON.parse(stdout);
}

/** `meshlb pick FILE --requests N --seed S ...`: one `address:port` (or `-`) per request. */
export function pick(file, requests, seed, ...flags) {
  const { status, stdout, stderr } = meshlb("pick", file, "--requests", String(requests), "--seed", String(seed), ...flags);
  if (status !== 0) throw new Error(`meshlb pick ${file}: ${stderr}`);
  return stdout.split("\n").filter((l) => l !== "");
}

/** A file of the repository, as text. */
export function read(path) {
  return readFileSync(join(ROOT, path), "utf8");
}

/**
 * A file as the filter's `input` takes it: JSON as it is, a YAML scenario as the JSON
 * `meshlb convert` prints (the filter is built without YAML). Messages and explanations are the
 * same for both: the CLI explains the YAML file, the filter its JSON.
 */
export function filterInput(path) {
  if (!path.endsWith(".yaml")) return read(path);
  const { status, stdout, stderr } = meshlb("convert", path);
  if (status !== 0) throw new Error(`meshlb convert ${path}: ${stderr}`);
  return stdout;
}

/** The endpoint a routed request was sent to, `address:port`, or null. */
export function routedTo(result, header = "x-envoy-original-dst-host") {
  return result.localResponse === null ? (result.headers.get(header) ?? null) : null;
}

/** Requests counted per `address:port` against the explained shares, within 3 sigma. */
export function assertShares(counts, endpoints, requests, label) {
  for (const e of endpoints) {
    const host = `${e.address}:${e.port}`;
    const count = counts.get(host) ?? 0;
    const expected = requests * e.share;
    const sigma = Math.sqrt(requests * e.share * (1 - e.share));
    // +1: a deterministic policy (round robin) may be one request off at the end of a cycle.
    assert.ok(
      Math.abs(count - expected) <= 3 * sigma + 1,
      `${label}: ${host} got ${count} of ${requests}, explained share ${e.share} (expected ${expected.toFixed(1)} ± ${(3 * sigma).toFixed(1)})`,
    );
  }
}
