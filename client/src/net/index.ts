export * from "./constants.ts";
export { createAccordNode, type AccordNode, type AccordNodeOptions } from "./node.ts";
export { loadOrCreatePeerKey } from "./peer-key.ts";
export { dialProtocol, handleProtocol, type DialProtocolOptions, type HandleProtocolOptions, type PeerTarget, type ProtocolHandler, type ProtocolHandlerContext } from "./protocol.ts";
export { InvalidPeerAddressError, InvalidPeerKeyError, MessageTooLargeError, ProtocolError, RemoteProtocolError } from "./errors.ts";
