// @bmlb/controller: the cluster-wide daemon. Services and address pools in (through
// @bmlb/k8s-adapter), addresses out (Service status, the pool annotation, Events, IPAddressPool
// status, metrics), with MetalLB's rules from @bmlb/allocator.
export { type ConfigView, evaluateConfig, MetallbKinds } from './config-view.ts';
export { Controller, type ControllerOptions } from './controller.ts';
export { ControllerMetrics } from './metrics.ts';
export { WorkQueue, type WorkQueueOptions } from './work-queue.ts';
