export { type CliOptions, parseCli, USAGE, UsageError } from "./args.ts";
export { CasesError, type EvalCase, type EvalLabel, MAX_CASE_CHARS, MAX_CASES, parseCases } from "./cases.ts";
export { type DifyJudgeOptions, difyJudge } from "./dify-judge.ts";
export { formatReport, progressBar } from "./report.ts";
export {
  type CaseResult,
  type CaseSummary,
  checkGates,
  type EvalReport,
  type Gates,
  type GroupStats,
  type Judge,
  NO_GROUP,
  percentile,
  type RunOptions,
  runEval,
  summarize,
  type Verdict,
} from "./run.ts";
export { builtInSample } from "./sample.ts";
