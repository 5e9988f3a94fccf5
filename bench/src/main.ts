/**
 * `pnpm bench`: runs the benchmark suite, prints the tables and writes docs/performance.md.
 * Exits 1 when the run is invalid (a server did not start, a request failed or got another
 * reply than expected), and with `--strict` also when a target fails. See `--help`.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { parseBenchArgs, USAGE } from "./options.ts";
import { renderReport } from "./report.ts";
import { runBench } from "./suite.ts";

let options: ReturnType<typeof parseBenchArgs>;
try {
  options = parseBenchArgs(process.argv.slice(2));
} catch (error) {
  console.error(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (!options) {
  console.log(USAGE);
  process.exit(0);
}

const result = await runBench(options, (line) => console.error(line));
const previous = options.out ? await readFile(options.out, "utf8").catch(() => "") : "";
const report = renderReport(result, previous);
console.log(report);
if (options.out) {
  await mkdir(dirname(options.out), { recursive: true });
  await writeFile(options.out, report);
  console.error(`wrote ${options.out}`);
}
if (options.json) {
  await mkdir(dirname(options.json), { recursive: true });
  await writeFile(options.json, `${JSON.stringify(result, null, 2)}\n`);
  console.error(`wrote ${options.json}`);
}
const failedTargets = result.targets.filter((t) => !t.pass).length;
if (result.failures.length > 0) {
  console.error(`run FAILED: ${result.failures.length} problem(s), see above`);
  process.exit(1);
}
console.error(`run valid; targets: ${result.targets.length - failedTargets} PASS, ${failedTargets} FAIL`);
if (options.strict && failedTargets > 0) process.exit(1);
