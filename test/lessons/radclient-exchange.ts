// One Access-Request from radclient to a server of ours whose handler each lesson test writes: the
// server is started on loopback before and closed after.
import { AbstractRadiusServer, type AttributesSet, type HandlerResult } from '../../src/index.js';
import { type RadclientResult, radclient } from '../helpers/peers.js';

/**
 * Starts a server whose Access-Request handler is `answer` (its NAS secret `secret`), sends it the
 * attribute lines `lines` (Message-Authenticator added) with radclient, and returns what radclient read.
 */
export async function radclientExchange(
  secret: string,
  lines: readonly string[],
  answer: (attributes: AttributesSet) => HandlerResult<number>,
): Promise<RadclientResult> {
  class LessonServer extends AbstractRadiusServer {
    validateNas() {
      return secret;
    }
    override handleAuthPacket(attributes: AttributesSet) {
      return answer(attributes);
    }
  }
  const server = new LessonServer('127.0.0.1', { authPort: 0 });
  const port = (await server.start()).authPort as number;
  try {
    return await radclient({
      host: '127.0.0.1',
      port,
      type: 'auth',
      secret,
      input: [...lines, 'Message-Authenticator = 0x00'].join('\n'),
    });
  } finally {
    await server.close();
  }
}
