import { appDirOf } from "@dify-ext/test-support/app-process";
import { againstFakeOpenAI, fuzzAppSuite, MASK_AT_BOTH_POINTS } from "@dify-ext/test-support/app-suite";

fuzzAppSuite({
  title: "moderation (keywords, obscenity and openai) under hostile input",
  name: "moderation (composite)",
  appDir: appDirOf(import.meta.url),
  ...againstFakeOpenAI({
    MODERATION_ENGINES: "keywords,obscenity,openai",
    KEYWORDS_WATCH: "false",
    ...MASK_AT_BOTH_POINTS,
  }),
  afterStorm: {
    params: { app_id: "a", inputs: { n: 1, t: "a shit day" }, query: "你是个傻逼吧" },
    reply: { flagged: true, action: "overridden", inputs: { n: 1, t: "a **** day" }, query: "你是个**吧" },
  },
});
