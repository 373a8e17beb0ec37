import type { BuiltinTable } from './table.js';

/** RFC 5176 (Dynamic Authorization Extensions to RADIUS; obsoletes RFC 3576): Error-Cause and values. */
export const rfc5176: BuiltinTable = {
  source: 'RFC 5176',
  attributes: [[101, 'Error-Cause', 'integer']],
  values: {
    // §3.2 "Authorize Only"; the number is the one IANA assigned for RFC 3576.
    'Service-Type': { 'Authorize-Only': 17 },
    // §3.5. The first name of each number is the one servers print; the second spells the RFC text.
    'Error-Cause': {
      'Residual-Context-Removed': 201,
      'Residual-Session-Context-Removed': 201,
      'Invalid-EAP-Packet': 202,
      'Unsupported-Attribute': 401,
      'Missing-Attribute': 402,
      'NAS-Identification-Mismatch': 403,
      'Invalid-Request': 404,
      'Unsupported-Service': 405,
      'Unsupported-Extension': 406,
      'Invalid-Attribute-Value': 407,
      'Administratively-Prohibited': 501,
      'Proxy-Request-Not-Routable': 502,
      'Request-Not-Routable': 502,
      'Session-Context-Not-Found': 503,
      'Session-Context-Not-Removable': 504,
      'Proxy-Processing-Error': 505,
      'Other-Proxy-Processing-Error': 505,
      'Resources-Unavailable': 506,
      'Request-Initiated': 507,
      'Multiple-Session-Selection-Unsupported': 508,
    },
  },
};
