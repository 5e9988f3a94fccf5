/**
 * Prints, as JSON, the stream cache's memory at its default limit under a burst of distinct
 * streamed answers (see `measureStreamCacheMemory`). Run with `--expose-gc`; `pnpm bench` does.
 * Arguments: number of answers, characters per answer.
 */
import { measureStreamCacheMemory } from "./stream.ts";

const [answers = "600", chars = "10000"] = process.argv.slice(2);
console.log(JSON.stringify(await measureStreamCacheMemory(Number(answers), Number(chars))));
