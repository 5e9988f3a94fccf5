import { appDirOf } from "@dify-ext/test-support/app-process";
import { workerBasicsSuite, workerTransport } from "@dify-ext/test-support/worker";
import { afterAll, describe } from "vitest";
import { injectionCases, KEY } from "./cases.ts";

const worker = workerTransport(appDirOf(import.meta.url));
afterAll(() => worker.close());

// The shared end-to-end cases against the Worker in workerd (test/e2e.test.ts runs them under Node).
injectionCases(worker);

describe("moderation-injection as a Worker", () => {
  workerBasicsSuite(worker, { key: KEY, apiKeysRequired: {}, badVariables: { INJECTION_THRESHOLD: "lots" } });
});
