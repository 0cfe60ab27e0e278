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

// A `hashKey` reaches wasm the quickest of three ways that reads it right:
// - staged: an ASCII string (a code unit a byte), or plain bytes (a plain `Uint8Array` or Node
//   `Buffer`: not a `Proxy`, another subclass, or one with a `length` of its own, whose length
//   may lie or throw; its length read by the typed arrays' own getter), that fits a buffer of
//   the balancer's own in wasm's memory (`__keyStaging()`, `KEY_STAGING` bytes in
//   wasm/src/lib.rs), written into it here; the call takes its length (`__pickStaged`,
//   `__pickIndexStaged`, `__startStaged`): one call into wasm;
// - passed ahead: any other well-formed string, or plain bytes, of at most `PASSED_AHEAD` units,
//   by wasm-bindgen's own passing (`__keyText`, `__keyBytes`: the text encoded into wasm's
//   memory, the bytes copied there), then the call: two calls and an allocation;
// - any other key: the general path, which checks it and names what is wrong.
// Under Node 20 on the maglev example, `pickIndex(key)` took 227–231 ns with a string and
// 741–752 with bytes through the general path's checks and copies, 59–66 and 87–93 passed
// ahead, and takes 42–45 and 59–63 staged.
const PASSED_AHEAD = 1 << 16;
const isWellFormed = String.prototype.isWellFormed;
const plainBytes = [Uint8Array.prototype, globalThis.Buffer?.prototype].filter(Boolean);
/** The typed arrays' own `byteLength` getter, called on a key rather than the key's property. */
const byteLengthOf = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype),
  "byteLength",
).get;

/** Whether `bytes` are plain bytes (see above). */
function isPlainBytes(bytes) {
  return (
    ArrayBuffer.isView(bytes) &&
    plainBytes.includes(Object.getPrototypeOf(bytes)) &&
    !Object.hasOwn(bytes, "length")
  );
}

/** `hashKey`, or `undefined` once passed ahead of the call `balancer` makes next. */
function passAhead(balancer, hashKey) {
  if (typeof hashKey === "string") {
    if (hashKey.length <= PASSED_AHEAD && isWellFormed !== undefined && isWellFormed.call(hashKey)) {
      balancer.__keyText(hashKey);
      return undefined;
    }
  } else if (
    isPlainBytes(hashKey) &&
    // Not `hashKey.length`: under Node 20 (V8 11.3), reading it here crashed the process
    // once the Node tests had run for a while (SIGSEGV; not with `--no-opt` or
    // `--no-turbo-inline-js-wasm-calls`). A `Uint8Array`'s byte length is its length, read
    // by the built-in getter (a key's own `byteLength` may lie).
    byteLengthOf.call(hashKey) <= PASSED_AHEAD
  ) {
    balancer.__keyBytes(hashKey);
    return undefined;
  }
  return hashKey;
}

/**
 * `key`, a string, written into `view` (the key staging buffer, of `bytes` bytes) a code unit a
 * byte: its length, or -1 when it is longer than the buffer or has a code unit past ASCII (whose
 * UTF-8 takes more).
 */
function stageText(view, bytes, key) {
  const length = key.length;
  if (length > bytes) return -1;
  for (let i = 0; i < length; i++) {
    const unit = key.charCodeAt(i);
    if (unit > 0x7f) return -1;
    view[i] = unit;
  }
  return length;
}

/**
 * `key` written into `view` (of `bytes` bytes) as it is: its length, or -1 when it is not plain
 * bytes or is longer than the buffer. Its length is the built-in one, which no caller code can
 * change or run in (a `byteLength` of the key's own could free the balancer between the view and
 * the write); `set` copies a key that overlaps the buffer (a view of wasm's memory, as the web
 * package's `init()` hands it out) right, and was as quick as a loop a byte at a time once the
 * length was read this way (61–63 ns a `pickIndex(bytes)` against 64–65).
 */
function stageBytes(view, bytes, key) {
  if (!isPlainBytes(key)) return -1;
  const length = byteLengthOf.call(key);
  if (length > bytes) return -1;
  view.set(key);
  return length;
}

/** The `Balancer` class of the packages: `Generated`, wasm-bindgen's, with the calls above. */
export function withCalls(Generated) {
  return class Balancer extends Generated {
    /** The key staging buffer's view (the first of the ways above), once asked for. */
    #staging = undefined;
    /** Its length in bytes, read once (a view of wasm's memory reads it slowly). */
    #stagingBytes = 0;

    /**
     * wasm-bindgen's release of the balancer (`free()`, `[Symbol.dispose]()`), the view let go
     * first: the buffer goes back to wasm's allocator, and a call after it must throw, not write
     * there.
     */
    __destroy_into_raw() {
      this.#staging = undefined;
      return super.__destroy_into_raw();
    }

    /** `hashKey` written into the key staging buffer: as `stageText` or `stageBytes`. */
    #stage(hashKey) {
      let view = this.#staging;
      // Detached (its `byteLength` 0) once wasm's memory has grown.
      if (view === undefined || view.byteLength === 0) {
        view = this.#staging = this.__keyStaging();
        this.#stagingBytes = view.byteLength;
      }
      const bytes = this.#stagingBytes;
      return typeof hashKey === "string"
        ? stageText(view, bytes, hashKey)
        : stageBytes(view, bytes, hashKey);
    }

    /**
     * `pick(hashKey?)`: the endpoint of the next request, `null` when none can serve (Envoy's
     * 503 "no healthy upstream"). `hashKey` (a string or UTF-8 bytes) is the request's hash key
     * for RING_HASH and MAGLEV, hashed as the CLI's `--hash`; without it the hash is random,
     * drawn from the seeded generator. Throws for a `hashKey` that is not a string or a
     * `Uint8Array`.
     */
    pick(hashKey) {
      let picked;
      if (hashKey === undefined || hashKey === null) {
        picked = this.__pick(undefined);
      } else {
        const staged = this.#stage(hashKey);
        picked = staged < 0 ? this.__pick(passAhead(this, hashKey)) : this.__pickStaged(staged);
      }
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
      const staged = this.#stage(hashKey);
      const index =
        staged < 0 ? this.__pickIndex(passAhead(this, hashKey)) : this.__pickIndexStaged(staged);
      if (index === -2) throw this.__failure();
      return index;
    }

    /**
     * `start(hashKey?)`: as `pick`, for a request that stays active on its endpoint (least
     * request counts it) until `finish(picked)`; the result carries its `ticket`.
     */
    start(hashKey) {
      let started;
      if (hashKey === undefined || hashKey === null) {
        started = this.__start(undefined);
      } else {
        const staged = this.#stage(hashKey);
        started = staged < 0 ? this.__start(passAhead(this, hashKey)) : this.__startStaged(staged);
      }
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
