/**
 * Runs labelled cases through a judge (an extension over HTTP, or an engine in-process) with a
 * bounded number in flight, and turns the verdicts into the report: recall, false-positive rate and
 * precision overall and per `lang` and `kind`, latency percentiles, the first misses and false
 * alarms, and the calls that failed.
 */
import type { EvalCase, EvalLabel } from "./cases.ts";

/** What a judge says about one case. */
export interface Verdict {
  flagged: boolean;
  /** How long the judgement took, in milliseconds. */
  ms: number;
}

/** Judges one case; rejects (with a message that says why) when it cannot. */
export type Judge = (item: EvalCase) => Promise<Verdict>;

export interface CaseResult {
  item: EvalCase;
  /** The verdict, or the reason there is none. */
  verdict?: Verdict;
  error?: string;
}

export interface RunOptions {
  cases: readonly EvalCase[];
  judge: Judge;
  /** Cases judged at once (default 4). */
  concurrency?: number;
  /** Told after each case (done, total), e.g. for a progress bar. */
  onProgress?: (done: number, total: number) => void;
}

/** Judges every case, `concurrency` at a time; results come back in the cases' order. */
export async function runEval(options: RunOptions): Promise<CaseResult[]> {
  const { cases, judge } = options;
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 4, cases.length || 1));
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= cases.length) return;
      const item = cases[index]!;
      try {
        results[index] = { item, verdict: await judge(item) };
      } catch (error) {
        results[index] = { item, error: error instanceof Error ? error.message : String(error) };
      }
      done++;
      options.onProgress?.(done, cases.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** Counts and rates of one group of cases. Rates are fractions (0–1), `null` when undefined. */
export interface GroupStats {
  cases: number;
  attacks: number;
  benign: number;
  /** Attacks flagged, attacks passed, benign flagged, benign passed. */
  tp: number;
  fn: number;
  fp: number;
  tn: number;
  /** Cases without a verdict (they count in none of the rates). */
  errors: number;
  /** Flagged attacks among judged attacks. */
  recall: number | null;
  /** Flagged benign texts among judged benign texts. */
  fpr: number | null;
  /** Attacks among flagged texts. */
  precision: number | null;
}

/** A case in the lists of misses and false alarms. */
export interface CaseSummary {
  line: number;
  label: EvalLabel;
  lang?: string;
  kind?: string;
  /** The text, cut to 200 characters. */
  text: string;
}

export interface EvalReport {
  cases: number;
  errors: number;
  overall: GroupStats;
  byLang: Record<string, GroupStats>;
  byKind: Record<string, GroupStats>;
  latencyMs: { calls: number; p50: number | null; p99: number | null; max: number | null };
  /** The first attacks that were not flagged, in file order. */
  misses: CaseSummary[];
  /** The first benign texts that were flagged, in file order. */
  falseAlarms: CaseSummary[];
  /** The first cases that got no verdict, with the reason. */
  failures: Array<{ line: number; error: string }>;
}

/** The name of the group of cases without a `lang` or `kind`. */
export const NO_GROUP = "(none)";

function emptyStats(): GroupStats {
  return {
    cases: 0,
    attacks: 0,
    benign: 0,
    tp: 0,
    fn: 0,
    fp: 0,
    tn: 0,
    errors: 0,
    recall: null,
    fpr: null,
    precision: null,
  };
}

function add(stats: GroupStats, result: CaseResult): void {
  stats.cases++;
  if (result.item.label === "attack") stats.attacks++;
  else stats.benign++;
  if (!result.verdict) {
    stats.errors++;
    return;
  }
  const flagged = result.verdict.flagged;
  if (result.item.label === "attack") flagged ? stats.tp++ : stats.fn++;
  else flagged ? stats.fp++ : stats.tn++;
}

function finish(stats: GroupStats): GroupStats {
  const ratio = (a: number, b: number) => (b === 0 ? null : a / b);
  stats.recall = ratio(stats.tp, stats.tp + stats.fn);
  stats.fpr = ratio(stats.fp, stats.fp + stats.tn);
  stats.precision = ratio(stats.tp, stats.tp + stats.fp);
  return stats;
}

/** The value at percentile `p` (0–100) of sorted values, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

const summary = (item: EvalCase): CaseSummary => ({
  line: item.line,
  label: item.label,
  ...(item.lang !== undefined ? { lang: item.lang } : {}),
  ...(item.kind !== undefined ? { kind: item.kind } : {}),
  text: item.text.length > 200 ? `${item.text.slice(0, 199)}…` : item.text,
});

/** The report of a run; `listed` is how many misses, false alarms and failures to keep (default 10). */
export function summarize(results: readonly CaseResult[], listed = 10): EvalReport {
  const overall = emptyStats();
  const byLang = new Map<string, GroupStats>();
  const byKind = new Map<string, GroupStats>();
  const times: number[] = [];
  const misses: CaseSummary[] = [];
  const falseAlarms: CaseSummary[] = [];
  const failures: EvalReport["failures"] = [];
  for (const result of results) {
    add(overall, result);
    for (const [groups, key] of [
      [byLang, result.item.lang ?? NO_GROUP],
      [byKind, result.item.kind ?? NO_GROUP],
    ] as const) {
      let stats = groups.get(key);
      if (!stats) {
        stats = emptyStats();
        groups.set(key, stats);
      }
      add(stats, result);
    }
    if (result.verdict) {
      times.push(result.verdict.ms);
      if (result.item.label === "attack" && !result.verdict.flagged && misses.length < listed)
        misses.push(summary(result.item));
      if (result.item.label === "benign" && result.verdict.flagged && falseAlarms.length < listed) {
        falseAlarms.push(summary(result.item));
      }
    } else if (failures.length < listed) {
      failures.push({ line: result.item.line, error: result.error ?? "no verdict" });
    }
  }
  times.sort((a, b) => a - b);
  const sortedGroups = (groups: Map<string, GroupStats>) =>
    Object.fromEntries(
      [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, finish(v)]),
    );
  return {
    cases: results.length,
    errors: overall.errors,
    overall: finish(overall),
    byLang: sortedGroups(byLang),
    byKind: sortedGroups(byKind),
    latencyMs: {
      calls: times.length,
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      max: times.at(-1) ?? null,
    },
    misses,
    falseAlarms,
    failures,
  };
}

export interface Gates {
  /** Lowest acceptable recall (0–1). */
  minRecall?: number;
  /** Highest acceptable false-positive rate (0–1). */
  maxFpr?: number;
}

/**
 * Whether a report meets the gates: each unmet gate, and every case without a verdict (a run with
 * failed calls measures nothing reliable), is a reason.
 */
export function checkGates(report: EvalReport, gates: Gates): { ok: boolean; reasons: string[] } {
  const reasons: string[] = [];
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const { recall, fpr } = report.overall;
  if (gates.minRecall !== undefined) {
    if (recall === null) reasons.push("recall cannot be measured: no attack was judged");
    else if (recall < gates.minRecall)
      reasons.push(`recall ${pct(recall)} is below --min-recall ${pct(gates.minRecall)}`);
  }
  if (gates.maxFpr !== undefined) {
    if (fpr === null) reasons.push("the false-positive rate cannot be measured: no benign text was judged");
    else if (fpr > gates.maxFpr)
      reasons.push(`false-positive rate ${pct(fpr)} is above --max-fpr ${pct(gates.maxFpr)}`);
  }
  if (report.errors > 0) reasons.push(`${report.errors} of ${report.cases} calls got no verdict`);
  return { ok: reasons.length === 0, reasons };
}
