// optimizer_lab.js: the browser side of widgets.OptimizerLab (an anywidget module; plain JS, no imports).
// Python puts widgets/common.js in front of it (formatNumber, make, saveTraits, listen, showText,
// INK, FONT_FAMILY).
//
// Python does the mathematics: the contour grid and lines of the surface
// ("surface_data", computed once per surface), every optimizer step (real
// autodiff.optim steps), and every text of the readout. Here we only draw:
// the surface on a <canvas>, the paths as coloured polylines, and the controls.
//
// The paths arrive two ways. The "paths" trait holds them in full; during
// Play, Python sends only the new points of each frame as a custom message
// {kind: "points", points: {name: {from, xy}}}. A view whose copy does not
// end where a frame begins (it missed one) asks for everything again
// ({action: "resync"}) and Python answers {kind: "paths", paths}.
//
// Points travel as short text, "x,y x,y ..." (Python's pack_points), and the
// shading grid as base64 bytes: a saved notebook keeps them small.

// Around the plotted area, in CSS pixels: the legend sits in the top margin.
const MARGIN = { left: 56, right: 18, top: 44, bottom: 46 };
const CANVAS_WIDTH = 620;
const DOTS_UP_TO = 150;   // a dot per step while a path is this short: the step sizes show

// ---------------------------------------------------------------- pure helpers

// Where the plotted area is, and the maps between surface and canvas coordinates.
export function geometry(window, width = CANVAS_WIDTH) {
  const [x0, x1, y0, y1] = window;
  const w = width - MARGIN.left - MARGIN.right;
  const h = Math.round((w * (y1 - y0)) / (x1 - x0));
  return {
    x0, x1, y0, y1, w, h, left: MARGIN.left, top: MARGIN.top,
    width, height: h + MARGIN.top + MARGIN.bottom,
    px: (x) => MARGIN.left + ((x - x0) / (x1 - x0)) * w,
    py: (y) => MARGIN.top + ((y1 - y) / (y1 - y0)) * h,
    toSurface: (cx, cy) => [x0 + ((cx - MARGIN.left) / w) * (x1 - x0), y1 - ((cy - MARGIN.top) / h) * (y1 - y0)],
    inside: (cx, cy) => cx >= MARGIN.left && cx <= MARGIN.left + w && cy >= MARGIN.top && cy <= MARGIN.top + h,
  };
}

// Points as Python packs them (optimizer_lab.py, pack_points): "x,y x,y ..." -> [[x, y], ...].
export function unpackPoints(text) {
  return text ? text.split(" ").map((pair) => pair.split(",").map(Number)) : [];
}

// Every path of a "paths" trait or message: name -> text, unpacked to name -> [[x, y], ...].
export function unpackPaths(packed) {
  return Object.fromEntries(Object.entries(packed).map(([name, text]) => [name, unpackPoints(text)]));
}

// The shading grid, base64 bytes (0-255, row by row from y_min up), as a Uint8Array.
export function unpackShade(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

// A colour between the stops of a ramp, t in [0, 1], as [r, g, b].
function ramp(stops, t) {
  const rgb = stops.map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
  const u = Math.min(Math.max(t, 0), 1) * (rgb.length - 1);
  const i = Math.min(Math.floor(u), rgb.length - 2), f = u - i;
  return rgb[i].map((c, k) => Math.round(c + f * (rgb[i + 1][k] - c)));
}

// Round a clicked coordinate to a round step that suits the window (1/100 of it, or less):
// a click near (0.5, 2) on a window 4 wide starts at (0.5, 2), not at (0.503, 1.997).
export function roundTo(value, span) {
  const step = 10 ** Math.floor(Math.log10(span / 100));
  return Number((Math.round(value / step) * step).toFixed(Math.max(0, Math.round(-Math.log10(step)))));
}

// Points far off the map are pulled in to ten windows away: still off the plot, but drawable.
function clampFar(g, x, y) {
  const dx = 10 * (g.x1 - g.x0), dy = 10 * (g.y1 - g.y0);
  return [Math.min(Math.max(x, g.x0 - dx), g.x1 + dx), Math.min(Math.max(y, g.y0 - dy), g.y1 + dy)];
}

// The same marker shapes as matplotlib's "o", "s", "^", "D", "p", centred at (x, y), size r.
function markerPath(ctx, shape, x, y, r) {
  ctx.beginPath();
  const polygon = (n, turn, scale = 1) => {
    for (let k = 0; k < n; k++) {
      const a = turn + (2 * Math.PI * k) / n;
      ctx.lineTo(x + r * scale * Math.cos(a), y - r * scale * Math.sin(a));
    }
    ctx.closePath();
  };
  if (shape === "s") ctx.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7);
  else if (shape === "^") polygon(3, Math.PI / 2, 1.2);
  else if (shape === "D") polygon(4, Math.PI / 2, 1.15);
  else if (shape === "p") polygon(5, Math.PI / 2, 1.1);
  else ctx.arc(x, y, r, 0, 2 * Math.PI);
}

