import { appDirOf } from "@dify-ext/test-support/app-process";
import { fuzzAppSuite, MASK_AT_BOTH_POINTS } from "@dify-ext/test-support/app-suite";

fuzzAppSuite({
  title: "moderation-keywords under hostile input",
  name: "moderation-keywords",
  appDir: appDirOf(import.meta.url),
  env: { ...MASK_AT_BOTH_POINTS, KEYWORDS_SEPARATORS: "true" },
  afterStorm: {
    params: { app_id: "a", inputs: { n: 1, t: "a shit day" }, query: "hi" },
    reply: { flagged: true, action: "overridden", inputs: { n: 1, t: "a **** day" }, query: "hi" },
  },
});
