// The scenario editor: a plain <textarea> with line numbers, and errors shown at their line.
//
// meshlb's messages end with "(line N)" when the input has lines; the editor marks that line
// in the gutter, bands it, and shows the message on it. The full message is also in a status
// line under the editor, which screen readers announce.

import { h } from "./draw.js";

/** The line an error message names ("... (line 12)"), or null. */
export function errorLine(message) {
  const m = /\(line (\d+)\)/.exec(message ?? "") ?? /\bline (\d+)\b/.exec(message ?? "");
  return m ? Number(m[1]) : null;
}

export class Editor {
  /**
   * @param {HTMLElement} root  the element to build the editor in
   * @param {(text: string) => void} onChange  called (debounced) after the user edits
   */
  constructor(root, onChange) {
    this.onChange = onChange;
    this.gutter = h("pre", { class: "gutter", "aria-hidden": "true" });
    this.band = h("div", { class: "err-band", hidden: true });
    this.callout = h("div", { class: "err-callout", hidden: true, "aria-hidden": "true" });
    this.textarea = h("textarea", {
      id: "scenario-text",
      class: "code",
      spellcheck: "false",
      autocapitalize: "off",
      autocomplete: "off",
      wrap: "off",
      "aria-label": "Scenario (YAML or JSON)",
      "aria-describedby": "editor-status",
    });
    this.status = h("p", { id: "editor-status", class: "editor-status", role: "status", "aria-live": "polite" });
    root.replaceChildren(
      h("div", { class: "editor" }, h("div", { class: "gutter-wrap" }, this.gutter), h("div", { class: "code-wrap" }, this.band, this.textarea, this.callout)),
      this.status,
    );
    let timer = 0;
    this.textarea.addEventListener("input", () => {
      this.renumber();
      clearTimeout(timer);
      timer = setTimeout(() => this.onChange(this.textarea.value), 250);
    });
    this.textarea.addEventListener("scroll", () => this.place());
    // Tab inserts two spaces (YAML indents with spaces); Escape then Tab leaves the editor.
    let escaped = false;
    this.textarea.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        escaped = true;
        return;
      }
      if (e.key === "Tab" && !e.shiftKey && !escaped && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        document.execCommand("insertText", false, "  ");
      }
      escaped = false;
    });
    this.errorAt = null;
  }

  get value() {
    return this.textarea.value;
  }

  set value(text) {
    this.textarea.value = text;
    this.textarea.scrollTop = 0;
    this.renumber();
  }

  renumber() {
    const lines = this.textarea.value.split("\n").length;
    if (lines !== this.lines) {
      this.lines = lines;
      this.gutter.textContent = Array.from({ length: lines }, (_, i) => i + 1).join("\n") + "\n";
    }
    this.markGutter();
    this.place();
  }

  markGutter() {
    // Rebuild the gutter with the error line wrapped in a marker.
    const n = this.errorAt;
    if (!n || n > this.lines) {
      if (this.gutter.querySelector("mark")) {
        this.gutter.textContent = Array.from({ length: this.lines }, (_, i) => i + 1).join("\n") + "\n";
      }
      return;
    }
    const before = Array.from({ length: n - 1 }, (_, i) => i + 1).join("\n");
    const after = Array.from({ length: this.lines - n }, (_, i) => i + n + 1).join("\n");
    this.gutter.replaceChildren(
      before ? `${before}\n` : "",
      h("mark", { title: "error on this line" }, String(n)),
      after ? `\n${after}\n` : "\n",
    );
  }

  /** Shows `message` (from meshlb) at its line; null clears it. */
  setError(message) {
    if (!message) {
      this.errorAt = null;
      this.textarea.removeAttribute("aria-invalid");
      this.status.textContent = "";
      this.status.classList.remove("error");
      this.band.hidden = true;
      this.callout.hidden = true;
      this.markGutter();
      return;
    }
    const line = errorLine(message);
    this.errorAt = line;
    this.textarea.setAttribute("aria-invalid", "true");
    this.status.classList.add("error");
    this.status.textContent = line ? `Line ${line}: ${message}` : message;
    this.callout.textContent = message;
    this.band.hidden = !line;
    this.callout.hidden = !line;
    this.markGutter();
    this.place();
  }

  /** Positions the error band and message on the error line, following the scroll. */
  place() {
    this.gutter.style.transform = `translateY(${-this.textarea.scrollTop}px)`;
    if (!this.errorAt) return;
    const style = getComputedStyle(this.textarea);
    const lh = parseFloat(style.lineHeight) || 20;
    const top = parseFloat(style.paddingTop) + (this.errorAt - 1) * lh - this.textarea.scrollTop;
    this.band.style.top = `${top}px`;
    this.band.style.height = `${lh}px`;
    // The message sits on the line below the error, so the error line itself stays readable.
    this.callout.style.top = `${top + lh}px`;
    const visible = top > -lh && top < this.textarea.clientHeight;
    this.band.style.visibility = visible ? "visible" : "hidden";
    this.callout.style.visibility = visible ? "visible" : "hidden";
  }

  /** Scrolls the error line into view and selects it. */
  revealError() {
    if (!this.errorAt) return;
    const lines = this.textarea.value.split("\n");
    let offset = 0;
    for (let i = 0; i < this.errorAt - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    this.textarea.focus({ preventScroll: true });
    this.textarea.setSelectionRange(offset, offset + (lines[this.errorAt - 1]?.length ?? 0));
    // The browser scrolls to the selection on its own schedule: set the scroll after it.
    requestAnimationFrame(() => {
      const lh = parseFloat(getComputedStyle(this.textarea).lineHeight) || 20;
      this.textarea.scrollTop = Math.max(0, (this.errorAt - 4) * lh);
      this.textarea.scrollLeft = 0;
      this.place();
    });
  }
}
