// Hostile peers and erratic drivers: nothing a peer sends, and no order of transport events, makes
// the session throw; it always answers with output, and its deadlines stay sane.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { encodeMessage } from '../codec/encode.ts';
import { PrefixList } from '../prefix.ts';
import { Probe, peerOpen } from '../testing/index.ts';

const STATES = new Set(['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established']);

function established(): Probe {
  const p = new Probe().open();
  p.peerSends(peerOpen());
  p.peerSends({ type: 'keepalive' });
  return p;
}

describe('robustness', () => {
  test('RFC 4271 §6: random bytes from the peer never throw and end in a NOTIFICATION or more input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, up) => {
        const p = up ? established() : new Probe().open();
        p.peerBytes(bytes);
        expect(STATES.has(p.session.state)).toBe(true);
        if (p.closed()) expect(p.notificationsSent().length).toBeGreaterThan(0);
      }),
      { numRuns: 500, seed: 0x5e55 },
    );
  });

  test('RFC 7606: mutated valid UPDATEs never throw; the session stays up or sends a NOTIFICATION', () => {
    const update = encodeMessage(
      {
        type: 'update',
        withdrawn: PrefixList.fromStrings(1, ['192.0.2.0/24']),
        attributes: {
          origin: 0,
          asPath: [{ type: 2, asns: [65002, 65010] }],
          nextHop: '10.0.0.2',
          med: 5,
          communities: [65002 * 65536 + 1],
          largeCommunities: [[65002, 1, 2]],
          mpReach: {
            afi: 2,
            safi: 1,
            nextHop: { global: '2001:db8::2', linkLocal: 'fe80::2' },
            nlri: PrefixList.fromStrings(2, ['2001:db8:1::/48']),
          },
        },
        nlri: PrefixList.fromStrings(1, ['198.51.100.0/24', '203.0.113.128/25']),
      },
      { as4: true },
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: 19, max: update.length - 1 }), fc.integer({ min: 0, max: 255 })),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        (mutations) => {
          const p = established();
          const bytes = update.slice();
          for (const [i, v] of mutations) bytes[i] = v;
          p.peerBytes(bytes);
          if (p.session.state !== 'Established') {
            expect(p.notificationsSent().length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 500, seed: 0x5e55 },
    );
  });

  test('any order of driver calls never throws, and nextTimeout never lies in the past after handleTimeout', () => {
    const call = fc.oneof(
      fc.record({ k: fc.constant('start' as const) }),
      fc.record({ k: fc.constant('stop' as const) }),
      fc.record({ k: fc.constant('up' as const), id: fc.constantFrom('x', 'y', 'connect#1', 'connect#2') }),
      fc.record({ k: fc.constant('fail' as const), id: fc.constantFrom('x', 'y', 'connect#1', 'connect#2') }),
      fc.record({ k: fc.constant('close' as const), id: fc.constantFrom('x', 'y', 'connect#1') }),
      fc.record({
        k: fc.constant('msg' as const),
        id: fc.constantFrom('x', 'y', 'connect#1'),
        m: fc.constantFrom('open', 'keepalive', 'notification', 'refresh', 'garbage'),
      }),
      fc.record({ k: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 300_000 }) }),
      fc.record({ k: fc.constant('routes' as const), n: fc.integer({ min: 0, max: 5 }) }),
    );
    const bytesOf = (m: string): Uint8Array => {
      switch (m) {
        case 'open':
          return encodeMessage(peerOpen());
        case 'keepalive':
          return encodeMessage({ type: 'keepalive' });
        case 'notification':
          return encodeMessage({ type: 'notification', code: 6, subcode: 2, data: new Uint8Array(0) });
        case 'refresh':
          return encodeMessage({ type: 'route-refresh', afi: 1, safi: 1, subtype: 0 });
        default:
          return Uint8Array.of(1, 2, 3);
      }
    };
    fc.assert(
      fc.property(fc.array(call, { maxLength: 40 }), fc.boolean(), (calls, passive) => {
        const p = new Probe({ passive, delayOpen: calls.length % 2 === 0 });
        const s = p.session;
        const up = new Set<string>();
        for (const c of calls) {
          switch (c.k) {
            case 'start':
              s.start(p.now);
              break;
            case 'stop':
              s.stop(p.now, 'bye');
              up.clear();
              break;
            case 'up':
              if (up.has(c.id)) break; // the driver never reports the same id twice
              s.connectionUp(p.now, { id: c.id, localAddress: '10.0.0.1', remoteAddress: '10.0.0.2' });
              up.add(c.id);
              break;
            case 'fail':
              s.connectionFailed(p.now, c.id);
              up.delete(c.id);
              break;
            case 'close':
              s.connectionClosed(p.now, c.id);
              up.delete(c.id);
              break;
            case 'msg':
              s.receive(p.now, c.id, bytesOf(c.m));
              break;
            case 'time':
              p.now += c.ms;
              s.handleTimeout(p.now);
              {
                const t = s.nextTimeout();
                if (t !== undefined) expect(t).toBeGreaterThan(p.now);
              }
              break;
            case 'routes':
              s.setRoutes(
                p.now,
                1,
                Array.from({ length: c.n }, (_, i) => [`192.0.2.${i}/32`, {}] as const),
              );
              break;
          }
          // Closed connections are forgotten by the driver too.
          for (const a of s.drain()) if (a.type === 'close') up.delete(a.connId);
          expect(STATES.has(s.state)).toBe(true);
        }
      }),
      { numRuns: 400, seed: 0x5e55 },
    );
  });
});
