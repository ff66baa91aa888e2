// playground.js: the browser side of widgets.Playground (an anywidget module; plain JS, no imports).
// Python puts widgets/common.js in front of it (make, listen, showText, INK, FONT_FAMILY).
//
// Python trains the network and sends, after every epoch, a "frame": the
// decision-boundary grid (numbers in [-1, 1]), the loss and gradient curves
// and the weights. Here we only paint them: the grid on a <canvas>, the curves
// on two more canvases, the network as an SVG. Nothing is computed twice.
//
// The controls never change the settings themselves: each one sends
// {action: "set", changes: {...}} to the kernel, which checks the change,
// resets the run and sends the new "settings" back (or refuses, and we put
// the control back). So the page always shows what Python holds.

const ORANGE = [242, 142, 43];   // class 0 (label −1)
const BLUE = [31, 111, 209];     // class 1 (label +1)
const MUTED = "#5b6472";
const GRID_LINE = "#e3e7ed";
const TRAIN_COLOR = "#2b3445";
const TEST_COLOR = "#b1387e";
// One colour per linear layer of the gradient-flow panel, input side first.
const LAYER_COLORS = ["#5e3c99", "#1b9e77", "#c51b7d", "#2c7fb8", "#8c510a", "#4d9221", "#e7298a",
                      "#01665e", "#7f6a00"];
const FONT = `12px ${FONT_FAMILY}`;

// ---------------------------------------------------------------- pure helpers

const rgb = (c) => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;

// The colour of a display value v in [-1, 1]: white at 0, orange below, blue above.
export function shade(v) {
  const t = Math.min(1, Math.abs(v)) * 0.7;  // never fully saturated: the points must stand out
  const base = v < 0 ? ORANGE : BLUE;
  return base.map((c) => Math.round(255 + (c - 255) * t));
}

// The zero contour of a size×size grid (row 0 at the top), by marching squares:
// segments [x1, y1, x2, y2] in grid units (column, row), linearly interpolated.
export function zeroContour(values, size) {
  const at = (r, c) => values[r * size + c];
  const cross = (a, b) => a / (a - b);  // where the line from a to b crosses 0, in [0, 1]
  const segments = [];
  for (let r = 0; r + 1 < size; r++) {
    for (let c = 0; c + 1 < size; c++) {
      const v = [at(r, c), at(r, c + 1), at(r + 1, c + 1), at(r + 1, c)];  // clockwise from top-left
      const corners = [[c, r], [c + 1, r], [c + 1, r + 1], [c, r + 1]];
      const points = [];
      for (let k = 0; k < 4; k++) {
        const a = v[k], b = v[(k + 1) % 4];
        if ((a < 0) !== (b < 0)) {
          const t = cross(a, b), [x1, y1] = corners[k], [x2, y2] = corners[(k + 1) % 4];
          points.push([x1 + t * (x2 - x1), y1 + t * (y2 - y1)]);
        }
      }
      for (let k = 0; k + 1 < points.length; k += 2) segments.push([...points[k], ...points[k + 1]]);
    }
  }
  return segments;
}

// About `count` round tick values covering [lo, hi].
export function niceTicks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

const percent = (x) => (x === null || x === undefined ? "–" : `${(100 * x).toFixed(1)}%`);
const number = (x) => (x === null || x === undefined ? "–" : x.toFixed(4));
const decade = (e) => (e === 0 ? "1" : `1e${e}`.replace("-", "−"));

// ---------------------------------------------------------------- the DOM

const SVG_NS = "http://www.w3.org/2000/svg";
function makeSvg(tag, attrs = {}, text = "") {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text) node.textContent = text;
  return node;
}

// A canvas drawn at the screen's pixel density; returns its 2-D context, scaled to CSS pixels.
function sizeCanvas(canvas, width, height) {
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * dpr)) {
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}

