// Building raw BGP messages for tests.
import { expect } from 'vitest';
import type { ReadResult } from '../types.ts';
import { bytesToHex, hexToBytes } from './exabgp.ts';

export { bytesToHex, hexToBytes };

function u16hex(v: number): string {
  return v.toString(16).padStart(4, '0');
}

/** A whole message: marker, length, type, body (hex). `length` overrides the length field. */
export function message(type: number, bodyHex: string, length?: number): Uint8Array {
  const body = hexToBytes(bodyHex);
  const len = length ?? 19 + body.length;
  return hexToBytes(
    `${'ff'.repeat(16)}${u16hex(len)}${type.toString(16).padStart(2, '0')}${bytesToHex(body)}`,
  );
}

/** One path attribute (hex); extended length when `flags` has 0x10. */
export function attr(flags: number, code: number, valueHex: string): string {
  const len = valueHex.replace(/\s/g, '').length / 2;
  const l = (flags & 0x10) !== 0 ? u16hex(len) : len.toString(16).padStart(2, '0');
  return `${flags.toString(16).padStart(2, '0')}${code.toString(16).padStart(2, '0')}${l}${valueHex.replace(/\s/g, '')}`;
}

export const ORIGIN_IGP = attr(0x40, 1, '00');
export const AS_PATH_EMPTY = attr(0x40, 2, '');
export const NEXT_HOP = attr(0x40, 3, 'c0000201');
export const MANDATORY = [ORIGIN_IGP, AS_PATH_EMPTY, NEXT_HOP];

/** An UPDATE from attribute hex strings, NLRI hex and withdrawn hex. */
export function update(attrs: readonly string[], nlriHex = '', withdrawnHex = ''): Uint8Array {
  const a = attrs.join('');
  return message(2, `${u16hex(withdrawnHex.length / 2)}${withdrawnHex}${u16hex(a.length / 2)}${a}${nlriHex}`);
}

export function expectError(r: ReadResult, code: number, subcode: number, dataHex = ''): void {
  if (r.kind !== 'error') throw new Error(`expected error ${code}/${subcode}, got ${r.kind}`);
  expect([r.notification.code, r.notification.subcode], r.reason).toEqual([code, subcode]);
  expect(bytesToHex(r.notification.data)).toBe(dataHex.toUpperCase());
  expect(r.reason.length).toBeGreaterThan(5);
}

export function expectIssue(
  r: ReadResult,
  kind: 'message' | 'treat-as-withdraw',
  action: 'attribute-discard' | 'treat-as-withdraw',
  subcode: number,
  dataHex = '',
): void {
  if (r.kind === 'error') throw new Error(`expected ${kind}, got error: ${r.reason}`);
  expect(r.kind).toBe(kind);
  expect(r.issues.length).toBeGreaterThan(0);
  const i = r.issues[0];
  expect(i?.action).toBe(action);
  expect([i?.notification?.code, i?.notification?.subcode]).toEqual([3, subcode]);
  expect(bytesToHex(i?.notification?.data ?? new Uint8Array())).toBe(dataHex.toUpperCase());
}
