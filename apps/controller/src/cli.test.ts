import { fileURLToPath } from 'node:url';
import { builtinsLoadedBy } from '@bmlb/netlab';
import { describe, expect, it } from 'vitest';
import { listenAddress, parseCli, USAGE, UsageError } from './cli.ts';

describe('controller command line', () => {
  it('defaults', () => {
    const a = parseCli([], {});
    expect(a).toMatchObject({
      command: 'run',
      namespace: 'metallb-system',
      loadBalancerClass: undefined,
      metricsAddress: '0.0.0.0:7472',
      healthAddress: '0.0.0.0:17472',
      logLevel: 'info',
      leaseName: 'bmlb-controller',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
  });

  it('every flag, and the environment', () => {
    const a = parseCli(
      [
        '--kubeconfig',
        '/k',
        '--lb-class',
        'x.io/lb',
        '--metrics-address',
        '127.0.0.1:9',
        '--health-address',
        '',
        '--log-level',
        'debug',
        '--lease-duration',
        '4',
        '--renew-deadline',
        '3',
        '--retry-period',
        '0.5',
      ],
      { METALLB_NAMESPACE: 'lb', POD_NAME: 'controller-0' },
    );
    expect(a).toMatchObject({
      kubeconfig: '/k',
      namespace: 'lb',
      loadBalancerClass: 'x.io/lb',
      metricsAddress: '127.0.0.1:9',
      healthAddress: undefined,
      logLevel: 'debug',
      identity: 'controller-0',
      leaseDurationMs: 4000,
      renewDeadlineMs: 3000,
      retryPeriodMs: 500,
    });
    expect(parseCli(['--namespace', 'other'], { METALLB_NAMESPACE: 'lb' })).toMatchObject({
      namespace: 'other',
    });
  });

  it('--help lists every flag', () => {
    expect(parseCli(['--help'])).toEqual({ command: 'help' });
    for (const f of [
      '--kubeconfig',
      '--namespace',
      '--lb-class',
      '--metrics-address',
      '--health-address',
      '--log-level',
      '--help',
    ])
      expect(USAGE).toContain(f);
  });

  it('refuses bad input', () => {
    expect(() => parseCli(['--nope'])).toThrow(UsageError);
    expect(() => parseCli(['--log-level', 'loud'])).toThrow(/unknown level/);
    expect(() => parseCli(['--metrics-address', 'nowhere'])).toThrow(/HOST:PORT/);
    expect(() => parseCli(['--lease-duration', '5', '--renew-deadline', '6'])).toThrow(/retry-period/);
    expect(() => parseCli(['--namespace', 'Bad_NS'])).toThrow(/invalid namespace/);
  });

  it('listen addresses', () => {
    expect(listenAddress('0.0.0.0:7472')).toEqual({ host: '0.0.0.0', port: 7472 });
    expect(listenAddress('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(listenAddress(':80')).toEqual({ host: '0.0.0.0', port: 80 });
  });
});

describe('what the controller loads', () => {
  it("does not load Node's fetch implementation (undici): node:http's ES facade would, for ~10 MB of RSS", () => {
    const loaded = builtinsLoadedBy(fileURLToPath(new URL('./main.ts', import.meta.url)), ['--help']);
    expect(loaded).toContain('http');
    expect(loaded).toContain('https');
    expect(loaded.filter((m) => m.includes('undici'))).toEqual([]);
  });
});
