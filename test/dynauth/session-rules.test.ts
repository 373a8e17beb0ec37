import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ERROR_CAUSE } from '../../src/dynauth/error-cause.js';
import { InvalidValueError } from '../../src/errors.js';
import {
  checkDynauthRequest,
  dropForbiddenReplyAttributes,
  isAuthorizeOnly,
  type SessionRuleOptions,
  SessionRules,
} from '../../src/dynauth/session-rules.js';
import { type AttributePair, AttributesSet } from '../../src/protocol/attributes.js';
import {
  COA_ACK,
  COA_NAK,
  COA_REQUEST,
  DISCONNECT_ACK,
  DISCONNECT_NAK,
  DISCONNECT_REQUEST,
} from '../../src/protocol/codes.js';
import { CoARequest, DisconnectRequest, decodeRequest } from '../../src/protocol/packet.js';

const attrs = (...pairs: AttributePair[]) => new AttributesSet(undefined, pairs);

interface Case {
  name: string;
  code: number;
  pairs: AttributePair[];
  options?: SessionRuleOptions;
  /** Expected Error-Cause, or undefined when the request passes to the handler. */
  cause: number | undefined;
}

const NAS = { nasIpAddress: '192.0.2.1', nasIpv6Address: '2001:db8::1', nasIdentifier: 'nas-1' };

