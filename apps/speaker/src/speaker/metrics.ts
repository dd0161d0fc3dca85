// Prometheus metrics under MetalLB's names (internal/bgp/native stats.go, the FRR collectors'
// bgp and bfd metrics), labelled by peer address and VRF as MetalLB's FRR mode does.
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

const L = ['peer', 'vrf'] as const;

export class SpeakerMetrics {
  readonly registry = new Registry();
  readonly bgpSessionUp = this.#gauge('metallb_bgp_session_up', 'BGP session state (1 is up, 0 is down)');
  readonly bgpUpdatesSent = this.#counter('metallb_bgp_updates_total', 'Number of BGP UPDATE messages sent');
  readonly bgpUpdatesReceived = this.#counter(
    'metallb_bgp_updates_total_received',
    'Number of BGP UPDATE messages received',
  );
  readonly bgpAnnounced = this.#gauge(
    'metallb_bgp_announced_prefixes_total',
    'Number of prefixes currently being advertised on the BGP session',
  );
  readonly bgpPending = this.#gauge(
    'metallb_bgp_pending_prefixes_total',
    'Number of prefixes that should be advertised on the BGP session',
  );
  readonly bgpOpensSent = this.#counter('metallb_bgp_opens_sent', 'Number of BGP open messages sent');
  readonly bgpOpensReceived = this.#counter(
    'metallb_bgp_opens_received',
    'Number of BGP open messages received',
  );
  readonly bgpNotificationsSent = this.#counter(
    'metallb_bgp_notifications_sent',
    'Number of BGP notification messages sent',
  );
  readonly bgpKeepalivesSent = this.#counter(
    'metallb_bgp_keepalives_sent',
    'Number of BGP keepalive messages sent',
  );
  readonly bgpKeepalivesReceived = this.#counter(
    'metallb_bgp_keepalives_received',
    'Number of BGP keepalive messages received',
  );
  readonly bgpRouteRefreshSent = this.#counter(
    'metallb_bgp_route_refresh_sent',
    'Number of BGP route refresh messages sent',
  );
  readonly bgpTotalSent = this.#counter('metallb_bgp_total_sent', 'Number of total BGP messages sent');
  readonly bgpTotalReceived = this.#counter(
    'metallb_bgp_total_received',
    'Number of total BGP messages received',
  );
  readonly bfdSessionUp = this.#gauge('metallb_bfd_session_up', 'BFD session state (1 is up, 0 is down)');
  readonly bfdIn = this.#counter(
    'metallb_bfd_control_packet_input',
    'Number of received BFD control packets',
  );
  readonly bfdOut = this.#counter('metallb_bfd_control_packet_output', 'Number of sent BFD control packets');
  readonly bfdDownEvents = this.#counter(
    'metallb_bfd_session_down_events',
    'Number of BFD session down events',
  );
  readonly bfdUpEvents = this.#counter('metallb_bfd_session_up_events', 'Number of BFD session up events');
  readonly configLoaded = new Gauge({
    name: 'metallb_k8s_client_config_loaded_bool',
    help: '1 if the MetalLB configuration was successfully loaded at least once.',
    registers: [this.registry],
  });
  readonly configStale = new Gauge({
    name: 'metallb_k8s_client_config_stale_bool',
    help: '1 if running on a stale configuration, because the latest config failed to load.',
    registers: [this.registry],
  });
  readonly announcing = new Gauge({
    name: 'metallb_speaker_announced',
    help: 'Services being announced from this node. This is desired state, it does not guarantee that the routing protocols have converged.',
    labelNames: ['ip', 'node', 'protocol', 'service'] as const,
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  #gauge(name: string, help: string): Gauge<'peer' | 'vrf'> {
    return new Gauge({ name, help, labelNames: L, registers: [this.registry] });
  }

  #counter(name: string, help: string): Counter<'peer' | 'vrf'> {
    return new Counter({ name, help, labelNames: L, registers: [this.registry] });
  }

  /** Drops every series of a peer that was removed from the configuration. */
  forgetPeer(peer: string, vrf = 'default'): void {
    for (const m of [
      this.bgpSessionUp,
      this.bgpUpdatesSent,
      this.bgpUpdatesReceived,
      this.bgpAnnounced,
      this.bgpPending,
      this.bgpOpensSent,
      this.bgpOpensReceived,
      this.bgpNotificationsSent,
      this.bgpKeepalivesSent,
      this.bgpKeepalivesReceived,
      this.bgpRouteRefreshSent,
      this.bgpTotalSent,
      this.bgpTotalReceived,
    ]) {
      (m as Gauge<'peer' | 'vrf'>).remove({ peer, vrf });
    }
  }

  forgetBfdPeer(peer: string, vrf = 'default'): void {
    for (const m of [this.bfdSessionUp, this.bfdIn, this.bfdOut, this.bfdDownEvents, this.bfdUpEvents]) {
      (m as Gauge<'peer' | 'vrf'>).remove({ peer, vrf });
    }
  }
}