function labelled(text, control, extra = null) {
  const label = make("label", { class: "ad-pg-field" });
  label.append(make("span", { class: "ad-pg-label" }, text), control);
  if (extra) label.append(extra);
  return label;
}

function panel(title, ...children) {
  const box = make("section", { class: "ad-pg-panel" });
  box.append(make("h4", {}, title), ...children);
  return box;
}

const BOUNDARY_SIZE = 360;
const CHART = { width: 330, height: 180 };
const NETWORK = { width: 360, height: 132 };

// Every element, with the data-action / data-role attributes of the DOM contract.
function buildLayout(el, choices) {
  const select = (role) => {
    const s = make("select", { "data-role": role });
    for (const [value, label] of choices[role] || []) s.append(make("option", { value: String(value) }, label));
    return s;
  };
  const ui = {
    root: make("div", { class: "ad-playground" }),
    play: make("button", { "data-action": "play", class: "ad-pg-play", title: "Train continuously" }, "▶ Play"),
    step: make("button", { "data-action": "step", title: "Train one epoch" }, "Step ▶|"),
    reset: make("button", { "data-action": "reset", title: "Back to epoch 0, same initial weights" }, "↺ Reset"),
    epoch: make("span", { "data-role": "epoch", class: "ad-pg-epoch" }, "epoch 0"),
    metrics: make("span", { "data-role": "metrics", class: "ad-pg-metrics" }),
    error: make("div", { "data-role": "error", class: "ad-pg-error", "aria-live": "polite" }),
    dataset: select("dataset"),
    noise: make("input", { type: "range", "data-role": "noise", min: "0", max: "0.5", step: "0.05" }),
    noiseText: make("span", { class: "ad-pg-value" }),
    ratio: make("input", { type: "range", "data-role": "ratio", min: "0.1", max: "0.9", step: "0.1" }),
    ratioText: make("span", { class: "ad-pg-value" }),
    points: select("points"),
    regenerate: make("button", { "data-action": "regenerate", title: "New points (the data seed + 1)" }, "⟳ Regenerate"),
    addLayer: make("button", { "data-action": "add-layer", title: "Add a hidden layer" }, "+ layer"),
    removeLayer: make("button", { "data-action": "remove-layer", title: "Remove the last hidden layer" }, "− layer"),
    layers: make("div", { "data-role": "layers", class: "ad-pg-layers" }),
    activation: select("activation"),
    seed: make("input", { type: "number", "data-role": "seed", min: "0", step: "1" }),
    loss: select("loss"),
    optimizer: select("optimizer"),
    lr: select("lr"),
    l2: select("l2"),
    batch_size: select("batch_size"),
    schedule: select("schedule"),
    networkTitle: make("h4", {}, "Network"),
    network: make("div", { "data-role": "network", class: "ad-pg-network" }),
    boundary: make("canvas", { "data-role": "boundary", class: "ad-pg-boundary" }),
    loss_chart: make("canvas", { "data-role": "loss" }),
    lossLegend: make("div", { class: "ad-pg-legend" }),
    gradflow: make("canvas", { "data-role": "gradflow" }),
    gradLegend: make("div", { class: "ad-pg-legend" }),
    config: make("code", { "data-role": "config", class: "ad-pg-config-text" }),
    copy: make("button", { "data-action": "copy-config", title: "Copy the configuration" }, "Copy"),
    configInput: make("input", { type: "text", "data-role": "config-input", placeholder: "paste a config string",
                                 spellcheck: "false" }),
    load: make("button", { "data-action": "load-config", title: "Start the run this string describes" }, "Load"),
  };

  const bar = make("div", { class: "ad-pg-bar" });
  bar.append(ui.play, ui.step, ui.reset, ui.epoch, ui.metrics);

  const layerButtons = make("div", { class: "ad-pg-row" });
  layerButtons.append(ui.addLayer, ui.removeLayer);
  const controls = make("div", { class: "ad-pg-controls" });
  controls.append(
    panel("Data", labelled("dataset", ui.dataset), labelled("noise", ui.noise, ui.noiseText),
          labelled("training data", ui.ratio, ui.ratioText), labelled("points", ui.points), ui.regenerate),
    panel("Network", ui.layers, layerButtons, labelled("activation", ui.activation), labelled("init seed", ui.seed)),
    panel("Training", labelled("loss", ui.loss), labelled("optimizer", ui.optimizer),
          labelled("learning rate", ui.lr), labelled("L2", ui.l2), labelled("batch size", ui.batch_size),
          labelled("LR schedule", ui.schedule)),
  );

  const classes = make("div", { class: "ad-pg-legend" });
  classes.innerHTML = '<span class="ad-pg-key"><i class="ad-pg-dot ad-pg-class0"></i>class 0 (−1)</span>'
    + '<span class="ad-pg-key"><i class="ad-pg-dot ad-pg-class1"></i>class 1 (+1)</span>'
    + '<span class="ad-pg-key"><i class="ad-pg-dot ad-pg-train"></i>train</span>'
    + '<span class="ad-pg-key"><i class="ad-pg-dot ad-pg-test"></i>test</span>';
  const center = make("div", { class: "ad-pg-center" });
  center.append(ui.networkTitle, ui.network, make("h4", {}, "Decision boundary"), ui.boundary, classes);

  const charts = make("div", { class: "ad-pg-charts" });
  charts.append(make("h4", {}, "Loss"), ui.loss_chart, ui.lossLegend,
                make("h4", {}, "Gradient flow: mean |∂loss/∂w| per layer"), ui.gradflow, ui.gradLegend);

  const body = make("div", { class: "ad-pg-body" });
  body.append(controls, center, charts);

  const footer = make("div", { class: "ad-pg-footer" });
  const shown = make("div", { class: "ad-pg-row" }), loading = make("div", { class: "ad-pg-row" });
  shown.append(make("span", { class: "ad-pg-label" }, "config"), ui.config, ui.copy);
  loading.append(make("span", { class: "ad-pg-label" }, "load"), ui.configInput, ui.load);
  footer.append(shown, loading);

  ui.root.append(bar, ui.error, body, footer);
  el.append(ui.root);
  return ui;
}

