import { runModerationService } from "@dify-ext/moderation-service";
import { loadConfig } from "./config.ts";

// MODERATION_ENGINES picks the engines (default: keywords,obscenity).
await runModerationService({ name: "moderation", loadConfig });
