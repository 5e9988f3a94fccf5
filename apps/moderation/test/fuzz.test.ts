import { fileURLToPath } from "node:url";
import { fuzzAppSuite } from "@dify-ext/test-support/app-suite";
import { startFakeOpenAI } from "@dify-ext/test-support/fake-openai";

const OPENAI_KEY = "sk-fuzz-composite-61f0";

fuzzAppSuite({
  title: "moderation (keywords, obscenity and openai) under hostile input",
  name: "moderation (composite)",
  appDir: fileURLToPath(new URL("..", import.meta.url)),
  runs: 3000,
  upstream: () => startFakeOpenAI({ apiKey: OPENAI_KEY }),
  env: (fake) => ({
    MODERATION_ENGINES: "keywords,obscenity,openai",
    KEYWORDS_WATCH: "false",
    OPENAI_API_KEY: OPENAI_KEY,
    OPENAI_BASE_URL: fake.url,
    OPENAI_TIMEOUT_MS: "2000",
    MODERATION_INPUT_ACTION: "mask",
    MODERATION_OUTPUT_ACTION: "mask",
  }),
  upstreamRequests: (fake) => fake.calls.length,
  afterStorm: {
    params: { app_id: "a", inputs: { n: 1, t: "a shit day" }, query: "你是个傻逼吧" },
    reply: { flagged: true, action: "overridden", inputs: { n: 1, t: "a **** day" }, query: "你是个**吧" },
  },
});
