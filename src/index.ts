/** aioradius: the RADIUS toolkit for Node.js. Public API: re-exports only. */
export * from './errors.js';
export * from './protocol/codes.js';
export * as packet from './protocol/index.js';
// The packet classes and decode functions, also at the top level.
export * from './protocol/index.js';
export {
  type AttributeEntry,
  type AttributePair,
  AttributesSet,
  HIDDEN_VALUE,
  type JsonAttributeValue,
  type ToObjectOptions,
} from './protocol/attributes.js';
export {
  ASCEND_FILTER_LENGTH,
  ASCEND_IPV6_FILTER_LENGTH,
  decodeAscendFilter,
  encodeAscendFilter,
} from './protocol/ascend-filter.js';
export { NAS_FILTER_RULE } from './protocol/filter-rules.js';
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
  type HandlerTuple,
  type ListenerKind,
  type ListeningInfo,
  type NasConfig,
  type RequestContext,
  type RequireMessageAuthenticator,
  type ServerOptions,
} from './server/abstract-server.js';
export {
  createRadiusServer,
  type RadiusServerHandlers,
  type RequestHandler,
  type SecretSource,
} from './server/create-server.js';
export { type ServerCounters, newCounters } from './server/counters.js';
export { DuplicateCache } from './server/duplicate-cache.js';
export type { RadiusServerEvents } from './server/server-base.js';
export { type Logger, silentLogger } from './server/logger.js';
export { type PeriodicTaskOptions, periodicTask } from './server/periodic-task.js';
export type { Remote, RemoteInfo, ReplyChannel, Transport } from './transport/remote.js';
export {
  PacketFramer,
  type StreamListenerOptions,
  type TcpListenerOptions,
  type TlsListenerOptions,
} from './transport/stream-listener.js';
export {
  DropLog,
  type DropReason,
} from './pipeline/drop-log.js';
export type { ReplyAttributePair, ReplyAttributes } from './protocol/attributes.js';
export {
  type AuthMethod,
  type AuthResult,
  authenticate,
  authenticateAsync,
  type Credentials,
  detectMethod,
  MSCHAP_ERROR,
  verifyChap,
  verifyMsChapV1,
  verifyMsChapV2,
  verifyPap,
} from './auth/authenticate.js';
export {
  credentialsCleartext,
  credentialsNtHash,
  type UsableCredentials,
  usableCredentials,
} from './auth/credentials.js';
export {
  addChap,
  addMsChapV1,
  addMsChapV2,
  addPap,
  type MsChapV2State,
  mppeKeysFromReply,
  verifyMsChapV2Success,
} from './auth/requests.js';
export { chapPassword, chapResponse, verifyChapPassword } from './auth/chap.js';
export {
  crypt,
  type HashPasswordOptions,
  hashPassword,
  type NewPasswordHashScheme,
  ntHashFromStored,
  type ParsedPasswordHash,
  type PasswordHashScheme,
  parsePasswordHash,
  passwordHashProblem,
  verifyPasswordHash,
  verifyPasswordHashAsync,
} from './auth/password-hash.js';
export { lmPasswordHash } from './auth/lmhash.js';
export { hashNtPasswordHash, type NtSecret, ntPasswordHash } from './auth/nthash.js';
export { ntChallengeResponse, verifyNtChallengeResponse } from './auth/mschap.js';
export {
  challengeHash,
  checkAuthenticatorResponse,
  generateAuthenticatorResponse,
  generateNtResponse,
  verifyNtResponse,
} from './auth/mschapv2.js';
export { decryptMppeKey, encryptMppeKey, type MppeKeys, mppeKeysV2, msChapMppeKeys } from './auth/mppe.js';
export { md4 } from './auth/md4.js';
export {
  type DacConfig,
  DynamicAuthorizationServer,
  type DynamicAuthorizationServerOptions,
  type DynauthHandlerResult,
  type DynauthHandlerTuple,
  type DynauthListeningInfo,
  type DynauthRequestContext,
  type ResolvedDynauthOptions,
} from './dynauth/dynamic-authorization-server.js';
export { type DasSendOptions, sendToDas } from './dynauth/das-sender.js';
export {
  ERROR_CAUSE,
  type ErrorCause,
  errorCauseName,
  errorCauseRefusal,
  errorCauses,
} from './dynauth/error-cause.js';
export {
  AUTHORIZE_ONLY,
  checkDynauthRequest,
  isAuthorizeOnly,
  NAS_IDENTIFICATION_ATTRIBUTES,
  type NasIdentification,
  type RuleViolation,
  SESSION_IDENTIFICATION_ATTRIBUTES,
  type SessionRuleOptions,
  SessionRules,
} from './dynauth/session-rules.js';
export { type DynauthCounters, newDynauthCounters } from './dynauth/dynauth-counters.js';
export { isEventTimestampCurrent } from './dynauth/event-timestamp.js';
export {
  RadiusClient,
  type RadiusClientOptions,
  type SendOptions,
  type SendResult,
  type ServerStatus,
  type UnverifiedReply,
} from './client/radius-client.js';
export type { FailoverPolicy, ServerConfig } from './client/server-pool.js';
export { RADSEC_PORT, RADSEC_SECRET } from './client/server-pool.js';
export type { ClientTransport, RadsecConnectionOptions } from './client/stream-connection.js';
export {
  ALPN_RADIUS_10,
  ALPN_RADIUS_11,
  type NegotiatedVersion,
  type RadiusVersion,
} from './transport/radius-version.js';
export type { PskCredentials, PskKeys } from './transport/tls-psk.js';
export type { ClientStatistics, InvalidResponseCounts } from './client/statistics.js';
export type { ServiceKind } from './client/destination.js';
export { type EapMethodList, EapServer, type EapServerOptions, EapSession } from './eap/eap-server.js';
export {
  EAP_FAILURE,
  EAP_METHOD_NAMES,
  EAP_REQUEST,
  EAP_RESPONSE,
  EAP_SUCCESS,
  EAP_TYPE,
  type EapMethodName,
  type EapMethodSpelling,
  eapMethodName,
} from './eap/codes.js';
export { decodeEap, encodeEap, encodeEapResult, type EapPacket } from './eap/packet.js';
export type {
  CredentialsLookup,
  EapMethod,
  MethodContext,
  MethodInstance,
  MethodKeys,
  MethodStep,
} from './eap/method.js';
export {
  type EapSessionStore,
  MemorySessionStore,
  type MemorySessionStoreOptions,
  type SessionStore,
  type StoredSession,
} from './store/session-store.js';
export type { EapTlsOptions, TlsEndpointKind, TlsEngineConfig } from './eap/tls-config.js';
export { certificateNames, certificateNamesIdentity } from './eap/certificate-names.js';
export type { MethodKeying, TlsChannel, TlsFacts } from './eap/tls-engine.js';
export {
  type ForwardOptions,
  type HomeServerConfig,
  type NasTarget,
  ProxyLoopError,
  ProxyRouteError,
  RadiusProxy,
  type RadiusProxyOptions,
} from './proxy/radius-proxy.js';
export {
  DEFAULT_HOME_WINDOW,
  type HealthServer,
  HomeHealth,
  type HomeHealthOptions,
  type HomeServerState,
  type HomeServerStatus,
  type HomeStateChange,
} from './proxy/home-health.js';
export {
  DynauthProxy,
  type DynauthProxyOptions,
  NasDirectory,
  type NasDirectoryOptions,
  type NasInfo,
} from './proxy/dynauth-proxy.js';
export {
  type BalanceMethod,
  type HealthCheck,
  HomePool,
  type PoolConfig,
  hashKey,
} from './proxy/home-pool.js';
export {
  AccountingQueue,
  type AccountingQueueOptions,
  type QueuedRequest,
  type QueueSender,
  type SentAttempt,
} from './proxy/accounting-queue.js';
export {
  type ParsedUserName,
  type RealmConfig,
  type RealmMatch,
  type RealmSyntax,
  RealmTable,
  parseUserName,
} from './proxy/realm.js';
export type { AccountingStore, MaybePromise, ServeStore, UserStore } from './store/store.js';
export { ACCT_STATUS, type AccountingRecord, accountingRecord, recordKey } from './store/accounting.js';
export { GroupCommit, type GroupCommitOptions } from './store/group-commit.js';
export type {
  AccountingQueries,
  AccountingRecordRow,
  PurgeResult,
  SessionFilter,
} from './store/accounting-queries.js';
export {
  type SessionRow,
  SqliteStore,
  type SqliteStoreOptions,
  type StoredValue,
  type UserRecord,
} from './store/sqlite-store.js';
export { PostgresStore, type PostgresStoreOptions } from './store/postgres-store.js';
export { type Migration, POSTGRES_MIGRATIONS } from './store/postgres-migrations.js';
export { MAX_SIGNING_NASES, MemoryBlastRadiusState } from './store/blastradius-state.js';
export { RedisBlastRadiusState } from './store/redis-blastradius-state.js';
export type {
  BlastRadiusState,
  DuplicateClaim,
  JsonValue,
  SessionData,
  SharedDuplicateStore,
  SharedSessionStore,
  SharedTlsSessions,
} from './store/store.js';
export {
  type RedisCommands,
  RedisSharedState,
  type RedisSharedStateOptions,
} from './store/redis-shared-state.js';
export { RedisPeerRegistry, RedisSessionStore, RedisTlsSessions } from './store/redis-eap-state.js';
export {
  ClusterLink,
  type ClusterLinkCounters,
  type ClusterLinkOptions,
  type ForwardTarget,
  type PeerDirectory,
} from './cluster/cluster-link.js';
export { routeEapRound } from './cluster/eap-routing.js';
export { stateOwner, stateOwnerTag } from './cluster/state-owner.js';
