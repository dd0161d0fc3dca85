import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinsLoadedBy } from '@bmlb/netlab';
import { describe, expect, it } from 'vitest';
import { parseCli, UsageError } from './cli.ts';
import { SpeakerMetrics } from './speaker/metrics.ts';
import type { SpeakerStatus } from './speaker/speaker.ts';
import { fetchStatus, formatUptime, parseHostPort, renderStatus, serve } from './status.ts';

const status: SpeakerStatus = {
  node: 'node1',
  config: {
    loaded: true,
    stale: true,
    hash: 'abcdef0123456789',
    appliedAt: 1_000,
    lastErrors: ['BGPPeer metallb-system/tor3: spec.peerASN: required'],
    lastErrorAt: 2_000,
    warnings: [],
  },
  nodeReason: '',
  bgp: [
    {
      name: 'tor1',
      address: '10.0.0.1',
      localAddress: '10.0.0.11',
      myASN: 65100,
      peerASN: 65000,
      state: 'Established',
      since: 1_000,
      established: true,
      prefixesSent: 1,
      prefixesReceived: 0,
      lastError: undefined,
      bfd: 'up',
    },
  ],
  bfd: [
    {
      name: '2508913041',
      peer: '10.0.0.1',
      local: '10.0.0.11',
      state: 'up',
      since: 1_000,
      diag: 'ok',
      profile: 'tor-bfd',
    },
  ],
  services: [
    {
      service: 'default/web',
      ips: ['203.0.113.10'],
      pool: 'prod-pool',
      reason: '',
      peers: ['tor1'],
      announcements: [{ ip: '203.0.113.10', peers: ['tor1'] }],
    },
    {
      service: 'default/api',
      ips: ['203.0.113.11'],
      pool: 'prod-pool',
      reason: 'noLocalEndpoints',
      peers: [],
      announcements: [],
    },
    {
      service: 'default/dual',
      ips: ['203.0.113.12', '2001:db8:100::12'],
      pool: 'dual-pool',
      reason: '',
      peers: ['tor1', 'tor1-v6'],
      announcements: [
        { ip: '203.0.113.12', peers: ['tor1'] },
        { ip: '2001:db8:100::12', peers: ['tor1-v6'] },
      ],
    },
    {
      service: 'default/half',
      ips: ['203.0.113.13', '2001:db8:100::13'],
      pool: 'dual-pool',
      reason: '',
      peers: ['tor1'],
      announcements: [
        { ip: '203.0.113.13', peers: ['tor1'] },
        { ip: '2001:db8:100::13', peers: [] },
      ],
    },
  ],
};

describe('speaker status', () => {
  it('renders BGP sessions, BFD peers (as show bfd peers brief) and the config state', () => {
    const text = renderStatus(status, 1_000 + 3_723_000);
    expect(text).toContain('STALE');
    expect(text).toContain('error: BGPPeer metallb-system/tor3: spec.peerASN: required');
    expect(text).toMatch(/10\.0\.0\.1\s+tor1\s+65000\s+65100\s+Established\s+01:02:03\s+1\s+0\s+up/);
    expect(text).toMatch(/SessionId\s+LocalAddress\s+PeerAddress\s+Status/);
    expect(text).toMatch(/2508913041\s+10\.0\.0\.11\s+10\.0\.0\.1\s+up/);
    expect(text).toContain('default/api  203.0.113.11  noLocalEndpoints');
  });

  it('says when FILE content is not applied: empty (ignored) or held for a second look', () => {
    const now = 1_000 + 3_723_000;
    const empty = renderStatus(
      {
        ...status,
        config: {
          ...status.config,
          lastErrors: [],
          pending: {
            kind: 'empty',
            hash: 'e3b0c44298fc1c149afbf4c8',
            reason:
              'node1.yaml has no documents (empty, or being rewritten); the running configuration stays',
            since: now - 4_000,
          },
        },
      },
      now,
    );
    expect(empty).toContain(
      '  IGNORED since 00:00:04: node1.yaml has no documents (empty, or being rewritten); the running configuration stays',
    );
    const held = renderStatus(
      {
        ...status,
        config: {
          ...status.config,
          lastErrors: [],
          pending: {
            kind: 'held',
            hash: 'abc',
            reason: 'the edit removes every Service (3); applied only if node1.yaml still says so after 10 s',
            since: now - 3_000,
            until: now + 7_000,
          },
        },
      },
      now,
    );
    expect(held).toContain(
      '  HELD since 00:00:03 (applies in 00:00:07): the edit removes every Service (3); applied only if node1.yaml still says so after 10 s',
    );
  });

  it('lists each Service IP with the peers of its family, as sent', () => {
    const text = renderStatus(status, 1_000 + 3_723_000);
    expect(text).toContain('Services announced from this node: 3');
    expect(text).toContain('  default/web  203.0.113.10  pool prod-pool  → tor1\n');
    expect(text).toContain(
      '  default/dual  203.0.113.12 → tor1; 2001:db8:100::12 → tor1-v6  pool dual-pool\n',
    );
    expect(text).toContain(
      '  default/half  203.0.113.13 → tor1; 2001:db8:100::13 → no IPv6 peer  pool dual-pool\n',
    );
  });

  it('formats uptimes as FRR does', () => {
    expect(formatUptime(59_000)).toBe('00:00:59');
    expect(formatUptime(90_061_000)).toBe('1d01h01m');
    expect(formatUptime(8 * 86_400_000)).toBe('1w1d00h');
  });

  it('serves /status and /metrics on a Unix socket and the client reads them', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spk-status-'));
    const socketPath = path.join(dir, 's.sock');
    const server = await serve(
      { socketPath },
      { status: () => status, metrics: new SpeakerMetrics({ processMetrics: false }) },
    );
    try {
      expect(await fetchStatus({ socketPath })).toEqual(JSON.parse(JSON.stringify(status)));
    } finally {
      server.close();
    }
    await expect(fetchStatus({ socketPath: path.join(dir, 'none.sock') })).rejects.toThrow(
      /cannot reach the speaker/,
    );
  });

  it('parses ADDR:PORT forms', () => {
    expect(parseHostPort('0.0.0.0:7472')).toEqual({ host: '0.0.0.0', port: 7472 });
    expect(parseHostPort('[::1]:7472')).toEqual({ host: '::1', port: 7472 });
    expect(parseHostPort(':7472')).toEqual({ host: '0.0.0.0', port: 7472 });
    expect(() => parseHostPort('7472')).toThrow(/ADDR:PORT/);
  });
});