function drawMarker(ctx, shape, x, y, r, colour, hollow = false) {
  markerPath(ctx, shape, x, y, r);
  ctx.lineWidth = 2;
  ctx.fillStyle = hollow ? "#ffffff" : colour;
  ctx.strokeStyle = hollow ? colour : "#ffffff";
  ctx.fill();
  ctx.stroke();
}

function drawStar(ctx, x, y, r) {
  ctx.beginPath();
  for (let k = 0; k < 10; k++) {
    const a = Math.PI / 2 + (Math.PI * k) / 5, rr = k % 2 ? r * 0.45 : r;
    ctx.lineTo(x + rr * Math.cos(a), y - rr * Math.sin(a));
  }
  ctx.closePath();
  ctx.fillStyle = INK;
  ctx.strokeStyle = "#ffffff";
  ctx.lineWidth = 1.5;
  ctx.fill();
  ctx.stroke();
}

// ---------------------------------------------------------------- the static layer

// The surface, drawn once per surface: shading, contour lines, minima, axes.
function drawSurface(data, choices, g, dpr) {
  const layer = document.createElement("canvas");
  layer.width = Math.round(g.width * dpr);
  layer.height = Math.round(g.height * dpr);
  const ctx = layer.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, g.width, g.height);

  // Shading: one pixel per grid point, stretched with smoothing; row 0 is y_min (the bottom).
  const small = document.createElement("canvas");
  small.width = data.nx;
  small.height = data.ny;
  const image = small.getContext("2d").createImageData(data.nx, data.ny);
  const shade = unpackShade(data.shade);
  for (let j = 0; j < data.ny; j++) {
    for (let i = 0; i < data.nx; i++) {
      const [r, gr, b] = ramp(choices.heat_colours, shade[j * data.nx + i] / 255);
      const k = 4 * ((data.ny - 1 - j) * data.nx + i);
      image.data.set([r, gr, b, 255], k);
    }
  }
  small.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  // Source pixel centres land on the grid points: the first and last on the window's edges.
  ctx.drawImage(small, 0.5, 0.5, data.nx - 1, data.ny - 1, g.left, g.top, g.w, g.h);

  ctx.save();
  ctx.beginPath();
  ctx.rect(g.left, g.top, g.w, g.h);
  ctx.clip();
  ctx.strokeStyle = choices.contour_colour;
  ctx.globalAlpha = 0.75;
  ctx.lineWidth = 1;
  for (const level of data.contours) {
    for (const line of level.lines) {
      ctx.beginPath();
      for (const [x, y] of unpackPoints(line)) ctx.lineTo(g.px(x), g.py(y));
      ctx.stroke();
    }
  }
  ctx.restore();
  drawAxes(ctx, data, g);
  return layer;
}

function drawAxes(ctx, data, g) {
  ctx.strokeStyle = "#8a93a3";
  ctx.lineWidth = 1;
  ctx.strokeRect(g.left + 0.5, g.top + 0.5, g.w - 1, g.h - 1);
  ctx.fillStyle = INK;
  ctx.font = `13px ${FONT_FAMILY}`;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const x of data.xticks) {
    const X = g.px(x);
    ctx.beginPath(); ctx.moveTo(X, g.top + g.h); ctx.lineTo(X, g.top + g.h + 5); ctx.stroke();
    ctx.fillText(formatNumber(x), X, g.top + g.h + 7);
  }
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const y of data.yticks) {
    const Y = g.py(y);
    ctx.beginPath(); ctx.moveTo(g.left - 5, Y); ctx.lineTo(g.left, Y); ctx.stroke();
    ctx.fillText(formatNumber(y), g.left - 8, Y);
  }
  ctx.font = `italic 15px ${FONT_FAMILY}`;
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText("x", g.left + g.w / 2, g.height - 4);
  ctx.save();
  ctx.translate(16, g.top + g.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText("y", 0, 0);
  ctx.restore();
}

