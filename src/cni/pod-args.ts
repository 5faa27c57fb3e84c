/**
 * CNI_ARGS with the pod's identity, as CRI runtimes pass it, when the
 * annotations carry it (CRI-O and containerd name the same facts differently).
 * Values that would break the `K=V;K=V` format are left out.
 */

const SOURCES: ReadonlyArray<[string, readonly string[]]> = [
  ['K8S_POD_NAMESPACE', ['io.kubernetes.pod.namespace', 'io.kubernetes.cri.sandbox-namespace']],
  ['K8S_POD_NAME', ['io.kubernetes.pod.name', 'io.kubernetes.cri.sandbox-name']],
  ['K8S_POD_INFRA_CONTAINER_ID', ['io.kubernetes.cri-o.SandboxID', 'io.kubernetes.cri.sandbox-id']],
  ['K8S_POD_UID', ['io.kubernetes.pod.uid', 'io.kubernetes.cri.sandbox-uid']],
];

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

export function podArgs(annotations: Readonly<Record<string, string>>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [arg, keys] of SOURCES) {
    const v = keys.map((k) => annotations[k]).find((x) => x !== undefined && SAFE.test(x));
    if (v !== undefined) out.push([arg, v]);
  }
  // Plugins that do not know K8S_* refuse unknown args unless told otherwise.
  return out.length > 0 ? [['IgnoreUnknown', '1'], ...out] : [];
}
