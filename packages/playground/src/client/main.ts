import { PLAYGROUND_PATHS } from "../paths.ts";
import type { ExplainFinding, ExplainList, ExplainReport, ExplainText } from "../report.ts";
import { segmentsOf } from "./segments.ts";

/** The playground's client: reads the form, calls the explain endpoint, shows the report. */

const EXPLAIN_PATH = PLAYGROUND_PATHS.explain;
const KEY_STORAGE = "dify-ext-playground-key";

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

/** Builds an element with text content (never HTML: the texts shown are the user's own). */
function make<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  attributes: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

function row(cells: Array<string | HTMLElement>, numeric: readonly number[] = []): HTMLTableRowElement {
  const tr = make("tr");
  cells.forEach((cell, index) => {
    const td = make(
      "td",
      typeof cell === "string" ? cell : undefined,
      numeric.includes(index) ? { class: "number" } : {},
    );
    if (typeof cell !== "string") td.append(cell);
    tr.append(td);
  });
  return tr;
}

const form = element<HTMLFormElement>("form");
const keyInput = element<HTMLInputElement>("key");
const errorBox = element<HTMLParagraphElement>("error");
const result = element<HTMLElement>("result");
const inputFields = element<HTMLFieldSetElement>("input-fields");
const outputFields = element<HTMLFieldSetElement>("output-fields");
const runButton = element<HTMLButtonElement>("run");

keyInput.value = sessionStorage.getItem(KEY_STORAGE) ?? "";
keyInput.addEventListener("input", () => {
  if (keyInput.value) sessionStorage.setItem(KEY_STORAGE, keyInput.value);
  else sessionStorage.removeItem(KEY_STORAGE);
});
element<HTMLButtonElement>("forget-key").addEventListener("click", () => {
  sessionStorage.removeItem(KEY_STORAGE);
  keyInput.value = "";
});

function selectedPoint(): "app.moderation.input" | "app.moderation.output" {
  const checked = form.querySelector<HTMLInputElement>('input[name="point"]:checked');
  return checked?.value === "app.moderation.output" ? "app.moderation.output" : "app.moderation.input";
}
function showPointFields(): void {
  const output = selectedPoint() === "app.moderation.output";
  inputFields.hidden = output;
  outputFields.hidden = !output;
}
for (const radio of form.querySelectorAll<HTMLInputElement>('input[name="point"]')) {
  radio.addEventListener("change", showPointFields);
}
showPointFields();

function showError(message: string): void {
  errorBox.textContent = message;
  errorBox.hidden = false;
  result.hidden = true;
}

/** The request body, as Dify would send the call (plus the replay mode), or an error message. */
function requestBody(): { body: Record<string, unknown> } | { problem: string } {
  const point = selectedPoint();
  const params: Record<string, unknown> = {};
  const appId = element<HTMLInputElement>("app-id").value.trim();
  if (appId) params.app_id = appId;
  if (point === "app.moderation.input") {
    const source = element<HTMLTextAreaElement>("inputs").value.trim() || "{}";
    let inputs: unknown;
    try {
      inputs = JSON.parse(source);
    } catch (error) {
      return { problem: `Inputs: not valid JSON (${(error as Error).message})` };
    }
    if (typeof inputs !== "object" || inputs === null || Array.isArray(inputs)) {
      return { problem: 'Inputs: expected a JSON object such as {"name": "value"}' };
    }
    params.inputs = inputs;
    params.query = element<HTMLTextAreaElement>("query").value;
    return { body: { point, params } };
  }
  params.text = element<HTMLTextAreaElement>("text").value;
  if (!element<HTMLInputElement>("streamed").checked) return { body: { point, params } };
  const bufferSize = Number(element<HTMLInputElement>("buffer-size").value);
  if (!Number.isInteger(bufferSize) || bufferSize < 1) {
    return { problem: "Streamed: the characters between calls must be a whole number of at least 1" };
  }
  return { body: { point, params, mode: "streamed", buffer_size: bufferSize } };
}

/** What a failed call means to the person at the page. */
function failureMessage(status: number, body: unknown): string {
  const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
  const detail = error?.message ? `: ${error.message}` : "";
  if (status === 401) {
    return `The API key was refused (401 unauthorized${detail}). Enter one of the service's API_KEYS.`;
  }
  if (status === 404) return `The playground's explain endpoint is not served here (404${detail}).`;
  if (status === 429) return `Too many requests for this key (429${detail}).`;
  return `The service refused the call (${status} ${error?.code ?? "error"}${detail}).`;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  errorBox.hidden = true;
  const key = keyInput.value.trim();
  if (!key) {
    showError("Enter the API key first (one of the service's API_KEYS).");
    return;
  }
  const built = requestBody();
  if ("problem" in built) {
    showError(built.problem);
    return;
  }
  runButton.disabled = true;
  try {
    let response: Response;
    try {
      response = await fetch(EXPLAIN_PATH, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(built.body),
        credentials: "omit",
        cache: "no-store",
      });
    } catch (error) {
      showError(`Could not reach the service (${(error as Error).message}).`);
      return;
    }
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!response.ok) {
      showError(failureMessage(response.status, body));
      return;
    }
    render(body as ExplainReport);
  } finally {
    runButton.disabled = false;
  }
});