const cases: Case[] = [
  { name: 'CoA with User-Name passes', code: COA_REQUEST, pairs: [['User-Name', 'alice']], cause: undefined },
  {
    name: 'CoA with Acct-Session-Id and a filter passes',
    code: COA_REQUEST,
    pairs: [
      ['Acct-Session-Id', 's1'],
      ['Filter-Id', 'gold'],
      ['NAS-Filter-Rule', 'permit in ip from any to any'],
      ['NAS-Filter-Rule', 'deny in ip from any to any'],
    ],
    cause: undefined,
  },
  {
    name: 'CoA with only a NAS identification and a filter: Missing-Attribute',
    code: COA_REQUEST,
    pairs: [
      ['NAS-IP-Address', '192.0.2.1'],
      ['Filter-Id', 'gold'],
    ],
    cause: ERROR_CAUSE.MISSING_ATTRIBUTE,
  },
  { name: 'empty Disconnect: Missing-Attribute', code: DISCONNECT_REQUEST, pairs: [], cause: 402 },
  ...(
    [
      ['NAS-Port', 7],
      ['Framed-IP-Address', '10.0.0.7'],
      ['Called-Station-Id', 'aa-bb'],
      ['Calling-Station-Id', '00-11-22-33-44-55'],
      ['Acct-Multi-Session-Id', 'm1'],
      ['NAS-Port-Id', 'eth0'],
      ['Chargeable-User-Identity', 'cui'],
      ['Framed-Interface-Id', '0:0:0:1'],
      ['Framed-IPv6-Prefix', '2001:db8:1::/64'],
      ['Attr-26.9.1', Buffer.from('audit-session-id=1')],
    ] as AttributePair[]
  ).map(
    (pair): Case => ({
      name: `Disconnect identified by ${pair[0]} passes`,
      code: DISCONNECT_REQUEST,
      pairs: [pair],
      cause: undefined,
    }),
  ),
  {
    name: 'Disconnect with identification, Class, Reply-Message, Event-Timestamp and Proxy-State passes',
    code: DISCONNECT_REQUEST,
    pairs: [
      ['User-Name', 'alice'],
      ['NAS-Identifier', 'nas-1'],
      ['Class', Buffer.from('c')],
      ['Reply-Message', 'bye'],
      ['Event-Timestamp', new Date()],
      ['Proxy-State', Buffer.from('p')],
      ['Acct-Terminate-Cause', 'Admin-Reset'],
    ],
    cause: undefined,
  },
  {
    name: 'Disconnect with Service-Type: Unsupported-Attribute (§3.2)',
    code: DISCONNECT_REQUEST,
    pairs: [
      ['User-Name', 'alice'],
      ['Service-Type', 'Framed-User'],
    ],
    cause: ERROR_CAUSE.UNSUPPORTED_ATTRIBUTE,
  },
  {
    name: 'Disconnect with Service-Type Authorize-Only: Unsupported-Attribute, never 405',
    code: DISCONNECT_REQUEST,
    pairs: [
      ['User-Name', 'alice'],
      ['Service-Type', 'Authorize-Only'],
    ],
    cause: ERROR_CAUSE.UNSUPPORTED_ATTRIBUTE,
  },
  {
    name: 'Disconnect with Filter-Id: Unsupported-Attribute',
    code: DISCONNECT_REQUEST,
    pairs: [
      ['User-Name', 'alice'],
      ['Filter-Id', 'gold'],
    ],
    cause: 401,
  },
  {
    name: 'Disconnect with State: Unsupported-Attribute',
    code: DISCONNECT_REQUEST,
    pairs: [
      ['User-Name', 'alice'],
      ['State', Buffer.from('s')],
    ],
    cause: 401,
  },
  {
    name: 'Disconnect with Framed-IPv6-Address: refused, unless named as identification',
    code: DISCONNECT_REQUEST,
    pairs: [
      ['User-Name', 'alice'],
      ['Framed-IPv6-Address', '2001:db8::7'],
    ],
    cause: 401,
  },
  {
    name: 'Disconnect with Framed-IPv6-Address named as identification passes',
    code: DISCONNECT_REQUEST,
    pairs: [['Framed-IPv6-Address', '2001:db8::7']],
    options: { sessionIdentificationAttributes: ['Framed-IPv6-Address'] },
    cause: undefined,
  },
  {
    name: 'CoA with Error-Cause: Unsupported-Attribute (§3.6 "0")',
    code: COA_REQUEST,
    pairs: [
      ['User-Name', 'alice'],
      ['Error-Cause', 503],
    ],
    cause: 401,
  },
  {
    name: 'CoA with two User-Name: Invalid-Request',
    code: COA_REQUEST,
    pairs: [
      ['User-Name', 'alice'],
      ['User-Name', 'bob'],
    ],
    cause: ERROR_CAUSE.INVALID_REQUEST,
  },
  {
    name: 'CoA with two State: Invalid-Request (§3.3)',
    code: COA_REQUEST,
    pairs: [
      ['User-Name', 'alice'],
      ['State', Buffer.from('a')],
      ['State', Buffer.from('b')],
    ],
    cause: 404,
  },
  {
    name: 'Authorize-Only when unsupported: Unsupported-Service (§3.2)',
    code: COA_REQUEST,
    pairs: [
      ['User-Name', 'alice'],
      ['Service-Type', 'Authorize-Only'],
      ['State', Buffer.from('s')],
    ],
    cause: ERROR_CAUSE.UNSUPPORTED_SERVICE,
  },
  {
    name: 'Authorize-Only without State: Missing-Attribute (§3.3)',
    code: COA_REQUEST,
    pairs: [
      ['User-Name', 'alice'],
      ['Service-Type', 'Authorize-Only'],
    ],
    options: { authorizeOnly: true },
    cause: ERROR_CAUSE.MISSING_ATTRIBUTE,
  },
  {
    name: 'Authorize-Only with an authorization attribute: Unsupported-Attribute (§3.2)',
    code: COA_REQUEST,
    pairs: [
      ['User-Name', 'alice'],
      ['Service-Type', 'Authorize-Only'],
      ['State', Buffer.from('s')],
      ['Session-Timeout', 60],
    ],
    options: { authorizeOnly: true },
    cause: 401,
  },
  {
    name: 'Authorize-Only with identification, State, Event-Timestamp and Proxy-State passes',
    code: COA_REQUEST,
    pairs: [
      ['User-Name', 'alice'],
      ['NAS-IP-Address', '192.0.2.1'],
      ['Service-Type', 'Authorize-Only'],
      ['State', Buffer.from('s')],
      ['Event-Timestamp', new Date()],
      ['Proxy-State', Buffer.from('p')],
    ],
    options: { authorizeOnly: true },
    cause: undefined,
  },
  {
    name: 'other Service-Type values in a CoA are the handler’s decision',
    code: COA_REQUEST,
    pairs: [
      ['User-Name', 'alice'],
      ['Service-Type', 'Framed-User'],
    ],
    cause: undefined,
  },
  {
    name: 'NAS-IP-Address of another NAS: NAS-Identification-Mismatch',
    code: COA_REQUEST,
    pairs: [
      ['User-Name', 'alice'],
      ['NAS-IP-Address', '192.0.2.99'],
    ],
    options: { nasIdentification: NAS },
    cause: ERROR_CAUSE.NAS_IDENTIFICATION_MISMATCH,
  },
  {
    name: 'NAS-IPv6-Address of another NAS: mismatch',
    code: DISCONNECT_REQUEST,
    pairs: [
      ['User-Name', 'alice'],
      ['NAS-IPv6-Address', '2001:db8::2'],
    ],
    options: { nasIdentification: NAS },
    cause: 403,
  },
  {
    name: 'NAS-Identifier of another NAS: mismatch',
    code: DISCONNECT_REQUEST,
    pairs: [
      ['User-Name', 'alice'],
      ['NAS-Identifier', 'nas-2'],
    ],
    options: { nasIdentification: NAS },
    cause: 403,
  },
  {
    name: 'matching NAS identification (IPv6 written another way) passes',
    code: DISCONNECT_REQUEST,
    pairs: [
      ['User-Name', 'alice'],
      ['NAS-IP-Address', '192.0.2.1'],
      ['NAS-IPv6-Address', '2001:0db8:0:0::1'],
      ['NAS-Identifier', 'nas-1'],
    ],
    options: { nasIdentification: NAS },
    cause: undefined,
  },
  {
    name: 'NAS identification is not checked without the option',
    code: DISCONNECT_REQUEST,
    pairs: [
      ['User-Name', 'alice'],
      ['NAS-IP-Address', '192.0.2.99'],
    ],
    cause: undefined,
  },
];

