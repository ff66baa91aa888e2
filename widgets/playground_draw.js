// playground_draw.js: what the Playground's view draws (an anywidget module part; plain JS, no imports).
// Python joins common.js, this file and playground.js into one module (widgets/playground.py).
//
// Everything here paints what the kernel sent; nothing is computed twice.
// The decision map: a grid of (class, strength) cells on a <canvas>, with the
// boundaries between classes. The curves and the confusion matrix: more
// canvases. The network: an SVG. The class colours and markers come from the
// kernel (choices.palette), so the PNG and the page agree.

const MUTED = "#5b6472";
const GRID_LINE = "#e3e7ed";
const TRAIN_COLOR = "#2b3445";
const TEST_COLOR = "#b1387e";
// One colour per linear layer of the gradient-flow panel, input side first.
const LAYER_COLORS = ["#5e3c99", "#1b9e77", "#c51b7d", "#2c7fb8", "#8c510a", "#4d9221", "#e7298a",
                      "#01665e", "#7f6a00"];
const FONT = `12px ${FONT_FAMILY}`;
const SATURATION = 0.7;  // the map's strongest shade: never the full colour, so the points stand out
const MARKER_TEXT = { circle: "●", square: "■", triangle: "▲", diamond: "◆", "triangle-down": "▼" };

export const MAP_SIZE = 360;
export const CHART = { width: 330, height: 180 };
const NETWORK = { width: 360, height: 132 };

// ---------------------------------------------------------------- pure helpers

// "#e69f00" as [230, 159, 0].
export function hexToRgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

