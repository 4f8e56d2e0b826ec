import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressRangeProblem, addressRanges } from '../../../src/util/address-ranges.js';

test('IPs and CIDR ranges of both families; an IPv4-mapped IPv6 peer matches its IPv4 range', () => {
  const r = addressRanges(['10.1.0.0/16', '192.0.2.7', 'fd00::/8', '::1']);
  for (const yes of ['10.1.0.1', '10.1.255.255', '::ffff:10.1.2.3', '192.0.2.7', '::ffff:192.0.2.7', 'fd12::5', '::1']) assert.equal(r.has(yes), true, yes);
  for (const no of ['10.2.0.1', '192.0.2.8', 'fe80::1', '::2', '127.0.0.1', '', 'localhost', '10.1.0.1/16']) assert.equal(r.has(no), false, no);
  assert.equal(addressRanges([]).has('127.0.0.1'), false, 'empty trusts nobody');
});

test('what is not an IP or range is named', () => {
  assert.equal(addressRangeProblem('10.0.0.0/8'), undefined);
  assert.equal(addressRangeProblem('::/0'), undefined);
  assert.match(addressRangeProblem('10.0.0.0/33')!, /prefix length of an IPv4 range is 0-32/);
  assert.match(addressRangeProblem('fd00::/129')!, /prefix length of an IPv6 range is 0-128/);
  for (const bad of ['proxy.internal', '10.0.0', '10.0.0.0/', '10.0.0.0/8/8', '', ' ', '10.0.0.256']) assert.match(addressRangeProblem(bad)!, /is not an IP address or CIDR range/, JSON.stringify(bad));
  assert.throws(() => addressRanges(['10.0.0.1', 'nope']), /"nope" is not an IP address/);
});
