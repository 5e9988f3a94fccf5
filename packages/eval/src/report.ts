/** The report of `dify-ext eval` as text, and the progress bar shown on a terminal. */
import type { EvalReport, GroupStats } from "./run.ts";

const pct = (x: number | null) => (x === null ? "-" : `${(x * 100).toFixed(1)}%`);
const ms = (x: number | null) => (x === null ? "-" : `${Math.round(x)} ms`);

/** One line of text, at most `width` characters, with line breaks shown as spaces. */
function clip(text: string, width: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

function row(name: string, s: GroupStats): string {
  return [
    name.padEnd(24),
    String(s.cases).padStart(6),
    String(s.attacks).padStart(8),
    String(s.benign).padStart(7),
    pct(s.recall).padStart(8),
    pct(s.fpr).padStart(8),
    pct(s.precision).padStart(10),
    String(s.errors).padStart(7),
  ].join(" ");
}

/** The table and lists, as printed after a run. */
export function formatReport(report: EvalReport, listed: number): string {
  const lines: string[] = [];
  lines.push(
    [
      "group".padEnd(24),
      "cases".padStart(6),
      "attacks".padStart(8),
      "benign".padStart(7),
      "recall".padStart(8),
      "FPR".padStart(8),
      "precision".padStart(10),
      "errors".padStart(7),
    ].join(" "),
  );
  lines.push(row("overall", report.overall));
  for (const [name, stats] of Object.entries(report.byLang)) lines.push(row(`lang ${name}`, stats));
  for (const [name, stats] of Object.entries(report.byKind)) lines.push(row(`kind ${name}`, stats));
  const { latencyMs } = report;
  lines.push(
    "",
    `latency: p50 ${ms(latencyMs.p50)}, p99 ${ms(latencyMs.p99)}, max ${ms(latencyMs.max)} (${latencyMs.calls} calls)`,
  );
  if (listed > 0) {
    const list = (title: string, items: EvalReport["misses"], total: number) => {
      lines.push("", total === 0 ? `${title}: none` : `${title}, the first ${items.length} of ${total}:`);
      for (const item of items) {
        const where = `line ${item.line}`.padEnd(11);
        const group = `${item.lang ?? "-"} ${item.kind ?? "-"}`.padEnd(22);
        lines.push(`  ${where} ${group} ${clip(item.text, 90)}`);
      }
    };
    list("misses (attacks not flagged)", report.misses, report.overall.fn);
    list("false alarms (benign texts flagged)", report.falseAlarms, report.overall.fp);
    if (report.errors > 0) {
      lines.push("", `calls without a verdict, the first ${report.failures.length} of ${report.errors}:`);
      for (const failure of report.failures) lines.push(`  line ${failure.line}: ${clip(failure.error, 110)}`);
    }
  }
  return lines.join("\n");
}

/** A progress bar on a terminal stream; `update` redraws at most every 100 ms, `done` clears it. */
export function progressBar(stream: NodeJS.WriteStream): { update(done: number, total: number): void; done(): void } {
  const started = performance.now();
  let last = 0;
  let drawn = false;
  return {
    update(done, total) {
      const now = performance.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const width = 30;
      const filled = Math.round((done / total) * width);
      const rate = done / Math.max(0.001, (now - started) / 1000);
      stream.write(
        `\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total}  ${rate.toFixed(1)}/s\x1b[K`,
      );
      drawn = true;
    },
    done() {
      if (drawn) stream.write("\r\x1b[K");
    },
  };
}
