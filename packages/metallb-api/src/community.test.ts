import { describe, expect, it } from 'vitest';
import { formatCommunity, parseCommunity } from './community.ts';

describe('parseCommunity', () => {
  it('standard AS:VALUE', () => {
    expect(parseCommunity('65000:100')).toEqual({
      ok: true,
      value: { kind: 'standard', value: ((65000 << 16) | 100) >>> 0 },
    });
    expect(parseCommunity('65535:65535')).toEqual({
      ok: true,
      value: { kind: 'standard', value: 0xffffffff },
    });
    expect(parseCommunity('65536:1')).toMatchObject({ ok: false, reason: 'value' });
  });
  it('large:G:L1:L2', () => {
    expect(parseCommunity('large:65000:1:4294967295')).toEqual({
      ok: true,
      value: { kind: 'large', globalAdmin: 65000, localData1: 1, localData2: 4294967295 },
    });
    expect(parseCommunity('large:1:2')).toMatchObject({ ok: false, reason: 'format' });
    expect(parseCommunity('large:4294967296:1:1')).toMatchObject({ ok: false, reason: 'value' });
  });
  it('anything else is a format error (it may be an alias name)', () => {
    expect(parseCommunity('no-advertise')).toMatchObject({ ok: false, reason: 'format' });
    expect(parseCommunity('1:2:3')).toMatchObject({ ok: false, reason: 'format' });
  });
  it('formats back', () => {
    for (const s of ['65000:100', '0:0', 'large:1:2:3']) {
      const p = parseCommunity(s);
      expect(p.ok && formatCommunity(p.value)).toBe(s);
    }
  });
});