// ---------------------------------------------------------------- drawing

// The boundary: the grid of shades (smoothly scaled), the zero contour, the axes, the points.
function drawBoundary(canvas, frame, points) {
  const W = BOUNDARY_SIZE, H = BOUNDARY_SIZE;
  const ctx = sizeCanvas(canvas, W, H);
  const { size, values } = frame.grid;
  const cell = W / (size - 1);
  const image = new ImageData(size, size);
  values.forEach((v, i) => { image.data.set([...shade(v), 255], 4 * i); });
  const small = document.createElement("canvas");
  small.width = size;
  small.height = size;
  small.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, -cell / 2, -cell / 2, W + cell, H + cell);  // pixel centres on the grid points

  const [xmin, xmax, ymin, ymax] = points.extent;
  const px = (x) => ((x - xmin) / (xmax - xmin)) * W;
  const py = (y) => ((ymax - y) / (ymax - ymin)) * H;
  ctx.strokeStyle = "rgba(29, 35, 48, 0.18)";
  ctx.lineWidth = 1;
  ctx.font = FONT;
  ctx.fillStyle = "rgba(29, 35, 48, 0.55)";
  for (const t of niceTicks(xmin, xmax, 4)) {
    ctx.beginPath(); ctx.moveTo(px(t), 0); ctx.lineTo(px(t), H); ctx.stroke();
    ctx.fillText(String(t).replace("-", "−"), px(t) + 3, H - 4);
  }
  for (const t of niceTicks(ymin, ymax, 4)) {
    ctx.beginPath(); ctx.moveTo(0, py(t)); ctx.lineTo(W, py(t)); ctx.stroke();
    ctx.fillText(String(t).replace("-", "−"), 3, py(t) - 3);
  }

  ctx.strokeStyle = INK;
  ctx.lineWidth = 2;
  ctx.beginPath();
  for (const [c1, r1, c2, r2] of zeroContour(values, size)) {
    ctx.moveTo(c1 * cell, r1 * cell);
    ctx.lineTo(c2 * cell, r2 * cell);
  }
  ctx.stroke();

  const dot = (x, y, cls, rim) => {
    ctx.beginPath();
    ctx.arc(px(x), py(y), 4.5, 0, 2 * Math.PI);
    ctx.fillStyle = rgb(cls >= 0.5 ? BLUE : ORANGE);
    ctx.fill();
    ctx.lineWidth = 1.6;
    ctx.strokeStyle = rim;
    ctx.stroke();
  };
  for (const [x, y, c] of points.train) dot(x, y, c, "#ffffff");
  for (const [x, y, c] of points.test) dot(x, y, c, INK);
}

