// @bmlb/metallb-api/yaml: manifest files read from YAML (every document validated, errors placed by
// file, document, line and column) and the CRDs written as YAML. The one entry point that loads a
// YAML library: js-yaml, an optional peer dependency, so the kinds, validation and the allocator
// install without it. Objects that arrive as JSON (a Kubernetes watch) need only the main entry's
// `validateObject`.
export { crdFiles, crdYaml } from './crd-yaml.ts';
export {
  ManifestCache,
  type ParseManifestsOptions,
  type ParseManifestsResult,
  parseManifests,
} from './manifests.ts';
