import { fileURLToPath } from "node:url";
import { fuzzAppSuite } from "@dify-ext/test-support/app-suite";

fuzzAppSuite({
  title: "moderation-obscenity under hostile input",
  name: "moderation-obscenity",
  appDir: fileURLToPath(new URL("..", import.meta.url)),
  runs: 3000,
  env: { MODERATION_INPUT_ACTION: "mask", MODERATION_OUTPUT_ACTION: "mask" },
  afterStorm: {
    params: { app_id: "a", inputs: { n: 1, file: { type: "image" }, note: "what the fuck, said Bob" }, query: "hi" },
    reply: {
      flagged: true,
      action: "overridden",
      inputs: { n: 1, file: { type: "image" }, note: "what the ****, said Bob" },
      query: "hi",
    },
  },
});
