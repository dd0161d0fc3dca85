// FILE edits end to end, short of sockets: FileSource → ConfigApplier → Speaker → (fake) sessions,
// which record everything the routers would have been sent. An empty or half-written FILE must not
// reach them (outside the one window applier.ts describes); a deliberate edit that removes everything
// is applied once FILE has said so for the hold time.
import fs, { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ManifestCache } from '@bmlb/metallb-api/yaml';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SpeakerMetrics } from '../speaker/metrics.ts';
import { Speaker } from '../speaker/speaker.ts';
import { type FakeBgp, fakeFactory } from '../test-support/fake-sessions.ts';
import { seedManifests, serviceManifests } from '../test-support/topology.ts';
import { ConfigApplier } from './applier.ts';
import { FileSource } from './file-source.ts';
import { loadManifests } from './load.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(f: () => T | undefined | false, what: string, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const IPS = Array.from({ length: 20 }, (_, i) => `203.0.113.${10 + i}`);
const services = (ips: readonly string[]) =>
  ips.map((ip, i) =>
    serviceManifests({ name: `svc${i}`, ips: [ip], policy: 'Cluster', endpointsOn: ['node1'] }),
  );
/** The seed manifests (two ToRs), then one Service per IP. */
const config = (ips: readonly string[] = IPS) =>
  [seedManifests({ bfd: false }), ...services(ips)].join('\n---\n');
/** `text` without the documents of one kind. */
const without = (text: string, kind: string) =>
  text
    .split('\n---\n')
    .filter((d) => !new RegExp(`^kind: ${kind}$`, 'm').test(d))
    .join('\n---\n');

interface Pipeline {
  readonly file: string;
  readonly speaker: Speaker;
  readonly bgp: FakeBgp[];
  readonly logs: Array<Record<string, unknown>>;
  readonly metrics: SpeakerMetrics;
  /** Everything sent to the routers: each session's route sets and its closing calls. */
  readonly wire: () => string[];
  readonly events: () => string[];
}

const running: Array<{ source: FileSource; applier: ConfigApplier }> = [];
afterEach(() => {
  for (const r of running) {
    r.source.close();
    r.applier.close();
  }
  running.length = 0;
});

const dir = mkdtempSync(path.join(tmpdir(), 'bmlb-applier-'));
let n = 0;

async function pipeline(
  initial: string,
  o: { removalHoldMs?: number; rewriteSettleMs?: number } = {},
): Promise<Pipeline> {
  const file = path.join(dir, `node1-${n++}.yaml`);
  fs.writeFileSync(file, initial);
  const f = fakeFactory();
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => logs.push(JSON.parse(l)) });
  const metrics = new SpeakerMetrics({ processMetrics: false });
  const speaker = new Speaker({ nodeName: 'node1', factory: f.factory, logger, metrics });
  const cache = new ManifestCache();
  let source: FileSource | undefined;
  const applier = new ConfigApplier({
    file,
    speaker,
    logger,
    load: (text) => loadManifests(text, file, {}, cache),
    removalHoldMs: o.removalHoldMs ?? 400,
    rewriteSettleMs: o.rewriteSettleMs ?? 150,
    recheck: () => source?.recheck(),
  });
  source = new FileSource({
    file,
    debounceMs: 20,
    onContent: (text, hash) => applier.onContent(text, hash),
    onTornRead: (reason) => applier.onTornRead(reason),
    onReadError: (err) => logs.push({ event: 'configReadError', err: err.message }),
  });
  running.push({ source, applier });
  await source.start();
  return {
    file,
    speaker,
    bgp: f.bgp,
    logs,
    metrics,
    wire: () =>
      f.bgp.flatMap((s) => [
        ...s.routes.map((r) => `${s.cfg.name} routes ${[...r.ipv4.keys()].sort().join(',')}`),
        ...s.log.map((l) => `${s.cfg.name} ${l}`),
      ]),
    events: () => logs.map((l) => String(l.event)),
  };
}

const announcedTo = (p: Pipeline, peer: string) =>
  [
    ...(p.bgp
      .filter((s) => s.cfg.name === peer)
      .at(-1)
      ?.routes.at(-1)
      ?.ipv4.keys() ?? []),
  ].sort();
const all = (ips: readonly string[]) => ips.map((ip) => `${ip}/32`).sort();

