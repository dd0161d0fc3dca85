// Reading the ExaBGP QA vectors and turning decoded messages into ExaBGP's JSON vocabulary.
import { readdirSync, readFileSync } from 'node:fs';
import { sharedDataUrl } from '@bmlb/shared-data';
import type { UpdateMessage } from '../../model.ts';
import type { PrefixList } from '../../prefix.ts';
import { decodeExtendedCommunity } from '../communities.ts';

const QA_ROOT = sharedDataUrl('exabgp-qa');

export interface Vector {
  /** "decoding/NAME" or "encoding/NAME.ci#K" */
  readonly id: string;
  readonly file: string;
  readonly hex: string;
  readonly bytes: Uint8Array;
  readonly json: Record<string, unknown> | undefined;
  readonly cmd: string | undefined;
  /** decoding/: the kind line (e.g. "update ipv4 unicast", "nlri bgp-ls bgp-ls"). */
  readonly kind: string | undefined;
}

export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/[^0-9a-fA-F]/g, '');
  const out = new Uint8Array(clean.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
}

export interface VectorFiles {
  readonly vectors: Vector[];
  /** Files in encoding/ with no messages (ExaBGP configurations). */
  readonly configurations: string[];
  readonly allFiles: string[];
}

export function loadVectors(): VectorFiles {
  const vectors: Vector[] = [];
  const configurations: string[] = [];
  const allFiles: string[] = [];
  for (const name of readdirSync(new URL('decoding/', QA_ROOT)).sort()) {
    allFiles.push(`decoding/${name}`);
    const lines = readFileSync(new URL(`decoding/${name}`, QA_ROOT), 'utf8').split('\n');
    let hex = (lines[1] ?? '').replace(/\s/g, '');
    // some files hold an UPDATE body without its header: add one
    if (!/^F{32}/i.test(hex) && (lines[0] ?? '').startsWith('update')) {
      const len = 19 + hex.length / 2;
      hex = `${'F'.repeat(32)}${len.toString(16).padStart(4, '0')}02${hex}`;
    }
    vectors.push({
      id: `decoding/${name}`,
      file: `decoding/${name}`,
      hex,
      bytes: hexToBytes(hex),
      json: JSON.parse(lines[2] ?? 'null') as Record<string, unknown>,
      cmd: undefined,
      kind: (lines[0] ?? '').trim(),
    });
  }
  for (const name of readdirSync(new URL('encoding/', QA_ROOT)).sort()) {
    allFiles.push(`encoding/${name}`);
    const text = readFileSync(new URL(`encoding/${name}`, QA_ROOT), 'utf8');
    let cmd: string | undefined;
    let k = 0;
    let found = 0;
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] ?? '';
      const m = /^(\d+):(cmd|raw|json):(.*)$/.exec(line.trim());
      if (m === null) continue;
      if (m[2] === 'cmd') cmd = m[3];
      if (m[2] !== 'raw') continue;
      found++;
      const next = /^\d+:json:(.*)$/.exec((lines[i + 1] ?? '').trim());
      const hex = (m[3] ?? '').replace(/:/g, '');
      vectors.push({
        id: `encoding/${name}#${++k}`,
        file: `encoding/${name}`,
        hex,
        bytes: hexToBytes(hex),
        json: next === null ? undefined : (JSON.parse(next[1] ?? 'null') as Record<string, unknown>),
        cmd,
        kind: undefined,
      });
      cmd = undefined;
    }
    if (found === 0) configurations.push(`encoding/${name}`);
  }
  return { vectors, configurations, allFiles };
}

const SEGMENT = { 1: 'as-set', 2: 'as-sequence', 3: 'as-confed-sequence', 4: 'as-confed-set' } as const;
const ORIGIN = ['igp', 'egp', 'incomplete'];

function pathIdText(list: PrefixList, i: number): string | undefined {
  const id = list.pathIds?.[i];
  if (id === undefined) return undefined;
  return `${id >>> 24}.${(id >>> 16) & 255}.${(id >>> 8) & 255}.${id & 255}`;
}

function entries(list: PrefixList): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (let i = 0; i < list.count; i++) {
    const e: Record<string, string> = { nlri: list.prefix(i) };
    const pid = pathIdText(list, i);
    if (pid !== undefined) e['path-information'] = pid;
    out.push(e);
  }
  return out;
}

function familyName(afi: number, safi: number): string {
  return `${afi === 1 ? 'ipv4' : 'ipv6'} ${safi === 1 ? 'unicast' : 'multicast'}`;
}

/** ExaBGP's JSON "update" object for what we decoded (supported families only). */
export function toExabgpUpdate(u: UpdateMessage): Record<string, unknown> {
  const a = u.attributes;
  const attr: Record<string, unknown> = {};
  if (a.origin !== undefined) attr.origin = ORIGIN[a.origin];
  if (a.asPath !== undefined && a.asPath.length > 0) {
    const p: Record<string, unknown> = {};
    a.asPath.forEach((s, i) => {
      p[String(i)] = { element: SEGMENT[s.type], value: [...s.asns] };
    });
    attr['as-path'] = p;
  }
  if (a.med !== undefined) attr.med = a.med;
  if (a.localPref !== undefined) attr['local-preference'] = a.localPref;
  if (a.atomicAggregate === true) attr['atomic-aggregate'] = true;
  if (a.aggregator !== undefined) attr.aggregator = `${a.aggregator.asn}:${a.aggregator.address}`;
  if (a.communities !== undefined) attr.community = a.communities.map((c) => [c >>> 16, c & 0xffff]);
  if (a.originatorId !== undefined) attr['originator-id'] = a.originatorId;
  if (a.clusterList !== undefined) attr['cluster-list'] = [...a.clusterList];
  if (a.extendedCommunities !== undefined) {
    attr['extended-community'] = a.extendedCommunities.map((v) => ({
      value: Number(v),
      string: decodeExtendedCommunity(v).text,
    }));
  }
  if (a.largeCommunities !== undefined) attr['large-community'] = a.largeCommunities.map((c) => [...c]);
  const out: Record<string, unknown> = { attribute: attr };
  const announce: Record<string, Record<string, unknown[]>> = {};
  if (u.nlri.count > 0 && a.nextHop !== undefined)
    announce['ipv4 unicast'] = { [a.nextHop]: entries(u.nlri) };
  if (a.mpReach !== undefined && a.mpReach.nlri.count > 0) {
    announce[familyName(a.mpReach.afi, a.mpReach.safi)] = {
      [a.mpReach.nextHop.global]: entries(a.mpReach.nlri),
    };
  }
  if (Object.keys(announce).length > 0) out.announce = announce;
  const withdraw: Record<string, unknown[]> = {};
  if (u.withdrawn.count > 0) withdraw['ipv4 unicast'] = entries(u.withdrawn);
  if (a.mpUnreach !== undefined && a.mpUnreach.withdrawn.count > 0) {
    withdraw[familyName(a.mpUnreach.afi, a.mpUnreach.safi)] = entries(a.mpUnreach.withdrawn);
  }
  if (Object.keys(withdraw).length > 0) out.withdraw = withdraw;
  return out;
}
