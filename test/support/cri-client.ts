/**
 * A small CRI v1 client for the tests (kubernetes/cri-api pkg/apis/runtime/v1/api.proto,
 * our own subset: the calls and fields the tests use, upstream field numbers).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';

const PROTO = `
syntax = "proto3";
package runtime.v1;
service RuntimeService {
  rpc Version(VersionRequest) returns (VersionResponse) {}
  rpc RunPodSandbox(RunPodSandboxRequest) returns (RunPodSandboxResponse) {}
  rpc StopPodSandbox(StopPodSandboxRequest) returns (Empty) {}
  rpc RemovePodSandbox(RemovePodSandboxRequest) returns (Empty) {}
  rpc PodSandboxStatus(PodSandboxStatusRequest) returns (PodSandboxStatusResponse) {}
  rpc CreateContainer(CreateContainerRequest) returns (CreateContainerResponse) {}
  rpc StartContainer(StartContainerRequest) returns (Empty) {}
  rpc StopContainer(StopContainerRequest) returns (Empty) {}
  rpc RemoveContainer(RemoveContainerRequest) returns (Empty) {}
  rpc ExecSync(ExecSyncRequest) returns (ExecSyncResponse) {}
  rpc ListPodSandbox(ListPodSandboxRequest) returns (ListPodSandboxResponse) {}
}
message ListPodSandboxRequest {}
message PodSandbox { string id = 1; PodSandboxMetadata metadata = 2; int32 state = 3; }
message ListPodSandboxResponse { repeated PodSandbox items = 1; }
message Empty {}
message VersionRequest { string version = 1; }
message VersionResponse { string version = 1; string runtime_name = 2; string runtime_version = 3; string runtime_api_version = 4; }
message PodSandboxMetadata { string name = 1; string uid = 2; string namespace = 3; uint32 attempt = 4; }
enum NamespaceMode { POD = 0; CONTAINER = 1; NODE = 2; TARGET = 3; }
message NamespaceOption { NamespaceMode network = 1; NamespaceMode pid = 2; NamespaceMode ipc = 3; }
message LinuxSandboxSecurityContext { NamespaceOption namespace_options = 1; }
message LinuxPodSandboxConfig { string cgroup_parent = 1; LinuxSandboxSecurityContext security_context = 2; }
message PodSandboxConfig { PodSandboxMetadata metadata = 1; string hostname = 2; string log_directory = 3; map<string, string> labels = 6; map<string, string> annotations = 7; LinuxPodSandboxConfig linux = 8; }
message RunPodSandboxRequest { PodSandboxConfig config = 1; string runtime_handler = 2; }
message RunPodSandboxResponse { string pod_sandbox_id = 1; }
message StopPodSandboxRequest { string pod_sandbox_id = 1; }
message RemovePodSandboxRequest { string pod_sandbox_id = 1; }
message PodSandboxStatusRequest { string pod_sandbox_id = 1; bool verbose = 2; }
message PodSandboxNetworkStatus { string ip = 1; }
message PodSandboxStatus { string id = 1; PodSandboxMetadata metadata = 2; int32 state = 3; PodSandboxNetworkStatus network = 5; }
message PodSandboxStatusResponse { PodSandboxStatus status = 1; map<string, string> info = 2; }
message ContainerMetadata { string name = 1; uint32 attempt = 2; }
message ImageSpec { string image = 1; }
message KeyValue { string key = 1; string value = 2; }
message CDIDevice { string name = 1; }
message ContainerConfig {
  ContainerMetadata metadata = 1; ImageSpec image = 2; repeated string command = 3; repeated string args = 4;
  repeated KeyValue envs = 6; map<string, string> labels = 9; map<string, string> annotations = 10; string log_path = 11;
  repeated CDIDevice CDI_devices = 17;
}
message CreateContainerRequest { string pod_sandbox_id = 1; ContainerConfig config = 2; PodSandboxConfig sandbox_config = 3; }
message CreateContainerResponse { string container_id = 1; }
message StartContainerRequest { string container_id = 1; }
message StopContainerRequest { string container_id = 1; int64 timeout = 2; }
message RemoveContainerRequest { string container_id = 1; }
message ExecSyncRequest { string container_id = 1; repeated string cmd = 2; int64 timeout = 3; }
message ExecSyncResponse { bytes stdout = 1; bytes stderr = 2; int32 exit_code = 3; }
`;

export interface CriClient {
  call(method: string, req: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): void;
}

export function criClient(socket: string, scratch: string): CriClient {
  const file = join(scratch, 'cri-subset.proto');
  writeFileSync(file, PROTO);
  const def = loader.loadSync(file, { keepCase: true, longs: Number, enums: Number, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor } } };
  const client = new pkg.runtime.v1.RuntimeService(`unix://${socket}`, grpc.credentials.createInsecure());
  return {
    call(method, req) {
      const fn = (client as unknown as Record<string, (r: unknown, opts: { deadline: number }, cb: (e: Error | null, v: Record<string, unknown>) => void) => void>)[method];
      if (fn === undefined) throw new Error(`no CRI method ${method}`);
      return new Promise((resolve, reject) => fn.call(client, req, { deadline: Date.now() + 60_000 }, (e, v) => (e !== null ? reject(e) : resolve(v))));
    },
    close: () => client.close(),
  };
}
