// The meshlb playground: the scenario in the editor (plus what-ifs) → meshlb (WebAssembly) →
// the explanation → the drawing and the panel. Everything that decides where requests go runs
// in meshlb's core, compiled to WebAssembly; this file only wires the page together.

// `init` boots the WebAssembly module; the named exports are meshlb's JavaScript API
// (wasm/src/lib.rs): explain(input, options?), document(input) (meshlb's own YAML and JSON
// reader), report(input) and the per-request Balancer.
import init, { explain, document as readDocument, withHealth, report, Balancer } from "./pkg/meshlb.js";

import { Editor } from "./editor.js";
import { renderDiagram, drawFlows, h } from "./draw.js";
import { buildView } from "./model.js";
import {
  renderSummary,
  renderPriorities,
  renderShares,
  renderDropped,
  renderNotes,
  renderWhatIf,
} from "./panel.js";
import { applyOps, cycleEndpoint, legacyFailures, setOp, toggleFailure } from "./whatif.js";
import { encodeHash, decodeHash } from "./share.js";
import { sendRequests, stopRequests } from "./animate.js";
import { renderMesh } from "./mesh.js";

const $ = (selector) => document.querySelector(selector);

/** Everything the page shows comes from this state; `render()` draws it. */
const state = {
  presets: [], // [{ name, file, title }]
  presetTexts: new Map(), // name -> text
  preset: null, // name of the preset the text came from
  text: "",
  ops: [], // what-ifs that edit the scenario (scenario.js)
  fails: [], // failures, meshlb's `KIND=VALUE` strings: the option `fail` of every call
  lastEdit: "ops", // which list the last what-if changed ("ops" or "fails"), to undo it
  good: null, // the last good { text, doc, baseExp, ops, fails, scenario, input, exp }
  renders: 0,
  tab: "tab-traffic", // the panel tab shown (kept in the URL as `v=` when not Traffic)
  domain: null, // the failure domain chosen in the Mesh view (`d=`), applied while in `fails`
  measure: "cross_zone", // what the Mesh view's heatmap shows
  report: { input: null, report: null, error: null }, // meshlb's report of `input`, cached
};

const errorMessage = (e) => (e instanceof Error ? e.message : String(e));

// ---------------------------------------------------------------------------------------------
// Explaining

/**
 * Explains the editor's text with the what-ifs applied and the failures passed to meshlb
 * (`explain(input, { fail })`). On an error in the text, the error is shown at its line and the
 * last good drawing stays; an invalid what-if or failure is undone.
 */
function update() {
  const text = state.text;
  let exp;
  let doc;
  try {
    // meshlb validates the text itself: its errors name the path and the line. Its reader
    // also gives the document as an object, for the what-ifs to edit.
    exp = explain(text);
    doc = readDocument(text);
  } catch (e) {
    showTextError(errorMessage(e));
    return false;
  }
  editor.setError(null);
  $("#stale").hidden = true;
  $("#diagram").classList.remove("stale");
  $("#tab-scenario").classList.remove("has-error");

  const baseExp = exp;
  let scenario = doc;
  let input = text;
  if (state.ops.length || state.fails.length) {
    if (state.ops.length) {
      scenario = applyOps(doc, state.ops, { withHealth });
      input = JSON.stringify(scenario);
    }
    try {
      // The failures are meshlb's own operation on the scenario (the CLI's `--fail`).
      exp = explain(input, { fail: state.fails });
      $("#whatif-error").hidden = true;
    } catch (e) {
      // A what-if made the scenario invalid (say, a remote secret across meshes), or meshlb
      // refused a failure: undo the last change.
      const message = errorMessage(e);
      if (state.lastEdit === "fails" && state.fails.length) state.fails = state.fails.slice(0, -1);
      else if (state.ops.length) state.ops = state.ops.slice(0, -1);
      else state.fails = state.fails.slice(0, -1);
      const error = $("#whatif-error");
      error.textContent = `That what-if is not a valid scenario, so it was undone: ${message}`;
      error.hidden = false;
      return update();
    }
  }
  state.good = { text, doc, baseExp, ops: state.ops, fails: state.fails, scenario, input, exp };
  render();
  saveHash();
  return true;
}

/** An endpoint's health in the unedited input, as meshlb read it. */
function baseHealth(item) {
  const base = state.good.baseExp;
  if (base.topology) {
    return base.topology.workloads.find(
      (w) => w.cluster === item.cluster && w.address === item.address && w.port === item.port,
    )?.health;
  }
  return base.endpoints.find((e) => e.address === item.address && e.port === item.port)?.health;
}