// A line chart: series [{x, y, color, dash}], a linear or log10 y axis.
function drawChart(canvas, series, { log = false, emptyText = "" } = {}) {
  const { width: W, height: H } = CHART;
  const ctx = sizeCanvas(canvas, W, H);
  const left = 46, right = 12, top = 8, bottom = 36;
  const plotW = W - left - right, plotH = H - top - bottom;
  ctx.font = FONT;
  const xs = series.flatMap((s) => s.x);
  const ys = series.flatMap((s) => s.y).filter((y) => Number.isFinite(y) && (!log || y > 0));
  ctx.strokeStyle = "#c3cad5";
  ctx.strokeRect(left + 0.5, top + 0.5, plotW, plotH);
  if (!ys.length) {
    ctx.fillStyle = MUTED;
    ctx.textAlign = "center";
    ctx.fillText(emptyText, left + plotW / 2, top + plotH / 2);
    ctx.textAlign = "left";
    return;
  }
  const xmax = Math.max(10, ...xs), xmin = 0;
  let ylo, yhi, yticks, ytext;
  if (log) {
    const lo = Math.floor(Math.log10(Math.min(...ys))), hi = Math.ceil(Math.log10(Math.max(...ys)));
    [ylo, yhi] = [lo, hi === lo ? lo + 1 : hi];
    const stride = Math.max(1, Math.ceil((yhi - ylo) / 5));
    yticks = [];
    for (let e = ylo; e <= yhi; e += stride) yticks.push(e);
    ytext = decade;
  } else {
    [ylo, yhi] = [0, Math.max(...ys) * 1.08 || 1];
    yticks = niceTicks(ylo, yhi, 4);
    ytext = (t) => String(t);
  }
  const X = (x) => left + ((x - xmin) / (xmax - xmin)) * plotW;
  const Y = (y) => top + plotH - (((log ? Math.log10(y) : y) - ylo) / (yhi - ylo)) * plotH;
  const Yt = (t) => top + plotH - ((t - ylo) / (yhi - ylo)) * plotH;

  ctx.fillStyle = MUTED;
  ctx.strokeStyle = GRID_LINE;
  ctx.textAlign = "right";
  for (const t of yticks) {
    ctx.beginPath(); ctx.moveTo(left, Yt(t)); ctx.lineTo(left + plotW, Yt(t)); ctx.stroke();
    ctx.fillText(ytext(t), left - 5, Yt(t) + 4);
  }
  ctx.textAlign = "center";
  for (const t of niceTicks(xmin, xmax, 5)) ctx.fillText(String(t), X(t), top + plotH + 15);
  ctx.fillText("epoch", left + plotW / 2, H - 4);
  ctx.textAlign = "left";

  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, plotW, plotH);
  ctx.clip();
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.setLineDash(s.dash ? [6, 4] : []);
    ctx.beginPath();
    let pen = false;
    s.x.forEach((x, i) => {
      const y = s.y[i];
      if (!Number.isFinite(y) || (log && y <= 0)) { pen = false; return; }
      if (pen) ctx.lineTo(X(x), Y(y)); else ctx.moveTo(X(x), Y(y));
      pen = true;
    });
    if (s.x.length === 1 && pen) ctx.arc(X(s.x[0]), Y(s.y[0]), 2, 0, 2 * Math.PI);
    ctx.stroke();
  }
  ctx.restore();
  ctx.setLineDash([]);
}

