// The datagrams of the cluster link: what is encoded decodes the same, and nothing decodes under
// another key or with one octet changed. The State's owner tag names IPv4 and IPv6 owners.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  decodeForwardMessage,
  encodeForwardReply,
  encodeForwardRequest,
} from '../../src/cluster/forward-message.js';
import { stateOwner, stateOwnerTag } from '../../src/cluster/state-owner.js';

const key = Buffer.from('a cluster key of sixteen octets or more');
const packet = randomBytes(60);

test('a forwarded request round-trips, IPv4 and IPv6 NAS addresses', () => {
  for (const nasAddress of ['192.0.2.7', '2001:db8::17', '::ffff:10.1.2.3']) {
    const nonce = randomBytes(16);
    const data = encodeForwardRequest(key, {
      nonce,
      sentAt: 1_700_000_000_123,
      nasAddress,
      nasPort: 40123,
      packet,
    });
    assert.deepEqual(decodeForwardMessage(key, data), {
      type: 'request',
      nonce,
      sentAt: 1_700_000_000_123,
      nasAddress,
      nasPort: 40123,
      packet,
    });
  }
});

test('a reply round-trips', () => {
  const nonce = randomBytes(16);
  assert.deepEqual(decodeForwardMessage(key, encodeForwardReply(key, nonce, packet)), {
    type: 'reply',
    nonce,
    packet,
  });
});

test('another key, any octet changed, or a truncated datagram: nothing', () => {
  const data = encodeForwardRequest(key, {
    nonce: randomBytes(16),
    sentAt: Date.now(),
    nasAddress: '127.0.0.1',
    nasPort: 1,
    packet,
  });
  assert.equal(decodeForwardMessage(Buffer.from('another key of sixteen octets'), data), undefined);
  for (const at of [0, 3, 10, 25, 40, data.length - 1]) {
    const bad = Buffer.from(data);
    bad[at] ^= 0x01;
    assert.equal(decodeForwardMessage(key, bad), undefined, `octet ${at}`);
  }
  assert.equal(decodeForwardMessage(key, data.subarray(0, 30)), undefined);
  assert.equal(decodeForwardMessage(key, Buffer.alloc(0)), undefined);
});

test("the State's owner tag names the instance; other States name none", () => {
  for (const address of ['10.0.0.11:1815', '[fd00::11]:1815', '[::1]:40000']) {
    const state = Buffer.concat([stateOwnerTag(address), randomBytes(16)]);
    assert.equal(stateOwner(state), address);
  }
  assert.equal(stateOwner(randomBytes(16).fill(0)), undefined);
  assert.equal(stateOwner(Buffer.from([0xa1, 4, 1])), undefined);
});
