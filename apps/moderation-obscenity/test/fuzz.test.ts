import { appDirOf } from "@dify-ext/test-support/app-process";
import { fuzzAppSuite, MASK_AT_BOTH_POINTS } from "@dify-ext/test-support/app-suite";

fuzzAppSuite({
  title: "moderation-obscenity under hostile input",
  name: "moderation-obscenity",
  appDir: appDirOf(import.meta.url),
  env: MASK_AT_BOTH_POINTS,
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
