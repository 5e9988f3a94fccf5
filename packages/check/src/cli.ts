#!/usr/bin/env -S node --import tsx
import { parseCli, USAGE, UsageError } from "./args.ts";
import { redactUrl, runChecks } from "./checks.ts";
import { formatHeader, formatResult, formatSummary } from "./report.ts";

/** The CLI: prints the table (or JSON) and returns the exit code. */
export async function main(argv: readonly string[], env: Record<string, string | undefined>): Promise<number> {
  let options: ReturnType<typeof parseCli>;
  try {
    options = parseCli(argv, env);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`dify-ext-check: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  if (!options.json) process.stdout.write(`${formatHeader(redactUrl(options.url), options.appId)}\n`);
  const report = await runChecks({
    url: options.url,
    key: options.key,
    ...(options.points ? { points: options.points } : {}),
    ...(options.appId !== undefined ? { appId: options.appId } : {}),
    texts: options.texts,
    ...(options.toolVariable !== undefined ? { toolVariable: options.toolVariable } : {}),
    inputs: options.inputs,
    ...(options.query !== undefined ? { query: options.query } : {}),
    readTimeoutMs: options.readTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
    onResult: options.json ? undefined : (result) => process.stdout.write(`${formatResult(result)}\n`),
  });
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${formatSummary(report)}\n`);
  return report.ok ? 0 : 1;
}

// A reader that stops early (`| head`) is not an error of the check.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});
process.exitCode = await main(process.argv.slice(2), process.env);
