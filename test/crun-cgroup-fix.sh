#!/usr/bin/env bash
# Idempotent: binds the hugetlb controller to a v1 hierarchy so crun 1.8 accepts
# a hybrid cgroup layout. Harmless where it is not needed or not possible.
if ! mountpoint -q /sys/fs/cgroup/hugetlb 2>/dev/null && grep -qw '^hugetlb' /proc/cgroups \
   && [ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ]; then
  mkdir -p /sys/fs/cgroup/hugetlb
  mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb 2>/dev/null || echo "crun-cgroup-fix: could not mount hugetlb v1 hierarchy"
fi
exit 0
