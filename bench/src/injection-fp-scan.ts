/**
 * How often the injection rules flag ordinary prose: every paragraph of the Markdown, HTML and
 * text files under the given folders judged as an input (Node only):
 *
 *   cd bench && pnpm exec tsx src/injection-fp-scan.ts <folder>…   # --max-files <n> --show
 *
 * A paragraph is a block between blank lines (Markdown, text) or the text of a `<p>`, `<li>`,
 * `<pre>` or heading (HTML, tags stripped), of at least 20 characters. Prints the paragraphs
 * judged, the ones flagged, and with `--show` the rule ids and the first 100 characters of each.
 * Documentation of software is a hard benign corpus: it is full of "ignore", "override", "rules",
 * "mode", "system" and "prompt".
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { buildInjectionMatcher } from "@dify-ext/moderation-engines/injection";

const EXTENSIONS = new Set([".md", ".html", ".htm", ".txt"]);

/** Files under `root` with a prose extension, depth first, at most `max`. */
export function proseFiles(root: string, max: number): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (found.length >= max) return;
      const path = join(dir, name);
      let stat: ReturnType<typeof statSync>;
      try {
        stat = statSync(path);
      } catch {
        continue;
      }
      if (stat.isDirectory()) walk(path);
      else if (EXTENSIONS.has(extname(name).toLowerCase()) && stat.size < 5_000_000) found.push(path);
    }
  };
  walk(root);
  return found;
}

/** The paragraphs of a file's text. */
export function paragraphs(path: string, text: string): string[] {
  const ext = extname(path).toLowerCase();
  const parts =
    ext === ".html" || ext === ".htm"
      ? text
          .split(/<\/p>|<\/li>|<\/pre>|<\/h\d>/i)
          .map((p) => p.replace(/<[^>]*>/g, " ").replace(/&[a-z#0-9]+;/gi, " "))
      : text.split(/\n\s*\n/);
  return parts.map((p) => p.trim()).filter((p) => p.length >= 20);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { "max-files": { type: "string", default: "5000" }, show: { type: "boolean", default: false } },
  });
  if (positionals.length === 0) {
    process.stderr.write("usage: injection-fp-scan.ts <folder>… [--max-files n] [--show]\n");
    process.exit(2);
  }
  const matcher = buildInjectionMatcher();
  let files = 0;
  let judged = 0;
  let flagged = 0;
  for (const root of positionals) {
    for (const path of proseFiles(root, Number(values["max-files"]))) {
      files++;
      for (const paragraph of paragraphs(path, readFileSync(path, "utf8"))) {
        judged++;
        const verdict = matcher.judge(paragraph, "input");
        if (!verdict.flagged) continue;
        flagged++;
        if (values.show) {
          const rules = [...new Set(verdict.findings.map((f) => f.rule))].join(", ");
          process.stdout.write(`${rules}: ${JSON.stringify(paragraph.slice(0, 100))}\n`);
        }
      }
    }
  }
  process.stdout.write(
    `${files} files, ${judged} paragraphs, ${flagged} flagged (${((100 * flagged) / Math.max(1, judged)).toFixed(4)}%)\n`,
  );
}
