import { readFile } from "node:fs/promises";

/**
 * The parts of deploy/Dockerfile the deploy test replays: the build command, the runtime
 * environment, the start command and the health check, read from the file itself so that the test
 * and the image cannot drift apart.
 */
export interface DockerfileSpec {
  /** The base image of both stages. */
  nodeImage: string;
  /** The `RUN` line of the build stage that builds the deployable into `/out`. */
  buildCommand: string;
  /** What the runtime stage copies from the build stage, and where to. */
  copy: { from: string; to: string };
  /** `ENV` of the runtime stage. */
  env: Record<string, string>;
  user: string;
  expose: number;
  /** `HEALTHCHECK … CMD [...]`, exec form. */
  healthcheck: string[];
  /** `CMD [...]`, exec form. */
  cmd: string[];
}

/** Joins `\` continuation lines and drops comments. */
function instructions(text: string): string[] {
  const lines: string[] = [];
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (current === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    lines.push(current + line);
    current = "";
  }
  return lines;
}

function execForm(value: string, what: string): string[] {
  const parsed: unknown = JSON.parse(value);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === "string"))
    throw new Error(`${what} is not in exec form: ${value}`);
  return parsed;
}

/** Reads deploy/Dockerfile; throws naming what it could not find. */
export async function readDockerfile(path: string): Promise<DockerfileSpec> {
  const lines = instructions(await readFile(path, "utf8"));
  const stages: string[][] = [];
  const args: Record<string, string> = {};
  for (const line of lines) {
    if (/^FROM /i.test(line)) stages.push([]);
    if (stages.length === 0) {
      const arg = /^ARG (\w+)=(\S+)$/.exec(line);
      if (arg) args[arg[1]!] = arg[2]!;
    }
    stages.at(-1)?.push(line);
  }
  if (stages.length !== 2) throw new Error(`expected 2 stages (build and runtime), found ${stages.length}`);
  const [build, runtime] = stages as [string[], string[]];
  const image = (from: string) =>
    from
      .replace(/^FROM\s+/i, "")
      .replace(/\s+AS\s+\w+$/i, "")
      .replace(/^\$\{(\w+)\}$/, (_, name: string) => args[name] ?? "");
  const buildImage = image(build[0]!);
  if (buildImage !== image(runtime[0]!)) throw new Error("the build and runtime stages use different base images");

  const buildCommand = build.find((line) => line.includes("build:deploy"))?.replace(/^RUN\s+/, "");
  if (!buildCommand) throw new Error("no RUN line with build:deploy in the build stage");
  const find = (prefix: RegExp, what: string) => {
    const line = runtime.find((l) => prefix.test(l));
    if (!line) throw new Error(`no ${what} in the runtime stage`);
    return line.replace(prefix, "");
  };
  const copy = /^--from=build\s+(\S+)\s+(\S+)$/.exec(find(/^COPY\s+/, "COPY"));
  if (!copy) throw new Error("the runtime stage must COPY --from=build <dir> <dest>");
  const env: Record<string, string> = {};
  for (const line of runtime.filter((l) => /^ENV /.test(l))) {
    for (const pair of line.slice(4).trim().split(/\s+/)) {
      const at = pair.indexOf("=");
      env[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  const healthcheck = /\bCMD\s+(\[.*\])$/.exec(find(/^HEALTHCHECK\s+/, "HEALTHCHECK"));
  if (!healthcheck) throw new Error("HEALTHCHECK must use CMD in exec form");
  return {
    nodeImage: buildImage,
    buildCommand,
    copy: { from: copy[1]!, to: copy[2]! },
    env,
    user: find(/^USER\s+/, "USER"),
    expose: Number(find(/^EXPOSE\s+/, "EXPOSE")),
    healthcheck: execForm(healthcheck[1]!, "HEALTHCHECK"),
    cmd: execForm(find(/^CMD\s+/, "CMD"), "CMD"),
  };
}
