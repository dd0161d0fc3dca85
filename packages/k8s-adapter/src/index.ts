// @bmlb/k8s-adapter: Kubernetes watches, status, events and leases for bmlb.
export {};
