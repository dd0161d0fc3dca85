// The IPv6 next hop a session advertises (RFC 2545 §3): its global address, followed by the
// link-local address of the same interface when the peer shares a subnet with it. Routers that
// resolve next hops through neighbor discovery on the link (FRR prefers the link-local one) need it.
// Pure: the interface table (os.networkInterfaces()) is an argument.
import type { NetworkInterfaceInfo } from 'node:os';
import { type IPAddress, parseIP, prefixOf } from '@bmlb/metallb-api';

export type InterfaceTable = Readonly<Record<string, readonly NetworkInterfaceInfo[] | undefined>>;

export interface Ipv6NextHop {
  /** The interface holding the session's local address. */
  readonly interface?: string;
  /** What to add to the session's next hop (nothing: the local address alone). */
  readonly nextHop?: { readonly ipv6?: string; readonly ipv6LinkLocal: string };
  /** Why nothing is added, when that is worth a log line. */
  readonly note?: string;
}

const isLinkLocal = (ip: IPAddress): boolean => ip.family === 6 && ip.value >> 118n === 0x3fan; // fe80::/10

function parse(text: string): IPAddress | undefined {
  const pct = text.indexOf('%');
  return parseIP(pct < 0 ? text : text.slice(0, pct));
}

function sameSubnet(a: IPAddress, b: IPAddress, length: number): boolean {
  return a.family === b.family && prefixOf(a, length).address === prefixOf(b, length).address;
}

/**
 * RFC 2545 §3: "The link-local address shall be included in the Next Hop field if and only if the BGP
 * speaker shares a common subnet with the entity identified by the global IPv6 address carried in the
 * Network Address of Next Hop field and the peer the route is being advertised to." The speaker is that
 * entity, so: the link-local address of the interface holding `local`, when `peer` is on that
 * interface's subnet (single hop, eBGP or iBGP). A session over link-local addresses gets the
 * interface's global address in front, since the first address must be global.
 */
export function ipv6NextHop(local: string, peer: string, interfaces: InterfaceTable): Ipv6NextHop {
  const me = parse(local);
  const them = parse(peer);
  if (me === undefined || them === undefined || me.family !== 6) return {};
  for (const [name, list] of Object.entries(interfaces)) {
    const entries = (list ?? []).filter((e) => e.family === 'IPv6');
    const mine = entries.find((e) => parse(e.address)?.value === me.value);
    if (mine === undefined) continue;
    const length = Number(mine.cidr?.split('/')[1] ?? (isLinkLocal(me) ? 64 : 128));
    if (!sameSubnet(me, them, length))
      return {
        interface: name,
        note: `peer ${peer} is not on a subnet of ${name} (${mine.cidr}): IPv6 next hop ${local} alone (RFC 2545 §3)`,
      };
    const ll = entries.find((e) => {
      const a = parse(e.address);
      return a !== undefined && isLinkLocal(a);
    });
    if (isLinkLocal(me)) {
      const global = entries.find((e) => {
        const a = parse(e.address);
        return a !== undefined && !isLinkLocal(a) && !e.internal;
      });
      if (global === undefined)
        return {
          interface: name,
          note: `no global IPv6 address on ${name}: IPv6 next hop ${local} alone, which RFC 2545 §3 routers may refuse`,
        };
      return {
        interface: name,
        nextHop: { ipv6: global.address, ipv6LinkLocal: local.split('%')[0] as string },
      };
    }
    if (ll === undefined)
      return { interface: name, note: `no link-local address on ${name}: IPv6 next hop ${local} alone` };
    return { interface: name, nextHop: { ipv6LinkLocal: ll.address } };
  }
  return { note: `local address ${local} is on no interface: IPv6 next hop ${local} alone` };
}