function showTextError(message) {
  editor.setError(message);
  $("#tab-scenario").classList.add("has-error");
  if (state.good) {
    const stale = $("#stale");
    stale.hidden = false;
    $("#stale-message").textContent = message;
    $("#diagram").classList.add("stale");
  } else {
    renderFatal(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Drawing

let view = null;

// Redraws the flows when the boxes move: the window resized, a font loaded, a panel grew.
let pendingFlows = 0;
const resizes = new ResizeObserver(() => {
  cancelAnimationFrame(pendingFlows);
  pendingFlows = requestAnimationFrame(() => view && drawFlows($("#diagram"), view));
});

function render() {
  const { exp, baseExp, scenario, ops, fails } = state.good;
  stopRequests();
  // Re-rendering replaces the focused control: remember it, to focus its successor after.
  const focusKey = document.activeElement?.dataset?.focusKey;
  const focusId = document.activeElement?.closest?.("#diagram, #whatif") ? document.activeElement.id : "";

  view = buildView(exp, fails, scenario?.client);
  renderDiagram($("#diagram"), view, {
    cycle: (item) => {
      const next = cycleEndpoint(state, item, baseHealth(item));
      state.lastEdit = next.fails.length > state.fails.length ? "fails" : "ops";
      state.fails = next.fails;
      setOps(next.ops);
    },
    toggleFailure: (failure) => setFails(toggleFailure(state.fails, failure)),
  });
  resizes.disconnect();
  resizes.observe($("#diagram"));
  resizes.observe($("#diagram .diagram-inner"));
  renderSummary($("#summary"), exp);
  renderPriorities($("#priorities"), exp);
  renderShares($("#shares"), exp);
  renderDropped($("#dropped"), exp);
  renderNotes($("#notes"), exp);
  renderWhatIf($("#whatif"), {
    exp,
    baseExp,
    ops,
    fails,
    on: {
      reset: () => {
        state.fails = [];
        setOps([]);
      },
      set: (next) => setOps(next),
      setOp: (op) => setOps(normalize(setOp(state.ops, op))),
      setFails: (next) => setFails(next),
      toggleFailure: (failure) => setFails(toggleFailure(state.fails, failure)),
    },
  });
  renderMeshView();
  $("#export-json").value = JSON.stringify(scenario, null, 2);
  // The failures are not written into the scenario: meshlb applies them (`--fail`).
  const failFlags = fails.map((f) => ` --fail ${f}`).join("");
  $("#export-fail").hidden = fails.length === 0;
  $("#export-fail-command").textContent = `meshlb explain meshlb-scenario.json${failFlags}`;
  // The filter reads JSON only; the scenario travels as the `input` object (filter/README.md).
  // The failures travel as the configuration's `fail` list, the CLI's `--fail` flags.
  const filterConfig = { input: scenario, name: "meshlb-scenario.json" };
  if (fails.length > 0) filterConfig.fail = fails;
  $("#export-filter").value = JSON.stringify(filterConfig, null, 2);
  $("#send-result").textContent = "";
  delete $("#send-result").dataset.done;
  $("#whatif-count").textContent = ops.length + fails.length ? String(ops.length + fails.length) : "";
  $("#diagram").dataset.status = exp.status;
  // The failures in force, as meshlb's `--fail` strings (the tests hand them to the CLI).
  $("#diagram").dataset.fails = JSON.stringify(fails);

  if (focusKey) {
    document.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus({ preventScroll: true });
  } else if (focusId) {
    document.getElementById(focusId)?.focus({ preventScroll: true });
  }
  state.renders += 1;
  document.body.dataset.renders = String(state.renders);
  document.body.dataset.ready = "true";
}

/** Drops what-ifs that change nothing (a toggle switched back). */
function normalize(ops) {
  const doc = state.good?.doc;
  if (!doc) return ops;
  try {
    const result = JSON.stringify(applyOps(doc, ops, { withHealth }));
    return ops.filter((op, i) => {
      const without = ops.filter((_, j) => j !== i);
      return JSON.stringify(applyOps(doc, without, { withHealth })) !== result;
    });
  } catch {
    // meshlb refused an edit: update() says so and undoes it.
    return ops;
  }
}

/** The failure domain chosen in the Mesh view, while it is applied. */
function chosenDomain() {
  return state.domain && state.good?.fails.includes(state.domain) ? state.domain : null;
}

/**
 * The Mesh tab, drawn only while it is shown: meshlb's report of the scenario with the
 * what-ifs (not the failures: the sweep is every single failure of that scenario), computed
 * once per scenario.
 */
function renderMeshView() {
  if (state.tab !== "tab-mesh" || !state.good) return;
  const { input, exp } = state.good;
  const envoy = !exp.topology;
  if (!envoy && state.report.input !== input) {
    try {
      state.report = { input, report: report(input), error: null };
    } catch (e) {
      state.report = { input, report: null, error: errorMessage(e) };
    }
  }
  const focusKey = document.activeElement?.closest?.("#mesh") ? document.activeElement.dataset.focusKey : null;
  renderMesh($("#mesh"), {
    report: state.report.report,
    error: state.report.error,
    envoy,
    chosen: chosenDomain(),
    measure: state.measure,
    on: {
      choose: (failure) => {
        const previous = chosenDomain();
        state.domain = failure;
        // The chosen domain alone: the drawing shows what that one failure does, as the sweep.
        if (failure) setFails([failure]);
        else setFails(state.fails.filter((f) => f !== previous));
      },
      measure: (key) => {
        state.measure = key;
        renderMeshView();
        $("#mesh-measure")?.focus();
      },
    },
  });
  if (focusKey) document.querySelector(`#mesh [data-focus-key="${CSS.escape(focusKey)}"]`)?.focus({ preventScroll: true });
}

function setOps(ops) {
  $("#whatif-error").hidden = true;
  if (ops.length > state.ops.length) state.lastEdit = "ops";
  state.ops = ops;
  update();
}

function setFails(fails) {
  $("#whatif-error").hidden = true;
  state.lastEdit = "fails";
  state.fails = fails;
  update();
}

function renderFatal(message) {
  $("#diagram").replaceChildren(h("div", { class: "fatal", role: "alert" }, message));
}

// ---------------------------------------------------------------------------------------------
// Presets and the URL

async function loadPresets() {
  try {
    const response = await fetch("presets/presets.json");
    if (!response.ok) throw new Error(`${response.status}`);
    state.presets = await response.json();
  } catch {
    state.presets = [];
  }
  const select = $("#preset");
  select.replaceChildren(
    h("option", { value: "" }, "(edited)"),
    ...state.presets.map((p) => h("option", { value: p.name, title: p.title }, p.name)),
  );
}

async function presetText(name) {
  if (!state.presetTexts.has(name)) {
    const p = state.presets.find((x) => x.name === name);
    if (!p) throw new Error(`no preset ${name}`);
    const response = await fetch(`presets/${p.file}`);
    if (!response.ok) throw new Error(`presets/${p.file}: ${response.status}`);
    state.presetTexts.set(name, await response.text());
  }
  return state.presetTexts.get(name);
}

async function choosePreset(name, ops = [], fails = []) {
  state.text = await presetText(name);
  state.preset = name;
  state.ops = ops;
  state.fails = fails;
  editor.value = state.text;
  syncPresetSelect();
  update();
}

function syncPresetSelect() {
  const edited = !state.preset || state.presetTexts.get(state.preset) !== state.text;
  $("#preset").value = edited ? "" : state.preset;
  const p = state.presets.find((x) => x.name === state.preset);
  $("#preset-title").textContent = edited ? "your own scenario" : (p?.title ?? "");
}

let hashTimer = 0;
let lastHash = "";
function saveHash() {
  clearTimeout(hashTimer);
  hashTimer = setTimeout(async () => {
    const unchanged = state.preset && state.presetTexts.get(state.preset) === state.good.text;
    const hash = await encodeHash({
      preset: unchanged ? state.preset : null,
      text: state.good.text,
      ops: state.good.ops,
      fails: state.good.fails,
      view: state.tab === "tab-traffic" ? null : state.tab.replace(/^tab-/, ""),
      domain: chosenDomain(),
    });
    lastHash = hash;
    if (location.hash !== hash) history.replaceState(null, "", hash);
    // For the tests: the URL now holds what render number `saved` drew.
    document.body.dataset.saved = String(state.renders);
  }, 150);
}

async function loadFromHash() {
  const saved = location.hash ? await decodeHash(location.hash) : null;
  if (saved) {
    // Links from before failures were meshlb's operation kept them among the ops.
    const legacy = legacyFailures(saved.ops);
    saved.ops = legacy.ops;
    saved.fails = [...new Set([...saved.fails, ...legacy.fails])];
    state.domain = saved.domain;
    const tab = saved.view && document.getElementById(`tab-${saved.view}`);
    if (tab?.getAttribute("role") === "tab") showTab(tab.id);
  }
  if (saved?.preset && state.presets.some((p) => p.name === saved.preset)) {
    await choosePreset(saved.preset, saved.ops, saved.fails);
    return;
  }
  if (saved?.text !== undefined) {
    state.text = saved.text;
    state.preset = null;
    state.ops = saved.ops;
    state.fails = saved.fails;
    editor.value = state.text;
    syncPresetSelect();
    update();
    return;
  }
  const first = state.presets.find((p) => p.name === "default") ?? state.presets[0];
  if (first) await choosePreset(first.name);
  else renderFatal("No presets found (presets/presets.json): build the playground with `cargo xtask playground`.");
}

// ---------------------------------------------------------------------------------------------
// Tabs (the WAI-ARIA tabs pattern: arrow keys move between tabs)

function setupTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const select = (tab, focus) => {
    for (const t of tabs) {
      const selected = t === tab;
      t.setAttribute("aria-selected", String(selected));
      t.tabIndex = selected ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !selected;
    }
    // The editor and the mesh report want room: the panel widens while they are open.
    document.querySelector("main").dataset.tab = tab.id;
    if (focus) tab.focus();
    if (state.tab !== tab.id) {
      state.tab = tab.id;
      renderMeshView();
      if (state.good) saveHash();
    }
  };
  for (const [i, tab] of tabs.entries()) {
    tab.addEventListener("click", () => select(tab, false));
    tab.addEventListener("keydown", (e) => {
      const move = { ArrowRight: 1, ArrowLeft: -1, Home: -i, End: tabs.length - 1 - i }[e.key];
      if (move === undefined) return;
      e.preventDefault();
      select(tabs[(i + move + tabs.length) % tabs.length], true);
    });
  }
  return (id) => select(document.getElementById(id), false);
}

// ---------------------------------------------------------------------------------------------
// Start

let editor;
let showTab = () => {};

async function main() {
  // Boot the WebAssembly module before anything calls meshlb.
  await init();

  showTab = setupTabs();
  editor = new Editor($("#editor"), (text) => {
    state.text = text;
    syncPresetSelect();
    update();
  });

  $("#preset").addEventListener("change", (e) => {
    if (e.target.value) choosePreset(e.target.value);
  });
  $("#stale-show").addEventListener("click", () => {
    showTab("tab-scenario");
    editor.revealError();
  });
  $("#copy-link").addEventListener("click", async () => {
    const status = $("#copy-status");
    try {
      await navigator.clipboard.writeText(location.href);
      status.textContent = "Link copied";
    } catch {
      status.textContent = "Copy the address bar: it holds this view";
    }
    setTimeout(() => (status.textContent = ""), 2500);
  });
  const download = (textarea, name) => {
    const blob = new Blob([$(textarea).value], { type: "application/json" });
    const a = h("a", { href: URL.createObjectURL(blob), download: name });
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };
  $("#download-json").addEventListener("click", () => download("#export-json", "meshlb-scenario.json"));
  $("#download-filter").addEventListener("click", () => download("#export-filter", "meshlb-filter.json"));
  $("#write-whatifs").addEventListener("click", () => {
    if (!state.good) return;
    state.text = JSON.stringify(state.good.scenario, null, 2);
    state.preset = null;
    state.ops = [];
    // The failures stay what-ifs: meshlb applies them to the written scenario too.
    editor.value = state.text;
    syncPresetSelect();
    update();
  });
  $("#send-form").addEventListener("submit", (e) => {
    e.preventDefault();
    if (!state.good) return;
    const n = Math.max(1, Math.min(100000, Math.floor(Number($("#send-n").value) || 1000)));
    const seed = Math.max(0, Math.floor(Number($("#send-seed").value) || 0));
    try {
      sendRequests({
        Balancer,
        input: state.good.input,
        options: { fail: state.good.fails },
        n,
        seed,
        diagram: $("#diagram"),
        table: $("#shares"),
        result: $("#send-result"),
        explained: state.good.exp,
      });
    } catch (err) {
      $("#send-result").textContent = errorMessage(err);
    }
  });

  window.addEventListener("hashchange", () => {
    if (location.hash !== lastHash) loadFromHash();
  });

  await loadPresets();
  await loadFromHash();
}

main().catch((e) => {
  console.error(e);
  renderFatal(`The playground could not start: ${errorMessage(e)}`);
});
