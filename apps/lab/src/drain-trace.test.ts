import { describe, expect, it } from 'vitest';
import { logLineTime, parseTcpdumpUpdates } from './drain-trace.ts';

// `tcpdump -n -tt -l -v 'tcp port 179 and src host 10.0.0.21'` (4.99): a KEEPALIVE, then an
// UPDATE withdrawing one /32, as tcpdump's BGP printer lays them out.
const DUMP = `1764902401.100200 IP (tos 0xc0, ttl 1, id 4021, offset 0, flags [DF], proto TCP (6), length 71)
    10.0.0.21.40305 > 10.0.0.1.179: Flags [P.], cksum 0x1440 (incorrect -> 0x7c6e), seq 1:20, ack 1, win 502, length 19: BGP
	Keepalive Message (4), length: 19
1764902401.523456 IP (tos 0xc0, ttl 1, id 4022, offset 0, flags [DF], proto TCP (6), length 75)
    10.0.0.21.40305 > 10.0.0.1.179: Flags [P.], cksum 0x1444 (incorrect -> 0x5a1b), seq 20:43, ack 1, win 502, length 23: BGP
	Update Message (2), length: 23
	  Withdrawn routes:
	    203.0.113.5/32
	  End-of-Rib Marker (empty NLRI)
`;

describe('parseTcpdumpUpdates', () => {
  it('keeps the UPDATEs, stamped by their first line, with the decoded text', () => {
    const u = parseTcpdumpUpdates(DUMP);
    expect(u).toHaveLength(1);
    expect(u[0]?.at).toBeCloseTo(1764902401523.456, 3);
    expect(u[0]?.from).toBe('10.0.0.21');
    expect(u[0]?.text).toBe(
      'Update Message (2), length: 23 Withdrawn routes: 203.0.113.5/32 End-of-Rib Marker (empty NLRI)',
    );
    expect(parseTcpdumpUpdates('listening on eth0, link-type EN10MB\n')).toEqual([]);
  });
});

describe('logLineTime', () => {
  it("reads pino's epoch ms and an RFC 3339 stamp with a fraction; nothing else", () => {
    expect(logLineTime('{"level":30,"time":1764902401523,"event":"serviceWithdrawn"}')).toBe(1764902401523);
    expect(logLineTime('{"caller":"main.go:1","level":"info","ts":"2025-12-05T02:40:01.523456789Z"}')).toBe(
      Date.UTC(2025, 11, 5, 2, 40, 1, 523),
    );
    // MetalLB's speaker: whole seconds (time.RFC3339), too coarse to place.
    expect(logLineTime('{"caller":"main.go:1","level":"info","ts":"2025-12-05T02:40:01Z"}')).toBeUndefined();
    expect(logLineTime('{"msg":"no time"}')).toBeUndefined();
    expect(logLineTime('{not json')).toBeUndefined();
    expect(logLineTime('plain text')).toBeUndefined();
  });
});
