/**
 * Our subset of the NRI API (containerd/nri pkg/api/api.proto, v0.8.0, the
 * version containerd 2.1 speaks) and of ttrpc's request/response envelope.
 * Field numbers are the upstream ones; fields we never read are left out and
 * skipped by the decoder. Parsed with keepCase: the wire names stay snake_case.
 */
import protobuf from 'protobufjs';

export const NRI_PACKAGE = 'nri.pkg.api.v1alpha1';

const SOURCE = `
syntax = "proto3";
package ttrpc;
message KeyValue { string key = 1; string value = 2; }
message Request { string service = 1; string method = 2; bytes payload = 3; int64 timeout_nano = 4; repeated KeyValue metadata = 5; }
message Status { int32 code = 1; string message = 2; }
message Response { Status status = 1; bytes payload = 2; }
`;

const NRI_SOURCE = `
syntax = "proto3";
package ${NRI_PACKAGE};
message RegisterPluginRequest { string plugin_name = 1; string plugin_idx = 2; }
message Empty {}
message ConfigureRequest { string config = 1; string runtime_name = 2; string runtime_version = 3; int64 registration_timeout = 4; int64 request_timeout = 5; }
message ConfigureResponse { int32 events = 2; }
message SynchronizeRequest { repeated PodSandbox pods = 1; repeated Container containers = 2; bool more = 3; }
message SynchronizeResponse { bool more = 2; }
message CreateContainerRequest { PodSandbox pod = 1; Container container = 2; }
message CreateContainerResponse {}
message StateChangeEvent { int32 event = 1; PodSandbox pod = 2; Container container = 3; }
message PodSandbox {
  string id = 1; string name = 2; string uid = 3; string namespace = 4;
  map<string, string> labels = 5; map<string, string> annotations = 6;
  string runtime_handler = 7; LinuxPodSandbox linux = 8; uint32 pid = 9; repeated string ips = 10;
}
message LinuxPodSandbox { string cgroup_parent = 3; string cgroups_path = 4; repeated LinuxNamespace namespaces = 5; }
message LinuxNamespace { string type = 1; string path = 2; }
message Container { string id = 1; string pod_sandbox_id = 2; string name = 3; int32 state = 4; map<string, string> annotations = 6; }
`;

/** The NRI events (enum Event); a plugin subscribes with the bit 1 << (event - 1). */
export const NriEvent = {
  RUN_POD_SANDBOX: 1,
  STOP_POD_SANDBOX: 2,
  REMOVE_POD_SANDBOX: 3,
  CREATE_CONTAINER: 4,
} as const;

export function eventMask(events: readonly number[]): number {
  return events.reduce((m, e) => m | (1 << (e - 1)), 0);
}

export interface LinuxNamespace {
  type: string;
  path: string;
}

export interface PodSandbox {
  id: string;
  name: string;
  uid: string;
  namespace: string;
  annotations: Record<string, string>;
  runtime_handler: string;
  linux?: { namespaces: LinuxNamespace[] };
}

export interface Container {
  id: string;
  pod_sandbox_id: string;
  name: string;
}

let root: protobuf.Root | undefined;

function types(): protobuf.Root {
  if (root === undefined) {
    root = new protobuf.Root();
    protobuf.parse(SOURCE, root, { keepCase: true });
    protobuf.parse(NRI_SOURCE, root, { keepCase: true });
  }
  return root;
}

/** `name`: "ttrpc.Request" or an NRI message name without its package. */
export function messageType(name: string): protobuf.Type {
  return types().lookupType(name.includes('.') ? name : `${NRI_PACKAGE}.${name}`);
}

export function encode(name: string, value: Record<string, unknown>): Buffer {
  const t = messageType(name);
  return Buffer.from(t.encode(t.fromObject(value)).finish());
}

/** Decoded with defaults filled in (empty strings, arrays, maps), enums and 64-bit ints as numbers. */
export function decode<T>(name: string, bytes: Uint8Array): T {
  const t = messageType(name);
  return t.toObject(t.decode(bytes), { defaults: true, arrays: true, objects: true, longs: Number, enums: Number }) as T;
}
