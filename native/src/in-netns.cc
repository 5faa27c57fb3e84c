#include "in-netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "errors.h"

bool RunInNetns(Napi::Env env, int targetFd, const char* label, const std::function<void()>& body) {
  int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) {
    ThrowErrno(env, errno, "open", "/proc/thread-self/ns/net");
    return false;
  }
  if (setns(targetFd, CLONE_NEWNET) < 0) {
    int err = errno;
    close(home);
    ThrowErrno(env, err, "setns", label);
    return false;
  }
  body();
  if (setns(home, CLONE_NEWNET) < 0) {
    perror("oci-netdevices: cannot return to the original network namespace");
    abort();
  }
  close(home);
  return true;
}
