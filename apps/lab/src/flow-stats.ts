// What the client's flows saw, from the datagrams each flow sent and the replies it got back (pure:
// the client process and the lab both use it, the unit tests check it).

/** One reply: the sequence number it answers, when it arrived (epoch ms), which node sent it. */
export interface Reply {
  readonly seq: number;
  readonly at: number;
  readonly node: string;
}

/** One flow's record: its source port, when each datagram left (index = seq), the replies. */
export interface FlowRecord {
  readonly port: number;
  readonly sentAt: readonly number[];
  readonly replies: readonly Reply[];
}

export interface FlowStats {
  readonly port: number;
  readonly sent: number;
  readonly received: number;
  /** Datagrams sent that got no reply. */
  readonly lost: number;
  /** Replies per node. */
  readonly nodes: Readonly<Record<string, number>>;
  /** The node that answered first, and last. */
  readonly firstNode: string | undefined;
  readonly lastNode: string | undefined;
  /**
   * The longest silence on the flow: between two consecutive replies (by arrival), or from the last
   * reply until sending stopped when none came after it (then `recovered` is false). Before the
   * first reply counts from the first datagram sent.
   */
  readonly longestGap: {
    readonly ms: number;
    readonly from: number;
    readonly to: number;
    readonly fromNode: string | undefined;
    readonly toNode: string | undefined;
    /** Datagrams sent in the gap that got no reply. */
    readonly lost: number;
  };
  readonly recovered: boolean;
}

export function flowStats(f: FlowRecord, stoppedAt: number): FlowStats {
  const replies = [...f.replies].sort((a, b) => a.at - b.at);
  const answered = new Set(replies.map((r) => r.seq));
  const nodes: Record<string, number> = {};
  for (const r of replies) nodes[r.node] = (nodes[r.node] ?? 0) + 1;
  const firstSent = f.sentAt[0] ?? stoppedAt;
  type Gap = Omit<FlowStats['longestGap'], 'lost'>;
  let gap: Gap = { ms: 0, from: firstSent, to: firstSent, fromNode: undefined, toNode: undefined };
  let prevAt = firstSent;
  let prevNode: string | undefined;
  for (const r of replies) {
    const g: Gap = { ms: r.at - prevAt, from: prevAt, to: r.at, fromNode: prevNode, toNode: r.node };
    if (g.ms > gap.ms) gap = g;
    prevAt = r.at;
    prevNode = r.node;
  }
  // Datagrams sent after the last reply arrived that got none: the flow was silent when sending
  // stopped, and its gap runs until then.
  const recovered = !f.sentAt.some((at, seq) => at > prevAt && !answered.has(seq));
  if (!recovered && stoppedAt - prevAt >= gap.ms)
    gap = { ms: stoppedAt - prevAt, from: prevAt, to: stoppedAt, fromNode: prevNode, toNode: undefined };
  const lostInGap = f.sentAt.filter((at, seq) => at >= gap.from && at < gap.to && !answered.has(seq)).length;
  return {
    port: f.port,
    sent: f.sentAt.length,
    received: answered.size,
    lost: f.sentAt.length - answered.size,
    nodes,
    firstNode: replies[0]?.node,
    lastNode: replies.at(-1)?.node,
    longestGap: { ...gap, lost: lostInGap },
    recovered,
  };
}

/** What the client prints when it stops (one JSON line). */
export interface TrafficReport {
  readonly dst: string;
  readonly port: number;
  readonly intervalMs: number;
  readonly startedAt: number;
  readonly stoppedAt: number;
  readonly flows: readonly FlowStats[];
}

export interface TrafficSummary {
  readonly flows: number;
  readonly sent: number;
  readonly lost: number;
  /** Flows by the node that answered them first. */
  readonly flowsByNode: Readonly<Record<string, number>>;
  /** Flows that lost at least one datagram. */
  readonly affected: readonly FlowStats[];
  /** The longest per-flow gap, and the flow it was on. */
  readonly worst: FlowStats | undefined;
  /** Flows still silent when sending stopped. */
  readonly unrecovered: number;
}

export function summarize(r: TrafficReport): TrafficSummary {
  const flowsByNode: Record<string, number> = {};
  for (const f of r.flows) {
    const n = f.firstNode ?? '(no reply)';
    flowsByNode[n] = (flowsByNode[n] ?? 0) + 1;
  }
  const affected = r.flows.filter((f) => f.lost > 0);
  const worst = [...r.flows].sort((a, b) => b.longestGap.ms - a.longestGap.ms)[0];
  return {
    flows: r.flows.length,
    sent: r.flows.reduce((s, f) => s + f.sent, 0),
    lost: r.flows.reduce((s, f) => s + f.lost, 0),
    flowsByNode,
    affected,
    worst,
    unrecovered: r.flows.filter((f) => !f.recovered).length,
  };
}