function renderText(text: ExplainText): HTMLElement {
  const box = make("div", undefined, { class: "text-box", "data-source": text.source });
  box.append(make("h4", `${text.source}${text.flagged ? " — flagged" : ""}`));
  const highlighted = make("p", undefined, { class: "highlighted" });
  for (const segment of segmentsOf(text.text.length, text.findings)) {
    const part = text.text.slice(segment.start, segment.end);
    if (segment.findings.length === 0) {
      highlighted.append(part);
      continue;
    }
    const labels = segment.findings.map((finding) => `${finding.engine}: ${finding.label}${foldNote(finding)}`);
    highlighted.append(
      make("mark", part, {
        title: labels.join("\n"),
        "data-engine": [...new Set(segment.findings.map((finding) => finding.engine))].join(","),
        "data-label": [...new Set(segment.findings.map((finding) => finding.label))].join(","),
      }),
    );
    for (const finding of segment.ending) {
      const tag = `${finding.engine} · ${finding.label}${foldNote(finding)} (${finding.category}: ${finding.action})`;
      highlighted.append(make("span", tag, { class: "tag" }));
    }
  }
  box.append(highlighted);
  box.append(make("div", "Masked:"), make("pre", text.masked, { class: "masked" }));
  if (text.findings.length > 0) {
    const table = make("table", undefined, { class: "findings" });
    const head = make("tr");
    for (const title of ["Span", "Matched", "Engine", "Term or rule", "Fold", "Category", "Action", "Detail"]) {
      head.append(make("th", title));
    }
    table.append(make("thead"), make("tbody"));
    table.tHead?.append(head);
    for (const finding of text.findings) {
      table.tBodies[0]?.append(
        row([
          `${finding.start}–${finding.end}`,
          text.text.slice(finding.start, finding.end),
          finding.engine,
          finding.label,
          finding.fold ?? "",
          finding.category,
          finding.action,
          finding.detail ?? "",
        ]),
      );
    }
    box.append(table);
  }
  return box;
}

/** How a keyword finding matched, when a list fold was needed: ` [via pinyin]`. */
function foldNote(finding: ExplainFinding): string {
  return finding.fold ? ` [via ${finding.fold}]` : "";
}

function listLoaded(list: ExplainList): string {
  return list.loadedAt ? new Date(list.loadedAt).toLocaleString() : "";
}

/** The banner over the result when the service cannot fully moderate (what `GET /readyz` says). */
function renderNotModerating(report: ExplainReport): void {
  const banner = element<HTMLDivElement>("not-moderating");
  const warning = report.notModerating;
  banner.hidden = warning === undefined;
  if (!warning) {
    banner.replaceChildren();
    return;
  }
  const title =
    warning.moderating === "no" ? "This service is not moderating." : "This service is only partly moderating.";
  // The reason starts with the state the title already says ("partly moderating: …").
  const detail = warning.reason.replace(/^(?:not|partly) moderating: /, "");
  banner.replaceChildren(make("strong", title), ` ${detail[0]!.toUpperCase()}${detail.slice(1)}.`);
}

function render(report: ExplainReport): void {
  renderNotModerating(report);
  const verdict = element<HTMLSpanElement>("verdict");
  verdict.textContent = report.verdict;
  verdict.className = report.verdict;
  const flaggedBy = report.engines.filter((engine) => engine.flagged).map((engine) => engine.engine);
  const categories = report.categories.map((found) => `${found.category}: ${found.action}`);
  element("summary").textContent =
    `${report.point}${report.appId ? ` for app_id ${report.appId}` : ""}; action on flag: ${report.action}` +
    (flaggedBy.length > 0 ? `; flagged by ${flaggedBy.join(", ")}` : "; nothing flagged") +
    (categories.length > 0 ? `; categories ${categories.join(", ")}` : "");

  const stream = element<HTMLDivElement>("stream");
  const streamBody = element<HTMLTableElement>("stream-calls").tBodies[0]!;
  streamBody.replaceChildren();
  stream.hidden = !report.stream;
  if (report.stream) {
    const { calls, firstFlaggedCall, bufferSize, sparse } = report.stream;
    element("stream-summary").textContent =
      (firstFlaggedCall === null
        ? `${calls.length} calls (every ${bufferSize} characters, then the whole answer); none was flagged.`
        : `First flagged at call ${firstFlaggedCall} of ${calls.length} (every ${bufferSize} characters, then the whole answer).`) +
      (sparse ? ` Not every call was replayed: ${sparse}.` : "");
    for (const call of calls) {
      const tr = row(
        [
          `${call.call}${call.final ? " (final)" : ""}`,
          String(call.chars),
          call.replayed ? (call.flagged ? "yes" : "no") : "not replayed",
          call.action ?? "—",
        ],
        [1],
      );
      if (call.flagged) tr.classList.add("flagged");
      if (!call.replayed) tr.classList.add("skipped");
      streamBody.append(tr);
    }
  }

  const texts = element<HTMLDivElement>("texts");
  texts.replaceChildren(...report.texts.map(renderText));
  if (report.texts.length === 0)
    texts.append(make("p", "No text to judge (empty, or the service's own preset response)."));

  element("reply").textContent = JSON.stringify(report.reply, null, 2);

  const engines = element<HTMLTableElement>("engines").tBodies[0]!;
  engines.replaceChildren(
    ...report.engines.map((engine) =>
      row(
        [
          engine.engine,
          engine.ms.toFixed(3),
          engine.error
            ? `could not judge: ${engine.error}`
            : engine.flagged
              ? `flagged${engine.categories.length > 0 ? ` (${engine.categories.join(", ")})` : ""}`
              : "passed",
        ],
        [1],
      ),
    ),
  );

  const lists = element<HTMLTableElement>("lists").tBodies[0]!;
  lists.replaceChildren(
    ...report.lists.map((list) =>
      row(
        [
          list.engine,
          list.name,
          list.kind,
          String(list.terms),
          list.match ?? "",
          list.folds?.join(", ") ?? "",
          list.category ?? "",
          listLoaded(list),
        ],
        [3],
      ),
    ),
  );
  errorBox.hidden = true;
  result.hidden = false;
}
