import { runModerationService } from "@dify-ext/moderation-service";
import { app } from "./config.ts";

// MODERATION_ENGINES picks the engines (default: keywords,obscenity).
await runModerationService(app);
