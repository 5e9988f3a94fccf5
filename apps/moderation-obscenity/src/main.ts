import { runModerationService } from "@dify-ext/moderation-service";

await runModerationService({ name: "moderation-obscenity", defaultPort: 3002, engines: ["obscenity"] });