function legend(el, items) {
  el.replaceChildren(...items.map(({ color, label, dash }) => {
    const key = make("span", { class: "ad-pg-key" });
    const swatch = make("i", { class: dash ? "ad-pg-swatch ad-pg-dashed" : "ad-pg-swatch" });
    swatch.style.borderColor = color;
    key.append(swatch, document.createTextNode(label));
    return key;
  }));
}

// The network: one column of circles per layer; one line per weight, blue for w > 0,
// orange for w < 0, wider and darker for a larger |w|. Rebuilt only when the sizes change.
function networkDrawer(container) {
  let shape = "", edges = [];
  function build(sizes, activation) {
    const { width: W, height: H } = NETWORK;
    const svg = makeSvg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img" });
    const xs = sizes.map((_, k) => 26 + (k * (W - 52)) / (sizes.length - 1));
    const ysOf = (n) => {
      const gap = Math.min(16, (H - 40) / Math.max(1, n - 1));
      return Array.from({ length: n }, (_, i) => 24 + (H - 40) / 2 + (i - (n - 1) / 2) * gap);
    };
    const ys = sizes.map(ysOf);
    const edgeGroup = makeSvg("g"), nodeGroup = makeSvg("g");
    edges = [];
    for (let k = 0; k + 1 < sizes.length; k++) {
      const rows = [];
      for (let i = 0; i < sizes[k + 1]; i++) {
        const row = [];
        for (let j = 0; j < sizes[k]; j++) {
          const line = makeSvg("line", { x1: xs[k], y1: ys[k][j], x2: xs[k + 1], y2: ys[k + 1][i],
                                         "data-layer": k, "stroke-linecap": "round" });
          edgeGroup.append(line);
          row.push(line);
        }
        rows.push(row);
      }
      edges.push(rows);
    }
    const roomy = xs.length < 2 || xs[1] - xs[0] >= 72;  // room for "8 sigmoid" above each column?
    sizes.forEach((n, k) => {
      const r = Math.max(2.5, Math.min(6, ((H - 40) / Math.max(1, n)) / 2.6));
      for (const y of ys[k]) nodeGroup.append(makeSvg("circle", { cx: xs[k], cy: y, r, class: "ad-pg-neuron" }));
      const hidden = roomy ? `${n} ${activation}` : String(n);
      const title = k === 0 ? "x₁, x₂" : k === sizes.length - 1 ? "out" : hidden;
      nodeGroup.append(makeSvg("text", { x: xs[k], y: 12, "text-anchor": "middle", class: "ad-pg-layer-title" }, title));
    });
    svg.append(edgeGroup, nodeGroup);
    container.replaceChildren(svg);
  }
  return function draw(network, activation) {
    const key = network.sizes.join("-") + activation;
    if (key !== shape) { build(network.sizes, activation); shape = key; }
    let big = 1e-12;
    for (const m of network.weights) for (const row of m) for (const w of row) big = Math.max(big, Math.abs(w));
    network.weights.forEach((m, k) => m.forEach((row, i) => row.forEach((w, j) => {
      const line = edges[k][i][j], t = Math.abs(w) / big;
      line.setAttribute("stroke", rgb(w >= 0 ? BLUE : ORANGE));
      line.setAttribute("stroke-width", (0.5 + 3.5 * t).toFixed(2));
      line.setAttribute("stroke-opacity", (0.25 + 0.75 * t).toFixed(2));
      line.setAttribute("data-weight", String(w));
    })));
  };
}

