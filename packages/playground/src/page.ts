/**
 * The playground's HTML and style sheet. The HTML loads exactly one script and one style sheet
 * from the service itself (the Content-Security-Policy allows nothing else): no inline code, no
 * CDN, no web fonts, so it works with no internet connection.
 */

import { PLAYGROUND_PATHS } from "./paths.ts";

const SCRIPT_PATH = PLAYGROUND_PATHS.script;
const STYLE_PATH = PLAYGROUND_PATHS.style;

export const PLAYGROUND_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Moderation playground · dify-ext</title>
<link rel="stylesheet" href="${STYLE_PATH}">
<script defer src="${SCRIPT_PATH}"></script>
</head>
<body>
<header>
  <h1>Moderation playground</h1>
  <p>What this service answers Dify for a text, and why. The text goes to this service only, and is not logged unless LOG_USER_TEXT is on.</p>
</header>
<main>
<form id="form" novalidate>
  <fieldset>
    <legend>API key</legend>
    <input id="key" type="password" autocomplete="off" spellcheck="false" placeholder="one of API_KEYS" aria-label="API key">
    <button type="button" id="forget-key">Forget key</button>
    <p class="hint">Kept only in this tab's session storage; sent as the Bearer header.</p>
  </fieldset>
  <fieldset>
    <legend>Call</legend>
    <label><input type="radio" name="point" value="app.moderation.input" checked> Input moderation (what the user typed)</label>
    <label><input type="radio" name="point" value="app.moderation.output"> Output moderation (the model's answer)</label>
    <label class="row">app_id <input id="app-id" type="text" autocomplete="off" spellcheck="false" placeholder="optional: the Dify app's id, sent as params.app_id"></label>
  </fieldset>
  <fieldset id="input-fields">
    <legend>Input</legend>
    <label for="query">Query</label>
    <textarea id="query" rows="5" placeholder="the user's message"></textarea>
    <label for="inputs">Inputs (a JSON object of the app's variables)</label>
    <textarea id="inputs" rows="3" spellcheck="false">{}</textarea>
  </fieldset>
  <fieldset id="output-fields" hidden>
    <legend>Output</legend>
    <label for="text">Answer</label>
    <textarea id="text" rows="8" placeholder="the model's answer"></textarea>
    <label class="row"><input type="checkbox" id="streamed"> Streamed: replay Dify's calls, the answer so far every
      <input id="buffer-size" type="number" min="1" value="300" aria-label="characters between calls"> characters, then the whole answer</label>
  </fieldset>
  <button type="submit" id="run">Explain</button>
</form>
<p id="error" role="alert" hidden></p>
<section id="result" hidden aria-live="polite">
  <div id="not-moderating" role="alert" hidden></div>
  <h2>Verdict: <span id="verdict"></span></h2>
  <p id="summary"></p>
  <div id="stream" hidden>
    <h3>Streamed calls</h3>
    <p id="stream-summary"></p>
    <table id="stream-calls"><thead><tr><th>Call</th><th>Characters</th><th>Flagged</th><th>Action</th></tr></thead><tbody></tbody></table>
  </div>
  <h3>Texts, with what caught them</h3>
  <div id="texts"></div>
  <h3>The reply Dify gets</h3>
  <pre id="reply"></pre>
  <h3>Engines</h3>
  <table id="engines"><thead><tr><th>Engine</th><th>Time (ms)</th><th>Result</th></tr></thead><tbody></tbody></table>
  <h3>Lists loaded</h3>
  <table id="lists"><thead><tr><th>Engine</th><th>List</th><th>Kind</th><th>Terms</th><th>Match</th><th>Folds</th><th>Category</th><th>Loaded</th></tr></thead><tbody></tbody></table>
</section>
</main>
</body>
</html>
`;

export const PLAYGROUND_CSS = `:root { color-scheme: light dark; --mark: #ffd54f; --mark-text: #000; --tag: #6d4c41; --line: #8884; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", sans-serif; margin: 0 auto; max-width: 980px; padding: 1rem 1.5rem 3rem; }
h1 { margin: .2rem 0; font-size: 1.6rem; }
header p, .hint { color: #777; margin: .2rem 0; font-size: .9rem; }
fieldset { border: 1px solid var(--line); border-radius: 6px; margin: .8rem 0; padding: .6rem .9rem; }
label { display: block; margin: .3rem 0; }
label.row { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
input[type=text], input[type=password], textarea { width: 100%; font: inherit; padding: .35rem .5rem; border: 1px solid var(--line); border-radius: 4px; }
label.row input[type=text] { flex: 1; width: auto; }
#key { width: 22rem; max-width: 100%; }
#buffer-size { width: 6rem; font: inherit; }
textarea { resize: vertical; }
button { font: inherit; padding: .4rem 1rem; border-radius: 4px; border: 1px solid var(--line); cursor: pointer; }
#run { font-weight: 600; }
#not-moderating { border: 2px solid #e65100; background: #e651001f; color: inherit; padding: .6rem .8rem; border-radius: 6px; margin: .6rem 0; white-space: pre-wrap; }
#not-moderating strong { color: #e65100; }
#error { border: 1px solid #c62828; background: #c628281a; color: #c62828; padding: .6rem .8rem; border-radius: 6px; white-space: pre-wrap; }
pre { background: #8881; border: 1px solid var(--line); border-radius: 4px; padding: .6rem; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
.highlighted { white-space: pre-wrap; word-break: break-word; background: #8881; border: 1px solid var(--line); border-radius: 4px; padding: .6rem; margin: .3rem 0; }
mark { background: var(--mark); color: var(--mark-text); border-radius: 2px; padding: 0 1px; }
.tag { font-size: .72rem; color: #fff; background: var(--tag); border-radius: 3px; padding: 0 .3rem; margin: 0 .2rem; vertical-align: super; white-space: nowrap; }
table { border-collapse: collapse; margin: .3rem 0 1rem; }
th, td { border: 1px solid var(--line); padding: .2rem .6rem; text-align: left; vertical-align: top; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.flagged { color: #c62828; font-weight: 600; }
.skipped { color: #777; }
.text-box { margin-bottom: 1rem; }
.text-box h4 { margin: .4rem 0 .2rem; font-family: ui-monospace, monospace; font-size: .9rem; }
#verdict.block, #verdict.mask { color: #c62828; }
#verdict.pass { color: #2e7d32; }
#verdict.shadow { color: #9a6700; }
`;