// The bytes of a base64 string (how the kernel sends the map: one byte per cell) as a Uint8Array.
export function fromBase64(text) {
  const raw = atob(text), bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

// The colour of a map cell: white blended towards its class's colour `base` ([r, g, b]) by its
// strength in [0, 1] (white on a boundary, the class colour at SATURATION where the net is sure).
export function mapColor(base, strength) {
  const t = Math.min(1, Math.max(0, strength)) * SATURATION;
  return base.map((c) => Math.round(255 + (c - 255) * t));
}

// The boundaries of a size×size map (row 0 at the top): segments [x1, y1, x2, y2] in grid units
// (column, row). On each edge between two cells of different classes, the boundary crosses where
// the two strengths, falling to 0 from either side, would meet: at a / (a + b) of the way. In a
// square where three classes meet, the crossings are joined to their centre.
export function classContour(classes, strength, size) {
  const segments = [];
  for (let r = 0; r + 1 < size; r++) {
    for (let c = 0; c + 1 < size; c++) {
      const cells = [r * size + c, r * size + c + 1, (r + 1) * size + c + 1, (r + 1) * size + c];  // clockwise
      const corners = [[c, r], [c + 1, r], [c + 1, r + 1], [c, r + 1]];
      const points = [];
      for (let k = 0; k < 4; k++) {
        const i = cells[k], j = cells[(k + 1) % 4];
        if (classes[i] === classes[j]) continue;
        const a = strength[i], b = strength[j], t = a + b > 0 ? a / (a + b) : 0.5;
        const [x1, y1] = corners[k], [x2, y2] = corners[(k + 1) % 4];
        points.push([x1 + t * (x2 - x1), y1 + t * (y2 - y1)]);
      }
      const kinds = new Set(cells.map((i) => classes[i])).size;
      if (points.length === 2 || (points.length === 4 && kinds === 2)) {
        for (let k = 0; k + 1 < points.length; k += 2) segments.push([...points[k], ...points[k + 1]]);
      } else if (points.length > 2) {
        const mx = points.reduce((s, p) => s + p[0], 0) / points.length;
        const my = points.reduce((s, p) => s + p[1], 0) / points.length;
        for (const [x, y] of points) segments.push([x, y, mx, my]);
      }
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

// ---------------------------------------------------------------- canvases and SVG

const SVG_NS = "http://www.w3.org/2000/svg";
function makeSvg(tag, attrs = {}, text = "") {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text) node.textContent = text;
  return node;
}

// The scale the widget's CSS sets (--ad-scale: 1, larger in projector mode; see common.js showProjector).
function cssScale(node) {
  return Number(getComputedStyle(node).getPropertyValue("--ad-scale")) || 1;
}

// A canvas drawn at the screen's pixel density; returns its 2-D context, scaled to CSS pixels.
// In projector mode the canvas is shown `cssScale` times larger, and drawn that much finer:
// the same picture, its text and lines larger.
function sizeCanvas(canvas, width, height) {
  const scale = cssScale(canvas);
  const dpr = (window.devicePixelRatio || 1) * scale;
  if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = `${width * scale}px`;
    canvas.style.height = `${height * scale}px`;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}

// The path of a class's marker around (x, y), of "radius" r: each class has its own shape.
function markerPath(ctx, marker, x, y, r) {
  ctx.beginPath();
  const polygon = (points) => {
    points.forEach(([px, py], i) => (i ? ctx.lineTo(x + px, y + py) : ctx.moveTo(x + px, y + py)));
    ctx.closePath();
  };
  if (marker === "square") polygon([[-0.85 * r, -0.85 * r], [0.85 * r, -0.85 * r], [0.85 * r, 0.85 * r], [-0.85 * r, 0.85 * r]]);
  else if (marker === "triangle") polygon([[0, -1.15 * r], [r, 0.75 * r], [-r, 0.75 * r]]);
  else if (marker === "triangle-down") polygon([[0, 1.15 * r], [r, -0.75 * r], [-r, -0.75 * r]]);
  else if (marker === "diamond") polygon([[0, -1.2 * r], [1.05 * r, 0], [0, 1.2 * r], [-1.05 * r, 0]]);
  else ctx.arc(x, y, r, 0, 2 * Math.PI);
}

// The decision map: the cells' shades (smoothly scaled), the boundaries, the axes, the points.
function drawBoundary(canvas, frame, points, palette) {
  const W = MAP_SIZE, H = MAP_SIZE;
  const ctx = sizeCanvas(canvas, W, H);
  const size = frame.grid.size, classes = fromBase64(frame.grid.classes);
  const strength = fromBase64(frame.grid.strength);   // 0 (a boundary) to 255 (sure)
  const bases = palette.colors.map(hexToRgb);
  const cell = W / (size - 1);
  const image = new ImageData(size, size);
  classes.forEach((k, i) => { image.data.set([...mapColor(bases[k], strength[i] / 255), 255], 4 * i); });
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
  for (const [c1, r1, c2, r2] of classContour(classes, strength, size)) {
    ctx.moveTo(c1 * cell, r1 * cell);
    ctx.lineTo(c2 * cell, r2 * cell);
  }
  ctx.stroke();

  const dot = (x, y, k, rim) => {
    markerPath(ctx, palette.markers[k], px(x), py(y), 4.5);
    ctx.fillStyle = palette.colors[k];
    ctx.fill();
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = rim;
    ctx.stroke();
  };
  for (const [x, y, k] of points.train) dot(x, y, k, "#ffffff");
  for (const [x, y, k] of points.test) dot(x, y, k, INK);
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

// The confusion matrix of the test points: rows are the true classes, columns the predicted
// ones, each cell darker the larger its share of its row; the counts are written in.
function drawConfusion(canvas, confusion, palette) {
  const k = confusion.length, cellSize = Math.min(34, Math.floor(150 / k));
  const left = 74, top = 30, W = CHART.width, H = top + k * cellSize + 8;
  const ctx = sizeCanvas(canvas, W, H);
  ctx.font = FONT;
  ctx.textBaseline = "middle";
  ctx.fillStyle = MUTED;
  ctx.textAlign = "left";
  ctx.fillText("predicted class →", left, 8);   // (centred over two columns it would run into "true")
  ctx.textAlign = "right";
  ctx.fillText("true ↓", left - 8, 8);
  const header = (k2, x, y) => {
    markerPath(ctx, palette.markers[k2], x, y, 4.5);
    ctx.fillStyle = palette.colors[k2];
    ctx.fill();
    ctx.fillStyle = INK;
    ctx.textAlign = "left";
    ctx.fillText(String(k2), x + 8, y);
  };
  confusion.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    header(t, left - 34, top + (t + 0.5) * cellSize);
    row.forEach((count, p) => {
      if (t === 0) header(p, left + (p + 0.5) * cellSize - 6, top - 10);
      const share = total ? count / total : 0;
      const shade = Math.round(255 - 175 * share);
      ctx.fillStyle = `rgb(${shade}, ${shade}, ${shade})`;
      ctx.fillRect(left + p * cellSize, top + t * cellSize, cellSize - 1, cellSize - 1);
      ctx.fillStyle = share > 0.6 ? "#ffffff" : INK;
      ctx.textAlign = "center";
      ctx.fillText(String(count), left + (p + 0.5) * cellSize, top + (t + 0.5) * cellSize);
    });
  });
  ctx.textBaseline = "alphabetic";
  ctx.textAlign = "left";
}

// A legend of lines: [{color, label, dash}].
function legend(el, items) {
  el.replaceChildren(...items.map(({ color, label, dash }) => {
    const key = make("span", { class: "ad-pg-key" });
    const swatch = make("i", { class: dash ? "ad-pg-swatch ad-pg-dashed" : "ad-pg-swatch" });
    swatch.style.borderColor = color;
    key.append(swatch, document.createTextNode(label));
    return key;
  }));
}

// A class's marker as text in its colour ("●" orange), for legends and sentences.
function classMark(palette, k) {
  const mark = make("span", { class: "ad-pg-mark" }, MARKER_TEXT[palette.markers[k]] || "●");
  mark.style.color = palette.colors[k];
  return mark;
}

// The legend under the map: each class's marker and colour, then the rims of train and test points.
function classLegend(el, points, palette) {
  const keys = [];
  for (let k = 0; k < points.classes; k++) {
    const key = make("span", { class: "ad-pg-key", "data-class": String(k) });
    const label = points.labels[k] === k ? `class ${k}` : `class ${k} (label ${points.labels[k]})`;
    key.append(classMark(palette, k), document.createTextNode(label));
    keys.push(key);
  }
  for (const [cls, label] of [["ad-pg-train", "train"], ["ad-pg-test", "test"]]) {
    const key = make("span", { class: "ad-pg-key" });
    key.append(make("i", { class: `ad-pg-dot ${cls}` }), document.createTextNode(label));
    keys.push(key);
  }
  el.replaceChildren(...keys);
}

// "test accuracy per class: ● 0: 95.0% · ■ 1: 98.0%", each marker in its class's colour.
function classAccuracy(el, classAcc, palette) {
  const parts = [document.createTextNode("test accuracy per class: ")];
  classAcc.forEach((acc, k) => {
    if (k) parts.push(document.createTextNode(" · "));
    const item = make("span", { class: "ad-pg-key" });   // (a line breaks between classes, not inside one)
    item.append(classMark(palette, k), document.createTextNode(` ${k}: ${percent(acc)}`));
    parts.push(item);
  });
  el.replaceChildren(...parts);
}

// The network: one column of circles per layer; one line per weight, blue and solid for w > 0,
// orange and dashed for w < 0 (not by colour alone), wider and darker for a larger |w|.
// Rebuilt only when the sizes change.
function networkDrawer(container, palette) {
  const positive = palette.colors[1], negative = palette.colors[0];
  let shape = "", edges = [];
  function build(sizes, activation) {
    const { width: W, height: H } = NETWORK;
    const scale = cssScale(container);   // projector mode: drawn larger
    const svg = makeSvg("svg", { width: W * scale, height: H * scale, viewBox: `0 0 ${W} ${H}`, role: "img",
                                 "aria-label": `Network ${sizes.join("-")}, ${activation}: solid blue lines are `
                                   + "positive weights, dashed orange lines negative ones, wider for larger weights" });
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
      const title = k === 0 ? "x₁, x₂" : k === sizes.length - 1 ? (n > 1 ? `${n} out` : "out") : hidden;
      nodeGroup.append(makeSvg("text", { x: xs[k], y: 12, "text-anchor": "middle", class: "ad-pg-layer-title" }, title));
    });
    svg.append(edgeGroup, nodeGroup);
    container.replaceChildren(svg);
  }
  return function draw(network, activation) {
    const key = network.sizes.join("-") + activation + cssScale(container);
    if (key !== shape) { build(network.sizes, activation); shape = key; }
    let big = 1e-12;
    for (const m of network.weights) for (const row of m) for (const w of row) big = Math.max(big, Math.abs(w));
    network.weights.forEach((m, k) => m.forEach((row, i) => row.forEach((w, j) => {
      const line = edges[k][i][j], t = Math.abs(w) / big;
      line.setAttribute("stroke", w >= 0 ? positive : negative);
      line.setAttribute("stroke-width", (0.5 + 3.5 * t).toFixed(2));
      if (w < 0) line.setAttribute("stroke-dasharray", "5 3"); else line.removeAttribute("stroke-dasharray");
      line.setAttribute("stroke-opacity", (0.25 + 0.75 * t).toFixed(2));
      line.setAttribute("data-weight", String(w));
    })));
  };
}
