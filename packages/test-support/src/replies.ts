/**
 * What the moderation apps answer Dify under their default presets: the replies their tests expect.
 * The presets are written here as users see them, not imported from the service, so that a change
 * of a default shows in the tests.
 */

/** The preset a moderation app answers for a blocked input when none is configured. */
export const INPUT_PRESET = "Sorry, your message was blocked by content moderation.";
/** The preset a moderation app answers for a blocked answer when none is configured. */
export const OUTPUT_PRESET = "Sorry, this answer was withheld by content moderation.";
/** A moderation reply that lets the text through. */
export const PASS = { flagged: false, action: "direct_output" };
/** A moderation reply that blocks an input with the default preset. */
export const INPUT_BLOCKED = { flagged: true, action: "direct_output", preset_response: INPUT_PRESET };
/** A moderation reply that blocks an answer with the default preset. */
export const OUTPUT_BLOCKED = { flagged: true, action: "direct_output", preset_response: OUTPUT_PRESET };
