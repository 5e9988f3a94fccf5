/**
 * The kinds of personal data and secrets the `pii` engine finds, and what a label mask writes for
 * each. SDK-free and dependency-free, so config readers can validate `PII_TYPES` without loading
 * the phone metadata.
 */

/** The secrets (keys and tokens), which win over any other type where findings overlap. */
export const SECRET_TYPES = ["private-key", "jwt", "openai-key", "github-token", "slack-token", "aws-key"] as const;
export type SecretType = (typeof SECRET_TYPES)[number];

/** Every type the engine knows, in the order overlapping findings are resolved (first wins). */
export const PII_TYPES = [
  ...SECRET_TYPES,
  "email",
  "iban",
  "card",
  "cn-id",
  "us-ssn",
  "ip",
  "cn-mobile",
  "phone",
] as const;

export type PiiType = (typeof PII_TYPES)[number];

/** How a finding is masked: `*` per character (the policy's mask character) or its type label. */
export const PII_MASK_STYLES = ["label", "stars"] as const;
export type PiiMaskStyle = (typeof PII_MASK_STYLES)[number];

/** The default mask style: a label keeps a masked sentence readable for the model and the user. */
export const DEFAULT_PII_MASK_STYLE: PiiMaskStyle = "label";

/** The default region for phone numbers written without a country code (`+…`). */
export const DEFAULT_PII_PHONE_REGION = "US";

/** What a label mask writes for each type. */
export const PII_LABELS: Readonly<Record<PiiType, string>> = {
  "private-key": "[PRIVATE_KEY]",
  jwt: "[JWT]",
  "openai-key": "[API_KEY]",
  "github-token": "[API_KEY]",
  "slack-token": "[API_KEY]",
  "aws-key": "[API_KEY]",
  email: "[EMAIL]",
  iban: "[IBAN]",
  card: "[CARD]",
  "cn-id": "[ID_NUMBER]",
  "us-ssn": "[SSN]",
  ip: "[IP]",
  "cn-mobile": "[PHONE]",
  phone: "[PHONE]",
};

/** Each type in the one vocabulary (docs/categories.md): personal data `pii.*`, secrets `secret.*`. */
export const PII_CATEGORIES: Readonly<Record<PiiType, string>> = {
  "private-key": "secret.private-key",
  jwt: "secret.jwt",
  "openai-key": "secret.api-key",
  "github-token": "secret.api-key",
  "slack-token": "secret.api-key",
  "aws-key": "secret.api-key",
  email: "pii.email",
  iban: "pii.iban",
  card: "pii.card",
  "cn-id": "pii.national-id",
  "us-ssn": "pii.national-id",
  ip: "pii.ip",
  "cn-mobile": "pii.phone",
  phone: "pii.phone",
};

export const isPiiType = (name: string): name is PiiType => (PII_TYPES as readonly string[]).includes(name);

/** The `pii` engine's options (checked by `createPiiEngine`). */
export interface PiiEngineOptions {
  /** The types to find (default: all of {@link PII_TYPES}). */
  types?: readonly PiiType[];
  /**
   * `label` (default): a finding is masked as its type label (`[EMAIL]`); `stars`: every character
   * becomes the policy's mask character, as with the other engines.
   */
  maskStyle?: PiiMaskStyle;
  /**
   * ISO 3166-1 alpha-2 region (`US`, `GB`, `DE`, `CN`…) phone numbers without a `+` country code
   * are read in (default {@link DEFAULT_PII_PHONE_REGION}). Numbers with `+` are found in any region.
   */
  phoneRegion?: string;
}
