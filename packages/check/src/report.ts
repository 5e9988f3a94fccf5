import type { CheckReport, CheckResult } from "./checks.ts";

const NAME_WIDTH = 40;

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((line, i) => (i === 0 ? line : `${prefix}${line}`))
    .join("\n");
}

/** One row of the table, plus the Dify error and the reasons under a failure. */
export function formatResult(result: CheckResult): string {
  const ms = result.latencyMs === null ? "-" : `${result.latencyMs} ms`;
  const row =
    `${result.status.padEnd(6)}  ${result.name.padEnd(NAME_WIDTH)} ${ms.padStart(9)}  ${result.detail ?? ""}`.trimEnd();
  if (result.status !== "FAIL") return row;
  const lines = [row];
  const pad = "        ";
  lines.push(
    `${pad}Dify: ${indent(result.difyError ?? "no error: Dify accepts this reply, but see why", `${pad}      `)}`,
  );
  for (const problem of result.problems) lines.push(`${pad}why:  ${indent(problem, `${pad}      `)}`);
  return lines.join("\n");
}

/** The header printed before the first row. */
export function formatHeader(url: string, appId?: string): string {
  return [
    `dify-ext check: ${url}`,
    ...(appId === undefined ? [] : [`as app_id: ${appId}`]),
    "",
    `${"RESULT".padEnd(6)}  ${"CHECK".padEnd(NAME_WIDTH)} ${"LATENCY".padStart(9)}  DETAIL`,
  ].join("\n");
}

/** The closing line. */
export function formatSummary(report: CheckReport): string {
  const { passed, failed, skipped } = report.summary;
  const verdict = report.ok ? "Dify accepts every reply." : "Dify would fail on the checks marked FAIL.";
  return `\n${passed} passed, ${failed} failed, ${skipped} skipped. ${verdict}`;
}

/** The whole report as a text table. */
export function formatReport(report: CheckReport): string {
  return [formatHeader(report.url), ...report.results.map(formatResult), formatSummary(report)].join("\n");
}
