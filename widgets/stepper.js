// stepper.js: the browser side of widgets.GraphStepper (an anywidget module; plain JS, no imports).
// Python puts widgets/common.js in front of it (formatNumber, make, saveTraits, listen, showText).
//
// Python has already done the hard work: it laid the graph out once (the SVG)
// and wrote every text of every step (the "data" trait). Here we only decide,
// for step k, which boxes are current / computed / done / receiving a gradient,
// and show that with CSS classes and by rewriting the "data …" / "grad …" texts
// in place. Stepping therefore needs no round trip to the kernel.
//
// The model holds the position ("phase", "step", "playing"); every control
// changes the model, and every change of the model redraws. So Python moving
// the widget (s.go_to(3)) and a click here take the same path.

const BOX_CLASSES = ["ad-current", "ad-lit", "ad-done", "ad-target"];

// ---------------------------------------------------------------- pure helpers

// formatNumber (Python's format_number) comes from common.js.

// What a learner typed, as a number (NaN if it is not one). Accepts "−6" too.
export function parseNumber(text) {
  const s = String(text).trim().replace(/−/g, "-");
  return s === "" ? NaN : Number(s);
}

// The quiz's tolerance, as widgets.stepper.is_close: learners type rounded numbers.
export function isClose(answer, value) {
  return Math.abs(answer - value) <= 1e-6 + 1e-3 * Math.abs(value);
}

// The verdict on a quiz: one line per question (the same text as GraphStepper.answer).
// Before the last try a wrong answer gets a hint (retry_template), after it the answer (wrong_template).
export function verdict(items, answers, lastTry = true) {
  return items.map((item, i) => isClose(answers[i], item.value)
    ? item.right_text
    : item[lastTry ? "wrong_template" : "retry_template"].replace("{answer}", () => formatNumber(answers[i])))
    .join("\n");
}

// How many tries a quiz question gets: a wrong answer gets a hint and one more (GraphStepper.QUIZ_TRIES).
export const QUIZ_TRIES = 2;

// Why a quiz cannot be checked yet, in words (null: every box holds an answer). `kind` is
// "values" (a number per box), "shape" or "tensor" (numbers for a Tensor gradient).
export function missingAnswers(kind, items, texts, output) {
  const problems = [];
  items.forEach((item, i) => {
    // The gradient's name as Python wrote it (grad_name: "grad(x)"); older data only has parent_name.
    const text = String(texts[i]).trim(), name = item.grad_name || `∂${output}/∂${item.parent_name}`;
    const shown = quoted(text);
    if (text === "") return problems.push(`${name} is empty`);
    if (kind === "values" && !Number.isFinite(parseNumber(text))) {
      problems.push(Number.isNaN(parseNumber(text)) ? `${name}: ${shown} is not a number`
                                                     : `${name}: ${text} is too large for a number`);
    } else if (kind === "shape" && parseShape(text) === null) {
      problems.push(`${name}: ${shown} is not a shape`);
    } else if (kind === "tensor") {
      const numbers = parseNumbers(text), n = item.values.length;
      if (numbers === null) problems.push(`${name}: ${shown} is not a list of numbers`);
      else if (numbers.length !== n) problems.push(`${name} needs ${n} numbers, you typed ${numbers.length}`);
    }
  });
  if (!problems.length) return null;
  const want = { values: "a number in every box (like −2, 0.5 or 1e-3)",
                 shape: "a shape in every box (like 3×2, 3 or scalar)",
                 tensor: "every number of every gradient, row by row" }[kind];
  return `Check needs ${want}: ${problems.join("; ")}.`;
}

// What a learner typed, quoted in a message: at most 20 characters.
function quoted(text) {
  return `"${text.length > 20 ? text.slice(0, 19) + "…" : text}"`;
}

// Why a value typed in an input box is not used, in words (null: it is a number the graph can take).
// `badInput`: the browser itself could not read the box (a number box holding letters).
export function inputProblem(text, badInput = false) {
  const s = String(text).trim();
  if (badInput) return "what is typed is not a number";
  if (s === "") return "the box is empty: type a number";
  const value = parseNumber(s);
  if (Number.isNaN(value)) return `${quoted(s)} is not a number`;
  if (!Number.isFinite(value)) return `${s.length > 20 ? "it" : s} is too large: a value must be a finite number (below about 1.8e308)`;
  return null;
}

// A shape as a learner types it ("3×2", "3x2", "(3, 2)", "3", "scalar"), or null: widgets.stepper.parse_shape.
export function parseShape(text) {
  const s = String(text).trim().toLowerCase();
  if (s === "scalar" || s === "()" || s === "[]") return [];
  const parts = s.replace(/[()[\]]/g, " ").split(/[\s,×x*]+/).filter(Boolean);
  if (!parts.length || !parts.every((p) => /^[0-9]+$/.test(p))) return null;
  return parts.map(Number);
}

// A shape as people write it: 3×2, 3, scalar (autodiff.tensor.trace.shape_text).
export function shapeText(shape) {
  return shape.length ? shape.join("×") : "scalar";
}

// Numbers typed for a tensor ("[[1, -2], [0.5, 3]]" or "1 -2 0.5 3"), or null if one is not a number.
export function parseNumbers(text) {
  const parts = String(text).replace(/−/g, "-").split(/[\s,;()[\]]+/).filter(Boolean);
  const numbers = parts.map(Number);
  return numbers.length && numbers.every(Number.isFinite) ? numbers : null;
}