// ---------------------------------------------------------------- the widget

function render({ model, el }) {
  const ui = buildLayout(el, model.get("choices"));
  const drawNetwork = networkDrawer(ui.network);
  const send = (message) => model.send(message);
  const setting = (changes) => send({ action: "set", changes });
  const settings = () => model.get("settings");

  // Put every control in line with the settings Python holds.
  function showSettings() {
    const s = settings();
    for (const key of ["dataset", "points", "activation", "loss", "optimizer", "lr", "l2", "batch_size", "schedule"]) {
      const select = ui[key], value = String(s[key]);
      if (![...select.options].some((o) => o.value === value)) {  // a value set from Python
        select.append(make("option", { value }, value));
      }
      select.value = value;
    }
    ui.noise.max = String(Math.max(0.5, s.noise));
    ui.noise.value = String(s.noise);
    ui.noiseText.textContent = s.noise.toFixed(2);
    ui.ratio.value = String(s.ratio);
    ui.ratioText.textContent = `${Math.round(100 * s.ratio)}%`;
    ui.seed.value = String(s.seed);
    showLayers(s.hidden);
  }

  function showLayers(hidden) {
    const limits = model.get("choices").limits;
    const rows = hidden.map((n, i) => {
      const row = make("div", { class: "ad-pg-layer" });
      const minus = make("button", { "data-action": "neurons-minus", "data-layer": String(i), title: "One neuron less" }, "−");
      const plus = make("button", { "data-action": "neurons-plus", "data-layer": String(i), title: "One neuron more" }, "+");
      minus.disabled = n <= 1;
      plus.disabled = n >= limits.neurons;
      minus.addEventListener("click", () => setting({ hidden: hidden.map((m, k) => (k === i ? m - 1 : m)) }));
      plus.addEventListener("click", () => setting({ hidden: hidden.map((m, k) => (k === i ? m + 1 : m)) }));
      row.append(make("span", { class: "ad-pg-label" }, `layer ${i + 1}`), minus,
                 make("span", { "data-role": "neurons", "data-layer": String(i), class: "ad-pg-neurons" }, String(n)), plus);
      return row;
    });
    if (!rows.length) rows.push(make("div", { class: "ad-pg-note" }, "no hidden layer: a linear model"));
    ui.layers.replaceChildren(...rows);
    ui.addLayer.disabled = hidden.length >= limits.layers;
    ui.removeLayer.disabled = hidden.length === 0;
  }

  // Drawing is batched to one paint per animation frame, however many updates arrive.
  let pending = false;
  function scheduleDraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  }
  function draw() {
    const frame = model.get("frame"), points = model.get("points");
    if (!frame || !frame.grid || !points || !points.extent) return;
    const m = frame.metrics;
    ui.epoch.textContent = `epoch ${frame.epoch}`;
    ui.metrics.textContent = `loss: train ${number(m.train_loss)} · test ${number(m.test_loss)}\n`
      + `accuracy: train ${percent(m.train_acc)} · test ${percent(m.test_acc)} · lr ${m.lr}`;
    drawBoundary(ui.boundary, frame, points);
    const c = frame.curves;
    drawChart(ui.loss_chart, [
      { x: c.epoch, y: c.train_loss, color: TRAIN_COLOR },
      { x: c.epoch, y: c.test_loss, color: TEST_COLOR, dash: true },
    ], { emptyText: "press Play or Step" });
    const sizes = frame.network.sizes;
    const layers = c.grad.map((y, k) => ({ x: c.epoch, y, color: LAYER_COLORS[k % LAYER_COLORS.length],
                                           label: `layer ${k + 1} (${sizes[k]}→${sizes[k + 1]})` }));
    drawChart(ui.gradflow, layers, { log: true, emptyText: "press Play or Step" });
    legend(ui.gradLegend, layers);
    const activation = settings().activation;
    const label = (model.get("choices").activation.find(([value]) => value === activation) || [0, activation])[1];
    ui.networkTitle.textContent = `Network ${sizes.join("-")}` + (sizes.length > 2 ? ` · ${label}` : "");
    drawNetwork(frame.network, activation);
  }

  function showPlaying() {
    const on = model.get("playing");
    ui.play.textContent = on ? "❚❚ Pause" : "▶ Play";
    ui.play.classList.toggle("ad-pg-playing", on);
  }
  function showError() {
    showText(ui.error, model.get("error"));
  }

  // Wire the controls...
  ui.play.addEventListener("click", () => send({ action: model.get("playing") ? "pause" : "play" }));
  ui.step.addEventListener("click", () => send({ action: "step" }));
  ui.reset.addEventListener("click", () => send({ action: "reset" }));
  ui.regenerate.addEventListener("click", () => send({ action: "regenerate" }));
  for (const key of ["dataset", "activation", "loss", "optimizer", "schedule"]) {
    ui[key].addEventListener("change", () => setting({ [key]: ui[key].value }));
  }
  for (const key of ["points", "lr", "l2", "batch_size"]) {
    ui[key].addEventListener("change", () => setting({ [key]: Number(ui[key].value) }));
  }
  ui.noise.addEventListener("input", () => { ui.noiseText.textContent = Number(ui.noise.value).toFixed(2); });
  ui.noise.addEventListener("change", () => setting({ noise: Number(ui.noise.value) }));
  ui.ratio.addEventListener("input", () => { ui.ratioText.textContent = `${Math.round(100 * ui.ratio.value)}%`; });
  ui.ratio.addEventListener("change", () => setting({ ratio: Number(ui.ratio.value) }));
  ui.seed.addEventListener("change", () => {
    const seed = Number(ui.seed.value);
    if (Number.isInteger(seed) && seed >= 0) setting({ seed }); else showSettings();
  });
  ui.addLayer.addEventListener("click", () => {
    const hidden = settings().hidden;
    setting({ hidden: [...hidden, hidden.length ? hidden[hidden.length - 1] : 4] });
  });
  ui.removeLayer.addEventListener("click", () => setting({ hidden: settings().hidden.slice(0, -1) }));
  ui.copy.addEventListener("click", async () => {
    const text = model.get("config");
    try {
      await navigator.clipboard.writeText(text);
      ui.copy.textContent = "Copied ✓";
    } catch {
      const range = document.createRange();  // no clipboard access: select it for Ctrl+C
      range.selectNodeContents(ui.config);
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      ui.copy.textContent = "Selected: Ctrl+C";
    }
    setTimeout(() => { ui.copy.textContent = "Copy"; }, 1500);
  });
  const load = () => { if (ui.configInput.value.trim()) send({ action: "load", config: ui.configInput.value }); };
  ui.load.addEventListener("click", load);
  ui.configInput.addEventListener("keydown", (event) => { if (event.key === "Enter") load(); });

  // ...and the model: whoever changed it (a control here, or Python), redraw.
  const listeners = {
    "change:settings": showSettings,
    "change:frame": scheduleDraw,
    "change:points": scheduleDraw,
    "change:config": () => { ui.config.textContent = model.get("config"); },
    "change:playing": showPlaying,
    "change:error": showError,
    "msg:custom": (message) => { if (message && message.event === "rejected") showSettings(); },
  };
  const stopListening = listen(model, listeners);

  legend(ui.lossLegend, [{ color: TRAIN_COLOR, label: "train" }, { color: TEST_COLOR, label: "test", dash: true }]);
  showSettings();
  showPlaying();
  showError();
  listeners["change:config"]();
  draw();

  return stopListening;  // the view is removed
}

export default { render };
