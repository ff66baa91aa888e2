// playground.js: the browser side of widgets.Playground (an anywidget module part; plain JS, no imports).
// Python puts widgets/common.js (make, listen, showText, INK, FONT_FAMILY) and
// widgets/playground_draw.js (the drawing) in front of it.
//
// Python trains the network and sends, after every slice of training, a
// "frame": the decision map, the metrics, the loss and gradient curves and
// the weights. Here we build the controls and paint frames; nothing is
// computed twice.
//
// The controls never change the settings themselves: each one sends
// {action: "set", changes: {...}} to the kernel, which checks the change,
// resets the run and sends the new "settings" back (or refuses, and we put
// the control back). So the page always shows what Python holds.

// Where a value set from Python (lr 0.05, say) goes in a menu of numbers: before the first
// larger one, so "…, 0.03, 0.05, 0.1, …" and not "…, 1, 3, 0.05"; at the end if it or the menu is not numeric.
export function insertionIndex(values, value) {
  const number = (v) => (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : null);
  const x = number(value);
  const at = x === null ? -1 : values.findIndex((v) => number(v) !== null && number(v) > x);
  return at < 0 ? values.length : at;
}

// The plots in words, for screen readers (each canvas's aria-label): what the eye reads off them now.
export function describePlots(frame, classes) {
  const m = frame.metrics, c = frame.curves, epoch = `epoch ${frame.epoch}`;
  const last = (ys) => (ys.length ? ys[ys.length - 1] : null);
  const grads = c.grad.map((ys, k) => `layer ${k + 1}: ${last(ys) === null ? "–" : formatNumber(last(ys))}`);
  return {
    boundary: `Decision map of ${classes} classes at ${epoch}: accuracy train ${percent(m.train_acc)}, `
      + `test ${percent(m.test_acc)}`,
    loss: c.epoch.length ? `Loss per epoch, up to ${epoch}: train ${number(m.train_loss)}, test ${number(m.test_loss)}`
      : "Loss per epoch: no epoch trained yet",
    confusion: "Confusion matrix of the test points: "
      + m.confusion.map((row, t) => `true class ${t}: ${row.map((n, p) => `${n} predicted ${p}`).join(", ")}`).join("; "),
    gradflow: c.epoch.length ? `Gradient flow, mean |∂loss/∂w| per layer at ${epoch}: ${grads.join(", ")}`
      : "Gradient flow: no epoch trained yet",
  };
}

function labelled(text, control, extra = null) {
  const label = make("label", { class: "ad-pg-field" });
  label.append(make("span", { class: "ad-pg-label" }, text), control);
  if (extra) label.append(extra);
  return label;
}

// A panel's note ("what am I looking at?"): hidden until the Explain button shows every note.
function note(notes, key) {
  const p = make("p", { class: "ad-pg-explain", "data-role": "note", "data-panel": key }, notes[key] || "");
  p.hidden = true;
  return p;
}

// A heading whose title attribute holds the panel's note (shown on hover).
function heading(text, notes, key) {
  return make("h4", { title: notes[key] || "" }, text);
}

function panel(title, key, notes, ...children) {
  const box = make("section", { class: "ad-pg-panel", "data-panel": key });
  box.append(heading(title, notes, key), note(notes, key), ...children);
  return box;
}