// Flat numbers written with the brackets of `shape` (autodiff.tensor.trace.array_text).
export function arrayText(numbers, shape) {
  if (!shape.length) return formatNumber(numbers[0]);
  const size = shape.slice(1).reduce((a, b) => a * b, 1);
  const rows = [];
  for (let i = 0; i < shape[0]; i++) rows.push(arrayText(numbers.slice(i * size, (i + 1) * size), shape.slice(1)));
  return "[" + rows.join(", ") + "]";
}

// The verdicts of a Tensor quiz: on the shapes, then on the numbers (GraphStepper.answer).
export function sameShape(a, b) {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}
export function shapeVerdict(items, shapes) {
  return items.map((item, i) => sameShape(shapes[i], item.shape)
    ? item.shape_right_text
    : item.shape_wrong_template.replace("{answer}", () => shapeText(shapes[i]))).join("\n");
}
export function valuesVerdict(items, answers, lastTry = true) {
  return items.map((item, i) => answers[i].every((x, j) => isClose(x, item.values[j]))
    ? item.right_text
    : item[lastTry ? "wrong_template" : "retry_template"].replace("{answer}", () => arrayText(answers[i], item.shape)))
    .join("\n");
}

// Everything shown at step k of a phase (the same as GraphStepper.view_state in Python).
export function viewState(data, phase, k) {
  const forward = phase === "forward";
  const steps = data[phase];
  const state = { current: null, lit: [], done: [], targets: [], flow: [], texts: {} };
  const grads = {}, colours = {};
  if (!forward) for (const s of steps.slice(0, k)) {
    Object.assign(grads, s.grad_texts);
    if (s.grad_colours) Object.assign(colours, s.grad_colours);
  }
  const tensors = data.nodes.length > 0 && data.nodes[0].cells !== undefined;
  if (tensors) state.colours = {};
  for (const n of data.nodes) {
    const computed = !forward || k >= n.computed_at;
    state.texts[n.id] = [computed ? n.data_text : data.texts.data_unknown,
                         grads[n.id] ?? (n.no_grad || data.texts.grad_unknown)];
    if (tensors) {
      const unknown = data.texts.cell_unknown;
      const [dataCells, gradCells] = n.cells;
      state.colours[n.id] = [computed ? n.data_colours : dataCells.map(() => unknown),
                             colours[n.id] ?? gradCells.map(() => unknown)];
    }
    if (forward && n.computed_at && computed) state.lit.push(n.id);
    if (!forward && n.done_at !== null && k >= n.done_at) state.done.push(n.id);
  }
  if (k > 0) {
    const s = steps[k - 1];
    state.current = s.node;
    state.flow = [...s.edges];
    state.targets = forward ? [] : [...s.targets];
  }
  state.explanation = k > 0 ? steps[k - 1].explanation : data.intro[phase];
  return state;
}

// What a node is at this step, in words: the same states the colours show, for who cannot see them.
export function nodeStatus(state, id) {
  if (id === state.current) return "current step";
  if (state.targets.includes(id)) return "receives a gradient now";
  if (state.done.includes(id)) return "done";
  if (state.lit.includes(id)) return "computed";
  return "";
}

// The drawing in one sentence (its aria-label): how many nodes, and which one this step is at.
export function graphSummary(data, state, phase, k) {
  const names = Object.fromEntries(data.nodes.map((n) => [n.id, n.name]));
  const where = state.current ? `${phase} step ${k}: node ${names[state.current]}` : `${phase} pass, step 0`;
  return `Computation graph of ${data.nodes.length} nodes; ${where}. The table after it lists every node.`;
}

// ---------------------------------------------------------------- zoom

// The zoom steps of the − / + buttons (1 = the drawing's own size), as a browser's own zoom has.
export const ZOOM_LEVELS = [0.25, 0.33, 0.5, 0.67, 0.75, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2, 2.5, 3];

// The smallest text Fit may leave, in CSS pixels: the drawing's 11 pt text (14.7 px) at 68%
// (in projector mode PROJECTOR_SCALE times more, for the back of the room). A graph that would
// need smaller text to fit is shown at this size and scrolled instead.
export const MIN_FIT_TEXT_PX = 10;

// The next zoom step from `zoom`: one up (direction +1) or down (−1); the ends stay where they are.
export function nextZoom(zoom, direction) {
  const eps = 1e-6;
  if (direction > 0) return ZOOM_LEVELS.find((z) => z > zoom + eps) ?? ZOOM_LEVELS[ZOOM_LEVELS.length - 1];
  return [...ZOOM_LEVELS].reverse().find((z) => z < zoom - eps) ?? ZOOM_LEVELS[0];
}

// Fit's zoom: the drawing (`drawnPx` wide, its text `textPx` high at zoom 1) as wide as the room it
// has (`roomPx`), but never larger than its own size, and never so small that the text falls below
// `minTextPx`: then the graph is wider than the room, and the learner scrolls or drags it.
export function fitZoom(roomPx, drawnPx, textPx, minTextPx = MIN_FIT_TEXT_PX) {
  if (!(roomPx > 0) || !(drawnPx > 0)) return 1;
  const legible = textPx > 0 ? minTextPx / textPx : 0;
  return Math.min(1, Math.max(roomPx / drawnPx, legible));
}

