import { fileURLToPath } from "node:url";
import { fuzzAppSuite } from "@dify-ext/test-support/app-suite";

fuzzAppSuite({
  title: "moderation-pii under hostile input",
  name: "moderation-pii",
  appDir: fileURLToPath(new URL("..", import.meta.url)),
  runs: 3000,
  afterStorm: {
    params: {
      app_id: "a",
      inputs: { n: 1, file: { type: "image" }, note: "mail jane.doe@example.com, said Bob" },
      query: "hi",
    },
    reply: {
      flagged: true,
      action: "overridden",
      inputs: { n: 1, file: { type: "image" }, note: "mail [EMAIL], said Bob" },
      query: "hi",
    },
  },
});
