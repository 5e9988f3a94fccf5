import { runModerationService } from "@dify-ext/moderation-service";

await runModerationService({ name: "moderation-openai", defaultPort: 3003, engines: ["openai"] });
