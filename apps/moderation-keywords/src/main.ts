import { runModerationService } from "@dify-ext/moderation-service";

await runModerationService({ name: "moderation-keywords", defaultPort: 3001, engines: ["keywords"] });
