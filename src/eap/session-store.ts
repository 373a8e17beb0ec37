// Where EAP conversations wait between rounds: the store interfaces live in src/store.
export {
  type EapSessionStore,
  MemorySessionStore,
  type MemorySessionStoreOptions,
  type SessionStore,
  type StoredSession,
} from '../store/session-store.js';