// Every element, with the data-action / data-role attributes of the DOM contract.
function buildLayout(el, choices) {
  const notes = choices.notes || {};
  const select = (role) => {
    const s = make("select", { "data-role": role });
    for (const [value, label] of choices[role] || []) s.append(make("option", { value: String(value) }, label));
    return s;
  };
  const ui = {
    root: make("div", { class: "ad-playground" }),
    play: make("button", { "data-action": "play", class: "ad-pg-play", title: "Train continuously" }, "▶ Play"),
    step: make("button", { "data-action": "step", title: "Train to the end of the epoch" }, "Step ▶|"),
    reset: make("button", { "data-action": "reset", title: "Back to epoch 0, same initial weights" }, "↺ Reset"),
    epoch: make("span", { "data-role": "epoch", class: "ad-pg-epoch" }, "epoch 0"),
    progress: make("span", { "data-role": "progress", class: "ad-pg-progress", title: "how much of the next epoch is done" }),
    metrics: make("span", { "data-role": "metrics", class: "ad-pg-metrics" }),
    explain: make("button", { "data-action": "explain", "aria-pressed": "false",
                              title: "Show or hide a note on every panel" }, "? What am I looking at"),
    error: make("div", { "data-role": "error", class: "ad-pg-error", "aria-live": "polite" }),
    dataset: select("dataset"),
    classes: select("classes"),
    noise: make("input", { type: "range", "data-role": "noise", min: "0", max: "0.5", step: "0.05" }),
    noiseText: make("span", { class: "ad-pg-value" }),
    ratio: make("input", { type: "range", "data-role": "ratio", min: "0.1", max: "0.9", step: "0.1" }),
    ratioText: make("span", { class: "ad-pg-value" }),
    points: select("points"),
    regenerate: make("button", { "data-action": "regenerate", title: "New points (the data seed + 1)" }, "⟳ Regenerate"),
    csv: make("input", { type: "file", accept: ".csv,text/csv", "data-role": "csv-file",
                         title: "A CSV file with a header row and three columns: x1, x2, label" }),
    addLayer: make("button", { "data-action": "add-layer", title: "Add a hidden layer" }, "+ layer"),
    removeLayer: make("button", { "data-action": "remove-layer", title: "Remove the last hidden layer" }, "− layer"),
    layers: make("div", { "data-role": "layers", class: "ad-pg-layers" }),
    activation: select("activation"),
    seed: make("input", { type: "number", "data-role": "seed", min: "0", step: "1" }),
    engine: select("engine"),
    loss: select("loss"),
    optimizer: select("optimizer"),
    lr: select("lr"),
    l2: select("l2"),
    batch_size: select("batch_size"),
    schedule: select("schedule"),
    networkTitle: heading("Network", notes, "network"),
    network: make("div", { "data-role": "network", class: "ad-pg-network" }),
    boundary: make("canvas", { "data-role": "boundary", class: "ad-pg-boundary" }),
    classLegend: make("div", { "data-role": "class-legend", class: "ad-pg-legend" }),
    loss_chart: make("canvas", { "data-role": "loss" }),
    lossLegend: make("div", { class: "ad-pg-legend" }),
    confusion: make("canvas", { "data-role": "confusion" }),
    classAccuracy: make("div", { "data-role": "class-accuracy", class: "ad-pg-legend" }),
    gradflow: make("canvas", { "data-role": "gradflow" }),
    gradLegend: make("div", { class: "ad-pg-legend" }),
    gradNote: make("div", { "data-role": "gradflow-note", class: "ad-pg-gradnote" }),
    config: make("code", { "data-role": "config", class: "ad-pg-config-text" }),
    copy: make("button", { "data-action": "copy-config", title: "Copy the configuration" }, "Copy"),
    configInput: make("input", { type: "text", "data-role": "config-input", placeholder: "paste a config string",
                                 spellcheck: "false" }),
    load: make("button", { "data-action": "load-config", title: "Start the run this string describes" }, "Load"),
  };

  const bar = make("div", { class: "ad-pg-bar" });
  const counter = make("span", { class: "ad-pg-counter" });
  counter.append(ui.epoch, ui.progress);
  bar.append(ui.play, ui.step, ui.reset, counter, ui.metrics, ui.explain);

  const layerButtons = make("div", { class: "ad-pg-row" });
  layerButtons.append(ui.addLayer, ui.removeLayer);
  const controls = make("div", { class: "ad-pg-controls" });
  controls.append(
    panel("Data", "data", notes, labelled("dataset", ui.dataset), labelled("classes", ui.classes),
          labelled("noise", ui.noise, ui.noiseText), labelled("training data", ui.ratio, ui.ratioText),
          labelled("points", ui.points), ui.regenerate, labelled("your CSV: x1, x2, label", ui.csv)),
    panel("Network", "network-controls", notes, ui.layers, layerButtons, labelled("activation", ui.activation),
          labelled("init seed", ui.seed)),
    panel("Training", "training", notes, labelled("loss", ui.loss), labelled("optimizer", ui.optimizer),
          labelled("learning rate", ui.lr), labelled("L2", ui.l2), labelled("batch size", ui.batch_size),
          labelled("LR schedule", ui.schedule), labelled("engine", ui.engine)),
  );

  const center = make("div", { class: "ad-pg-center" });
  center.append(ui.networkTitle, note(notes, "network"), ui.network,
                heading("Decision map", notes, "boundary"), note(notes, "boundary"), ui.boundary, ui.classLegend);

  const charts = make("div", { class: "ad-pg-charts" });
  charts.append(heading("Loss", notes, "loss"), note(notes, "loss"), ui.loss_chart, ui.lossLegend,
                heading("Confusion matrix (test points)", notes, "confusion"), note(notes, "confusion"),
                ui.confusion, ui.classAccuracy,
                heading("Gradient flow: mean |∂loss/∂w| per layer", notes, "gradflow"), note(notes, "gradflow"),
                ui.gradflow, ui.gradNote, ui.gradLegend);

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

// ---------------------------------------------------------------- the widget

function render({ model, el }) {
  const choices = model.get("choices");
  const palette = choices.palette;
  const ui = buildLayout(el, choices);
  const drawNetwork = networkDrawer(ui.network, palette);
  const send = (message) => model.send(message);
  const setting = (changes) => send({ action: "set", changes });
  const settings = () => model.get("settings");
  const TWO_CLASS = ["moons", "circles", "xor"];

  // Put every control in line with the settings Python holds.
  function showSettings() {
    const s = settings();
    for (const key of ["dataset", "classes", "points", "activation", "engine", "loss", "optimizer", "lr", "l2",
                       "batch_size", "schedule"]) {
      const select = ui[key], value = String(s[key]);
      const options = [...select.options];
      if (!options.some((o) => o.value === value)) {  // a value set from Python: in its place in the menu
        const after = options[insertionIndex(options.map((o) => o.value), value)];
        select.insertBefore(make("option", { value }, value), after || null);
      }
      select.value = value;
    }
    const csv = s.dataset === "csv";
    ui.classes.disabled = csv || TWO_CLASS.includes(s.dataset);   // fixed by the dataset, or by the file
    ui.noise.disabled = csv;
    ui.points.disabled = csv;
    ui.noise.max = String(Math.max(0.5, s.noise));
    ui.noise.value = String(s.noise);
    ui.noiseText.textContent = s.noise.toFixed(2);
    ui.ratio.value = String(s.ratio);
    ui.ratioText.textContent = `${Math.round(100 * s.ratio)}%`;
    ui.seed.value = String(s.seed);
    ui.csv.value = "";
    showLayers(s.hidden);
  }

  function showLayers(hidden) {
    const limits = choices.limits;
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
    ui.progress.style.setProperty("--ad-pg-progress", String(frame.progress));
    ui.metrics.textContent = `loss: train ${number(m.train_loss)} · test ${number(m.test_loss)}\n`
      + `accuracy: train ${percent(m.train_acc)} · test ${percent(m.test_acc)} · lr ${m.lr}`;
    drawBoundary(ui.boundary, frame, points, palette);
    classLegend(ui.classLegend, points, palette);
    const c = frame.curves;
    drawChart(ui.loss_chart, [
      { x: c.epoch, y: c.train_loss, color: TRAIN_COLOR },
      { x: c.epoch, y: c.test_loss, color: TEST_COLOR, dash: true },
    ], { emptyText: "press Play or Step" });
    drawConfusion(ui.confusion, m.confusion, palette);
    classAccuracy(ui.classAccuracy, m.class_acc, palette);
    const sizes = frame.network.sizes;
    const layers = c.grad.map((y, k) => ({ x: c.epoch, y, color: LAYER_COLORS[k % LAYER_COLORS.length],
                                           label: `layer ${k + 1} (${sizes[k]}→${sizes[k + 1]})` }));
    drawChart(ui.gradflow, layers, { log: true,
                                     emptyText: frame.gradient_note ? "no gradient at all: see below" : "press Play or Step" });
    showText(ui.gradNote, frame.gradient_note);
    legend(ui.gradLegend, layers);
    const activation = settings().activation;
    const label = (choices.activation.find(([value]) => value === activation) || [0, activation])[1];
    ui.networkTitle.textContent = `Network ${sizes.join("-")}` + (sizes.length > 2 ? ` · ${label}` : "");
    drawNetwork(frame.network, activation);
    const words = describePlots(frame, points.classes);
    for (const key of ["boundary", "confusion", "gradflow"]) describeImage(ui[key], words[key]);
    describeImage(ui.loss_chart, words.loss);
    ui.root.dataset.frame = String(frame.seq);   // which frame is on show
    send({ action: "drawn", seq: frame.seq });   // Play sends more frames only as we draw them
  }

  function showPlaying() {
    const on = model.get("playing");
    ui.play.textContent = on ? "❚❚ Pause" : "▶ Play";
    ui.play.classList.toggle("ad-pg-playing", on);
  }
  function showError() {
    showText(ui.error, model.get("error"));
  }

  // Your own CSV file: read here, checked and parsed by the kernel (the same rules as load_csv).
  async function sendCsv() {
    const file = ui.csv.files[0];
    if (!file) return;
    if (file.size > choices.limits.csv_bytes) {   // not even read: the kernel would refuse it
      showText(ui.error, `${file.name} has ${file.size.toLocaleString("en")} bytes; the Playground reads CSV `
               + `files of up to ${choices.limits.csv_bytes.toLocaleString("en")} bytes`);
      ui.csv.value = "";
      return;
    }
    send({ action: "load_csv", name: file.name, text: await file.text() });
  }

  // Wire the controls...
  ui.play.addEventListener("click", () => send({ action: model.get("playing") ? "pause" : "play" }));
  ui.step.addEventListener("click", () => send({ action: "step" }));
  ui.reset.addEventListener("click", () => send({ action: "reset" }));
  ui.regenerate.addEventListener("click", () => send({ action: "regenerate" }));
  ui.explain.addEventListener("click", () => {
    const on = ui.explain.getAttribute("aria-pressed") !== "true";
    ui.explain.setAttribute("aria-pressed", String(on));
    for (const p of ui.root.querySelectorAll('[data-role="note"]')) p.hidden = !on;
  });
  for (const key of ["dataset", "activation", "engine", "loss", "optimizer", "schedule"]) {
    ui[key].addEventListener("change", () => setting({ [key]: ui[key].value }));
  }
  for (const key of ["classes", "points", "lr", "l2", "batch_size"]) {
    ui[key].addEventListener("change", () => setting({ [key]: Number(ui[key].value) }));
  }
  ui.csv.addEventListener("change", sendCsv);
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
    "change:projector": () => { showProjector(model, ui.root); scheduleDraw(); },
    "msg:custom": (message) => { if (message && message.event === "rejected") showSettings(); },
  };
  const stopListening = listen(model, listeners);
  // The keyboard: every control is a native one (Tab reaches it); Space on the widget itself plays or pauses.
  const stopKeys = spaceToPlay(ui.root, () => send({ action: model.get("playing") ? "pause" : "play" }));
  ui.root.setAttribute("role", "group");
  ui.root.setAttribute("aria-label", "Playground. Space plays or pauses.");
  showProjector(model, ui.root);

  legend(ui.lossLegend, [{ color: TRAIN_COLOR, label: "train" }, { color: TEST_COLOR, label: "test", dash: true }]);
  showSettings();
  showPlaying();
  showError();
  listeners["change:config"]();
  draw();

  return () => { stopListening(); stopKeys(); };  // the view is removed
}

export default { render };
