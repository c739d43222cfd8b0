import { BaseError } from "../errors.ts";

export class ContentNotFoundError extends BaseError {
  override name = "ContentNotFoundError";
  readonly cid: string;
  constructor(cid: string, timeoutMs: number, params: { cause?: unknown; offline?: boolean; failures?: string[] } = {}) {
    super(
      params.offline
        ? `Content ${cid} is not in the local store.`
        : `Content ${cid} could not be fetched within ${timeoutMs} ms: no reachable peer served it.`,
      {
        cause: params.cause,
        details: (params.cause as Error | undefined)?.message,
        metaMessages: params.failures?.length ? ["Peers tried:", ...params.failures] : undefined,
        fix: "Check the CID, make sure a node that holds it is online and has announced it (content.provide), or pass its address with `from`.",
      },
    );
    this.cid = cid;
  }
}

export class ContentTooLargeError extends BaseError {
  override name = "ContentTooLargeError";
  constructor(cid: string, limit: number) {
    super(`Content ${cid} is larger than the ${limit} bytes getBytes() may hold in memory.`, {
      fix: "Stream it with content.cat(cid) instead, or raise maxBytes if you really need it whole.",
    });
  }
}

export class NotAFileError extends BaseError {
  override name = "NotAFileError";
  constructor(cid: string, type: string) {
    super(`Content ${cid} is a ${type}, not a file.`, { fix: "Use content.ls(cid) to list a directory, then fetch its files." });
  }
}

export class InvalidContentPathError extends BaseError {
  override name = "InvalidContentPathError";
  constructor(path: string, reason: string) {
    super(`Cannot add ${path}: ${reason}.`, { fix: "Pass an existing regular file or directory." });
  }
}
