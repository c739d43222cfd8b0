export * from "./constants.ts";
export { createAccordNode, type AccordNode, type AccordNodeOptions } from "./node.ts";
export { loadOrCreatePeerKey } from "./peer-key.ts";
export {
  providerPeerInfo,
  REGISTRY_DISCOVERY_INTERVAL_MS,
  REGISTRY_READ_TIMEOUT_MS,
  registryDiscovery,
  type RegistryDiscovery,
  type RegistryDiscoveryComponents,
  type RegistryDiscoveryInit,
} from "./registry-discovery.ts";
export { hasPublicCandidate, isPublicAddress, REACHABILITY_LIMITS, ReachabilityTracker, type Reachability, type ReachabilityLimits, type ReachabilityStatus } from "./reachability.ts";
export { DEFAULT_RELAY_RESERVATIONS, RELAY_LIMITS, relayUsage, type RelayLimits, type RelayOptions, type RelayUsage } from "./relay.ts";
export { isRelayed } from "./direct-upgrade.ts";
export { dialProtocol, handleProtocol, type DialProtocolOptions, type HandleProtocolOptions, type PeerTarget, type ProtocolHandler, type ProtocolHandlerContext } from "./protocol.ts";
export { InvalidPeerAddressError, InvalidPeerKeyError, MessageTooLargeError, ProtocolError, RemoteProtocolError } from "./errors.ts";
export {
  askPeerDeclines,
  decodeDeclinesAnswer,
  DECLINE_STATUSES,
  DECLINES_CONCURRENCY,
  DECLINES_MAX_ANSWER_BYTES,
  DECLINES_MAX_REQUEST_BYTES,
  DECLINES_PROTOCOL,
  DECLINES_TIMEOUT_MS,
  declinesUnsupported,
  describeDeclinesReply,
  encodeDeclinesAnswer,
  InvalidDeclinesAnswerError,
  MAX_DECLINE_MESSAGE_CHARS,
  MAX_DECLINE_REASONS,
  serveDeclines,
  type AskPeerDeclinesParameters,
  type DeclineCode,
  type DeclineReason,
  type DeclinesAnswer,
  type DeclinesReply,
  type DeclinesStatement,
  type DeclineStatus,
} from "./declines.ts";
