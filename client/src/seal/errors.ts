import { BaseError } from "../errors.ts";

export class InvalidSealedResultError extends BaseError {
  override name = "InvalidSealedResultError";
  constructor(reason: string) {
    super(`This is not a sealed Accord result: ${reason}.`, {
      fix: "Fetch the sealed result again from a provider that agreed with the quorum; if it persists, that provider is serving garbage.",
    });
  }
}

export class SealedResultTamperedError extends BaseError {
  override name = "SealedResultTamperedError";
  constructor(detail: string) {
    super("The sealed result failed authentication: it was altered, or sealed to another key or for another job.", {
      details: detail,
      fix: "Check that you opened it with the key whose public half is in the manifest (resultPublicKey), then fetch it from another agreeing provider.",
    });
  }
}

export class ResultMismatchError extends BaseError {
  override name = "ResultMismatchError";
  readonly expectedCid: string;
  readonly actualCid: string;
  constructor(expectedCid: string, actualCid: string) {
    super(`The result has CID ${actualCid}, but the quorum agreed on ${expectedCid}.`, {
      fix: "Discard it and fetch the result from another provider that revealed the consensus digest.",
    });
    this.expectedCid = expectedCid;
    this.actualCid = actualCid;
  }
}

export class InvalidResultKeyError extends BaseError {
  override name = "InvalidResultKeyError";
  constructor(what: string, reason: string) {
    super(`Invalid ${what}: ${reason}.`, {
      fix: "Pass a 32-byte x25519 key (0x + 64 hex digits) or the wallet's 65-byte signature of RESULT_KEY_MESSAGE.",
    });
  }
}
