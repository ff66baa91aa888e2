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
export function verdict(items, answers) {
  return items.map((item, i) => isClose(answers[i], item.value)
    ? item.right_text
    : item.wrong_template.replace("{answer}", () => formatNumber(answers[i]))).join("\n");
}

// Everything shown at step k of a phase (the same as GraphStepper.view_state in Python).
export function viewState(data, phase, k) {
  const forward = phase === "forward";
  const steps = data[phase];
  const state = { current: null, lit: [], done: [], targets: [], flow: [], texts: {} };
  const grads = {};
  if (!forward) for (const s of steps.slice(0, k)) Object.assign(grads, s.grad_texts);
  for (const n of data.nodes) {
    const computed = !forward || k >= n.computed_at;
    state.texts[n.id] = [computed ? n.data_text : data.texts.data_unknown,
                         grads[n.id] ?? data.texts.grad_unknown];
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

// ---------------------------------------------------------------- the DOM

// The controls around the graph; the data-action / data-role attributes are
// what the code (and the browser tests) look for.
function buildLayout(el) {
  const root = make("div", { class: "ad-stepper" });
  const bar = make("div", { class: "ad-toolbar" });
  const ui = {
    root,
    reset: make("button", { "data-action": "reset", title: "Back to step 0" }, "↺ Reset"),
    back: make("button", { "data-action": "back", title: "One step back" }, "◀ Back"),
    step: make("button", { "data-action": "step", title: "One step on" }, "Step ▶"),
    play: make("button", { "data-action": "play", class: "ad-play" }, "▶ Play"),
    speed: make("input", { type: "range", "data-role": "speed", min: "50", max: "2000", step: "50" }),
    speedText: make("span", { class: "ad-speed-text" }),
    phase: make("select", { "data-role": "phase" }),
    fit: make("button", { "data-action": "fit", title: "Fit the graph to the width, or show it full size" }, "Fit"),
    counter: make("span", { "data-role": "counter", class: "ad-counter" }),
    graph: make("div", { "data-role": "graph", class: "ad-graph" }),
    quiz: make("div", { "data-role": "quiz", class: "ad-quiz" }),
    feedback: make("div", { "data-role": "quiz-feedback", class: "ad-feedback", "aria-live": "polite" }),
    explanation: make("div", { "data-role": "explanation", class: "ad-explanation", "aria-live": "polite" }),
    inputs: make("details", { "data-role": "inputs", class: "ad-inputs" }),
    error: make("div", { "data-role": "error", class: "ad-error" }),
  };
  for (const p of ["forward", "backward"]) ui.phase.append(make("option", { value: p }, p));
  const delay = make("label", { class: "ad-speed" }, "delay ");
  delay.append(ui.speed, ui.speedText);
  const phase = make("label", {}, "phase ");
  phase.append(ui.phase);
  bar.append(ui.reset, ui.back, ui.step, ui.play, delay, phase, ui.fit, ui.counter);
  ui.quiz.hidden = true;
  root.append(bar, ui.graph, ui.quiz, ui.feedback, ui.explanation, ui.inputs, ui.error);
  el.append(root);
  return ui;
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
    boxes[n.id] = { g, op: groups.get(`ad-${n.id}-op`), data: last("data"), grad: last("grad") };
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
  }
  for (const id of shown.flow) groups.get(id)?.classList.remove("ad-flow");
  for (const id of state.flow) groups.get(id)?.classList.add("ad-flow");
  shown.flow = state.flow;
}

// ---------------------------------------------------------------- the widget

function render({ model, el }) {
  const ui = buildLayout(el);
  const shown = { flow: [] };
  let svg = { groups: new Map(), boxes: {} };  // see indexSvg
  let asking = null;  // index of the backward step whose quiz is open
  let timer = null;

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
    const width = parseFloat(ui.graph.querySelector("svg")?.getAttribute("width")) || 0;
    setFit(width <= 1800);  // shrink to the width only what stays readable
    svg = indexSvg(ui.graph, data().nodes);
    shown.flow = [];
  }

  function update() {
    const n = total(), k = Math.min(step(), n);  // step and phase may arrive one at a time
    if (asking !== null && (phase() !== "backward" || asking !== k)) closeQuiz();
    const state = viewState(data(), phase(), k);
    paint(svg, state, shown);
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
    ui.feedback.classList.toggle("ad-wrong", model.get("feedback").includes("Not quite"));
    ui.feedback.hidden = !model.get("feedback");
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
    ui.play.textContent = on ? "⏸ Pause" : "▶ Play";
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

  // The quiz: one box per contribution, then Check (or Enter).
  function openQuiz(i) {
    asking = i;
    const s = data().backward[i];
    ui.quiz.replaceChildren(make("p", { class: "ad-quiz-prompt" }, s.prompt));
    for (const item of s.quiz) {
      const row = make("label", { class: "ad-quiz-row" }, item.question + " ");
      const input = make("input", { type: "text", inputmode: "decimal", autocomplete: "off",
                                    "data-role": "quiz-answer", "data-parent": item.parent,
                                    "data-operand": String(item.operand) });
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
    ui.quiz.append(buttons);
    ui.quiz.hidden = false;
    ui.quiz.querySelector("input")?.focus();
  }
  function closeQuiz() {
    asking = null;
    ui.quiz.hidden = true;
    ui.quiz.replaceChildren();
  }
  function check() {
    const inputs = [...ui.quiz.querySelectorAll('input[data-role="quiz-answer"]')];
    const answers = inputs.map((input) => parseNumber(input.value));
    inputs.forEach((input, j) => input.classList.toggle("ad-invalid", !Number.isFinite(answers[j])));
    if (!answers.every(Number.isFinite)) return;  // type a number in every box first
    const i = asking;
    closeQuiz();
    commit({ step: i + 1, feedback: verdict(data().backward[i].quiz, answers) });
  }

  function setFit(on) {  // a view setting, not synced
    ui.graph.classList.toggle("ad-fit", on);
    ui.fit.setAttribute("aria-pressed", String(on));
  }

  // Editable inputs: one number box per leaf; Python recomputes and re-traces.
  function buildInputs() {
    const leaves = data().nodes.filter((n) => n.kind === "leaf" || n.kind === "parameter");
    const list = make("div", { class: "ad-inputs-list" });
    for (const n of leaves) {
      const label = make("label", { class: `ad-input ad-kind-${n.kind}` }, n.name + " ");
      const input = make("input", { type: "number", step: "any", "data-leaf": n.id });
      input.addEventListener("change", () => {
        const value = parseNumber(input.value);
        input.classList.toggle("ad-invalid", !Number.isFinite(value));  // and ignore it
        if (Number.isFinite(value)) commit({ leaf_values: { ...model.get("leaf_values"), [n.id]: value } });
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
      input.classList.remove("ad-invalid");
    }
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
  ui.fit.addEventListener("click", () => setFit(!ui.graph.classList.contains("ad-fit")));
  ui.speed.addEventListener("input", () => commit({ speed_ms: Number(ui.speed.value) }));
  ui.phase.addEventListener("change", () => commit({ step: 0, phase: ui.phase.value, playing: false, feedback: "" }));

  // ...and the model: whoever changed it (a control here, or Python), redraw.
  const listeners = {
    "change:step": update, "change:phase": update, "change:feedback": update,
    "change:data": () => { svg = indexSvg(ui.graph, data().nodes); update(); },
    "change:svg": () => { drawSvg(); update(); },
    "change:playing": () => setPlaying(model.get("playing")),
    "change:speed_ms": () => { showSpeed(); if (model.get("playing")) setPlaying(true); },
    "change:leaf_values": showInputs,
    "change:error": () => showText(ui.error, model.get("error")),
  };
  const stopListening = listen(model, listeners);

  drawSvg();
  buildInputs();
  showSpeed();
  listeners["change:error"]();
  setPlaying(model.get("playing"));
  update();

  return () => {  // the view is removed: stop the timer and stop listening
    clearInterval(timer);
    stopListening();
  };
}

export default { render };
