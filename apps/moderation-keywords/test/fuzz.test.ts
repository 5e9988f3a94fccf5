import { fileURLToPath } from "node:url";
import { fuzzAppSuite } from "@dify-ext/test-support/app-suite";

fuzzAppSuite({
  title: "moderation-keywords under hostile input",
  name: "moderation-keywords",
  appDir: fileURLToPath(new URL("..", import.meta.url)),
  runs: 3000,
  env: { MODERATION_INPUT_ACTION: "mask", MODERATION_OUTPUT_ACTION: "mask", KEYWORDS_SEPARATORS: "true" },
  afterStorm: {
    params: { app_id: "a", inputs: { n: 1, t: "a shit day" }, query: "hi" },
    reply: { flagged: true, action: "overridden", inputs: { n: 1, t: "a **** day" }, query: "hi" },
  },
});
