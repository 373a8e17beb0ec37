import type { BuiltinTable } from './table.js';

/** RFC 6929 (RADIUS Protocol Extensions): the extended spaces (§3) and their EVS attributes (§4). */
export const rfc6929: BuiltinTable = {
  source: 'RFC 6929',
  attributes: [
    [241, 'Extended-Type-1', 'extended'],
    [242, 'Extended-Type-2', 'extended'],
    [243, 'Extended-Type-3', 'extended'],
    [244, 'Extended-Type-4', 'extended'],
    // §2.2: with the "More" flag, so values may exceed one attribute.
    [245, 'Long-Extended-Type-1', 'long-extended'],
    [246, 'Long-Extended-Type-2', 'long-extended'],
    ['241.26', 'Extended-Vendor-Specific-1', 'evs'],
    ['242.26', 'Extended-Vendor-Specific-2', 'evs'],
    ['243.26', 'Extended-Vendor-Specific-3', 'evs'],
    ['244.26', 'Extended-Vendor-Specific-4', 'evs'],
    ['245.26', 'Extended-Vendor-Specific-5', 'evs'],
    ['246.26', 'Extended-Vendor-Specific-6', 'evs'],
  ],
};
