// @bmlb/allocator: pure, MetalLB-compatible IP allocation from address pools, without scanning.
export type { Family } from './addr.ts';
export { Allocator } from './allocator.ts';
export type { PoolConfigError, PoolInput } from './pool.ts';
export type { Refusal, RefusalCode, SharingConflict } from './refusal.ts';
export type {
  AddressOwners,
  Assignment,
  AssignResult,
  PoolChange,
  PoolChangeReason,
  PoolStats,
  RestoreResult,
  SetPoolsResult,
} from './results.ts';
export {
  type AllocatorService,
  Annotations,
  annotationValue,
  backendKey,
  DeprecatedAnnotations,
  type IPFamilyPolicy,
  isServedByUs,
  readRequest,
  type ServicePort,
  type ServiceRequest,
  serviceKey,
  sharingKey,
} from './service.ts';
