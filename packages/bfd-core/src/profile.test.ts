import { describe, expect, test } from 'vitest';
import {
  BFD_PROFILE_DEFAULTS,
  BFD_PROFILE_RANGES,
  BfdProfileError,
  ECHO_NOT_IMPLEMENTED_WARNING,
  normalizeBfdProfile,
  validateBfdProfile,
} from './profile.ts';
import { ManualPeer } from './testing/index.ts';

describe('MetalLB BFDProfile fields, defaults and ranges', () => {
  test('defaults are MetalLB’s: 300 ms / 300 ms × 3, echo 50 ms off, active, minimumTtl 254', () => {
    expect(normalizeBfdProfile({})).toEqual({
      receiveInterval: 300,
      transmitInterval: 300,
      detectMultiplier: 3,
      echoInterval: 50,
      echoMode: false,
      passiveMode: false,
      minimumTtl: 254,
    });
    expect(normalizeBfdProfile(undefined)).toEqual(BFD_PROFILE_DEFAULTS);
  });

  test('the seed manifest profile (300 ms × 3) normalizes unchanged', () => {
    const spec = { receiveInterval: 300, transmitInterval: 300, detectMultiplier: 3 };
    expect(normalizeBfdProfile(spec, 'tor-bfd')).toMatchObject(spec);
  });

  for (const [field, [min, max]] of Object.entries(BFD_PROFILE_RANGES)) {
    test(`${field}: ${min}–${max} accepted at both ends, rejected just outside with the field named`, () => {
      expect(normalizeBfdProfile({ [field]: min })).toMatchObject({ [field]: min });
      expect(normalizeBfdProfile({ [field]: max })).toMatchObject({ [field]: max });
      for (const bad of [min - 1, max + 1]) {
        const r = validateBfdProfile({ [field]: bad });
        expect(r.ok).toBe(false);
        if (r.ok) continue;
        expect(r.errors).toEqual([{ field, message: `${field} ${bad} is out of range ${min}–${max}` }]);
      }
      for (const bad of [1.5, '300', true, []]) {
        const r = validateBfdProfile({ [field]: bad });
        expect(
          r.ok === false && r.errors[0]!.field === field && /must be an integer/.test(r.errors[0]!.message),
        ).toBe(true);
      }
    });
  }

  test('a resolved profile from @bmlb/metallb-api (with its name) is accepted as is', () => {
    const resolved = { name: 'tor-bfd', ...BFD_PROFILE_DEFAULTS, receiveInterval: 100 };
    expect(normalizeBfdProfile(resolved)).toEqual({ ...BFD_PROFILE_DEFAULTS, receiveInterval: 100 });
    expect(validateBfdProfile({ name: 5 })).toMatchObject({ ok: false, errors: [{ field: 'name' }] });
  });

  test('booleans must be booleans', () => {
    const r = validateBfdProfile({ echoMode: 'yes', passiveMode: 1 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.field)).toEqual(['echoMode', 'passiveMode']);
  });

  test('unknown fields are errors naming the field (typos must not pass silently)', () => {
    const r = validateBfdProfile({ recieveInterval: 100 });
    expect(r.ok === false && r.errors[0]!.field === 'recieveInterval').toBe(true);
  });

  test('normalizeBfdProfile throws a BfdProfileError naming the profile and every bad field', () => {
    try {
      normalizeBfdProfile({ receiveInterval: 5, detectMultiplier: 1 }, 'tor-bfd');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(BfdProfileError);
      const err = e as BfdProfileError;
      expect(err.message).toBe(
        'BFDProfile tor-bfd: receiveInterval 5 is out of range 10–60000; detectMultiplier 1 is out of range 2–255',
      );
      expect(err.issues.map((i) => i.field)).toEqual(['receiveInterval', 'detectMultiplier']);
    }
    expect(() => normalizeBfdProfile('fast')).toThrow(/spec must be an object/);
  });

  test('echoMode is accepted with a warning that echo is not implemented', () => {
    const r = validateBfdProfile({ echoMode: true, echoInterval: 20 });
    expect(r).toEqual({
      ok: true,
      profile: { ...BFD_PROFILE_DEFAULTS, echoMode: true, echoInterval: 20 },
      warnings: [ECHO_NOT_IMPLEMENTED_WARNING],
    });
    expect(ECHO_NOT_IMPLEMENTED_WARNING).toMatch(/not implemented/);
    const p = new ManualPeer({ profile: { echoMode: true } });
    expect(p.events).toContainEqual({
      type: 'warning',
      sessionKey: 's',
      message: ECHO_NOT_IMPLEMENTED_WARNING,
    });
    // And the session never asks for echo packets.
    expect(p.sent.every((s) => s.packet.requiredMinEchoRxInterval === 0)).toBe(true);
  });

  test('profile intervals go on the wire in microseconds', () => {
    const p = new ManualPeer({
      profile: { transmitInterval: 2500, receiveInterval: 150, detectMultiplier: 7 },
    });
    expect(p.sent[0]!.packet).toMatchObject({
      desiredMinTxInterval: 2_500_000,
      requiredMinRxInterval: 150_000,
      detectMult: 7,
    });
  });

  test('updateProfile with an invalid profile throws and keeps the running profile', () => {
    const p = new ManualPeer({ profile: { transmitInterval: 200 } });
    expect(() => p.session.updateProfile(p.now, { transmitInterval: 0 })).toThrow(BfdProfileError);
    expect(p.session.profile.transmitInterval).toBe(200);
  });
});