// A zoom in words, as the toolbar shows it: 0.8 → "80%".
export function zoomText(zoom) {
  return `${Math.round(zoom * 100)}%`;
}

// Where to scroll a box along one axis so that the span [start, end) (in the box's content
// coordinates) is seen through the window [view, view + size): not at all if it is already seen
// (the learner's own scrolling stays), else to the span's middle, so that what comes before and
// after it shows too; a span longer than the window shows its start.
export function scrollToShow(view, size, start, end) {
  if (start >= view && end <= view + size) return view;
  if (end - start > size) return Math.max(0, start);
  return Math.max(0, Math.round((start + end - size) / 2));
}

// ---------------------------------------------------------------- the DOM

// The controls around the graph; the data-action / data-role attributes are
// what the code (and the browser tests) look for.
function buildLayout(el) {
  // Focusable, for the keyboard: ← / → step, Space plays (see `onKey`). JupyterLab's own
  // shortcuts stay out of it (data-lm-suppress-shortcuts).
  const root = make("div", { class: "ad-stepper", tabindex: "0", role: "group", "data-lm-suppress-shortcuts": "true",
                             "aria-label": "Graph stepper. Left and right arrows step back and on; Space plays or pauses; "
                                           + "plus and minus zoom the graph in and out." });
  const bar = make("div", { class: "ad-toolbar" });
  const ui = {
    root,
    reset: make("button", { "data-action": "reset", title: "Back to step 0" }, "↺ Reset"),
    back: make("button", { "data-action": "back", title: "One step back" }, "◀ Back"),
    step: make("button", { "data-action": "step", title: "One step on" }, "Step ▶"),
    play: make("button", { "data-action": "play", class: "ad-play" }),
    speed: make("input", { type: "range", "data-role": "speed", min: "50", max: "2000", step: "50" }),
    speedText: make("span", { class: "ad-speed-text" }),
    phase: make("select", { "data-role": "phase" }),
    // Zoom: − and + by steps, Fit (to the width, text kept legible), 100% (the drawing's own size).
    zoomOut: make("button", { "data-action": "zoom-out", "aria-label": "Zoom out", title: "Zoom out (−)" }, "−"),
    zoomLevel: make("span", { "data-role": "zoom-level", class: "ad-zoom-level", "aria-live": "polite" }),
    zoomIn: make("button", { "data-action": "zoom-in", "aria-label": "Zoom in", title: "Zoom in (+)" }, "+"),
    fit: make("button", { "data-action": "fit", "aria-label": "Fit the graph to the width",
                          title: "Fit the graph to the width, its text kept legible (a wider graph scrolls)" }, "Fit"),
    actual: make("button", { "data-action": "zoom-actual", "aria-label": "Actual size, 100%",
                             title: "The graph at its own size (0)" }, "100%"),
    counter: make("span", { "data-role": "counter", class: "ad-counter" }),
    // The drawing, for the eye; for a screen reader, a short summary (its aria-label) and the
    // table of nodes below it, both rewritten at every step (see `describeGraph`).
    // Scrolls both ways when the graph is larger than it; dragging it with the mouse pans too.
    graph: make("div", { "data-role": "graph", class: "ad-graph", tabindex: "0" }),
    nodeTable: make("table", { "data-role": "node-table", class: "ad-sr-only" }),
    quiz: make("div", { "data-role": "quiz", class: "ad-quiz" }),
    quizNote: make("div", { "data-role": "quiz-note", class: "ad-quiz-note", role: "alert" }),
    feedback: make("div", { "data-role": "quiz-feedback", class: "ad-feedback", "aria-live": "polite" }),
    explanation: make("div", { "data-role": "explanation", class: "ad-explanation", "aria-live": "polite" }),
    grids: make("div", { "data-role": "grids", class: "ad-grids" }),
    inputs: make("details", { "data-role": "inputs", class: "ad-inputs" }),
    error: make("div", { "data-role": "error", class: "ad-error", "aria-live": "polite" }),
  };
  showPlaying(ui.play, false);
  for (const p of ["forward", "backward"]) ui.phase.append(make("option", { value: p }, p));
  const delay = make("label", { class: "ad-speed" }, "delay ");
  delay.append(ui.speed, ui.speedText);
  const phase = make("label", {}, "phase ");
  phase.append(ui.phase);
  const zoom = make("span", { class: "ad-zoom", role: "group", "aria-label": "Zoom the graph" });
  zoom.append(ui.zoomOut, ui.zoomLevel, ui.zoomIn, ui.fit, ui.actual);
  bar.append(ui.reset, ui.back, ui.step, ui.play, delay, phase, zoom, ui.counter);
  ui.quiz.hidden = true;
  root.append(bar, ui.graph, ui.nodeTable, ui.grids, ui.quiz, ui.feedback, ui.explanation, ui.inputs, ui.error);
  el.append(root);
  return ui;
}

// The Play button: "▶ Play", or a pause icon drawn in CSS and "Pause" (the character U+23F8 is an
// empty box in the fonts many machines have).
function showPlaying(button, on) {
  if (on) button.replaceChildren(make("span", { class: "ad-icon-pause", "aria-hidden": "true" }), "Pause");
  else button.replaceChildren("▶ Play");
}

