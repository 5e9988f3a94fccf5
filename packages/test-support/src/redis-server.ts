/**
 * A real `redis-server` (Debian's package) on a free loopback port with its own temporary folder,
 * for tests and benchmarks of the shared state (SHARED_STATE_URL). Nothing is saved to disk. The
 * server can be killed, restarted on the same port, paused (SIGSTOP: a store that hangs) and
 * resumed, and started with a memory limit (a full store) or with TLS only.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";

export interface RedisServerOptions {
  /** `--requirepass`: the URL then carries it (`redis://:password@…`). */
  password?: string;
  /** `--maxmemory` (e.g. `2mb`), for a full store. */
  maxmemory?: string;
  /** `--maxmemory-policy` (default Redis's own, `noeviction`). */
  maxmemoryPolicy?: string;
  /** Serve TLS only (`rediss://`), with a self-signed certificate for 127.0.0.1 made by `openssl`. */
  tls?: boolean;
}

export interface RedisServer {
  /** `redis://[:password@]127.0.0.1:<port>` or `rediss://…` with `tls`. */
  readonly url: string;
  readonly port: number;
  /** The certificate to trust for `tls` (PEM), else `undefined`. */
  readonly ca: string | undefined;
  /** Its CA file, for NODE_EXTRA_CA_CERTS of an app process. */
  readonly caFile: string | undefined;
  /** The running server's pid (changes on restart). */
  readonly pid: number;
  /** Kills the server at once (SIGKILL), as a crash or an OOM kill would. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty (nothing is saved), and waits until it answers. */
  restart(): Promise<void>;
  /** SIGSTOP: the server keeps its connections but answers nothing (a hung store). */
  pause(): void;
  /** SIGCONT after {@link pause}. */
  resume(): void;
  /** Runs one command through `redis-cli` and returns its output (e.g. `["DBSIZE"]`). */
  cli(...args: string[]): string;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/** The redis-server binary: on PATH, or Debian's. */
export function redisServerPath(): string {
  for (const candidate of ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]) {
    if (existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error(
      "redis-server was not found: install Debian's redis-server (apt-get install redis-server; .ci/run does)",
    );
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once the server answers PING (through TLS with `ca`), rejects after `timeoutMs`. */
async function waitUntilReady(port: number, password: string | undefined, ca: string | undefined, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const answer = await new Promise<string>((resolve) => {
      const socket = ca ? tlsConnect({ host: "127.0.0.1", port, ca }) : netConnect({ host: "127.0.0.1", port });
      let data = "";
      const done = (value: string) => {
        socket.destroy();
        resolve(value);
      };
      socket.setTimeout(1000, () => done("timeout"));
      socket.on("error", (error) => done(error.message));
      socket.on(ca ? "secureConnect" : "connect", () => {
        socket.write(`${password ? `AUTH ${password}\r\n` : ""}PING\r\n`);
      });
      socket.on("data", (chunk) => {
        data += chunk.toString();
        if (data.includes("PONG") || data.includes("-")) done(data);
      });
    });
    if (answer.includes("PONG")) return;
    last = answer;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms (${last})`);
}

/** Starts a redis-server on a free loopback port; see {@link RedisServerOptions}. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = redisServerPath();
  const dir = mkdtempSync(join(tmpdir(), "dify-ext-redis-"));
  const port = await freePort();
  let ca: string | undefined;
  let caFile: string | undefined;
  if (options.tls) {
    caFile = join(dir, "cert.pem");
    try {
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-keyout",
          join(dir, "key.pem"),
          "-out",
          caFile,
          "-days",
          "2",
          "-subj",
          "/CN=127.0.0.1",
          "-addext",
          "subjectAltName=IP:127.0.0.1",
        ],
        { stdio: "ignore" },
      );
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`openssl could not make a test certificate (apt-get install openssl): ${String(error)}`);
    }
    ca = readFileSync(caFile, "utf8");
  }
  const args = [
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "no",
    "--daemonize",
    "no",
    "--loglevel",
    "warning",
    "--logfile",
    join(dir, "redis.log"),
  ];
  if (options.tls) {
    args.push(
      "--port",
      "0",
      "--tls-port",
      String(port),
      "--tls-cert-file",
      caFile!,
      "--tls-key-file",
      join(dir, "key.pem"),
      "--tls-ca-cert-file",
      caFile!,
      "--tls-auth-clients",
      "no",
    );
  } else {
    args.push("--port", String(port));
  }
  if (options.password) args.push("--requirepass", options.password);
  if (options.maxmemory) args.push("--maxmemory", options.maxmemory);
  if (options.maxmemoryPolicy) args.push("--maxmemory-policy", options.maxmemoryPolicy);

  let child: ChildProcess | undefined;
  const launch = async () => {
    const started = spawn(binary, args, { stdio: "ignore" });
    child = started;
    const exited = new Promise<never>((_, reject) =>
      started.once("exit", (code) => reject(new Error(`redis-server exited with code ${code} at start`))),
    );
    exited.catch(() => {});
    await Promise.race([waitUntilReady(port, options.password, ca, 20_000), exited]);
  };
  const killNow = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill("SIGCONT");
    running.kill("SIGKILL");
    await gone;
  };
  await launch();
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : "";
  const cliBase = [
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    ...(options.password ? ["--no-auth-warning", "-a", options.password] : []),
  ];
  if (options.tls) cliBase.push("--tls", "--cacert", caFile!);
  return {
    url: `${options.tls ? "rediss" : "redis"}://${auth}127.0.0.1:${port}`,
    port,
    ca,
    caFile,
    get pid() {
      return child?.pid ?? -1;
    },
    kill: killNow,
    async restart() {
      await killNow();
      await launch();
    },
    pause() {
      child?.kill("SIGSTOP");
    },
    resume() {
      child?.kill("SIGCONT");
    },
    cli(...command) {
      return execFileSync("redis-cli", [...cliBase, ...command], { encoding: "utf8" }).trim();
    },
    async stop() {
      await killNow();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
