import { runModerationService } from "@dify-ext/moderation-service";
import { app } from "./config.ts";

await runModerationService(app);
