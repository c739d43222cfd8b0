export * from "./constants.ts";
export { canonicalJson, canonicalJsonBytes, NotCanonicalizableError } from "./canonical.ts";
export { InvalidManifestError, type ManifestIssue } from "./errors.ts";
export { decodeManifest, encodeManifest, manifestCid, manifestSeed, parseManifest } from "./manifest.ts";
export { inputPathProblem, limitsSchema, manifestSchema, type Manifest, type ManifestLimits } from "./schema.ts";
