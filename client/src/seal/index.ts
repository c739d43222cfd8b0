export * from "./constants.ts";
export { inspectSealedResult, openResult, sealResult, type OpenResultParameters, type SealResultParameters, type SealResultReturnType } from "./seal.ts";
export type { SealHeader } from "./envelope.ts";
export { generateResultKey, resultKeyFromSignature, type ResultKeyPair } from "./keys.ts";
export { InvalidResultKeyError, InvalidSealedResultError, ResultMismatchError, SealedResultTamperedError } from "./errors.ts";
