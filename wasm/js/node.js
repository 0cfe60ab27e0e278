"use strict";
// The Node package's entry (its `main`): wasm-bindgen's module, its `Balancer` with the calls
// of calls.js.
const generated = require("./meshlb_wasm.js");
const { withCalls } = require("./calls.js");

module.exports = { ...generated, Balancer: withCalls(generated.Balancer) };