// ---------------------------------------------------------------- the moving layer

// Minima (★) and saddle points (✕): drawn over the paths, which often end on them.
function drawLandmarks(ctx, g, data) {
  for (const [x, y] of data.minima) drawStar(ctx, g.px(x), g.py(y), 9);
  for (const [x, y] of data.saddle_points) {
    for (const [width, colour] of [[6, "#ffffff"], [3, INK]]) {
      ctx.strokeStyle = colour;
      ctx.lineWidth = width;
      ctx.beginPath();
      ctx.moveTo(g.px(x) - 7, g.py(y) - 7); ctx.lineTo(g.px(x) + 7, g.py(y) + 7);
      ctx.moveTo(g.px(x) - 7, g.py(y) + 7); ctx.lineTo(g.px(x) + 7, g.py(y) - 7);
      ctx.stroke();
    }
  }
}

function drawPath(ctx, g, points, style) {
  if (!points.length) return;
  const xy = points.map(([x, y]) => clampFar(g, x, y)).map(([x, y]) => [g.px(x), g.py(y)]);
  ctx.lineJoin = "round";
  ctx.lineCap = "round";
  for (const [width, colour] of [[5.5, "rgba(255,255,255,0.9)"], [2.6, style.colour]]) {
    ctx.beginPath();
    for (const [X, Y] of xy) ctx.lineTo(X, Y);
    ctx.lineWidth = width;
    ctx.strokeStyle = colour;
    ctx.stroke();
  }
  if (points.length <= DOTS_UP_TO) {
    ctx.fillStyle = style.colour;
    for (const [X, Y] of xy.slice(1, -1)) {
      ctx.beginPath(); ctx.arc(X, Y, 2.6, 0, 2 * Math.PI); ctx.fill();
    }
  }
}

function drawLegend(ctx, g, entries) {
  ctx.font = `600 14px ${FONT_FAMILY}`;
  ctx.textBaseline = "middle";
  ctx.textAlign = "left";
  const widths = entries.map((e) => 34 + ctx.measureText(e.name).width);
  const gap = 18;
  const total = widths.reduce((a, b) => a + b, 0) + gap * (entries.length - 1);
  let x = g.left + Math.max(0, (g.w - total) / 2);
  const y = g.top / 2;
  entries.forEach((e, i) => {
    ctx.strokeStyle = e.colour;
    ctx.lineWidth = 3;
    ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + 24, y); ctx.stroke();
    drawMarker(ctx, e.marker, x + 12, y, 6, e.colour);
    ctx.fillStyle = INK;
    ctx.fillText(e.name, x + 30, y + 1);
    x += widths[i] + gap;
  });
}

// What the marks on the map mean, for the caption.
function landmarks(data) {
  const marks = [];
  if (data.minima.length) marks.push(data.minima.length === 1 ? "★ marks the minimum" : "★ marks the minima");
  if (data.saddle_points.length) marks.push("✕ marks the saddle point");
  return marks.length ? `${marks.join(", ")}; ◯ the start.` : "◯ marks the start.";
}

// The map in words (the canvas's aria-label, for screen readers): where every optimizer is now.
// `rows` are the readout's rows by name; `points` each optimizer's path.
export function describeRace(data, step, names, paths, rows) {
  const where = names.map((name) => {
    const path = paths[name] || [];
    const row = rows[name] || {};
    if (!path.length) return `${name} not started`;
    const [x, y] = path[path.length - 1];
    const state = row.status === "diverged" ? ", diverged" : "";
    return `${name} at x ${formatNumber(x)}, y ${formatNumber(y)}, loss ${row.loss ?? "?"}${state}`;
  });
  return `Contour map of f(x, y) = ${data.formula}, step ${step}: ${where.join("; ")}. `
    + "The start x and start y sliders move the start.";
}

