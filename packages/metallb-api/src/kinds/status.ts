/**
 * The status kinds the speaker writes, so `kubectl get` shows what each node announces and how each
 * BGP session is doing:
 * - `metallb.io/v1beta1` ServiceBGPStatus, as MetalLB defines it (the same in v0.15 and v0.16.2): per (Service, node), the
 *   peers the Service's IPs are configured to be announced to;
 * - `bmlb.io/v1alpha1` BGPSessionState, modelled on frr-k8s's kind of that name with what a
 *   network engineer looks at: per (node, peer), BGP state and since when, prefixes sent and
 *   received, the last error, BFD state and diagnostic.
 */
import Type, { type Static } from 'typebox';
import type { KindSpec, ObjectMeta } from '../meta.ts';

/** The group of bmlb's own kinds (not MetalLB's). */
export const BMLB_GROUP = 'bmlb.io';

export const LABEL_NODE = 'metallb.io/node';
export const LABEL_SERVICE_NAME = 'metallb.io/service-name';
export const LABEL_SERVICE_NAMESPACE = 'metallb.io/service-namespace';
export const LABEL_SESSION_NODE = 'bmlb.io/node';
export const LABEL_SESSION_PEER = 'bmlb.io/peer';

const immutable = {
  'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'Value is immutable' }],
};

export const ServiceBGPStatusStatusSchema = Type.Object(
  {
    node: Type.Optional(
      Type.String({ description: 'Node indicates the node announcing the service.', ...immutable }),
    ),
    serviceName: Type.Optional(
      Type.String({ description: 'ServiceName indicates the service this status represents.', ...immutable }),
    ),
    serviceNamespace: Type.Optional(
      Type.String({ description: 'ServiceNamespace indicates the namespace of the service.', ...immutable }),
    ),
    peers: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'Peers indicate the BGP peers for which the service is configured to be advertised to. The service being actually advertised to a given peer depends on the session state and is not indicated here.',
      }),
    ),
  },
  { description: 'MetalLBServiceBGPStatus defines the observed state of ServiceBGPStatus.' },
);
export type ServiceBGPStatusStatus = Static<typeof ServiceBGPStatusStatusSchema>;

export interface ServiceBGPStatus {
  apiVersion: 'metallb.io/v1beta1';
  kind: 'ServiceBGPStatus';
  metadata: ObjectMeta & { namespace: string };
  spec?: Record<string, never>;
  status?: ServiceBGPStatusStatus;
}

export const ServiceBGPStatusKind: KindSpec = {
  kind: 'ServiceBGPStatus',
  apiVersions: ['metallb.io/v1beta1'],
  namespaced: true,
  defaultNamespace: 'metallb-system',
  specSchema: Type.Object(
    {},
    { description: 'ServiceBGPStatusSpec defines the desired state of ServiceBGPStatus.' },
  ),
  specRequired: false,
  statusSchema: ServiceBGPStatusStatusSchema,
  strict: true,
};

export const BgpStates = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'] as const;
export const BfdStates = ['AdminDown', 'Down', 'Init', 'Up'] as const;

export const BGPSessionStateStatusSchema = Type.Object(
  {
    node: Type.Optional(Type.String({ description: 'The node the session runs on.' })),
    peer: Type.Optional(Type.String({ description: 'The BGPPeer (namespace/name of the object).' })),
    peerAddress: Type.Optional(Type.String({ description: "The peer's address." })),
    localAddress: Type.Optional(
      Type.String({ description: 'The local end of the TCP connection, once there is one.' }),
    ),
    myASN: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295 })),
    peerASN: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295 })),
    bgpState: Type.Optional(
      Type.String({ enum: [...BgpStates], description: 'The BGP finite state machine state (RFC 4271 §8).' }),
    ),
    establishedSince: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'When the session last became Established (absent when it is not).',
      }),
    ),
    lastTransition: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'When the session last went into or out of Established.',
      }),
    ),
    prefixesSent: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Prefixes the peer holds from this node.' }),
    ),
    prefixesReceived: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Prefixes received from the peer.' }),
    ),
    lastError: Type.Optional(
      Type.String({
        description:
          'Why the session last went down (a NOTIFICATION sent or received, a hold timer, BFD, …).',
      }),
    ),
    bfdState: Type.Optional(
      Type.String({
        enum: [...BfdStates, 'N/A'],
        description: 'The BFD session state, N/A without a BFD profile.',
      }),
    ),
    bfdDiagnostic: Type.Optional(
      Type.String({ description: 'The BFD diagnostic (RFC 5880 §4.1) of the last change.' }),
    ),
  },
  { description: 'BGPSessionStateStatus is the observed state of one BGP session of one node.' },
);
export type BGPSessionStateStatus = Static<typeof BGPSessionStateStatusSchema>;

export interface BGPSessionState {
  apiVersion: 'bmlb.io/v1alpha1';
  kind: 'BGPSessionState';
  metadata: ObjectMeta & { namespace: string };
  spec?: Record<string, never>;
  status?: BGPSessionStateStatus;
}

export const BGPSessionStateKind: KindSpec = {
  kind: 'BGPSessionState',
  apiVersions: ['bmlb.io/v1alpha1'],
  namespaced: true,
  defaultNamespace: 'metallb-system',
  specSchema: Type.Object({}, { description: 'BGPSessionStateSpec is empty: the object only reports.' }),
  specRequired: false,
  statusSchema: BGPSessionStateStatusSchema,
  strict: true,
};
