/**
 * Checks deploy/kubernetes/<app>.yaml for every app: that it parses, and that it agrees with the
 * image (port, env, user) and with itself (selectors, probes, mounts, the HPA's target). YAML is
 * parsed with PyYAML when python3 has it (the repository has no YAML parser of its own).
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { type DockerfileSpec, readDockerfile } from "./dockerfile.ts";

const repoDir = fileURLToPath(new URL("../../..", import.meta.url));
const apps = readdirSync(join(repoDir, "apps"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
const pyYaml = spawnSync("python3", ["-c", "import yaml"], { stdio: "ignore" }).status === 0;

/** How long the apps take at most to shut down gracefully (server `listen`'s default). */
const SHUTDOWN_TIMEOUT_S = 10;

// biome-ignore lint/suspicious/noExplicitAny: parsed manifests are walked field by field below
type Doc = any;

function parseYaml(file: string): Doc[] {
  const script =
    "import json, sys, yaml\nprint(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1], encoding='utf-8')) if d is not None]))";
  const result = spawnSync("python3", ["-c", script, file], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${file} does not parse as YAML:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Doc[];
}

let dockerfile: DockerfileSpec;
beforeAll(async () => {
  dockerfile = await readDockerfile(join(repoDir, "deploy/Dockerfile"));
});

describe.skipIf(!pyYaml).each(apps)("deploy/kubernetes/%s.yaml", (app) => {
  let docs: Doc[];
  let deployment: Doc;
  let container: Doc;
  const byKind = (kind: string): Doc[] => docs.filter((doc) => doc.kind === kind);
  const envVar = (name: string): Doc => container.env.find((entry: Doc) => entry.name === name);

  beforeAll(() => {
    docs = parseYaml(join(repoDir, "deploy/kubernetes", `${app}.yaml`));
    deployment = byKind("Deployment")[0];
    container = deployment?.spec.template.spec.containers[0];
  });

  it("has a Deployment, a Service, an autoscaling/v2 HPA and a PodDisruptionBudget", () => {
    expect(byKind("Deployment")).toHaveLength(1);
    expect(byKind("Service")).toHaveLength(1);
    expect(byKind("HorizontalPodAutoscaler").map((doc) => doc.apiVersion)).toEqual(["autoscaling/v2"]);
    expect(byKind("PodDisruptionBudget")).toHaveLength(1);
    expect(deployment.spec.template.spec.containers).toHaveLength(1);
    expect(container.image).toMatch(new RegExp(`/${app}:`));
  });

  it("runs the image as it is built: its port, NODE_ENV, a non-root user, a read-only root", () => {
    expect(deployment.spec.replicas).toBe(2);
    const ports = container.ports.map((port: Doc) => port.containerPort);
    expect(ports).toEqual([dockerfile.expose, Number(envVar("METRICS_PORT")?.value)]);
    // Prometheus scrapes the metrics-only port, where /metrics needs no key; the Service exposes only http.
    expect(deployment.spec.template.metadata.annotations["prometheus.io/port"]).toBe(envVar("METRICS_PORT")?.value);
    expect(envVar("PORT")?.value).toBe(dockerfile.env.PORT);
    expect(envVar("NODE_ENV")?.value).toBe("production");
    const pod = deployment.spec.template.spec.securityContext;
    expect(pod.runAsNonRoot).toBe(true);
    expect(pod.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    expect(container.resources.requests.cpu).toBeTruthy();
    expect(container.resources.limits.memory).toBeTruthy();
  });

  it("takes the keys from a Secret", () => {
    expect(envVar("API_KEYS")?.valueFrom?.secretKeyRef).toMatchObject({
      name: deployment.metadata.name,
      key: "api-keys",
    });
    const openai = envVar("OPENAI_API_KEY");
    if (app === "moderation-openai")
      expect(openai.valueFrom.secretKeyRef).toEqual({ name: deployment.metadata.name, key: "openai-api-key" });
    else if (app === "moderation")
      expect(openai.valueFrom.secretKeyRef).toMatchObject({ key: "openai-api-key", optional: true });
    else expect(openai).toBeUndefined();
    const guard = envVar("GUARD_API_KEY");
    if (app === "moderation-guard")
      expect(guard.valueFrom.secretKeyRef).toEqual({
        name: deployment.metadata.name,
        key: "guard-api-key",
        optional: true,
      });
    else expect(guard).toBeUndefined();
    const secrets = new Set(["API_KEYS", "OPENAI_API_KEY", "GUARD_API_KEY", "VALKEY_PASSWORD"]);
    for (const entry of container.env) expect(secrets.has(entry.name) || !("valueFrom" in entry)).toBe(true);
  });

  it("takes the shared state's password from valkey.yaml's Secret, defined before the URL that expands it", () => {
    const url = envVar("SHARED_STATE_URL");
    if (!url) return;
    const names = container.env.map((entry: Doc) => entry.name);
    expect(names.indexOf("VALKEY_PASSWORD")).toBeGreaterThanOrEqual(0);
    expect(names.indexOf("VALKEY_PASSWORD")).toBeLessThan(names.indexOf("SHARED_STATE_URL"));
    expect(envVar("VALKEY_PASSWORD").valueFrom.secretKeyRef).toEqual({ name: "dify-ext-valkey", key: "password" });
    const valkey = parseYaml(join(repoDir, "deploy/kubernetes/valkey.yaml"));
    const service = valkey.find((doc) => doc.kind === "Service");
    expect(url.value).toBe(`redis://:$(VALKEY_PASSWORD)@${service.metadata.name}:${service.spec.ports[0].port}/0`);
  });

  it("probes readiness on /readyz and liveness on /healthz, and waits for the graceful shutdown", () => {
    const portNames = container.ports.map((port: Doc) => port.name);
    expect(container.readinessProbe.httpGet).toMatchObject({ path: "/readyz" });
    expect(container.livenessProbe.httpGet).toMatchObject({ path: "/healthz" });
    expect(portNames).toContain(container.readinessProbe.httpGet.port);
    expect(portNames).toContain(container.livenessProbe.httpGet.port);
    const preStop = container.lifecycle?.preStop?.exec?.command ?? [];
    const sleep = preStop[0] === "sleep" ? Number(preStop[1]) : 0;
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(sleep + SHUTDOWN_TIMEOUT_S);
  });

  it("routes the Service and scales the Deployment it belongs to", () => {
    const labels = deployment.spec.template.metadata.labels;
    const [service] = byKind("Service");
    for (const [key, value] of Object.entries(service.spec.selector)) expect(labels[key]).toBe(value);
    expect(deployment.spec.selector.matchLabels).toEqual(service.spec.selector);
    expect(container.ports.map((port: Doc) => port.name)).toContain(service.spec.ports[0].targetPort);
    const [hpa] = byKind("HorizontalPodAutoscaler");
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: deployment.metadata.name,
    });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.metrics[0].resource.name).toBe("cpu");
    const [pdb] = byKind("PodDisruptionBudget");
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });

  it.runIf(app === "moderation-keywords" || app === "moderation")(
    "reads its keyword lists from a ConfigMap mounted as a directory",
    () => {
      const [configMap] = byKind("ConfigMap");
      const volume = deployment.spec.template.spec.volumes.find(
        (v: Doc) => v.configMap?.name === configMap.metadata.name,
      );
      const mount = container.volumeMounts.find((m: Doc) => m.name === volume.name);
      // subPath mounts never receive ConfigMap updates, so hot reload needs a directory mount.
      expect(mount.subPath).toBeUndefined();
      expect(mount.readOnly).toBe(true);
      for (const variable of ["KEYWORDS_FILES", "KEYWORDS_ALLOW_FILES"]) {
        for (const file of envVar(variable).value.split(",")) {
          expect(file.startsWith(`${mount.mountPath}/`), file).toBe(true);
          expect(Object.keys(configMap.data)).toContain(file.slice(mount.mountPath.length + 1));
        }
      }
    },
  );
});