// ---------------------------------------------------------------- the DOM

// A labelled slider: the range input, and the text showing its value.
function slider(role, label, attrs) {
  const row = make("label", { class: "ad-optlab-slider" });
  const name = make("span", { class: "ad-optlab-slider-name" }, label);
  const input = make("input", { type: "range", "data-role": role, ...attrs });
  const value = make("output", { class: "ad-optlab-value" });
  row.append(name, input, value);
  return { row, input, value };
}

function buildLayout(el) {
  const root = make("div", { class: "ad-optlab" });
  const bar = make("div", { class: "ad-optlab-toolbar" });
  const ui = {
    root,
    surface: make("select", { "data-role": "surface", title: "The loss surface" }),
    schedule: make("select", { "data-role": "schedule", title: "How the learning rate changes step by step" }),
    step: make("button", { "data-action": "step", title: "One step of every optimizer" }, "Step ▶"),
    play: make("button", { "data-action": "play", class: "ad-optlab-play" }, "▶ Play"),
    reset: make("button", { "data-action": "reset", title: "Back to the start point" }, "↺ Reset"),
    steps: make("span", { "data-role": "steps", class: "ad-optlab-steps" }, "step 0"),
    canvas: make("canvas", { "data-role": "contour", class: "ad-optlab-canvas",
                             title: "Click to start the optimizers from here" }),
    caption: make("div", { class: "ad-optlab-caption" }),
    hover: make("div", { "data-role": "hover", class: "ad-optlab-hover" }),
    readout: make("table", { "data-role": "readout", class: "ad-optlab-readout" }),
    notice: make("div", { "data-role": "notice", class: "ad-optlab-notice", "aria-live": "polite" }),
    error: make("div", { "data-role": "error", class: "ad-optlab-error", "aria-live": "polite" }),
  };
  const surfaceLabel = make("label", {}, "surface ");
  surfaceLabel.append(ui.surface);
  bar.append(surfaceLabel, ui.step, ui.play, ui.reset, ui.steps);

  ui.sliders = {
    lr: slider("lr", "learning rate", { min: "-4", max: "0", step: "0.01" }),
    momentum: slider("momentum", "momentum", { min: "0", max: "0.99", step: "0.01" }),
    beta1: slider("beta1", "Adam β₁", { min: "0", max: "0.99", step: "0.01" }),
    beta2: slider("beta2", "Adam β₂", { min: "1", max: "4", step: "0.1" }),  // −log10(1 − β₂)
    startX: slider("start-x", "start x", { step: "any" }),
    startY: slider("start-y", "start y", { step: "any" }),
    speed: slider("speed", "steps per frame", { min: "1", max: "50", step: "1" }),
  };
  const controls = make("div", { class: "ad-optlab-controls" });
  controls.append(make("div", { class: "ad-optlab-controls-title" }, "Settings"),
                 make("div", { class: "ad-optlab-hint" }, "Changing one restarts the race."));
  const scheduleRow = make("label", { class: "ad-optlab-slider" });
  scheduleRow.append(make("span", { class: "ad-optlab-slider-name" }, "lr schedule"), ui.schedule);
  for (const s of Object.values(ui.sliders)) controls.append(s.row);
  controls.append(scheduleRow);
  controls.append(ui.hover);

  const plot = make("div", { class: "ad-optlab-plot" });
  plot.append(ui.canvas, ui.caption);
  const main = make("div", { class: "ad-optlab-main" });
  main.append(plot, controls);
  root.append(bar, main, ui.readout, ui.notice, ui.error);
  el.append(root);
  return ui;
}

// ---------------------------------------------------------------- the widget

