export {
  type CheckOptions,
  type CheckReport,
  type CheckResult,
  type CheckStatus,
  groupCheckNames,
  POINT_GROUPS,
  type PointGroup,
  redactUrl,
  runChecks,
} from "./checks.ts";
export { type CallOptions, callOptions, parseCallArgs, UsageError } from "./cli-args.ts";
export {
  type CallOutcome,
  callExtension,
  DIFY_CONNECT_TIMEOUT_MS,
  DIFY_READ_TIMEOUT_MS,
  DIFY_USER_AGENT,
  type DifyCallOptions,
  pythonJsonDumps,
  type RequestorResult,
  requestorResult,
} from "./dify-client.ts";
export {
  difyExternalDataError,
  difyModerationInputError,
  difyModerationOutputError,
  difyPingError,
} from "./dify-view.ts";
export { PythonJsonError, pythonJsonLoads, pythonRepr, pythonTypeName } from "./python-json.ts";
export { formatReport } from "./report.ts";
