/**
 * A flood of silent connections against an app (issue 22, hole 2): the keyword app started as its
 * deployable with `MAX_CONNECTIONS` (default 200), then `--sockets` connections (default 400) that
 * send nothing and never close their side, held open for `--hold-s` seconds while a ping is tried
 * every 100 ms. Prints when pings were answered again (the header timeout is 10 s) and how many of
 * the server's sockets sat in FIN-WAIT-2 (from `ss`). Exits 1 when no ping was answered while the
 * flood was held.
 *
 *   pnpm --filter @dify-ext/bench exec tsx src/connection-flood.ts [--sockets 400] [--max 200] [--hold-s 20]
 */
import { spawnSync } from "node:child_process";
import { connect, type Socket } from "node:net";
import { parseArgs } from "node:util";
import { appDeployable } from "./deployables.ts";
import { COMMON_ENV, sleep } from "./http.ts";
import { startPinned } from "./processes.ts";

const { values } = parseArgs({
  options: {
    sockets: { type: "string", default: "400" },
    max: { type: "string", default: "200" },
    "hold-s": { type: "string", default: "20" },
  },
});
const sockets = Number(values.sockets);
const holdMs = Number(values["hold-s"]) * 1000;

const server = await startPinned({
  name: "moderation-keywords",
  ...appDeployable("apps/moderation-keywords"),
  env: { ...COMMON_ENV, MAX_CONNECTIONS: values.max },
  cpu: undefined,
});
const ping = `POST /api/dify/receive HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${COMMON_ENV.API_KEYS}\r\nContent-Type: application/json\r\nContent-Length: 16\r\nConnection: close\r\n\r\n{"point":"ping"}`;
const tryPing = () =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: "127.0.0.1", port: server.port });
    let received = "";
    const timer = setTimeout(() => socket.destroy(), 2_000);
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(received.includes('{"result":"pong"}'));
    });
    socket.on("error", () => {});
    socket.write(ping);
  });
/**
 * Server-side sockets of the app's port in FIN-WAIT-2 (the server closed, the client did not): all
 * of them, and those the app still holds (a file descriptor, counted against MAX_CONNECTIONS).
 * The others are the kernel's alone until `tcp_fin_timeout`.
 */
const finWait2 = () => {
  const out = spawnSync("ss", ["-tnp", "state", "fin-wait-2", `sport = :${server.port}`], { encoding: "utf8" });
  if (out.status !== 0) return { all: -1, held: -1 };
  const lines = out.stdout.trim().split("\n").slice(1);
  return { all: lines.length, held: lines.filter((line) => line.includes(`pid=${server.pid},`)).length };
};

const flood: Socket[] = [];
try {
  const started = performance.now();
  for (let i = 0; i < sockets; i++) {
    const socket = connect({ host: "127.0.0.1", port: server.port, allowHalfOpen: true });
    socket.on("error", () => {});
    flood.push(socket);
  }
  let firstPong: number | undefined;
  let pongs = 0;
  let tries = 0;
  let maxFinWait2 = 0;
  let maxHeld = 0;
  while (performance.now() - started < holdMs) {
    tries++;
    if (await tryPing()) {
      pongs++;
      firstPong ??= (performance.now() - started) / 1000;
    }
    const counted = finWait2();
    maxFinWait2 = Math.max(maxFinWait2, counted.all);
    maxHeld = Math.max(maxHeld, counted.held);
    await sleep(100);
  }
  const held = flood.filter((socket) => !socket.destroyed).length;
  console.log(
    `${sockets} silent sockets, MAX_CONNECTIONS ${values.max}, held ${holdMs / 1000} s (${held} still open at the end): ` +
      `first ping answered ${firstPong === undefined ? "never" : `${firstPong.toFixed(1)} s`} after the flood began ` +
      `(header timeout 10 s); ${pongs}/${tries} pings answered; server sockets in FIN-WAIT-2: at most ${maxFinWait2}, ` +
      `at most ${maxHeld} of them still held by the app`,
  );
  process.exitCode = firstPong === undefined ? 1 : 0;
} finally {
  for (const socket of flood) socket.destroy();
  await server.stop();
}
