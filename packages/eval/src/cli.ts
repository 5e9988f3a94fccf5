#!/usr/bin/env -S node --import tsx
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { redactUrl } from "@dify-ext/check";
import { parseCli, USAGE, UsageError } from "./args.ts";
import { CasesError, type EvalCase, parseCases } from "./cases.ts";
import { difyJudge } from "./dify-judge.ts";
import { formatReport, progressBar } from "./report.ts";
import { checkGates, runEval, summarize } from "./run.ts";
import { builtInSample } from "./sample.ts";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The CLI: prints the report (or JSON) and returns the exit code. */
export async function main(argv: readonly string[], env: Record<string, string | undefined>): Promise<number> {
  let options: ReturnType<typeof parseCli>;
  let cases: EvalCase[];
  let source: string;
  try {
    options = parseCli(argv, env);
    if (options.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (options.file === undefined) {
      cases = builtInSample();
      source = "the built-in sample";
    } else {
      source = options.file === "-" ? "standard input" : options.file;
      let text: string;
      try {
        // pnpm runs the script in this package's folder; INIT_CWD is where pnpm was started (the
        // repository root under `pnpm eval`), the folder a relative path is meant from.
        text =
          options.file === "-"
            ? await readStdin()
            : await readFile(resolve(env.INIT_CWD ?? process.cwd(), options.file), "utf8");
      } catch (error) {
        throw new UsageError(
          `cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        );
      }
      cases = parseCases(text, options.file === "-" ? "stdin" : options.file);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof CasesError) {
      process.stderr.write(`dify-ext-eval: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const attacks = cases.filter((c) => c.label === "attack").length;
  if (!options.json) {
    process.stdout.write(
      `dify-ext eval: ${redactUrl(options.url)}\n${cases.length} cases from ${source} (${attacks} attacks, ${cases.length - attacks} benign), concurrency ${options.concurrency}\n\n`,
    );
  }
  const bar = !options.json && process.stderr.isTTY ? progressBar(process.stderr) : undefined;
  const results = await runEval({
    cases,
    concurrency: options.concurrency,
    judge: difyJudge({
      url: options.url,
      key: options.key,
      ...(options.appId !== undefined ? { appId: options.appId } : {}),
      ...(options.inputVariable !== undefined ? { inputVariable: options.inputVariable } : {}),
      readTimeoutMs: options.readTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
    }),
    ...(bar ? { onProgress: (done: number, total: number) => bar.update(done, total) } : {}),
  });
  bar?.done();
  const report = summarize(results, options.misses);
  const gates = checkGates(report, {
    ...(options.minRecall !== undefined ? { minRecall: options.minRecall } : {}),
    ...(options.maxFpr !== undefined ? { maxFpr: options.maxFpr } : {}),
  });
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ ok: gates.ok, reasons: gates.reasons, url: redactUrl(options.url), source, ...report }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(`${formatReport(report, options.misses)}\n\n`);
    process.stdout.write(gates.ok ? "PASS\n" : `FAIL: ${gates.reasons.join("; ")}\n`);
  }
  return gates.ok ? 0 : 1;
}

// A reader that stops early (`| head`) is not an error of the evaluation.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});
process.exitCode = await main(process.argv.slice(2), process.env);
