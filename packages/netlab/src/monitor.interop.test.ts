import { afterEach, describe, expect, it } from 'vitest';
import { Lab, type Namespace } from './lab.ts';
import { FibWatch, linkDown, NetlinkMonitor } from './monitor.ts';
import { labSkipReason } from './require.ts';
import { waitFor } from './wait.ts';

const skip = labSkipReason({ frr: true });

describe.skipIf(skip)('NetlinkMonitor and FibWatch (real kernel)', () => {
  let lab: Lab | undefined;
  afterEach(async () => {
    await lab?.close();
    lab = undefined;
  });
  /** A new lab: namespaces r (10.93.0.1) and h (10.93.0.2), linked by their eth0. */
  async function pair(): Promise<{ r: Namespace; h: Namespace }> {
    lab = await Lab.create({ prefix: 'nlm' });
    const r = await lab.namespace('r');
    const h = await lab.namespace('h');
    await lab.link(r, h, {
      aName: 'eth0',
      bName: 'eth0',
      aAddrs: ['10.93.0.1/24'],
      bAddrs: ['10.93.0.2/24'],
    });
    return { r, h };
  }

  it('sees a gateway leave a prefix through nexthop groups, in order, stamped by the kernel side', async () => {
    const { r, h } = await pair();
    const ip = (...a: string[]) => r.exec(['ip', ...a]);
    await ip('nexthop', 'add', 'id', '1', 'via', '10.93.0.11', 'dev', 'eth0');
    await ip('nexthop', 'add', 'id', '2', 'via', '10.93.0.12', 'dev', 'eth0');
    await ip('nexthop', 'add', 'id', '3', 'group', '1/2');
    await ip('route', 'add', '203.0.113.7/32', 'nhid', '3');
    const links = await NetlinkMonitor.start(h, ['link']);
    const fib = await FibWatch.start(r, '203.0.113.7/32');
    // The state before the monitor started comes from the dump.
    expect(fib.gateways()).toEqual(['10.93.0.11', '10.93.0.12']);

    const before = Date.now();
    const gone = fib.until((g) => g === undefined || !g.includes('10.93.0.11'), { timeoutMs: 5_000 });
    // As zebra does it: a new group without the member, then the route moved onto it.
    await ip('nexthop', 'add', 'id', '4', 'group', '2');
    await ip('route', 'replace', '203.0.113.7/32', 'nhid', '4');
    const m = await gone;
    expect(m.text).toMatch(/^203\.0\.113\.7 nhid 4/);
    expect(fib.gateways()).toEqual(['10.93.0.12']);
    // ip's stamp lies between the command and this process reading the line.
    expect(m.at).toBeGreaterThanOrEqual(before - 1);
    expect(m.receivedAt).toBeGreaterThanOrEqual(Math.floor(m.at));

    // A group changed in place moves the route with it, without a route message.
    await ip('nexthop', 'add', 'id', '5', 'via', '10.93.0.13', 'dev', 'eth0');
    await ip('nexthop', 'replace', 'id', '4', 'group', '5');
    await fib.until((g) => g?.join() === '10.93.0.13', { timeoutMs: 5_000 });
    expect(await fib.waitGateways((g) => g?.length === 1)).toEqual(['10.93.0.13']); // already so
    const back = fib.waitGateways((g) => g?.length === 2, { timeoutMs: 5_000 });
    await ip('nexthop', 'replace', 'id', '4', 'group', '5/2');
    expect(await back).toEqual(['10.93.0.12', '10.93.0.13']);
    await ip('route', 'del', '203.0.113.7/32');
    await fib.until((g) => g === undefined, { timeoutMs: 5_000 });

    const cut = h.setDown('eth0');
    const down = await links.next((x) => linkDown(x, 'eth0'), { timeoutMs: 5_000 });
    await cut;
    expect(down.at).toBeGreaterThanOrEqual(before);
    await expect(links.next(() => false, { timeoutMs: 50, what: 'nothing' })).rejects.toThrow(/nothing/);
    await fib.stop();
    await links.stop();
    expect(links.proc.running).toBe(false);
  });

  it('sizes its netlink receive buffer as asked and counts what ip reports lost when it overflows', async () => {
    const { r } = await pair();
    const m = await NetlinkMonitor.start(r, ['route'], { receiveBuffer: 256 << 10 });
    // The kernel doubles SO_RCVBUF (256 KiB is below any net.core.rmem_max).
    expect(m.receiveBuffer).toBe(512 << 10);
    expect(m.overflows).toBe(0);
    // ip stopped while 5,000 routes come (about 830 bytes of buffer each): the socket overflows.
    process.kill(m.proc.pid, 'SIGSTOP');
    try {
      const routes = Array.from(
        { length: 5_000 },
        (_, i) => `route add 10.${128 + (i >> 8)}.${i & 255}.1/32 via 10.93.0.2\n`,
      );
      await r.exec(['ip', '-batch', '-'], { input: routes.join('') });
    } finally {
      process.kill(m.proc.pid, 'SIGCONT');
    }
    await waitFor(() => m.overflows > 0, { timeoutMs: 5_000, what: 'ip to report the overflow' });
    expect(m.messages.length).toBeLessThan(5_000);
    await m.stop();
  });

  it('gives FRR daemon logs millisecond timestamps when asked', async () => {
    lab = await Lab.create({ prefix: 'nlm' });
    const r = await lab.namespace('frr');
    const frr = await lab.frr(r, {
      daemons: ['zebra', 'bgpd'],
      logTimestampPrecision: 3,
      config: 'frr defaults datacenter\nhostname r\nrouter bgp 65000\n bgp router-id 10.92.0.1\n',
    });
    // `log commands` makes bgpd log each command it runs: a log line now, through the new target.
    await frr.vtysh(['configure terminal', 'log commands'], 'bgpd');
    await frr.vtysh('show version', 'bgpd');
    await frr.waitFor(() => frr.logEntries('bgpd').some((e) => e.precision === 3), {
      what: 'a bgpd log line with milliseconds',
    });
    expect(() => new Set(frr.logEntries('zebra').map((e) => e.tag))).not.toThrow();
    await expect(lab.frr(r, { name: 'bad', config: '', logTimestampPrecision: 7 })).rejects.toThrow(/0–6/);
  });
});
