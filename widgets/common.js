// common.js: the helpers every widget's browser side shares (stepper.js, playground.js,
// optimizer_lab.js). Plain JS, no imports.
//
// anywidget loads each widget from one ES module, given as a string, and the
// kit has no bundler (it must work offline, from a plain checkout). So the
// module is built in Python: this file, then the widget's own file, one after
// the other (widgets/_live.py, `esm`). A widget's file therefore uses these
// names as if it had defined them, and its module exports them too (the node
// tests call `formatNumber` through the stepper's and the lab's modules).
//
// Define a helper here once two widgets need it; keep a widget's own ideas in
// its own file.

const INK = "#1d2330";   // text and dark lines drawn on a canvas
const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';

// ---------------------------------------------------------------- numbers

// Python's f"{x:.4g}" with a real minus sign: autodiff.trace.format_number.
// toExponential rounds ties away from zero, Python to even; exact ties
// (1.0625 → "1.062") are detected from a longer, exact expansion.
export function formatNumber(x) {
  if (x === 0) return "0";
  const a = Math.abs(x);
  let [mant, exp] = a.toExponential(3).split("e");
  const exact = a.toExponential(40);
  if (/^\d\.\d{3}50*e/.test(exact) && Number(exact[4]) % 2 === 0) {
    [mant, exp] = [exact.slice(0, 5), exact.split("e")[1]];  // a tie: keep the even digit
  }
  const e = Number(exp);
  const digits = mant.replace(".", "");
  const trim = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  let text;
  if (e < -4 || e >= 4) {
    text = trim(mant) + "e" + (e < 0 ? "-" : "+") + String(Math.abs(e)).padStart(2, "0");
  } else if (e >= 0) {
    text = trim(digits.slice(0, e + 1) + "." + digits.slice(e + 1));
  } else {
    text = trim("0." + "0".repeat(-e - 1) + digits);
  }
  return ((x < 0 ? "-" : "") + text).replace(/-/g, "−");  // every minus, the exponent's too
}

// ---------------------------------------------------------------- the DOM

// An element with attributes and, optionally, a text: make("button", { "data-action": "step" }, "Step").
function make(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text) node.textContent = text;
  return node;
}

// Show a message (an error, a notice) in `node`, and hide the node while there is none.
function showText(node, text) {
  node.textContent = text;
  node.hidden = !text;
}

// ---------------------------------------------------------------- the model

// Set several traits and send them to the kernel in one message.
function saveTraits(model, changes) {
  for (const [key, value] of Object.entries(changes)) model.set(key, value);
  model.save_changes();
}

// Listen to the model: `listeners` maps an event ("change:step", "msg:custom")
// to its handler. Returns the function that stops listening, for when the view goes.
function listen(model, listeners) {
  for (const [event, handler] of Object.entries(listeners)) model.on(event, handler);
  return () => {
    for (const [event, handler] of Object.entries(listeners)) model.off(event, handler);
  };
}

// ---------------------------------------------------------------- access: keyboard, screen readers, projector

// Keys pressed in a widget's own boxes, sliders and menus are theirs: JupyterLab must not take them
// as notebook shortcuts (it does, for the arrow keys, and then a slider or a menu cannot be moved by
// keyboard). So they stop at the widget's root; Escape, Tab, Shift+Enter and keys with Ctrl, Alt or
// Cmd still reach JupyterLab. Returns the function that stops listening.
function keepKeysInControls(root) {
  const onKey = (event) => {
    if (!event.target.closest || !event.target.closest("input, select, textarea")) return;
    if (["Escape", "Tab"].includes(event.key) || (event.key === "Enter" && event.shiftKey)) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    event.stopPropagation();
  };
  root.addEventListener("keydown", onKey);
  return () => root.removeEventListener("keydown", onKey);
}

// Make a widget's root focusable, and Space on it (not on one of its buttons or boxes) call `toggle`
// (Play/Pause); keys in its controls stay there (`keepKeysInControls`). Returns the function that
// stops listening.
function spaceToPlay(root, toggle) {
  root.setAttribute("tabindex", "0");
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  const onKey = (event) => {
    if (event.key !== " " || event.target !== root || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    event.stopPropagation();
    toggle();
  };
  root.addEventListener("keydown", onKey);
  const stopKeeping = keepKeysInControls(root);
  return () => { root.removeEventListener("keydown", onKey); stopKeeping(); };
}

// A drawing's text alternative for screen readers: role="img" and a label, rewritten only when it changes.
function describeImage(node, text) {
  if (node.getAttribute("role") !== "img") node.setAttribute("role", "img");
  if (node.getAttribute("aria-label") !== text) node.setAttribute("aria-label", text);
}

// Projector mode (widgets.projector): the model's "projector" trait puts the class "ad-projector"
// on the root and sets its CSS property --ad-scale, which the widget's CSS multiplies its text and
// lines by. PROJECTOR_SCALE is widgets.projector.SCALE, written in front of this file by Python.
// Returns the scale now in force, for what a canvas draws.
function showProjector(model, root) {
  const on = Boolean(model.get("projector"));
  root.classList.toggle("ad-projector", on);
  root.style.setProperty("--ad-scale", String(on ? PROJECTOR_SCALE : 1));
  return on ? PROJECTOR_SCALE : 1;
}
