/**
 * Containers whose createRuntime this process is applying right now. A journal
 * names its writer's pid; in the daemon that pid outlives the request, so
 * "writer alive" means "this process is still applying that container" only
 * when the id is listed here (a request that failed to roll back left its
 * journal for the next sweep, as a dead hook does).
 */
const applying = new Set<string>();

export function startApplying(id: string): void {
  applying.add(id);
}

export function stopApplying(id: string): void {
  applying.delete(id);
}

export function applyingHere(id: string): boolean {
  return applying.has(id);
}