// Find, once per drawing, every <g> by id, and per value box: its <g>, its op
// ellipse, and its data and grad <text>s (the last text starting with "data" /
// "grad": the label comes first, and might start so too).
function indexSvg(graphEl, nodes) {
  const groups = new Map([...graphEl.querySelectorAll("g[id]")].map((g) => [g.id, g]));
  const boxes = {};
  for (const n of nodes) {
    const g = groups.get(`ad-${n.id}`);
    if (!g) continue;  // a graph too big to draw is only a summary box
    const texts = [...g.querySelectorAll("text")];
    const last = (word) => texts.filter((t) => t.textContent.startsWith(word)).pop() || null;
    const cells = (n.cells || [[], []]).map((keys) => keys.map((k) => g.querySelector(`#ad-c${k}`)));
    boxes[n.id] = { g, op: groups.get(`ad-${n.id}-op`), data: last("data"), grad: last("grad"), cells };
  }
  return { groups, boxes };
}

// Make the SVG show `state`, touching only what differs from what is shown.
function paint({ groups, boxes }, state, shown) {
  const has = (list) => new Set(list);
  const sets = { "ad-current": has(state.current ? [state.current] : []), "ad-lit": has(state.lit),
                 "ad-done": has(state.done), "ad-target": has(state.targets) };
  for (const [id, box] of Object.entries(boxes)) {
    for (const cls of BOX_CLASSES) box.g.classList.toggle(cls, sets[cls].has(id));
    if (box.op) {
      box.op.classList.toggle("ad-op-current", id === state.current);
      box.op.classList.toggle("ad-op-lit", sets["ad-lit"].has(id));
    }
    const [dataText, gradText] = state.texts[id];
    if (box.data && box.data.textContent !== dataText) box.data.textContent = dataText;
    if (box.grad && box.grad.textContent !== gradText) box.grad.textContent = gradText;
    if (state.colours) {  // a Tensor's heatmaps: one colour per cell
      state.colours[id].forEach((fills, part) => box.cells[part].forEach((cell, j) => {
        if (cell && cell.getAttribute("fill") !== fills[j]) cell.setAttribute("fill", fills[j]);
      }));
    }
  }
  for (const id of shown.flow) groups.get(id)?.classList.remove("ad-flow");
  for (const id of state.flow) groups.get(id)?.classList.add("ad-flow");
  shown.flow = state.flow;
}

// The graph as a table, for screen readers (visually hidden, not display:none): one row per
// node with its name, kind, data, grad and state at this step. Built once per graph; `paintNodeTable`
// rewrites the cells that change.
function buildNodeTable(table, nodes) {
  const head = make("tr");
  for (const text of ["node", "kind", "data", "grad", "state"]) head.append(make("th", { scope: "col" }, text));
  const rows = {};
  const body = make("tbody");
  for (const n of nodes) {
    const tr = make("tr", { "data-node": n.id });
    tr.append(make("th", { scope: "row" }, n.name), make("td", {}, n.kind), make("td"), make("td"), make("td"));
    rows[n.id] = tr;
    body.append(tr);
  }
  const thead = make("thead");
  thead.append(head);
  table.replaceChildren(make("caption", {}, "The graph's nodes at this step"), thead, body);
  return rows;
}

function paintNodeTable(rows, state) {
  for (const [id, tr] of Object.entries(rows)) {
    const [dataText, gradText] = state.texts[id];
    const cells = tr.children;
    const texts = [dataText, gradText, nodeStatus(state, id)];
    texts.forEach((text, j) => { if (cells[j + 2].textContent !== text) cells[j + 2].textContent = text; });
  }
}

// Grids: tables of nodes' gradients that fill in as the backward pass reaches them
// (widgets.unroll shows ∂L/∂W entry by entry). A cell reads "?" until a gradient
// arrives, is "partial" while more may come, and "done" once its node is done.
function buildGrids(el, grids) {
  el.replaceChildren();
  const cells = [];
  for (const grid of grids || []) {
    const box = make("div", { class: "ad-grid" });
    box.append(make("div", { class: "ad-grid-title" }, grid.title));
    const table = make("table", { "data-role": "grid", "aria-label": grid.title });
    for (const row of grid.ids) {
      const tr = make("tr");
      for (const id of row) {
        const td = make("td", { "data-node": id }, "?");
        cells.push(td);
        tr.append(td);
      }
      table.append(tr);
    }
    box.append(table);
    if (grid.note) box.append(make("div", { class: "ad-grid-note", "aria-live": "polite" }, grid.note));
    el.append(box);
  }
  el.hidden = cells.length === 0;
  return cells;
}

function paintGrids(cells, state) {
  const done = new Set(state.done);
  for (const td of cells) {
    const id = td.dataset.node;
    const text = state.texts[id][1];
    const known = text.startsWith("grad ");
    const shown = known ? text.slice(5) : "?";
    if (td.textContent !== shown) td.textContent = shown;
    td.classList.toggle("ad-grid-done", known && done.has(id));
    td.classList.toggle("ad-grid-partial", known && !done.has(id));
  }
}

// ---------------------------------------------------------------- the widget

