/**
 * What the Valkey/Redis client brings into the process. ioredis 6 (and node-redis) define
 * `class VerbatimString extends String` for RESP3; once any such class exists, V8 (Node 20) drops
 * its fast paths for `charCodeAt`, `codePointAt` and `slice` on every string of the process, and
 * the keyword engine ran 3–8 times slower in an app with SHARED_STATE_URL set (measured with
 * `pnpm bench --only shared`). So the client this package pins must define no String subclass.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".js") ? [path] : [];
  });
}

describe("the Valkey/Redis client", () => {
  it("defines no subclass of String (it would slow every string operation of the process)", () => {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve("ioredis/package.json"));
    const offending = files(join(root, "built")).filter((file) =>
      /\bextends\s+String\b/.test(readFileSync(file, "utf8")),
    );
    expect(offending).toEqual([]);
  });
});
