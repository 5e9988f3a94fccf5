import { runModerationService } from "@dify-ext/moderation-service";
import { loadConfig } from "./config.ts";

await runModerationService({ name: "moderation-guard", loadConfig });
