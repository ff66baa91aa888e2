// engine_report.js: the browser side of widgets.EngineReport (an anywidget module; plain JS, no imports).
// Python puts widgets/common.js in front of it (listen, showText, showProjector).
//
// The kernel makes the whole view as HTML ("html"); here we only show it, with the line saying
// why a change from the browser was refused ("error"). In projector mode (widgets.projector),
// common.js showProjector puts the class ad-projector on the root and sets --ad-scale:
// engine_report.css multiplies the text by it (140% of its size, with PROJECTOR_SCALE 1.4), and
// the failing graph's SVG is drawn that much larger too (`scaleDrawings`).

// Each Graphviz SVG keeps its own size (width="123pt") times --ad-scale: its text grows with the
// report's. The size is an attribute, which CSS cannot multiply, so it goes into the style here.
function scaleDrawings(body) {
  for (const svg of body.querySelectorAll(".ad-engine-graph svg")) {
    for (const side of ["width", "height"]) {
      const size = svg.getAttribute(side);
      if (size) svg.style[side] = `calc(${size} * var(--ad-scale))`;
    }
  }
}

function render({ model, el }) {
  el.classList.add("ad-engine-report-live");
  const body = make("div", { class: "ad-engine-report-body" });
  const error = make("div", { class: "ad-engine-report-error" });
  el.append(body, error);
  const showHtml = () => { body.innerHTML = model.get("html"); scaleDrawings(body); };
  showHtml();
  showText(error, model.get("error"));
  showProjector(model, el);
  return listen(model, {
    "change:html": showHtml,
    "change:error": () => showText(error, model.get("error")),
    "change:projector": () => showProjector(model, el),
  });
}

export default { render };
