import { BaseError } from "../errors.ts";

export class InvalidPeerKeyError extends BaseError {
  override name = "InvalidPeerKeyError";
  constructor(path: string, cause: unknown) {
    super(`The peer key at ${path} cannot be read.`, {
      cause,
      details: (cause as Error)?.message,
      fix: "Restore the file from a backup, or delete it to start with a new peer id (peers and the chain will know you under the new id).",
    });
  }
}

export class InvalidPeerAddressError extends BaseError {
  override name = "InvalidPeerAddressError";
  constructor(address: string, reason: string) {
    super(`"${address}" is not a peer address Accord can dial: ${reason}.`, {
      fix: "Use a multiaddr that ends in /p2p/<peer id>, e.g. /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…",
    });
  }
}

export class ProtocolError extends BaseError {
  override name = "ProtocolError";
  constructor(protocol: string, peer: string, reason: string, params: { cause?: unknown; fix?: string } = {}) {
    super(`${protocol} with ${peer} failed: ${reason}.`, {
      cause: params.cause,
      fix: params.fix ?? "Try another peer; if every peer fails, check your network and that both sides run a compatible Accord version.",
    });
  }
}

export class MessageTooLargeError extends BaseError {
  override name = "MessageTooLargeError";
  constructor(what: string, limit: number) {
    super(`The ${what} is larger than the ${limit} bytes allowed.`, {
      fix: "Raise the limit on both sides if the message is legitimate (limits.maxRequestBytes / maxResponseBytes), or send it as content by CID.",
    });
  }
}

export class RemoteProtocolError extends BaseError {
  override name = "RemoteProtocolError";
  constructor(protocol: string, peer: string, message: string) {
    super(`${peer} answered ${protocol} with an error: ${message}`, {
      fix: "Read the peer's message above; it usually says what it needs from you.",
    });
  }
}