describe.runIf(!pyYaml)("deploy/kubernetes without PyYAML", () => {
  it.skip("needs python3 with PyYAML to parse the manifests", () => {});
});

describe.skipIf(!pyYaml)("deploy/kubernetes/valkey.yaml", () => {
  it("runs one Valkey as a cache (no persistence, LRU eviction under a memory limit), behind a Service", () => {
    const docs = parseYaml(join(repoDir, "deploy/kubernetes/valkey.yaml"));
    const deployment = docs.find((doc) => doc.kind === "Deployment");
    const service = docs.find((doc) => doc.kind === "Service");
    const config = docs.find((doc) => doc.kind === "ConfigMap").data["valkey.conf"] as string;
    expect(config).toMatch(/^save ""$/m);
    expect(config).toMatch(/^appendonly no$/m);
    expect(config).toMatch(/^maxmemory-policy allkeys-lru$/m);
    const maxmemory = Number(/^maxmemory (\d+)mb$/m.exec(config)?.[1]);
    const container = deployment.spec.template.spec.containers[0];
    // The memory limit leaves room above maxmemory for the server itself.
    expect(Number.parseInt(container.resources.limits.memory, 10)).toBeGreaterThan(maxmemory);
    expect(container.args).toContain("$(VALKEY_PASSWORD)");
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    for (const [key, value] of Object.entries(service.spec.selector)) {
      expect(deployment.spec.template.metadata.labels[key]).toBe(value);
    }
    expect(service.spec.ports[0].port).toBe(6379);
  });
});
