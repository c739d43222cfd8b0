export { BLOCK_STREAM_PROTOCOL } from "./block-stream.ts";
export { CID_PROFILE, cidDigest, cidOfBytes, cidOfStream, InvalidCidError, parseCid } from "./cid.ts";
export { CONTENT_LIMITS, type ContentLimits } from "./constants.ts";
export { ContentNotFoundError, ContentTooLargeError, CorruptBlockError, InvalidContentPathError, NotAFileError } from "./errors.ts";
export { ContentStore, type AddOptions, type DirectoryEntry, type GetOptions, type ProviderInfo } from "./store.ts";
export { VerifyingBlockstore } from "./verifying-blockstore.ts";