describe('FILE edits that must not reach the routers', () => {
  it('an empty FILE (`: > FILE`) is not a configuration: nothing is withdrawn, nothing reset', async () => {
    const p = await pipeline(config());
    expect(announcedTo(p, 'tor1')).toEqual(all(IPS));
    const before = p.wire();
    fs.truncateSync(p.file, 0);
    await until(() => p.speaker.status().config.pending?.kind === 'empty', 'the empty FILE to be noticed');
    expect(p.wire()).toEqual(before);
    expect(p.events()).toContain('configEmpty');
    const st = p.speaker.status();
    expect(st.config.stale).toBe(true);
    expect(st.bgp.map((b) => b.name)).toEqual(['tor1', 'tor2']);
    expect(await p.metrics.registry.metrics()).toContain('metallb_k8s_client_config_stale_bool 1');
    // whitespace, comments and document markers alone are no configuration either
    fs.writeFileSync(p.file, '# rewritten by hand\n---\n\n');
    await until(() => p.logs.filter((l) => l.event === 'configEmpty').length >= 2, 'the second empty read');
    // the content returns: nothing to send, the notice goes
    fs.writeFileSync(p.file, config());
    await until(() => p.speaker.status().config.pending === undefined, 'the content to return');
    await sleep(200);
    expect(p.wire()).toEqual(before);
    expect(p.speaker.status().config.stale).toBe(false);
  });

  it('a half-written FILE (an in-place rewrite with pauses) never withdraws what the finished one keeps', async () => {
    const p = await pipeline(config());
    const before = p.wire();
    // a writer rewriting FILE in place, as `{ kubectl get …; kubectl get …; } > FILE` does: the
    // truncation, then the first part (peers and pools, no Services), then the rest, with a new IP
    const next = config([...IPS, '203.0.113.99']);
    const cut = next.indexOf('apiVersion: v1\nkind: Service');
    const fd = fs.openSync(p.file, 'r+');
    fs.ftruncateSync(fd, 0);
    await sleep(150);
    fs.writeSync(fd, next.slice(0, cut - 5)); // up to the last document marker before the Services
    await sleep(150);
    fs.writeSync(fd, next.slice(cut - 5));
    fs.closeSync(fd);
    await until(() => announcedTo(p, 'tor1').includes('203.0.113.99/32'), 'the finished FILE to apply');
    // every route set sent after the rewrite started keeps every earlier route; no session was reset
    for (const line of p.wire().slice(before.length)) {
      expect(line).toMatch(/^tor[12] routes /);
      for (const r of all(IPS)) expect(line).toContain(r);
    }
    expect(p.bgp).toHaveLength(2);
    // seen: the empty FILE, its first part (no Services: held), the whole (applied once settled)
    expect(p.events()).toEqual(expect.arrayContaining(['configEmpty', 'configHeld', 'configSettling']));
  });

  it('a half-written FILE cut inside the Services (some kept), completed within the settle time, never withdraws a route', async () => {
    const p = await pipeline(config()); // settle time 150 ms, hold 400 ms
    const before = p.wire();
    // The new content differs from the running one at its first byte, so its first part is no
    // beginning of what runs (rule 4b cannot tell), and it keeps svc0–9 (no kind is gone: rule 4a
    // cannot tell either). Only rule 3 stands between it and the routers.
    const next = `# regenerated\n${config([...IPS, '203.0.113.99'])}`;
    const cut = next.indexOf('apiVersion: v1\nkind: Service\nmetadata:\n  name: svc10\n');
    const fd = fs.openSync(p.file, 'r+');
    fs.ftruncateSync(fd, 0);
    await until(() => p.speaker.status().config.pending?.kind === 'empty', 'the truncation to be seen');
    fs.writeSync(fd, next.slice(0, cut));
    await until(() => p.speaker.status().config.pending?.kind === 'settling', 'the first part to settle');
    // The rest comes before the settle time is up: this poll's timer fires before the settle timer
    // armed when the first part was read, whatever the machine's load.
    fs.writeSync(fd, next.slice(cut));
    fs.closeSync(fd);
    await until(() => announcedTo(p, 'tor1').includes('203.0.113.99/32'), 'the finished FILE to apply');
    // every route set sent after the rewrite started keeps every earlier route; no session was reset
    const sent = p.wire().slice(before.length);
    expect(sent.length).toBeGreaterThan(0);
    for (const line of sent) {
      expect(line).toMatch(/^tor[12] routes /);
      for (const r of all(IPS)) expect(line).toContain(r);
    }
    expect(p.bgp).toHaveLength(2);
    expect(p.events()).toEqual(expect.arrayContaining(['configEmpty', 'configSettling', 'configConfirmed']));
    expect(p.events()).not.toContain('configHeld');
  });

  it('a deliberate edit removing every Service is held, then applied once FILE still says so', async () => {
    const p = await pipeline(config(), { removalHoldMs: 400 });
    const before = p.wire();
    fs.writeFileSync(`${p.file}.tmp`, without(without(config(), 'Service'), 'EndpointSlice'));
    fs.renameSync(`${p.file}.tmp`, p.file);
    const held = await until(() => p.speaker.status().config.pending, 'the edit to be held');
    expect(held.kind).toBe('held');
    expect(held.reason).toMatch(/every Service/);
    expect(p.events()).toContain('configHeld');
    expect(p.wire()).toEqual(before);
    await until(() => announcedTo(p, 'tor1').length === 0, 'the held edit to apply');
    // applied by the re-read after the hold, which the applier measured from the first read
    expect(p.logs.find((l) => l.event === 'configConfirmed')?.waitedMs).toBeGreaterThanOrEqual(400);
    expect(p.speaker.status().config.pending).toBeUndefined();
  });

  it('an edit removing every EndpointSlice (every Service withdrawn: noEndpoints) is held, then applied', async () => {
    const p = await pipeline(config(), { removalHoldMs: 300 });
    const before = p.wire();
    fs.writeFileSync(`${p.file}.tmp`, without(config(), 'EndpointSlice'));
    fs.renameSync(`${p.file}.tmp`, p.file);
    const held = await until(() => p.speaker.status().config.pending, 'the edit to be held');
    expect(held.kind).toBe('held');
    expect(held.reason).toMatch(/the edit removes every EndpointSlice \(20\);/);
    expect(p.wire()).toEqual(before);
    await until(() => announcedTo(p, 'tor1').length === 0, 'the held edit to apply');
    expect(p.logs.find((l) => l.event === 'configConfirmed')?.waitedMs).toBeGreaterThanOrEqual(300);
    const ours = p.speaker.status().services.filter((v) => /\/svc\d+$/.test(v.service));
    expect(ours.map((v) => v.reason)).toEqual(IPS.map(() => 'noEndpoints'));
  });

  it('FILE cut short to a beginning of what runs is held, though no read saw it truncated and the writer pauses past the settle time', async () => {
    const p = await pipeline(config(), { removalHoldMs: 5000 }); // settle time 150 ms
    const before = p.wire();
    // an in-place rewrite of the same configuration that stops after svc9: the truncation and the
    // first part land at once, so no read sees FILE empty or torn (rule 3 cannot tell), and svc0–9
    // are complete valid objects (no kind is gone: rule 4a cannot tell either)
    const text = config();
    const cut = text.indexOf('apiVersion: v1\nkind: Service\nmetadata:\n  name: svc10\n');
    const fd = fs.openSync(p.file, 'r+');
    fs.ftruncateSync(fd, 0);
    fs.writeSync(fd, text.slice(0, cut));
    const held = await until(() => {
      const q = p.speaker.status().config.pending;
      return q?.kind === 'held' ? q : undefined;
    }, 'the cut FILE to be held');
    expect(held.reason).toMatch(
      new RegExp(`holds only the first ${cut} of the ${text.length} characters of the running configuration`),
    );
    expect(p.logs.find((l) => l.event === 'configHeld')).toMatchObject({ cutShort: true });
    // three settle times later it is still held (its re-read comes after the 5 s hold)
    await sleep(450);
    expect(p.speaker.status().config.pending?.kind).toBe('held');
    fs.writeSync(fd, text.slice(cut));
    fs.closeSync(fd);
    await until(() => p.speaker.status().config.pending === undefined, 'the rest to be written');
    expect(p.logs.find((l) => l.event === 'configRestored')).toMatchObject({ was: 'held' });
    expect(p.wire()).toEqual(before);
    expect(p.events()).not.toContain('configConfirmed');
  });

  it('a cut that splits a UTF-8 character is still FILE cut short', async () => {
    const svc10 = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: svc10\n';
    const text = config().replace(svc10, `# svc10: café\n${svc10}`);
    const p = await pipeline(text, { removalHoldMs: 5000 });
    const before = p.wire();
    const bytes = Buffer.from(text);
    const at = bytes.indexOf(Buffer.from('é')) + 1; // between the two bytes of é
    fs.writeFileSync(`${p.file}.tmp`, bytes.subarray(0, at)); // reads back as "…caf\uFFFD"
    fs.renameSync(`${p.file}.tmp`, p.file);
    const held = await until(() => {
      const q = p.speaker.status().config.pending;
      return q?.kind === 'held' ? q : undefined;
    }, 'the cut FILE to be held');
    expect(held.reason).toMatch(/holds only the first/);
    expect(p.wire()).toEqual(before);
  });

  it('deleting the last documents of FILE looks like a cut and waits the hold time, then applies', async () => {
    const p = await pipeline(config(), { removalHoldMs: 300 });
    const last = `${IPS.at(-1)}/32`;
    fs.writeFileSync(`${p.file}.tmp`, config(IPS.slice(0, -1))); // svc19, the last Service, deleted
    fs.renameSync(`${p.file}.tmp`, p.file);
    const held = await until(() => p.speaker.status().config.pending, 'the edit to be held');
    expect(held.reason).toMatch(/holds only the first/);
    expect(announcedTo(p, 'tor1')).toContain(last);
    await until(() => !announcedTo(p, 'tor1').includes(last), 'the edit to apply');
    expect(p.logs.find((l) => l.event === 'configConfirmed')?.waitedMs).toBeGreaterThanOrEqual(300);
    expect(announcedTo(p, 'tor1')).toEqual(all(IPS.slice(0, -1)));
  });

  it('a deliberate edit removing every peer is held, then the peers are deconfigured (Cease 6/3)', async () => {
    const p = await pipeline(config(), { removalHoldMs: 300 });
    fs.writeFileSync(p.file, without(config(), 'BGPPeer'));
    const held = await until(() => p.speaker.status().config.pending, 'the edit to be held');
    expect(held.reason).toMatch(/every BGPPeer/);
    expect(p.bgp.map((s) => s.log)).toEqual([[], []]);
    await until(() => p.bgp.every((s) => s.log.includes('deconfigure')), 'the peers to be deconfigured');
  });

  it('a sweeping edit undone within the hold time never reaches the routers', async () => {
    const p = await pipeline(config(), { removalHoldMs: 400 });
    const before = p.wire();
    fs.writeFileSync(p.file, without(without(config(), 'IPAddressPool'), 'BGPAdvertisement'));
    await until(() => p.speaker.status().config.pending?.kind === 'held', 'the edit to be held');
    fs.writeFileSync(p.file, config());
    await until(() => p.speaker.status().config.pending === undefined, 'the hold to end');
    await sleep(600);
    expect(p.wire()).toEqual(before);
    expect(p.events()).not.toContain('configConfirmed');
  });

  it('after a rejected edit, the running content again clears the errors without sending anything', async () => {
    const p = await pipeline(config());
    const before = p.wire();
    fs.writeFileSync(
      p.file,
      `${config()}\n---\napiVersion: metallb.io/v1beta1\nkind: Bogus\nmetadata: { name: x }\n`,
    );
    await until(() => p.speaker.status().config.stale, 'the rejection');
    expect(p.speaker.status().config.lastErrors.length).toBeGreaterThan(0);
    fs.writeFileSync(p.file, config());
    await until(() => !p.speaker.status().config.stale, 'the recovery');
    expect(p.speaker.status().config.lastErrors).toEqual([]);
    expect(p.logs.find((l) => l.event === 'configRestored')).toMatchObject({ was: 'rejected' });
    expect(p.wire()).toEqual(before);
    expect(await p.metrics.registry.metrics()).toContain('metallb_k8s_client_config_stale_bool 0');
  });

  it('a half-written FILE held, then completed to the running content: restored, nothing sent', async () => {
    const p = await pipeline(config(), { removalHoldMs: 5000 });
    const before = p.wire();
    const text = config();
    const cut = text.indexOf('apiVersion: v1\nkind: Service');
    fs.writeFileSync(p.file, text.slice(0, cut));
    await until(() => p.speaker.status().config.pending?.kind === 'held', 'the first part to be held');
    fs.writeFileSync(p.file, text);
    await until(() => p.speaker.status().config.pending === undefined, 'the hold to end');
    expect(p.logs.find((l) => l.event === 'configRestored')).toMatchObject({ was: 'held' });
    expect(p.wire()).toEqual(before);
  });

  it('ordinary edits apply at once: an endpoint leaving withdraws its route without delay', async () => {
    // A settle or hold time of a minute: an edit that waited for either would not be applied within
    // the test; one applied at once is applied by the first read of it, with nothing in between.
    const p = await pipeline(config(), { removalHoldMs: 60_000, rewriteSettleMs: 60_000 });
    const fewer = [
      seedManifests({ bfd: false }),
      ...IPS.map((ip, i) =>
        serviceManifests({
          name: `svc${i}`,
          ips: [ip],
          policy: 'Local',
          endpointsOn: i === 0 ? [] : ['node1'],
        }),
      ),
    ].join('\n---\n');
    const from = p.logs.length;
    fs.writeFileSync(p.file, fewer);
    await until(() => !announcedTo(p, 'tor1').includes('203.0.113.10/32'), 'the withdrawal');
    const configEvents = p.logs.slice(from).filter((l) => String(l.event).startsWith('config'));
    expect(configEvents.map((l) => l.event)).toEqual(['configProcessed']);
    expect(configEvents[0]).toMatchObject({ applied: true });
    expect(p.speaker.status().config.pending).toBeUndefined();
    // and the other 19 routes stay
    expect(announcedTo(p, 'tor1')).toEqual(all(IPS.slice(1)));
  });
});
