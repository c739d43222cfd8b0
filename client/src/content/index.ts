export { CID_PROFILE, cidDigest, cidOfBytes, cidOfStream, InvalidCidError, parseCid } from "./cid.ts";
export { CONTENT_LIMITS, type ContentLimits } from "./constants.ts";
export { ContentNotFoundError, ContentTooLargeError, InvalidContentPathError, NotAFileError } from "./errors.ts";
export { ContentStore, type AddOptions, type DirectoryEntry, type GetOptions } from "./store.ts";
export type { ProviderInfo } from "./file-from-peers.ts";
export { VerifyingBlockstore } from "./verifying-blockstore.ts";
export { BLOCK_STREAM_PROTOCOL } from "../transfer/block-stream.ts";
export { BLOCK_DIRECT_PROTOCOL } from "../transfer/block-direct.ts";
export { CorruptBlockError, DagNotServedError, DirectChannelError, IncompleteDagError, InvalidBlockRequestError } from "../transfer/errors.ts";
