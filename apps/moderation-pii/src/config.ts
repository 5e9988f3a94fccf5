import { defineModerationApp } from "@dify-ext/moderation-service/config";
import { pii } from "@dify-ext/moderation-service/engines/pii";

/**
 * The pii moderation app: personal data and secrets, on port 3005. Unlike the other apps, both points mask by default
 * (MODERATION_INPUT_ACTION and MODERATION_OUTPUT_ACTION unset): personal data is replaced and the
 * message goes on to the model, the answer on to the user.
 */
export const app = defineModerationApp({
  name: "moderation-pii",
  port: 3005,
  engines: [pii],
  policy: { action: "mask" },
});

/** Reads the app's variables: the shared ones, the policy's and its engine's (no other engine's). */
export const loadConfig = app.loadConfig;