function render({ model, el }) {
  const ui = buildLayout(el);
  const ctx = ui.canvas.getContext("2d");
  let g = null, layer = null, layerKey = "";
  let paths = unpackPaths(model.get("paths"));
  let waitingForPaths = false, frame = 0;
  let scale = 1;   // projector mode (showProjector): the canvas is drawn this much larger

  const commit = (changes) => saveTraits(model, changes);
  const choices = () => model.get("choices");
  const names = () => model.get("optimizer_names");
  const style = (name) => choices().optimizers[name];

  // ---- drawing
  function redrawSoon() {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; redraw(); });
  }
  function redraw() {
    const data = model.get("surface_data");
    const dpr = (window.devicePixelRatio || 1) * scale;
    const key = `${data.name}@${dpr}`;
    if (key !== layerKey) {
      g = geometry(data.window);
      ui.canvas.width = Math.round(g.width * dpr);
      ui.canvas.height = Math.round(g.height * dpr);
      ui.canvas.style.aspectRatio = `${g.width} / ${g.height}`;
      layer = drawSurface(data, choices(), g, dpr);
      layerKey = key;
      Object.assign(ui.canvas.dataset, { plotLeft: g.left, plotTop: g.top, plotWidth: g.w,
                                         plotHeight: g.h, window: data.window.join(",") });
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(layer, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);

    const [sx, sy] = model.get("start");
    ctx.save();
    ctx.beginPath();
    ctx.rect(g.left, g.top, g.w, g.h);
    ctx.clip();
    const rows = Object.fromEntries(model.get("readout").map((r) => [r.name, r]));
    let drawn = 0;
    for (const name of names()) {
      const points = paths[name] || [];
      drawPath(ctx, g, points, style(name));
      drawn += points.length;
    }
    // minima and the start on top of the paths, then each optimizer where it is now
    drawLandmarks(ctx, g, data);
    ctx.lineWidth = 5; ctx.strokeStyle = "#ffffff";
    ctx.beginPath(); ctx.arc(g.px(sx), g.py(sy), 8, 0, 2 * Math.PI); ctx.stroke();
    ctx.lineWidth = 2.5; ctx.strokeStyle = INK; ctx.stroke();
    ctx.restore();
    for (const name of [...names()].reverse()) {
      const points = paths[name] || [];
      if (points.length < 2) continue;
      const [x, y] = points[points.length - 1];
      const X = Math.min(Math.max(g.px(x), g.left), g.left + g.w);
      const Y = Math.min(Math.max(g.py(y), g.top), g.top + g.h);
      drawMarker(ctx, style(name).marker, X, Y, 7.5, style(name).colour, rows[name]?.status === "diverged");
    }
    drawLegend(ctx, g, names().map((name) => ({ name, ...style(name) })));
    ui.canvas.dataset.points = String(drawn);
    describeImage(ui.canvas, describeRace(data, model.get("step_count"), names(), paths, rows));
    for (const row of ui.readout.querySelectorAll("tr[data-optimizer]")) {
      row.dataset.points = String((paths[row.dataset.optimizer] || []).length);
    }
  }

  // ---- the readout: one row per optimizer; its swatch is the legend's
  function buildReadout() {
    const head = make("thead");
    const tr = make("tr");
    for (const text of ["optimizer", "loss", "steps", "lr now", "nearest minimum", "status"]) {
      tr.append(make("th", {}, text));
    }
    head.append(tr);
    const body = make("tbody");
    for (const name of names()) {
      const row = make("tr", { "data-optimizer": name, title: style(name).recipe });
      const swatch = make("canvas", { class: "ad-optlab-swatch", width: "68", height: "32" });
      const sctx = swatch.getContext("2d");
      sctx.scale(2, 2);
      sctx.strokeStyle = style(name).colour;
      sctx.lineWidth = 3;
      sctx.beginPath(); sctx.moveTo(2, 8); sctx.lineTo(32, 8); sctx.stroke();
      drawMarker(sctx, style(name).marker, 17, 8, 5.5, style(name).colour);
      const first = make("td", { class: "ad-optlab-name" });
      first.append(swatch, make("span", {}, name));
      row.append(first);
      for (const field of ["loss", "steps", "lr", "nearest", "status"]) {
        row.append(make("td", { "data-field": field }));
      }
      body.append(row);
    }
    ui.readout.replaceChildren(head, body);
    showReadout();
  }
  function showReadout() {
    for (const r of model.get("readout")) {
      const row = ui.readout.querySelector(`tr[data-optimizer="${r.name}"]`);
      if (!row) continue;
      row.dataset.status = r.status;
      const cells = Object.fromEntries([...row.querySelectorAll("td[data-field]")].map((td) => [td.dataset.field, td]));
      cells.loss.textContent = r.loss;
      cells.steps.textContent = String(r.steps);
      cells.lr.textContent = r.lr;
      cells.nearest.textContent = r.nearest;
      cells.status.textContent = r.status === "diverged" ? `⚠ ${r.message}` : r.message;
    }
    ui.steps.textContent = `step ${model.get("step_count")}`;
    redrawSoon();
  }

  // ---- controls showing the model
  function fillMenus() {
    ui.surface.replaceChildren(...choices().surfaces.map((s) => make("option", { value: s.name }, s.title)));
    ui.schedule.replaceChildren(...choices().schedules.map((s) => make("option", { value: s.name, title: s.description || s.label }, s.label)));
  }
  function showSettings() {
    const data = model.get("surface_data");
    const [x0, x1, y0, y1] = data.window;
    const s = ui.sliders;
    ui.surface.value = model.get("surface");
    ui.schedule.value = model.get("schedule");
    const lr = model.get("lr");
    s.lr.input.min = String(Math.min(-4, Math.floor(Math.log10(lr))));
    s.lr.input.max = String(Math.max(0, Math.ceil(Math.log10(lr))));
    s.lr.input.value = String(Math.log10(lr));
    s.momentum.input.value = String(model.get("momentum"));
    s.beta1.input.value = String(model.get("beta1"));
    s.beta2.input.value = String(-Math.log10(1 - model.get("beta2")));
    Object.assign(s.startX.input, { min: String(x0), max: String(x1) });
    Object.assign(s.startY.input, { min: String(y0), max: String(y1) });
    const [sx, sy] = model.get("start");
    s.startX.input.value = String(sx);
    s.startY.input.value = String(sy);
    s.speed.input.value = String(model.get("steps_per_frame"));
    showValues();
    ui.caption.replaceChildren(
      make("strong", {}, `f(x, y) = ${data.formula}`), make("br"), document.createTextNode(data.note),
      make("br"), make("span", { class: "ad-optlab-hint" }, `Click the map to start from there. ${landmarks(data)}`));
  }
  // What each slider would set, as the text beside it (live while dragging).
  const sliderValue = {
    lr: () => Number((10 ** Number(ui.sliders.lr.input.value)).toPrecision(2)),
    momentum: () => Number(ui.sliders.momentum.input.value),
    beta1: () => Number(ui.sliders.beta1.input.value),
    beta2: () => Number((1 - 10 ** -Number(ui.sliders.beta2.input.value)).toFixed(6)),
    startX: () => roundTo(Number(ui.sliders.startX.input.value), model.get("surface_data").window[1] - model.get("surface_data").window[0]),
    startY: () => roundTo(Number(ui.sliders.startY.input.value), model.get("surface_data").window[3] - model.get("surface_data").window[2]),
    speed: () => Number(ui.sliders.speed.input.value),
  };
  // Beside each slider, the value in force (not the slider's rounding of it: the start may be −0.75).
  function showValues() {
    const [sx, sy] = model.get("start");
    const shown = { lr: model.get("lr"), momentum: model.get("momentum"), beta1: model.get("beta1"),
                    beta2: model.get("beta2"), startX: sx, startY: sy, speed: model.get("steps_per_frame") };
    for (const [key, s] of Object.entries(ui.sliders)) s.value.textContent = formatNumber(shown[key]);
  }
  function showPlaying() {
    // Pause: two bars drawn in CSS (the character U+23F8 is an empty box in the fonts many machines have)
    if (model.get("playing")) ui.play.replaceChildren(make("span", { class: "ad-icon-pause", "aria-hidden": "true" }), "Pause");
    else ui.play.replaceChildren("▶ Play");
    ui.root.classList.toggle("ad-optlab-playing", model.get("playing"));
  }
  function showMessages() {
    showText(ui.notice, model.get("notice"));
    showText(ui.error, model.get("error"));
  }

  // ---- the controls change the model (or ask Python to act)
  ui.step.addEventListener("click", () => model.send({ action: "step" }));
  ui.reset.addEventListener("click", () => model.send({ action: "reset" }));
  ui.play.addEventListener("click", () => commit({ playing: !model.get("playing") }));
  ui.surface.addEventListener("change", () => commit({ surface: ui.surface.value }));
  ui.schedule.addEventListener("change", () => commit({ schedule: ui.schedule.value }));
  const sliderTrait = { lr: "lr", momentum: "momentum", beta1: "beta1", beta2: "beta2", speed: "steps_per_frame" };
  for (const [key, s] of Object.entries(ui.sliders)) {
    s.input.addEventListener("input", () => { s.value.textContent = formatNumber(sliderValue[key]()); });
    s.input.addEventListener("change", () => {
      if (key === "startX" || key === "startY") commit({ start: [sliderValue.startX(), sliderValue.startY()] });
      else commit({ [sliderTrait[key]]: sliderValue[key]() });
    });
  }
  function canvasPoint(event) {
    const box = ui.canvas.getBoundingClientRect();
    const scale = g.width / box.width;  // the canvas may be shown narrower than it is drawn
    return [(event.clientX - box.left) * scale, (event.clientY - box.top) * scale];
  }
  ui.canvas.addEventListener("click", (event) => {
    const [cx, cy] = canvasPoint(event);
    if (!g || !g.inside(cx, cy)) return;
    const [x, y] = g.toSurface(cx, cy);
    commit({ start: [roundTo(x, g.x1 - g.x0), roundTo(y, g.y1 - g.y0)] });
  });
  ui.canvas.addEventListener("mousemove", (event) => {
    const [cx, cy] = canvasPoint(event);
    if (!g || !g.inside(cx, cy)) { ui.hover.textContent = ""; return; }
    const [x, y] = g.toSurface(cx, cy);
    ui.hover.textContent = `pointer at x = ${formatNumber(roundTo(x, g.x1 - g.x0))}, y = ${formatNumber(roundTo(y, g.y1 - g.y0))}`;
  });
  ui.canvas.addEventListener("mouseleave", () => { ui.hover.textContent = ""; });

  // ---- the model changes the view
  function onCustom(msg) {
    if (msg.kind === "paths") {
      paths = unpackPaths(msg.paths);
      waitingForPaths = false;
      return redrawSoon();
    }
    if (msg.kind !== "points") return;
    const fits = Object.entries(msg.points).every(([name, p]) => (paths[name] || []).length === p.from);
    if (!fits) {  // a frame was missed (or this view is new): ask for everything
      if (!waitingForPaths) { waitingForPaths = true; model.send({ action: "resync" }); }
      return;
    }
    for (const [name, p] of Object.entries(msg.points)) paths[name].push(...unpackPoints(p.xy));
    redrawSoon();
  }
  const listeners = {
    "change:paths": () => { paths = unpackPaths(model.get("paths")); waitingForPaths = false; redrawSoon(); },
    "change:readout": showReadout,
    "change:step_count": showReadout,
    "change:optimizer_names": buildReadout,
    "change:surface_data": () => { showSettings(); redrawSoon(); },
    "change:surface": showSettings, "change:schedule": showSettings, "change:lr": showSettings,
    "change:momentum": showSettings, "change:beta1": showSettings, "change:beta2": showSettings,
    "change:start": () => { showSettings(); redrawSoon(); },
    "change:steps_per_frame": showSettings,
    "change:playing": showPlaying,
    "change:projector": () => { scale = showProjector(model, ui.root); redrawSoon(); },
    "change:notice": showMessages, "change:error": showMessages,
    "msg:custom": onCustom,
  };
  const stopListening = listen(model, listeners);
  // The keyboard: every control is a native one (Tab reaches it); Space on the widget itself plays or pauses.
  const stopKeys = spaceToPlay(ui.root, () => commit({ playing: !model.get("playing") }));
  ui.root.setAttribute("role", "group");
  ui.root.setAttribute("aria-label", "Optimizer lab. Space plays or pauses.");

  scale = showProjector(model, ui.root);
  fillMenus();
  showSettings();
  buildReadout();
  showPlaying();
  showMessages();
  redraw();

  return () => {  // the view is removed: stop listening
    if (frame) cancelAnimationFrame(frame);
    stopListening();
    stopKeys();
  };
}

export default { render };