function render({ model, el }) {
  const ui = buildLayout(el);
  const shown = { flow: [] };
  let svg = { groups: new Map(), boxes: {} };  // see indexSvg
  let gridCells = [];                           // see buildGrids
  let tableRows = {};                           // see buildNodeTable
  let asking = null;  // index of the backward step whose quiz is open
  let timer = null;
  // The zoom (a view setting, not synced): Fit (recomputed when the column's width changes), or a
  // zoom chosen with − / + / 100%. 1 is the drawing's own size (larger in projector mode, see `baseZoom`).
  const view = { fit: true, zoom: 1, revealed: null };

  const data = () => model.get("data");
  const phase = () => model.get("phase");
  const step = () => model.get("step");
  const total = () => data()[phase()].length;
  const commit = (changes) => saveTraits(model, changes);
  // The backward step that Step would reveal, if it asks a quiz first.
  const quizAhead = () => (model.get("quiz") && phase() === "backward" && step() < total()
    && data().backward[step()].quiz.length ? step() : null);

  function drawSvg() {
    ui.graph.innerHTML = model.get("svg");
    svg = indexSvg(ui.graph, data().nodes);
    shown.flow = [];
    view.revealed = null;
    applyZoom();
  }

  // Projector mode (common.js showProjector): a graph drawn in the normal font is shown larger, by
  // PROJECTOR_SCALE; one drawn after projector mode was on already has the larger font (Graphviz laid
  // it out so) and is shown as drawn. This is "100%" in the zoom.
  function baseZoom(drawing) {
    const font = parseFloat(drawing.querySelector("text")?.getAttribute("font-size")) || GRAPH_FONT_SIZE;
    return Math.max(1, (model.get("projector") ? PROJECTOR_SCALE : 1) * GRAPH_FONT_SIZE / font);
  }

  // Show the drawing at the zoom chosen (Fit: computed from the room the graph has), and say it.
  // Graphviz writes the SVG's width and height in points (1 pt = 4/3 CSS px), and its text in points too.
  function applyZoom() {
    const drawing = ui.graph.querySelector("svg");
    const width = parseFloat(drawing?.getAttribute("width")), height = parseFloat(drawing?.getAttribute("height"));
    if (!drawing || !(width > 0) || !(height > 0)) {
      ui.zoomLevel.textContent = "";
      return;
    }
    const base = baseZoom(drawing);
    const font = parseFloat(drawing.querySelector("text")?.getAttribute("font-size")) || GRAPH_FONT_SIZE;
    const size = (zoom) => {
      drawing.style.width = `${width * base * zoom}pt`;
      drawing.style.height = `${height * base * zoom}pt`;
    };
    if (view.fit) {
      // the room: the graph box's inner width (without its padding and a vertical scroll bar)
      const style = getComputedStyle(ui.graph);
      const room = () => ui.graph.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      const smallest = MIN_FIT_TEXT_PX * (model.get("projector") ? PROJECTOR_SCALE : 1);
      const fitted = () => fitZoom(room(), width * base * 4 / 3, font * base * 4 / 3, smallest);
      if (ui.graph.clientWidth > 0) {   // not yet on the page: the ResizeObserver calls again once it is
        view.zoom = fitted();
        size(view.zoom);
        const again = fitted();         // a vertical scroll bar may have come or gone: fit once more
        if (Math.abs(again - view.zoom) > 1e-3) { view.zoom = again; size(view.zoom); }
      } else size(view.zoom);
    } else size(view.zoom);
    ui.zoomLevel.textContent = zoomText(view.zoom);
    ui.fit.setAttribute("aria-pressed", String(view.fit));
    ui.zoomOut.classList.toggle("ad-inactive", view.zoom <= ZOOM_LEVELS[0] + 1e-6);
    ui.zoomIn.classList.toggle("ad-inactive", view.zoom >= ZOOM_LEVELS[ZOOM_LEVELS.length - 1] - 1e-6);
    ui.graph.classList.toggle("ad-pannable",
      ui.graph.scrollWidth > ui.graph.clientWidth + 1 || ui.graph.scrollHeight > ui.graph.clientHeight + 1);
    revealCurrent(true);
  }
  function setZoom(zoom) {
    view.fit = false;
    view.zoom = zoom;
    applyZoom();
  }
  function setFit() {
    view.fit = true;
    applyZoom();
  }

  // Scroll the graph box (never the page) so that this step's node, its op and the nodes receiving
  // a gradient from it are seen; if they do not all fit, the current node's box. Only when the step
  // changed (or the zoom: `force`), so a learner who scrolled away to look is not pulled back.
  function revealCurrent(force = false) {
    const k = Math.min(step(), total()), key = `${phase()} ${k}`;
    if (!force && view.revealed === key) return;
    view.revealed = key;
    if (k === 0) return;
    const s = data()[phase()][k - 1];
    const box = svg.boxes[s.node];
    if (!box) return;
    const frame = ui.graph.getBoundingClientRect();
    const rect = (el) => {
      const r = el.getBoundingClientRect();
      return { left: r.left - frame.left - ui.graph.clientLeft + ui.graph.scrollLeft,
               top: r.top - frame.top - ui.graph.clientTop + ui.graph.scrollTop,
               right: r.right - frame.left - ui.graph.clientLeft + ui.graph.scrollLeft,
               bottom: r.bottom - frame.top - ui.graph.clientTop + ui.graph.scrollTop };
    };
    const own = [box.g, box.op].filter(Boolean).map(rect);
    const others = (phase() === "backward" ? s.targets : []).map((id) => svg.boxes[id]?.g).filter(Boolean).map(rect);
    const union = (rects) => rects.reduce((a, b) => ({ left: Math.min(a.left, b.left), top: Math.min(a.top, b.top),
                                                      right: Math.max(a.right, b.right), bottom: Math.max(a.bottom, b.bottom) }));
    const margin = 8;   // a little room around the boxes, so their outline shows
    const all = union([...own, ...others]), mine = union(own);
    const w = ui.graph.clientWidth, h = ui.graph.clientHeight;
    const horizontal = all.right - all.left + 2 * margin <= w ? all : mine;
    const vertical = all.bottom - all.top + 2 * margin <= h ? all : mine;
    ui.graph.scrollLeft = scrollToShow(ui.graph.scrollLeft, w, horizontal.left - margin, horizontal.right + margin);
    ui.graph.scrollTop = scrollToShow(ui.graph.scrollTop, h, vertical.top - margin, vertical.bottom + margin);
  }

  function update() {
    const n = total(), k = Math.min(step(), n);  // step and phase may arrive one at a time
    if (asking !== null && (phase() !== "backward" || asking !== k)) closeQuiz();
    const state = viewState(data(), phase(), k);
    paint(svg, state, shown);
    paintGrids(gridCells, state);
    paintNodeTable(tableRows, state);
    describeImage(ui.graph, graphSummary(data(), state, phase(), k));
    ui.explanation.textContent = state.explanation;
    ui.counter.textContent = `step ${k} / ${n}`;
    ui.phase.value = phase();
    ui.root.classList.toggle("ad-phase-forward", phase() === "forward");
    ui.root.classList.toggle("ad-phase-backward", phase() === "backward");
    // Dimmed, not disabled: clicking Back at step 0 simply does nothing.
    ui.back.classList.toggle("ad-inactive", k === 0);
    ui.reset.classList.toggle("ad-inactive", k === 0);
    ui.step.classList.toggle("ad-inactive", k === n);
    ui.feedback.textContent = model.get("feedback");
    ui.feedback.classList.toggle("ad-wrong", /Not quite|Not yet/.test(model.get("feedback")));
    ui.feedback.hidden = !model.get("feedback");
    revealCurrent();
  }

  // Navigation. Going anywhere closes a quiz and clears the last verdict.
  const goTo = (k) => commit({ step: Math.max(0, Math.min(total(), k)), feedback: "" });
  function stepOn() {
    if (asking !== null) return ui.quiz.querySelector("input")?.focus();
    if (quizAhead() !== null) return openQuiz(quizAhead());
    if (step() < total()) goTo(step() + 1);
  }

  // Play: one step every speed_ms, pausing at a quiz and at the end.
  function setPlaying(on) {
    clearInterval(timer);
    timer = null;
    showPlaying(ui.play, on);
    if (on) timer = setInterval(tick, model.get("speed_ms"));
  }
  function tick() {
    if (quizAhead() !== null) { commit({ playing: false }); return openQuiz(quizAhead()); }
    if (step() < total()) goTo(step() + 1);
    if (step() >= total()) commit({ playing: false });
  }
  function togglePlay() {
    if (model.get("playing")) return commit({ playing: false });
    if (asking !== null) return;
    if (step() >= total()) goTo(0);  // play again from the start
    commit({ playing: true });
  }

  // The quiz: one box per contribution, then Check (or Enter). A Tensor graph asks
  // each gradient's shape first ("shape" stage), then the numbers of the small ones.
  let stage = "values";
  let tries = 0;   // wrong checks of the numbers so far (QUIZ_TRIES: one hint, then the answer)
  function openQuiz(i, nextStage) {
    asking = i;
    const s = data().backward[i];
    const tensors = data().engine === "tensor";
    stage = nextStage || (tensors ? "shape" : "values");
    tries = 0;
    if (!nextStage && model.get("feedback")) commit({ feedback: "" });  // the last step's verdict goes
    const items = stage === "values" && tensors ? s.quiz.filter((q) => q.values !== null) : s.quiz;
    ui.quiz.replaceChildren(make("p", { class: "ad-quiz-prompt" }, s.prompt));
    ui.quiz.dataset.stage = stage;
    for (const item of items) {
      const question = stage === "shape" ? item.shape_question : item.question;
      const row = make("label", { class: "ad-quiz-row" }, question + " ");
      const input = make("input", { type: "text", inputmode: tensors ? "text" : "decimal", autocomplete: "off",
                                    "data-role": "quiz-answer", "data-parent": item.parent,
                                    "data-operand": String(item.operand),
                                    placeholder: stage === "shape" ? "e.g. 3×2" : "" });
      input.addEventListener("keydown", (event) => { if (event.key === "Enter") check(); });
      row.append(input);
      ui.quiz.append(row);
    }
    const checkButton = make("button", { "data-action": "check" }, "Check");
    const skipButton = make("button", { "data-action": "skip", class: "ad-skip" }, "Show me");
    checkButton.addEventListener("click", check);
    skipButton.addEventListener("click", () => { closeQuiz(); goTo(i + 1); });
    const buttons = make("div", { class: "ad-quiz-buttons" });
    buttons.append(checkButton, skipButton);
    showText(ui.quizNote, "");
    ui.quiz.append(buttons, ui.quizNote);
    ui.quiz.hidden = false;
    ui.quiz.querySelector("input")?.focus();
  }
  function closeQuiz() {
    asking = null;
    ui.quiz.hidden = true;
    ui.quiz.replaceChildren();
  }
  // Not every box holds an answer: say which and why, mark them, and check nothing.
  function incomplete(kind, items, inputs, bad) {
    const text = missingAnswers(kind, items, inputs.map((input) => input.value), data().output);
    inputs.forEach((input, j) => input.classList.toggle("ad-invalid", bad[j]));
    showText(ui.quizNote, text);
    inputs.find((input, j) => bad[j])?.focus();
    return text !== null;
  }
  // Some answers wrong, before the last try: the hint, and the wrong boxes to try again.
  function tryAgain(inputs, wrong, text) {
    tries += 1;
    inputs.forEach((input, j) => input.classList.toggle("ad-invalid", wrong[j]));
    showText(ui.quizNote, "");
    commit({ feedback: text });
    inputs.find((input, j) => wrong[j])?.select();
  }
  function check() {
    const inputs = [...ui.quiz.querySelectorAll('input[data-role="quiz-answer"]')];
    const i = asking;
    const quiz = data().backward[i].quiz;
    if (data().engine === "tensor") return checkTensor(inputs, i, quiz);
    const answers = inputs.map((input) => parseNumber(input.value));
    if (incomplete("values", quiz, inputs, answers.map((a) => !Number.isFinite(a)))) return;
    const wrong = answers.map((a, j) => !isClose(a, quiz[j].value));
    const lastTry = tries + 1 >= QUIZ_TRIES;
    if (wrong.some(Boolean) && !lastTry) return tryAgain(inputs, wrong, verdict(quiz, answers, false));
    closeQuiz();
    commit({ step: i + 1, feedback: verdict(quiz, answers, lastTry) });
  }
  function checkTensor(inputs, i, quiz) {
    if (stage === "shape") {
      const shapes = inputs.map((input) => parseShape(input.value));
      if (incomplete("shape", quiz, inputs, shapes.map((shape) => shape === null))) return;
      const text = shapeVerdict(quiz, shapes);
      const wrong = shapes.map((shape, j) => !sameShape(shape, quiz[j].shape));
      if (wrong.some(Boolean)) {  // refused: the verdict says why; the shapes are asked again
        inputs.forEach((input, j) => input.classList.toggle("ad-invalid", wrong[j]));
        return commit({ feedback: text });
      }
      if (quiz.some((q) => q.values !== null)) {  // now the numbers
        commit({ feedback: text });
        return openQuiz(i, "values");
      }
      closeQuiz();
      return commit({ step: i + 1, feedback: text });
    }
    const items = quiz.filter((q) => q.values !== null);
    const answers = inputs.map((input) => parseNumbers(input.value));
    const fits = answers.map((a, j) => a !== null && a.length === items[j].values.length);
    if (incomplete("tensor", items, inputs, fits.map((ok) => !ok))) return;
    const wrong = answers.map((a, j) => !a.every((x, k) => isClose(x, items[j].values[k])));
    const lastTry = tries + 1 >= QUIZ_TRIES;
    if (wrong.some(Boolean) && !lastTry) return tryAgain(inputs, wrong, valuesVerdict(items, answers, false));
    closeQuiz();
    commit({ step: i + 1, feedback: valuesVerdict(items, answers, lastTry) });
  }

  // Editable inputs: one number box per leaf; Python recomputes and re-traces.
  // (A Tensor graph's inputs are arrays, changed from Python: no boxes.)
  function buildInputs() {
    const leaves = data().engine === "tensor" ? []
      : data().nodes.filter((n) => n.kind === "leaf" || n.kind === "parameter");
    ui.inputs.hidden = leaves.length === 0;
    const list = make("div", { class: "ad-inputs-list" });
    for (const n of leaves) {
      const label = make("label", { class: `ad-input ad-kind-${n.kind}` }, n.name + " ");
      // A text box (inputmode decimal), not type=number: what was typed stays, and a problem is said.
      const input = make("input", { type: "text", inputmode: "decimal", autocomplete: "off", "data-leaf": n.id,
                                    "aria-label": `value of ${n.name}` });
      input.addEventListener("input", () => fitBox(input));
      input.addEventListener("change", () => {
        const problem = inputProblem(input.value, input.validity?.badInput);
        input.classList.toggle("ad-invalid", problem !== null);
        input.setAttribute("aria-invalid", String(problem !== null));
        if (problem !== null) {  // the graph keeps its value: say so, and why
          const kept = model.get("leaf_values")[n.id];
          return showText(ui.error, `${n.name} keeps its value ${kept === undefined ? "" : String(Number(kept.toPrecision(12)))}: ${problem}.`);
        }
        showText(ui.error, model.get("error"));
        commit({ leaf_values: { ...model.get("leaf_values"), [n.id]: parseNumber(input.value) } });
      });
      label.append(input);
      list.append(label);
    }
    ui.inputs.replaceChildren(make("summary", {}, `inputs (${leaves.length}): change a value, the graph recomputes`), list);
    ui.inputs.open = leaves.length <= 12;
    showInputs();
  }
  // Show each leaf's value (shortened: 0.30000000000000004 reads 0.3) unless the box already says it.
  function showInputs() {
    const values = model.get("leaf_values");
    for (const input of ui.inputs.querySelectorAll("input[data-leaf]")) {
      const value = values[input.dataset.leaf];
      if (value === undefined) continue;
      const text = String(Number(value.toPrecision(12)));
      if (input.value !== text && parseNumber(input.value) !== value) input.value = text;
      fitBox(input);
      input.classList.remove("ad-invalid");
      input.setAttribute("aria-invalid", "false");
    }
  }
  // A box as wide as its number (6.88137358702 is not cut to 6.8813735), and never narrower than 6 digits.
  function fitBox(input) {
    input.style.width = `${Math.max(6, input.value.length + 1)}ch`;
  }
  function showSpeed() {
    const ms = model.get("speed_ms");
    ui.speed.max = String(Math.max(2000, ms));
    ui.speed.min = String(Math.min(50, ms));
    ui.speed.value = String(ms);
    ui.speedText.textContent = ` ${ms} ms`;
  }

  // Wire the controls...
  ui.reset.addEventListener("click", () => { commit({ playing: false }); goTo(0); });
  ui.back.addEventListener("click", () => goTo(step() - 1));
  ui.step.addEventListener("click", stepOn);
  ui.play.addEventListener("click", togglePlay);
  ui.zoomOut.addEventListener("click", () => setZoom(nextZoom(view.zoom, -1)));
  ui.zoomIn.addEventListener("click", () => setZoom(nextZoom(view.zoom, +1)));
  ui.fit.addEventListener("click", setFit);
  ui.actual.addEventListener("click", () => setZoom(1));
  // Fit follows the column's width (a resized window, a collapsed side bar, the view first shown);
  // not its height, which changes with every explanation.
  let columnWidth = 0;
  const resizes = new ResizeObserver(() => {
    if (ui.root.clientWidth === columnWidth) return;
    columnWidth = ui.root.clientWidth;
    if (view.fit) applyZoom();
  });
  resizes.observe(ui.root);
  // Pan: drag the graph with the mouse (the scroll bars, the wheel and the keyboard scroll it too).
  let drag = null;
  ui.graph.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || event.pointerType !== "mouse" || !ui.graph.classList.contains("ad-pannable")) return;
    drag = { x: event.clientX, y: event.clientY, left: ui.graph.scrollLeft, top: ui.graph.scrollTop, id: event.pointerId };
    ui.graph.setPointerCapture(event.pointerId);
    ui.graph.classList.add("ad-panning");
    event.preventDefault();   // no text selection while dragging
  });
  ui.graph.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    ui.graph.scrollLeft = drag.left - (event.clientX - drag.x);
    ui.graph.scrollTop = drag.top - (event.clientY - drag.y);
  });
  const endDrag = (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    drag = null;
    ui.graph.classList.remove("ad-panning");
  };
  ui.graph.addEventListener("pointerup", endDrag);
  ui.graph.addEventListener("pointercancel", endDrag);
  ui.speed.addEventListener("input", () => commit({ speed_ms: Number(ui.speed.value) }));
  ui.phase.addEventListener("change", () => commit({ step: 0, phase: ui.phase.value, playing: false, feedback: "" }));
  // The keyboard, while the widget (or one of its buttons) has focus: ← back, → step, Space play/pause,
  // + / − zoom in and out, 0 the graph's own size. Not while typing in a box or choosing in a menu;
  // Space on a button presses that button.
  function onKey(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.target.closest("input, select, textarea")) return;
    if (event.key === "ArrowRight") stepOn();
    else if (event.key === "ArrowLeft") goTo(step() - 1);
    else if (event.key === " " && event.target === ui.root) togglePlay();
    else if (event.key === "+" || event.key === "=") setZoom(nextZoom(view.zoom, +1));
    else if (event.key === "-" || event.key === "−") setZoom(nextZoom(view.zoom, -1));
    else if (event.key === "0") setZoom(1);
    else return;
    event.preventDefault();
    event.stopPropagation();
  }
  ui.root.addEventListener("keydown", onKey);
  const stopKeeping = keepKeysInControls(ui.root);   // ← / → in a box or the phase menu are the box's

  // ...and the model: whoever changed it (a control here, or Python), redraw.
  const listeners = {
    "change:step": update, "change:phase": update, "change:feedback": update,
    "change:data": () => {
      svg = indexSvg(ui.graph, data().nodes);
      gridCells = buildGrids(ui.grids, data().grids);
      tableRows = buildNodeTable(ui.nodeTable, data().nodes);
      update();
    },
    "change:svg": () => { drawSvg(); update(); },
    "change:playing": () => setPlaying(model.get("playing")),
    "change:speed_ms": () => { showSpeed(); if (model.get("playing")) setPlaying(true); },
    "change:leaf_values": showInputs,
    "change:error": () => showText(ui.error, model.get("error")),
    "change:projector": () => { showProjector(model, ui.root); applyZoom(); },
  };
  const stopListening = listen(model, listeners);

  drawSvg();
  gridCells = buildGrids(ui.grids, data().grids);
  tableRows = buildNodeTable(ui.nodeTable, data().nodes);
  showProjector(model, ui.root);
  buildInputs();
  showSpeed();
  listeners["change:error"]();
  setPlaying(model.get("playing"));
  update();

  return () => {  // the view is removed: stop the timer and stop listening
    clearInterval(timer);
    resizes.disconnect();
    stopListening();
    stopKeeping();
  };
}

export default { render };
