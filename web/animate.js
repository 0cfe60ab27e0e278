// "Send N requests": seeded picks from meshlb's Balancer, animated along the flows, counted
// per endpoint, and compared with the explained shares.
//
// The picks are made up front (Balancer.pickMany, or Balancer.pick one by one), so the counts
// are exactly those of `meshlb pick`/`simulate` with the same seed; the requestAnimationFrame
// loop only reveals them over about two seconds and moves a sample of them as dots.

import { pct } from "./draw.js";

const SVG = "http://www.w3.org/2000/svg";

/** Dots alive at once (the rest of the requests are only counted). */
const MAX_DOTS = 48;
/** How long one dot travels, in milliseconds. */
const DOT_MS = 650;

let current = null;

/** Stops a run in progress (a new scenario was drawn). */
export function stopRequests() {
  if (current) current.stop();
  current = null;
}

/**
 * Sends `n` requests with `seed` through a Balancer over `input` (with `options`: the failures).
 * `diagram` is the drawing's root, `table` the share table's root, `result` the element the
 * summary goes to. Returns a promise that resolves with { counts, unrouted, maxDeviation }.
 */
export function sendRequests({ Balancer, input, options, n, seed, diagram, table, result, explained }) {
  stopRequests();
  const balancer = new Balancer(input, options, seed);
  let exp;
  let picks;
  try {
    exp = balancer.explain();
    if (typeof balancer.pickMany === "function") {
      picks = Array.from(balancer.pickMany(n), Number);
    } else {
      picks = [];
      for (let i = 0; i < n; i++) picks.push(balancer.pick()?.index ?? -1);
    }
  } finally {
    balancer.free?.();
  }

  // The table's rows follow the page's explanation; the balancer's should be the same list,
  // but map by identity to be safe.
  const id = (e) => `${e.address}:${e.port}|${e.cluster ?? ""}|${e.subset ?? ""}`;
  const rowOf = new Map(explained.endpoints.map((e, i) => [id(e), i]));
  const toRow = exp.endpoints.map((e) => rowOf.get(id(e)) ?? -1);
  const counts = new Array(explained.endpoints.length).fill(0);
  let unrouted = 0;

  const rows = [...table.querySelectorAll("tr.share-row")];
  const cells = rows.map((r) => r.querySelector("td.observed"));
  const svg = diagram.querySelector("svg.flows");
  const particles = svg?.querySelector("g.particles");
  const reduced = matchMedia("(prefers-reduced-motion: reduce)").matches;
  const duration = reduced ? 0 : Math.min(2400, 900 + n / 4);
  const every = Math.max(1, Math.floor(n / 160));
  const dots = [];

  const keyOf = (e) =>
    e.kind === "gateway" ? null : `w:${e.cluster ?? ""}|${e.address}:${e.port}`;
  const pathFor = (e) => {
    if (!svg) return [];
    if (e.kind === "gateway") {
      const gw = [...svg.querySelectorAll("path.flow")].find(
        (p) => p.dataset.from === "client" && p.dataset.to.startsWith("g:") && p.dataset.to.endsWith(`|${e.address}:${e.port}`),
      );
      if (!gw) return [];
      const behind = [...svg.querySelectorAll("path.flow.behind")].filter((p) => p.dataset.from === gw.dataset.to);
      return [gw, behind];
    }
    const p = svg.querySelector(`path.flow[data-from="client"][data-to="${CSS.escape(keyOf(e))}"]`);
    return p ? [p, []] : [];
  };

  const show = (done) => {
    const total = Math.max(1, done);
    counts.forEach((c, i) => {
      if (!cells[i]) return;
      cells[i].textContent = pct(c / total);
      cells[i].dataset.observed = String(c / total);
      cells[i].dataset.count = String(c);
    });
  };

  return new Promise((resolve) => {
    let shown = 0;
    let start = 0;
    let frame = 0;
    let stopped = false;
    current = {
      stop() {
        stopped = true;
        cancelAnimationFrame(frame);
        for (const d of dots) d.el.remove();
      },
    };
    result.dataset.done = "false";
    result.textContent = `sending ${n} requests…`;

    const step = (now) => {
      if (stopped) return;
      if (!start) start = now;
      const t = duration ? Math.min(1, (now - start) / duration) : 1;
      const upto = Math.floor(t * n);
      for (; shown < upto; shown++) {
        const i = picks[shown];
        const row = i >= 0 ? toRow[i] : -1;
        if (row >= 0) counts[row]++;
        else unrouted++;
        if (!reduced && particles && row >= 0 && shown % every === 0 && dots.length < MAX_DOTS) {
          const [path, behind] = pathFor(exp.endpoints[i]);
          if (path) {
            const el = document.createElementNS(SVG, "circle");
            el.setAttribute("r", "4");
            el.setAttribute("class", "particle");
            particles.append(el);
            const next = behind?.length ? behind[shown % behind.length] : null;
            dots.push({ el, path, next, born: now });
          }
        }
      }
      for (let k = dots.length - 1; k >= 0; k--) {
        const d = dots[k];
        const u = (now - d.born) / DOT_MS;
        if (u >= 1 && d.next) {
          d.path = d.next;
          d.next = null;
          d.born = now;
          continue;
        }
        if (u >= 1) {
          d.el.remove();
          dots.splice(k, 1);
          continue;
        }
        const len = d.path.getTotalLength();
        const p = d.path.getPointAtLength(len * u);
        d.el.setAttribute("cx", p.x.toFixed(1));
        d.el.setAttribute("cy", p.y.toFixed(1));
      }
      show(shown);
      if (shown < n || dots.length) {
        frame = requestAnimationFrame(step);
        return;
      }
      current = null;
      const routed = n - unrouted;
      let maxDeviation = 0;
      counts.forEach((c, i) => {
        const dev = Math.abs((routed ? c / n : 0) - explained.endpoints[i].share);
        maxDeviation = Math.max(maxDeviation, dev);
      });
      result.dataset.done = "true";
      result.dataset.maxDeviation = String(maxDeviation);
      result.dataset.unrouted = String(unrouted);
      result.textContent =
        `${n} requests, seed ${seed}: largest |observed − explained| ${(maxDeviation * 100).toFixed(2)} points` +
        (unrouted ? `; ${unrouted} found no healthy upstream (503)` : "");
      resolve({ counts, unrouted, maxDeviation });
    };
    frame = requestAnimationFrame(step);
  });
}
