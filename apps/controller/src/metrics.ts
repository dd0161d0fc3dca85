// Prometheus metrics under MetalLB's names (internal/allocator/stats.go, internal/k8s/controllers
// stats.go), per pool, plus the controller's own: leadership, queue depth, write failures.
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export interface PoolCounts {
  readonly pool: string;
  readonly capacityIPv4: number;
  readonly capacityIPv6: bigint;
  readonly assignedIPv4: number;
  readonly assignedIPv6: number;
  readonly services: number;
}

const big = (n: bigint): number => Number(n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : n);

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly addressesTotal = this.#poolGauge(
    'metallb_allocator_addresses_total',
    'Number of usable IP addresses, per pool',
  );
  readonly ipv4AddressesTotal = this.#poolGauge(
    'metallb_allocator_ipv4_addresses_total',
    'Number of usable IPV4 addresses, per pool',
  );
  readonly ipv6AddressesTotal = this.#poolGauge(
    'metallb_allocator_ipv6_addresses_total',
    'Number of usable IPV6 addresses, per pool',
  );
  readonly addressesInUse = this.#poolGauge(
    'metallb_allocator_addresses_in_use_total',
    'Number of IP addresses in use, per pool',
  );
  readonly ipv4AddressesInUse = this.#poolGauge(
    'metallb_allocator_ipv4_addresses_in_use_total',
    'Number of IPV4 addresses in use, per pool',
  );
  readonly ipv6AddressesInUse = this.#poolGauge(
    'metallb_allocator_ipv6_addresses_in_use_total',
    'Number of IPV6 addresses in use, per pool',
  );
  readonly servicesAllocated = this.#poolGauge(
    'metallb_allocator_services_allocated_total',
    'Number of services allocated, per pool',
  );
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
  readonly updates = new Counter({
    name: 'metallb_k8s_client_updates_total',
    help: 'Number of k8s object updates that have been processed.',
    registers: [this.registry],
  });
  readonly updateErrors = new Counter({
    name: 'metallb_k8s_client_update_errors_total',
    help: 'Number of k8s object updates that failed for some reason.',
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'bmlb_controller_leader',
    help: '1 while this replica holds the leader Lease and writes, 0 otherwise.',
    registers: [this.registry],
  });
  readonly pendingServices = new Gauge({
    name: 'bmlb_controller_pending_services',
    help: 'LoadBalancer Services of this controller that have no address (allocation failed).',
    registers: [this.registry],
  });
  readonly writeQueue = new Gauge({
    name: 'bmlb_controller_write_queue',
    help: 'Service and pool status writes waiting or in flight.',
    registers: [this.registry],
  });
  readonly writeErrors = new Counter({
    name: 'bmlb_controller_write_errors_total',
    help: 'Writes to the API server that failed (each is retried with backoff).',
    labelNames: ['what'] as const,
    registers: [this.registry],
  });
  readonly #pools = new Set<string>();

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  #poolGauge(name: string, help: string): Gauge<'pool'> {
    return new Gauge({ name, help, labelNames: ['pool'] as const, registers: [this.registry] });
  }

  /** Sets every pool's series; pools that are gone lose theirs. */
  setPools(counts: readonly PoolCounts[]): void {
    const now = new Set(counts.map((c) => c.pool));
    for (const p of this.#pools) if (!now.has(p)) this.#forget(p);
    this.#pools.clear();
    for (const c of counts) {
      this.#pools.add(c.pool);
      const l = { pool: c.pool };
      this.addressesTotal.set(l, c.capacityIPv4 + big(c.capacityIPv6));
      this.ipv4AddressesTotal.set(l, c.capacityIPv4);
      this.ipv6AddressesTotal.set(l, big(c.capacityIPv6));
      this.addressesInUse.set(l, c.assignedIPv4 + c.assignedIPv6);
      this.ipv4AddressesInUse.set(l, c.assignedIPv4);
      this.ipv6AddressesInUse.set(l, c.assignedIPv6);
      this.servicesAllocated.set(l, c.services);
    }
  }

  #forget(pool: string): void {
    for (const g of [
      this.addressesTotal,
      this.ipv4AddressesTotal,
      this.ipv6AddressesTotal,
      this.addressesInUse,
      this.ipv4AddressesInUse,
      this.ipv6AddressesInUse,
      this.servicesAllocated,
    ]) {
      g.remove({ pool });
    }
  }
}
