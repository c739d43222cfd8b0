export * from "./constants.ts";
export type { SealHeader } from "./envelope.ts";
export {
  generateResultKey,
  inspectSealedResult,
  openResult,
  resultKeyFromSignature,
  sealResult,
  type OpenResultParameters,
  type ResultKeyPair,
  type SealResultParameters,
  type SealResultReturnType,
} from "./seal.ts";
export { InvalidResultKeyError, InvalidSealedResultError, ResultMismatchError, SealedResultTamperedError } from "./errors.ts";
