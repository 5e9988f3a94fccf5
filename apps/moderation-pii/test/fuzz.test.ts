import { appDirOf } from "@dify-ext/test-support/app-process";
import { fuzzAppSuite } from "@dify-ext/test-support/app-suite";

fuzzAppSuite({
  title: "moderation-pii under hostile input",
  name: "moderation-pii",
  appDir: appDirOf(import.meta.url),
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
