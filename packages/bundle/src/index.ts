export { BundleError, type BundleOptions, type BundleResult, bundleApp, README_HEADER } from "./bundle.ts";
export { type Notices, thirdPartyNotices } from "./notices.ts";
