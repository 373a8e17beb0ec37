// A Logger that keeps the fields of each warning (the drop log's lines) and drops the rest.
import type { Logger } from '../../src/server/logger.js';

export function warningLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const noop = () => {};
  const logger: Logger = {
    debug: noop,
    info: noop,
    error: noop,
    warn(obj) {
      if (typeof obj === 'object') lines.push(obj as Record<string, unknown>);
    },
  };
  return { logger, lines };
}
