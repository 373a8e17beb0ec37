/** aioradius: the RADIUS toolkit for Node.js. Public API: re-exports only. */
export * from './errors.js';
export * from './protocol/codes.js';
export * as packet from './protocol/index.js';
export {
  AccessAccept,
  AccessChallenge,
  AccessReject,
  AccessRequest,
  AccountingRequest,
  AccountingResponse,
  CoAACK,
  CoANAK,
  CoARequest,
  createPacket,
  type DecodeOptions,
  DisconnectACK,
  DisconnectNAK,
  DisconnectRequest,
  decodeRequest,
  decodeResponse,
  Packet,
  type PacketOptions,
  type PacketScan,
  StatusServer,
  scanPacket,
} from './protocol/packet.js';
export {
  type AttributeEntry,
  type AttributePair,
  AttributesSet,
  type JsonAttributeValue,
} from './protocol/attributes.js';
export {
  decryptAscendSecret,
  decryptTunnelPassword,
  decryptUserPassword,
  encryptAscendSecret,
  encryptTunnelPassword,
  encryptUserPassword,
} from './protocol/crypt.js';
export { type CryptContext, decodeAttributes } from './protocol/decode-attributes.js';
export { AttributeWriter, MAX_PACKET_LENGTH } from './protocol/encode-attributes.js';
export { Dictionary, defaultDictionary, type AttributeSpec } from './dictionary/dictionary.js';
export { AttributeDef, VendorDef } from './dictionary/definitions.js';
export type {
  AttributeFlags,
  AttributeInput,
  AttributeType,
  AttributeValue,
  EncryptMethod,
} from './dictionary/types.js';
export type { LoadOptions } from './dictionary/parser.js';
export {
  AbstractRadiusServer,
  type HandlerResult,
  type ListeningInfo,
  type NasConfig,
  type RequestContext,
  type RequireMessageAuthenticator,
  type ServerOptions,
} from './server/abstract-server.js';
export { type ServerCounters, newCounters } from './server/counters.js';
export { DuplicateCache } from './server/duplicate-cache.js';
export { type Logger, silentLogger } from './server/logger.js';
export { type PeriodicTaskOptions, periodicTask } from './server/periodic-task.js';
export type { Remote, ReplyChannel } from './transport/udp.js';
export type { ReplyAttributePair, ReplyAttributes } from './protocol/attributes.js';