describe('SessionRules.checkRequest (RFC 5176 §3)', () => {
  for (const c of cases) {
    test(c.name, () => {
      const v = new SessionRules(c.options).checkRequest(c.code, attrs(...c.pairs));
      assert.equal(v?.errorCause, c.cause, v?.reason);
      if (v) assert.match(v.reason, /\S/);
    });
  }

  test('a malformed identification value (3-byte Framed-IP-Address) is an Invalid-Request', () => {
    const request = new DisconnectRequest('s');
    request.add('User-Name', 'alice');
    request.add('Attr-8', Buffer.from([10, 0, 0]));
    const decoded = decodeRequest('s', request.encode());
    const v = new SessionRules().checkRequest(DISCONNECT_REQUEST, decoded.attributes);
    assert.equal(v?.errorCause, ERROR_CAUSE.INVALID_REQUEST);
    assert.match(v?.reason ?? '', /Framed-IP-Address/);
  });

  test('bad nasIdentification addresses are refused up front', () => {
    assert.throws(
      () => new SessionRules({ nasIdentification: { nasIpAddress: 'nas.example' } }),
      InvalidValueError,
    );
    assert.throws(
      () => new SessionRules({ nasIdentification: { nasIpv6Address: '10.0.0.1' } }),
      InvalidValueError,
    );
  });

  test('checkDynauthRequest accepts Authorize-Only (the sender does not know the NAS)', () => {
    const pairs: AttributePair[] = [
      ['User-Name', 'alice'],
      ['Service-Type', 'Authorize-Only'],
      ['State', Buffer.from('s')],
    ];
    assert.equal(checkDynauthRequest(COA_REQUEST, attrs(...pairs)), undefined);
    assert.ok(isAuthorizeOnly(attrs(...pairs)));
    assert.ok(!isAuthorizeOnly(attrs(['User-Name', 'a'], ['Service-Type', 'Login-User'])));
    assert.equal(checkDynauthRequest(DISCONNECT_REQUEST, attrs())?.errorCause, 402);
    // A decoded request carries the value's name; a number works too.
    const coa = new CoARequest('s', {
      attributes: [
        ['User-Name', 'a'],
        ['Service-Type', 17],
      ],
    });
    assert.ok(isAuthorizeOnly(decodeRequest('s', coa.encode()).attributes));
  });
});

