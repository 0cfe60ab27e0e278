import { Balancer as Generated, Picked } from "./meshlb_wasm.js";

/** wasm-bindgen's `Balancer` with the calls made once a request (calls.js). */
export declare class BalancerWithCalls extends Generated {
    /**
     * `pick(hashKey?)`: the endpoint of the next request, `null` when none can serve (Envoy's
     * 503 "no healthy upstream"). `hashKey` (a string or UTF-8 bytes) is the request's hash key
     * for RING_HASH and MAGLEV, hashed as the CLI's `--hash`; without it the hash is random,
     * drawn from the seeded generator.
     *
     * # Errors
     * A `hashKey` that is not a string or a `Uint8Array`.
     */
    pick(hashKey?: string | Uint8Array): Picked | null;
    /**
     * `pickIndex(hashKey?)`: as `pick`, only the endpoint's index into the explanation's
     * `endpoints` (-1 when none can serve): the same pick without building an object, for
     * callers that keep the endpoints themselves (as `pickMany`, one request at a time).
     *
     * # Errors
     * A `hashKey` that is not a string or a `Uint8Array`.
     */
    pickIndex(hashKey?: string | Uint8Array): number;
    /**
     * `start(hashKey?)`: as `pick`, for a request that stays active on its endpoint (least
     * request counts it) until `finish(picked)`; the result carries its `ticket`.
     *
     * # Errors
     * A `hashKey` that is not a string or a `Uint8Array`.
     */
    start(hashKey?: string | Uint8Array): Picked | null;
    /**
     * `finish(picked)`: the request `start()` returned (or its `ticket`) ended.
     *
     * # Errors
     * Not a `Picked` from `start()` (nor a ticket number); a request finished already.
     */
    finish(picked: Picked | number): void;
}

/** `Generated` with the calls of `BalancerWithCalls`. */
export declare function withCalls(generated: typeof Generated): typeof BalancerWithCalls;
