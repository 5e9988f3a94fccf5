/**
 * Child-process entry of the engine benchmarks: reads the options (JSON) from argv, prints the
 * result as one JSON line. Started by `runEngineBenchProcess` with `--expose-gc`.
 */
import { type EngineBenchOptions, runEngineBench } from "./engines.ts";

const options = JSON.parse(process.argv[2] ?? "null") as EngineBenchOptions | null;
if (!options?.listSizes?.length) {
  console.error("usage: engines-worker.ts '<EngineBenchOptions JSON>'");
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(await runEngineBench(options))}\n`);
