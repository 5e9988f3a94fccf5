import { runModerationService } from "@dify-ext/moderation-service";

// MODERATION_ENGINES picks the engines (default: keywords,obscenity).
await runModerationService({ name: "moderation", defaultPort: 3000 });