describe('command line', () => {
  it('parses the daemon flags and the status subcommand', () => {
    const a = parseCli([
      '--config',
      'f.yaml',
      '--node-name',
      'n1',
      '--metrics-address',
      ':7472',
      '--log-level',
      'debug',
    ]);
    expect(a).toMatchObject({
      command: 'run',
      config: 'f.yaml',
      nodeName: 'n1',
      metricsAddress: ':7472',
      logLevel: 'debug',
    });
    expect(parseCli(['status', '--status-socket', '/tmp/x.sock', '--json'])).toEqual({
      command: 'status',
      statusSocket: '/tmp/x.sock',
      statusAddress: undefined,
      json: true,
    });
  });
  it('the hold and settle times for edits that remove everything or land mid-rewrite', () => {
    const base = ['--config', 'f.yaml', '--node-name', 'n1'];
    expect(parseCli(base)).toMatchObject({ removalHoldMs: 10_000, rewriteSettleMs: 1_000 });
    expect(parseCli([...base, '--removal-hold-ms', '0', '--rewrite-settle-ms', '250'])).toMatchObject({
      removalHoldMs: 0,
      rewriteSettleMs: 250,
    });
    expect(() => parseCli([...base, '--removal-hold-ms', '-1'])).toThrow(/removal-hold-ms/);
  });
  it('without --config runs in Kubernetes mode; --kubeconfig and --namespace belong to it', () => {
    const k = parseCli(['--node-name', 'n1', '--kubeconfig', '/k', '--namespace', 'lb']);
    expect(k).toMatchObject({
      command: 'run',
      config: undefined,
      kubeconfig: '/k',
      namespace: 'lb',
      nodeName: 'n1',
    });
    expect(parseCli(['--node-name', 'n1'])).toMatchObject({ config: undefined, namespace: 'metallb-system' });
    expect(() => parseCli(['--config', 'f', '--node-name', 'n', '--kubeconfig', '/k'])).toThrow(
      /Kubernetes mode/,
    );
    expect(() => parseCli(['--node-name', 'n', '--namespace', 'Bad_NS'])).toThrow(/not a namespace name/);
  });

  it('rejects missing and unknown flags with a usage error', () => {
    expect(() => parseCli(['--config', 'f'])).toThrow(UsageError);
    expect(() => parseCli(['--config', 'f', '--node-name', 'n', '--bogus'])).toThrow(/bogus/);
    expect(() => parseCli(['status', '--status-socket', 'a', '--status-address', ':1'])).toThrow(/not both/);
  });
});

describe('what the speaker loads', () => {
  it("does not load Node's fetch implementation (undici): node:http's ES facade would, for ~10 MB of RSS", () => {
    const loaded = builtinsLoadedBy(fileURLToPath(new URL('./main.ts', import.meta.url)), ['--help']);
    // It did load the rest: the HTTP server and the Kubernetes client's TLS.
    expect(loaded).toContain('http');
    expect(loaded).toContain('https');
    expect(loaded.filter((m) => m.includes('undici'))).toEqual([]);
  });
});
