// Fuzz target: the attribute-list parser of `aioradius send` (radclient-style `Name = value`
// text), then the packets it describes built, encoded and decoded back as `send` would build them.
// The parser's own error is UsageError (the CLI's typed error for bad input); from building on,
// only RadiusError may escape, and a packet we encoded must decode.
import { UsageError } from '../../src/cli/args.js';
import { parseAttributeText } from '../../src/cli/format.js';
import { buildPacket } from '../../src/cli/send.js';
import { RadiusError } from '../../src/errors.js';
import { decodeRequest } from '../../src/protocol/packet.js';
import { fuzzDictionary, InvariantError, SECRET, typed } from './common.js';

/** Access-Request, Accounting-Request, CoA-Request, Disconnect-Request, Status-Server. */
const CODES = [1, 4, 43, 40, 12];

export function fuzz(input: Buffer): void {
  let packets: ReturnType<typeof parseAttributeText>;
  try {
    packets = parseAttributeText(input.toString('utf8'));
  } catch (err) {
    if (err instanceof UsageError) return;
    throw err;
  }
  for (let i = 0; i < packets.length && i < 8; i++) {
    const code = CODES[i % CODES.length];
    const wire = typed(() => buildPacket(code, SECRET.toString(), packets[i], fuzzDictionary).encode());
    if (wire instanceof RadiusError) continue;
    const back = typed(() => decodeRequest(SECRET, wire, { dictionary: fuzzDictionary }));
    if (back instanceof RadiusError) {
      throw new InvariantError(
        `a packet we encoded does not decode: ${back.message}\n${wire.toString('hex')}`,
      );
    }
  }
}
