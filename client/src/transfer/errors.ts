import { BaseError } from "../errors.ts";

/** Where a fetch goes when one peer fails it; the fix of every error a fetch recovers from. */
const FETCH_GOES_ON = "Nothing, for a fetch through ContentStore: it goes on from the next peer (and over bitswap after the last), and ContentNotFoundError lists what each peer did if none served the content.";

export class CorruptBlockError extends BaseError {
  override name = "CorruptBlockError";
  readonly cid: string;
  constructor(cid: string, where: string) {
    super(`Block ${cid} from ${where} does not hash to its CID.`, {
      fix: "The copy is corrupt: it has been refused. Fetch the content again (from another peer); if it was the local disk, run gc and re-add or re-fetch it.",
    });
    this.cid = cid;
  }
}

/**
 * A direct block channel could not be opened or broke: a bad ticket, a peer that does not
 * answer on its channel port, a record that fails authentication, a channel left idle.
 */
export class DirectChannelError extends BaseError {
  override name = "DirectChannelError";
  constructor(reason: string, params: { cause?: unknown } = {}) {
    super(`Direct block channel: ${reason}.`, {
      cause: params.cause,
      fix: `${FETCH_GOES_ON} A channel that cannot be opened costs only a fall back to the libp2p block stream; if none ever opens, check that the serving node's content.directBlocksPort is reachable from here, or set content.directBlocks to false.`,
    });
  }
}

/** A peer ended a DAG's transfer (block stream or direct channel) before its last block. */
export class IncompleteDagError extends BaseError {
  override name = "IncompleteDagError";
  readonly root: string;
  readonly missingBlocks: number;
  constructor(peer: string, root: string, missingBlocks: number, path: "block stream" | "direct channel") {
    super(`${peer} ended the ${path} for ${root} with ${missingBlocks} block(s) still to come.`, { fix: FETCH_GOES_ON });
    this.root = root;
    this.missingBlocks = missingBlocks;
  }
}

/** The serving peer said why it could not send a DAG (a block it lacks, a rotten copy on its disk). */
export class DagNotServedError extends BaseError {
  override name = "DagNotServedError";
  readonly root: string;
  constructor(peer: string, root: string, reason: string) {
    super(`${peer} could not send the DAG under ${root}: ${reason}`, { fix: FETCH_GOES_ON });
    this.root = root;
  }
}

/** A request on a block protocol that is not one length byte and a binary CID: the dialer speaks another version. */
export class InvalidBlockRequestError extends BaseError {
  override name = "InvalidBlockRequestError";
  constructor(protocol: string) {
    super(`The ${protocol} request is not a length-prefixed CID.`, {
      fix: "Send one length byte and then the root CID in binary, as fetchBlocks does; a peer that sends otherwise runs an incompatible Accord version.",
    });
  }
}