describe('SessionRules.checkReply (RFC 5176 §3.5, §3.6)', () => {
  const rules = new SessionRules();
  const ok: Array<[string, number, AttributePair[]]> = [
    ['empty CoA-ACK', COA_ACK, []],
    [
      'CoA-ACK with State and Proxy-State',
      COA_ACK,
      [
        ['State', Buffer.from('s')],
        ['Proxy-State', Buffer.from('p')],
      ],
    ],
    [
      'CoA-NAK with Service-Type and 507',
      COA_NAK,
      [
        ['Service-Type', 'Authorize-Only'],
        ['Error-Cause', 507],
      ],
    ],
    [
      'Disconnect-ACK with Acct-Terminate-Cause and 201',
      DISCONNECT_ACK,
      [
        ['Acct-Terminate-Cause', 'Admin-Reset'],
        ['Error-Cause', 201],
      ],
    ],
    [
      'Disconnect-NAK with 504',
      DISCONNECT_NAK,
      [
        ['Error-Cause', 504],
        ['Event-Timestamp', new Date()],
      ],
    ],
  ];
  for (const [name, code, pairs] of ok)
    test(`${name} may be sent`, () => assert.equal(rules.checkReply(code, attrs(...pairs)), undefined));
  const bad: Array<[string, number, AttributePair[]]> = [
    ['CoA-ACK with Reply-Message', COA_ACK, [['Reply-Message', 'hi']]],
    ['CoA-ACK with an error cause', COA_ACK, [['Error-Cause', 503]]],
    [
      'CoA-ACK with two State',
      COA_ACK,
      [
        ['State', Buffer.from('a')],
        ['State', Buffer.from('b')],
      ],
    ],
    ['Disconnect-NAK with Service-Type', DISCONNECT_NAK, [['Service-Type', 'Login-User']]],
    ['Disconnect-NAK with 405', DISCONNECT_NAK, [['Error-Cause', 405]]],
    ['Disconnect-ACK with a VSA', DISCONNECT_ACK, [['Attr-26.9.1', Buffer.from('x=y')]]],
    ['CoA-NAK with 201', COA_NAK, [['Error-Cause', 201]]],
  ];
  for (const [name, code, pairs] of bad)
    test(`${name} is refused`, () => assert.ok(rules.checkReply(code, attrs(...pairs))));

  // A proxy relays a NAS's verdict without what §3.6 forbids: what is left always passes checkReply.
  for (const [name, code, pairs] of ok)
    test(`dropForbiddenReplyAttributes keeps a ${name} whole`, () => {
      const set = attrs(...pairs);
      assert.deepEqual(dropForbiddenReplyAttributes(code, set), []);
      assert.equal(set.size, pairs.length);
    });
  for (const [name, code, pairs] of bad)
    test(`dropForbiddenReplyAttributes makes a ${name} sendable`, () => {
      const set = attrs(...pairs);
      assert.ok(dropForbiddenReplyAttributes(code, set).length > 0);
      assert.equal(rules.checkReply(code, set), undefined);
    });
  test('dropForbiddenReplyAttributes names what it drops and keeps the rest in order', () => {
    const set = attrs(
      ['Proxy-State', Buffer.from('p')],
      ['Reply-Message', 'hi'],
      ['Error-Cause', 201],
      ['Event-Timestamp', new Date(0)],
      ['Filter-Id', 'gold'],
    );
    assert.deepEqual(dropForbiddenReplyAttributes(COA_ACK, set), [
      'Reply-Message',
      'Error-Cause 201',
      'Filter-Id',
    ]);
    assert.deepEqual(set.keys(), ['Proxy-State', 'Event-Timestamp']);
  });
});
