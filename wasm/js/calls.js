// The package's `Balancer`: the class wasm-bindgen generates from wasm/src/lib.rs, with the calls
// made once a request (`pick`, `pickIndex`, `start`, `finish`) throwing their errors here, and
// their hash keys passed the quickest way that reads them right.
//
// wasm-bindgen hands a `Result` back from wasm as a new array at every call, and an object
// through its table of references; under Node 20 that was most of a call's time (`pick()` 105 →
// 62 ns, `pickIndex()` 44 → 25 ns on the built-in default scenario). Throwing from inside wasm
// instead would skip the Rust code that releases wasm-bindgen's borrow of the balancer, and the
// next call would find it taken. So each `__call` returns a value that call never returns
// otherwise (`undefined`, -2, `false`), keeps its error, and `__failure()` hands the error over.
//
// One source for both packages: `cargo xtask wasm` copies it as it is into the web package (an
// ES module) and rewrites it as CommonJS for the Node package.

// A `hashKey` goes ahead of its call by wasm-bindgen's own passing (`__keyText`, `__keyBytes`:
// the text encoded straight into wasm's memory, the bytes copied there) when that gives the
// bytes the general path would read: a well-formed string, or a plain `Uint8Array` or Node
// `Buffer` (not a `Proxy`, another subclass, or one with a `length` of its own, whose length
// may lie or throw), of at most `PASSED_AHEAD` units, far below the size limit. Under Node 20
// on the maglev example, `pickIndex(key)` took 227–231 ns with a string and 741–752 with bytes
// through the general path's checks and copies, and takes 59–60 and 87–92 this way. Other
// keys take the general path, which checks them and names what is wrong.
const PASSED_AHEAD = 1 << 16;
const isWellFormed = String.prototype.isWellFormed;
const plainBytes = [Uint8Array.prototype, globalThis.Buffer?.prototype].filter(Boolean);

/** `hashKey`, or `undefined` once passed ahead of the call `balancer` makes next. */
function passAhead(balancer, hashKey) {
  if (typeof hashKey === "string") {
    if (hashKey.length <= PASSED_AHEAD && isWellFormed !== undefined && isWellFormed.call(hashKey)) {
      balancer.__keyText(hashKey);
      return undefined;
    }
  } else if (
    ArrayBuffer.isView(hashKey) &&
    plainBytes.includes(Object.getPrototypeOf(hashKey)) &&
    !Object.hasOwn(hashKey, "length") &&
    // Not `hashKey.length`: under Node 20 (V8 11.3), reading it here crashed the process
    // once the Node tests had run for a while (SIGSEGV; not with `--no-opt` or
    // `--no-turbo-inline-js-wasm-calls`). A `Uint8Array`'s byte length is its length.
    hashKey.byteLength <= PASSED_AHEAD
  ) {
    balancer.__keyBytes(hashKey);
    return undefined;
  }
  return hashKey;
}

/** The `Balancer` class of the packages: `Generated`, wasm-bindgen's, with the calls above. */
export function withCalls(Generated) {
  return class Balancer extends Generated {
    /**
     * `pick(hashKey?)`: the endpoint of the next request, `null` when none can serve (Envoy's
     * 503 "no healthy upstream"). `hashKey` (a string or UTF-8 bytes) is the request's hash key
     * for RING_HASH and MAGLEV, hashed as the CLI's `--hash`; without it the hash is random,
     * drawn from the seeded generator. Throws for a `hashKey` that is not a string or a
     * `Uint8Array`.
     */
    pick(hashKey) {
      const picked = this.__pick(hashKey === undefined ? undefined : passAhead(this, hashKey));
      if (picked === undefined) throw this.__failure();
      return picked;
    }

    /**
     * `pickIndex(hashKey?)`: as `pick`, only the endpoint's index into the explanation's
     * `endpoints` (-1 when none can serve): the same pick without building an object, for
     * callers that keep the endpoints themselves (as `pickMany`, one request at a time).
     */
    pickIndex(hashKey) {
      // Without a key it cannot fail: `pickNext()`, a call into wasm and nothing to check.
      if (hashKey === undefined || hashKey === null) return this.pickNext();
      const index = this.__pickIndex(passAhead(this, hashKey));
      if (index === -2) throw this.__failure();
      return index;
    }

    /**
     * `start(hashKey?)`: as `pick`, for a request that stays active on its endpoint (least
     * request counts it) until `finish(picked)`; the result carries its `ticket`.
     */
    start(hashKey) {
      const started = this.__start(hashKey === undefined ? undefined : passAhead(this, hashKey));
      if (started === undefined) throw this.__failure();
      return started;
    }

    /**
     * `finish(picked)`: the request `start()` returned (or its `ticket`) ended. Throws for
     * what is not a `start()` result nor a ticket number, and for a request finished already.
     */
    finish(picked) {
      if (!this.__finish(picked)) throw this.__failure();
    }
  };
}
